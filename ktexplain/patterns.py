"""Load, validate and compile the pattern database (``patterns/*.toml``).

A broken file never takes the others down: `load_database` returns the patterns that loaded
and a `PatternError` for each problem, naming the file, the TOML line and the pattern id.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ktexplain import patterncache
from ktexplain.failure import CATEGORIES
from ktexplain.prefilter import LazyRegex
from ktexplain.record import Record, fields, set_field
from ktexplain.templates import TemplateError, fields_of

DIALECTS = ("keras3", "keras2", "jax", "torch", "tf-op", "keras-tuner", "python")
HP_FIELDS = frozenset({"hp", "hp_value", "hp_space", "hp_suggestion"})
STATIC_FIELDS = ("argument", "layer", "optimizer")
TEMPLATE_KEYS = ("title", "rule", "fix", "fix_with_hp")
KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "dialects",
        "exception",
        "priority",
        "regex",
        "frames",
        "valid",
        "hyperparameter_hint",
        "link_by_value",
        "rule",
        "fix",
        "fix_with_hp",
        "examples",
        "notes",
        *STATIC_FIELDS,
    }
)
# Subclasses a traceback prints under their own name where the message means what the base class's
# would: TensorFlow's autograph re-raises a KeyError from graph code as
# `tensorflow.python.autograph.pyct.error_utils.MultilineMessageKeyError` (TF 2.x; it renames
# `__name__` to KeyError, but a traceback prints the qualified name).
TYPE_ALIASES = {"MultilineMessageKeyError": "KeyError"}
MATCH_TIMEOUT = 0.25  # seconds per regex search: a catastrophic pattern costs this, no more
MAX_MESSAGE = 200_000  # characters of a message searched; the rest is never a cause


class Example(Record):
    """A message the pattern must match, with where it really came from: a captured run
    (``fixture``), a real text people saved (``real``: an id in ``fixtures/real/texts.jsonl``),
    or a template mined from a released package (``template``: ``keras==2.3.1``, checked
    against ``catalogue/messages.jsonl``)."""

    __slots__ = ("message", "fixture", "value", "frames", "real", "template", "exception")
    message: str
    fixture: str | None
    value: str | None
    frames: str
    real: str | None
    template: str | None
    exception: str | None

    def __init__(
        self,
        message: str,
        fixture: str | None = None,
        value: str | None = None,
        frames: str = "",
        real: str | None = None,
        template: str | None = None,
        exception: str | None = None,
    ) -> None:
        set_field(self, "message", message)
        set_field(self, "fixture", fixture)
        set_field(self, "value", value)
        set_field(self, "frames", frames)
        set_field(self, "real", real)
        set_field(self, "template", template)
        set_field(self, "exception", exception)


class Pattern(Record):
    __slots__ = (
        "id",
        "category",
        "title",
        "regexes",
        "dialects",
        "frame_regexes",
        "exception_types",
        "priority",
        "statics",
        "valid",
        "hyperparameter_hint",
        "link_by_value",
        "rule",
        "fix",
        "fix_with_hp",
        "examples",
        "source",
    )
    id: str
    category: str
    title: str
    regexes: tuple[Any, ...]  # compiled `regex` patterns
    dialects: tuple[str, ...]
    frame_regexes: tuple[Any, ...]
    exception_types: tuple[str, ...]
    priority: int
    statics: Mapping[str, str]
    valid: str | None
    hyperparameter_hint: tuple[str, ...]
    link_by_value: bool
    rule: str | None
    fix: str | None
    fix_with_hp: str | None
    examples: tuple[Example, ...]
    source: str

    def __init__(
        self,
        id: str,
        category: str,
        title: str,
        regexes: tuple[Any, ...],
        dialects: tuple[str, ...],
        frame_regexes: tuple[Any, ...] = (),
        exception_types: tuple[str, ...] = (),
        priority: int = 50,
        statics: Mapping[str, str] | None = None,
        valid: str | None = None,
        hyperparameter_hint: tuple[str, ...] = (),
        link_by_value: bool = True,
        rule: str | None = None,
        fix: str | None = None,
        fix_with_hp: str | None = None,
        examples: tuple[Example, ...] = (),
        source: str = "",
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "category", category)
        set_field(self, "title", title)
        set_field(self, "regexes", regexes)
        set_field(self, "dialects", dialects)
        set_field(self, "frame_regexes", frame_regexes)
        set_field(self, "exception_types", exception_types)
        set_field(self, "priority", priority)
        set_field(self, "statics", {} if statics is None else statics)
        set_field(self, "valid", valid)
        set_field(self, "hyperparameter_hint", hyperparameter_hint)
        set_field(self, "link_by_value", link_by_value)
        set_field(self, "rule", rule)
        set_field(self, "fix", fix)
        set_field(self, "fix_with_hp", fix_with_hp)
        set_field(self, "examples", examples)
        set_field(self, "source", source)

    def search(
        self, exception_type: str, message: str, frames_text: str = ""
    ) -> dict[str, str] | None:
        """Return the named groups of the first regex that matches, or None.

        With `frames` regexes the traceback must match one of them too (for a message that says
        nothing, like Keras 3's bare ``IndexError: tuple index out of range``); their groups
        (often read from the user's code line) add to the message's.

        A regex that runs past `MATCH_TIMEOUT` counts as no match, and its pattern is skipped
        from then on (said once on stderr): one bad user pattern must not hang the explanation
        of a traceback the user is waiting for, nor cost that time on every message.
        """
        if self.id in _timed_out:
            return None
        try:
            return self._search(exception_type, message, frames_text)
        except TimeoutError:
            _skip_timed_out(self)
            return None

    def _search(self, exception_type: str, message: str, frames_text: str) -> dict[str, str] | None:
        # A message pasted without its type ("") is judged by its words alone.
        short_type = exception_type.rsplit(".", 1)[-1]
        short_type = TYPE_ALIASES.get(short_type, short_type)
        if self.exception_types and short_type and short_type not in self.exception_types:
            return None
        message = message[:MAX_MESSAGE]
        groups = _first_match(self.regexes, message)
        if groups is None and ("\n" in message or "  " in message):
            # Wrapped at 80 columns, or re-indented by a paste: the words are what count.
            groups = _first_match(self.regexes, " ".join(message.split()))
        if groups is None or not self.frame_regexes:
            return groups
        from_frames = _first_match(self.frame_regexes, frames_text[:MAX_MESSAGE])
        return None if from_frames is None else {**from_frames, **groups}


_timed_out: set[str] = set()  # user patterns skipped from now on
_reported: set[str] = set()


def _skip_timed_out(pattern: Pattern) -> None:
    """A user's pattern that timed out is skipped from then on. A shipped one only misses this
    message: a machine busy training can push an honest regex past the timeout, and losing a
    shipped pattern for the rest of a long-lived process would cost more than one slow search."""
    shipped = bool(pattern.source) and Path(pattern.source).parent == builtin_dir()
    if not shipped:
        _timed_out.add(pattern.id)
    if pattern.id in _reported:
        return
    _reported.add(pattern.id)
    where = f" ({pattern.source})" if pattern.source else ""
    what = "skipped for this message" if shipped else "skipped"
    with contextlib.suppress(Exception):  # a closed stderr must not stop the explanation
        print(
            f"ktexplain: pattern {pattern.id}{where} timed out; {what} "
            f"(a regex ran past {MATCH_TIMEOUT} s)",
            file=sys.stderr,
        )


def _first_match(compiled: tuple[Any, ...], text: str) -> dict[str, str] | None:
    """Raises TimeoutError when a regex runs past `MATCH_TIMEOUT`."""
    for pattern in compiled:
        found = pattern.search(text, timeout=MATCH_TIMEOUT)
        if found is not None:
            return {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def frames_text(frames: Iterable[Any]) -> str:
    """A traceback's frames as Python prints them: what `frames` regexes are written against."""
    return "\n".join(
        f'File "{f.filename}", line {f.lineno}, in {f.function}\n    {f.line or ""}' for f in frames
    )


class PatternError(Record):
    __slots__ = ("file", "message", "line", "pattern_id")
    file: str
    message: str
    line: int | None
    pattern_id: str | None

    def __init__(
        self, file: str, message: str, line: int | None = None, pattern_id: str | None = None
    ) -> None:
        set_field(self, "file", file)
        set_field(self, "message", message)
        set_field(self, "line", line)
        set_field(self, "pattern_id", pattern_id)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        pid = f" [{self.pattern_id}]" if self.pattern_id else ""
        return f"{where}{pid}: {self.message}"


class Database(Record):
    __slots__ = ("patterns", "errors")
    patterns: tuple[Pattern, ...]
    errors: tuple[PatternError, ...]

    def __init__(
        self, patterns: tuple[Pattern, ...], errors: tuple[PatternError, ...] = ()
    ) -> None:
        set_field(self, "patterns", patterns)
        set_field(self, "errors", errors)


def builtin_dir() -> Path:
    """The shipped patterns: ``patterns/`` of a checkout, or ``ktexplain/patterns`` of a wheel."""
    root = Path(__file__).resolve().parent.parent
    if (root / "patterns").is_dir() and (root / "pyproject.toml").is_file():
        return root / "patterns"
    import importlib.resources

    try:
        return Path(str(importlib.resources.files("ktexplain.patterns")))
    except (ModuleNotFoundError, TypeError):
        return Path(__file__).resolve().parent / "patterns"


def user_dir() -> Path:
    """``patterns/`` of platformdirs' user config folder. On Linux it is worked out here as
    platformdirs does (``$XDG_CONFIG_HOME`` when it is an absolute path, as the XDG spec says,
    else ``~/.config``): importing platformdirs costs ~10 ms of every start, for it loads
    tempfile, shutil, bz2 and lzma. `tests/test_patterns.py` compares the two."""
    if sys.platform.startswith("linux"):
        return Path(patterncache.xdg_base("XDG_CONFIG_HOME", ".config")) / "ktexplain" / "patterns"
    import platformdirs

    return Path(platformdirs.user_config_dir("ktexplain")) / "patterns"


def default_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    dirs = [builtin_dir()]
    if os.environ.get("KTEXPLAIN_NO_USER_PATTERNS") != "1":
        dirs.append(user_dir())
    dirs.extend(extra)
    return dirs


def load_database(dirs: Iterable[Path] | None = None, strict: bool = False) -> Database:
    """`strict` compiles and checks every regex now, and keeps every pattern's examples.
    Otherwise the shipped patterns (checked by the test suite) compile each regex the first
    time it is searched -- a traceback that only ValueError patterns can match never pays for
    compiling the others -- and come without their examples."""
    patterns: list[Pattern] = []
    errors: list[PatternError] = []
    seen: dict[str, str] = {}
    for place in dirs if dirs is not None else default_dirs():
        place = Path(place)
        if place.is_dir():
            files = sorted(place.glob("*.toml"))
        elif place.is_file():
            files = [place]  # --patterns mine.toml works as well as a folder
        else:
            if place != user_dir():  # the user's config folder need not exist
                errors.append(PatternError(str(place), "no such pattern file or directory"))
            continue
        for path in files:
            loaded, problems = load_file(path, lazy=not strict and place == builtin_dir())
            errors.extend(problems)
            for pattern in loaded:
                if pattern.id in seen:
                    # A later directory (user, --patterns) overrides an earlier one by id.
                    patterns = [p for p in patterns if p.id != pattern.id]
                seen[pattern.id] = str(path)
                patterns.append(pattern)
    return Database(tuple(patterns), tuple(errors))


def load_file(path: Path, lazy: bool = False) -> tuple[list[Pattern], list[PatternError]]:
    """`lazy` (the shipped files outside the test suite): regexes compile on first use, and the
    file's patterns come from `patterncache` when this text was built before."""
    name = str(path)
    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        return [], [PatternError(name, f"cannot read: {exc.strerror or exc}")]
    if lazy:
        built = patterncache.load_built(data_bytes)
        if built is not None:
            with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
                return _from_built(built, name)
    patterns, errors = _load_text(data_bytes, name, lazy)
    if lazy:
        patterncache.store_built(data_bytes, _to_built(patterns, errors))
    return patterns, errors


def _load_text(
    data_bytes: bytes, name: str, lazy: bool
) -> tuple[list[Pattern], list[PatternError]]:
    tomllib = patterncache.toml_module()

    try:
        raw = data_bytes.decode("utf-8")
        data = patterncache.parse_toml(raw, keep=not lazy)  # lazy: its built form is kept
    except UnicodeDecodeError as exc:
        return [], [PatternError(name, f"not UTF-8 ({exc.reason})")]
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        return [], [PatternError(name, f"invalid TOML: {exc}", line=line)]
    category = data.get("category")
    if category not in CATEGORIES:
        return [], [PatternError(name, f"`category` must be one of {', '.join(CATEGORIES)}")]
    entries = data.get("pattern", [])
    if not isinstance(entries, list):
        return [], [PatternError(name, "`pattern` must be an array of tables ([[pattern]])")]
    patterns: list[Pattern] = []
    errors: list[PatternError] = []
    header_lines = _entry_lines(raw)
    for index, entry in enumerate(entries):
        line = header_lines[index] if index < len(header_lines) else None
        try:
            patterns.append(_build(entry, category, name, lazy))
        except ValueError as exc:
            pid = entry.get("id") if isinstance(entry, dict) else None
            errors.append(PatternError(name, str(exc), line=line, pattern_id=pid))
    return patterns, errors


# Pattern's fields the built form keeps as they are (the regexes are kept with their literal).
_PLAIN_FIELDS = tuple(
    name
    for name in fields(Pattern)
    if name not in ("regexes", "frame_regexes", "examples", "source")
)


def _to_built(patterns: list[Pattern], errors: list[PatternError]) -> dict[str, Any]:
    """What `_from_built` needs: every field, each regex with its required literal."""
    return {
        "patterns": [
            {
                **{key: getattr(p, key) for key in _PLAIN_FIELDS},
                "regexes": [[r.pattern, r.literal] for r in p.regexes],
                "frame_regexes": [[r.pattern, r.literal] for r in p.frame_regexes],
            }
            for p in patterns
        ],
        "errors": [[e.message, e.line, e.pattern_id] for e in errors],
    }


def _from_built(built: dict[str, Any], name: str) -> tuple[list[Pattern], list[PatternError]]:
    patterns = [
        Pattern(
            id=entry["id"],
            category=entry["category"],
            title=entry["title"],
            regexes=tuple(LazyRegex(source, literal) for source, literal in entry["regexes"]),
            dialects=tuple(entry["dialects"]),
            frame_regexes=tuple(
                LazyRegex(source, literal) for source, literal in entry["frame_regexes"]
            ),
            exception_types=tuple(entry["exception_types"]),
            priority=entry["priority"],
            statics=entry["statics"],
            valid=entry["valid"],
            hyperparameter_hint=tuple(entry["hyperparameter_hint"]),
            link_by_value=entry["link_by_value"],
            rule=entry["rule"],
            fix=entry["fix"],
            fix_with_hp=entry["fix_with_hp"],
            source=name,
        )
        for entry in built["patterns"]
    ]
    errors = [PatternError(name, message, line, pid) for message, line, pid in built["errors"]]
    return patterns, errors


def _build(entry: Any, category: str, source: str, lazy: bool = False) -> Pattern:
    import regex

    if not isinstance(entry, dict):
        raise ValueError("a pattern must be a table")
    pid = entry.get("id")
    if not isinstance(pid, str) or not regex.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", pid):
        raise ValueError("`id` must be kebab-case text")
    unknown = set(entry) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    raw_regexes = entry.get("regex")
    if isinstance(raw_regexes, str):
        raw_regexes = [raw_regexes]
    if not raw_regexes or not all(isinstance(r, str) for r in raw_regexes):
        raise ValueError("`regex` must be a string or a non-empty list of strings")
    compiled, groups = _compile_all(raw_regexes, "regex", lazy)
    raw_frames = entry.get("frames", [])
    if isinstance(raw_frames, str):
        raw_frames = [raw_frames]
    if not isinstance(raw_frames, list) or not all(isinstance(r, str) for r in raw_frames):
        raise ValueError("`frames` must be a string or a list of strings")
    frame_compiled, frame_groups = _compile_all(raw_frames, "frames", lazy)
    if frame_compiled:
        groups = groups | frame_groups
    dialects = tuple(entry.get("dialects", ()))
    bad = [d for d in dialects if d not in DIALECTS]
    if not dialects or bad:
        raise ValueError(f"`dialects` must list some of {', '.join(DIALECTS)}")
    statics = {k: entry[k] for k in STATIC_FIELDS if isinstance(entry.get(k), str)}
    available = groups | set(statics)
    templates: dict[str, str | None] = {}
    for key in TEMPLATE_KEYS:
        text = entry.get(key)
        if text is None:
            templates[key] = None
            continue
        if not isinstance(text, str):
            raise ValueError(f"`{key}` must be text")
        try:
            used = fields_of(text)
        except TemplateError as exc:
            raise ValueError(f"`{key}`: {exc}") from None
        allowed = available | (HP_FIELDS if key == "fix_with_hp" else set())
        missing = used - allowed
        if missing:
            raise ValueError(
                f"`{key}` uses {', '.join(sorted('{' + m + '}' for m in missing))}, which not "
                "every regex of this pattern provides"
            )
        templates[key] = text
    if templates["title"] is None:
        raise ValueError("`title` is required")
    valid = entry.get("valid")
    if valid is not None:
        from ktexplain.validity import parse_valid

        try:
            parse_valid(valid)
        except ValueError as exc:
            raise ValueError(f"`valid`: {exc}") from None
    examples = []
    for example in entry.get("examples", ()):
        if not isinstance(example, dict) or not isinstance(example.get("message"), str):
            raise ValueError("each example needs a `message`")
        examples.append(
            Example(
                example["message"],
                example.get("fixture"),
                _opt_str(example.get("value")),
                str(example.get("frames", "")),
                _opt_str(example.get("real")),
                _opt_str(example.get("template")),
                _opt_str(example.get("exception")),
            )
        )
    hints = tuple(entry.get("hyperparameter_hint", ()))
    for hint in hints if not lazy else ():
        import regex

        try:
            regex.compile(hint)
        except regex.error as exc:
            raise ValueError(f"hyperparameter_hint {hint!r} does not compile: {exc}") from None
    exception_types = entry.get("exception", ())
    if isinstance(exception_types, str):
        exception_types = (exception_types,)
    return Pattern(
        id=pid,
        category=category,
        title=templates["title"] or pid,
        regexes=tuple(compiled),
        frame_regexes=tuple(frame_compiled),
        dialects=dialects,
        exception_types=tuple(exception_types),
        priority=int(entry.get("priority", 50)),
        statics=statics,
        valid=valid,
        hyperparameter_hint=hints,
        link_by_value=bool(entry.get("link_by_value", True)),
        rule=templates["rule"],
        fix=templates["fix"],
        fix_with_hp=templates["fix_with_hp"],
        examples=() if lazy else tuple(examples),  # checked by the test suite, not at run time
        source=source,
    )


_GROUP_NAME = r"\(\?P?<(?P<name>[A-Za-z_]\w*)>"


def _compile_all(sources: list[str], key: str, lazy: bool = False) -> tuple[list[Any], set[str]]:
    """Compile each regex (or wrap it to compile on first use); the groups every one of them
    has (what templates may rely on)."""
    import regex

    compiled: list[Any] = []
    groups: set[str] | None = None
    for source in sources:
        if lazy:
            compiled.append(LazyRegex(source))
            names = set(regex.findall(_GROUP_NAME, source))
        else:
            try:
                pattern = regex.compile(source)
            except regex.error as exc:
                raise ValueError(f"{key} does not compile: {exc}") from None
            compiled.append(pattern)
            names = set(pattern.groupindex)
        groups = names if groups is None else groups & names
    return compiled, groups or set()


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _toml_error_line(message: str) -> int | None:
    import regex

    found = regex.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _entry_lines(raw: str) -> list[int]:
    """The line of each ``[[pattern]]`` header, for error messages."""
    return [
        number
        for number, line in enumerate(raw.splitlines(), start=1)
        if line.strip() == "[[pattern]]"
    ]
