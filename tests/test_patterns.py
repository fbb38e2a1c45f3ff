"""The pattern database: every rule fires on its real examples, only its own category claims them,
and broken files are reported precisely without taking the others down."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import regex
from conftest import CAPTURED, ROOT

from ktexplain.diagnose import diagnose
from ktexplain.failure import ExceptionRecord, Failure, Origin
from ktexplain.patterns import builtin_dir, load_database, load_file
from ktexplain.record import fields
from ktexplain.sources.terminal import ANSI
from ktexplain.sources.text import failures_from_path
from ktexplain.templates import TemplateError, fields_of, fill

SYNTHETIC = {"TrainingDiverged", "NaNObjective", "ConstantObjective", "ProcessAborted"}


def _shipped():
    db = load_database([builtin_dir()], strict=True)  # every regex compiled and checked now
    return db


SHIPPED = _shipped()
EXAMPLES = [
    pytest.param(pattern, index, id=f"{pattern.id}[{index}]")
    for pattern in SHIPPED.patterns
    for index in range(len(pattern.examples))
]


def test_shipped_database_loads_cleanly():
    assert SHIPPED.errors == (), [str(e) for e in SHIPPED.errors]
    ids = [p.id for p in SHIPPED.patterns]
    assert len(ids) == len(set(ids)), "pattern ids must be unique"


def test_every_pattern_has_a_real_example():
    missing = [p.id for p in SHIPPED.patterns if not p.examples]
    assert missing == []


@pytest.mark.parametrize(("pattern", "index"), EXAMPLES)
def test_example_matches_its_pattern_and_no_other_category_claims_it(pattern, index):
    example = pattern.examples[index]
    exception_type = example.exception or (
        pattern.exception_types[0] if pattern.exception_types else "ValueError"
    )
    groups = pattern.search(exception_type, example.message, example.frames)
    assert groups is not None, f"{pattern.id} does not match its own example"
    if example.value is not None:
        assert groups.get("value", "").strip("'\"`") == example.value
    for other in SHIPPED.patterns:
        if other.category == pattern.category or other.priority < pattern.priority:
            continue
        assert other.search(exception_type, example.message, example.frames) is None, (
            f"{other.id} ({other.category}) also claims an example of {pattern.id}"
        )
    if not example.frames:
        failure = Failure((ExceptionRecord(exception_type, example.message),), Origin("example"))
        assert diagnose(failure, SHIPPED).category == pattern.category


REAL_TEXTS = ROOT / "fixtures" / "real" / "texts.jsonl"
CATALOGUE = ROOT / "catalogue" / "messages.jsonl"


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _template_regex(template: str) -> str:
    """A mined template as a regex: its literal text, each ``{…}`` hole any text."""
    parts = regex.split(r"\{[^{}]*\}", template)
    return ".*?".join(regex.escape(" ".join(p.split()), special_only=True) for p in parts)


@pytest.mark.parametrize(("pattern", "index"), EXAMPLES)
def test_example_was_copied_from_its_fixture(pattern, index):
    example = pattern.examples[index]
    if example.real is not None:
        # A real text people saved (copied with its source into fixtures/real/texts.jsonl).
        texts = {item["id"]: item for item in _jsonl(REAL_TEXTS)}
        assert example.real in texts, f"{pattern.id}: {example.real} not in {REAL_TEXTS.name}"
        saved = " ".join(ANSI.sub("", texts[example.real]["text"]).split())
        first_line = " ".join(example.message.strip().splitlines()[0].split())
        assert first_line in saved, f"{pattern.id}: example not found in {example.real}"
        return
    if example.template is not None:
        # Instantiated from a template mined out of a released package's source.
        package = example.template
        templates = [
            (template, bool(family.get("fragment")))
            for family in _jsonl(CATALOGUE)
            for template in family.get("templates", [])
            if package in template.get("versions", [])
        ]
        message = " ".join(example.message.split())
        # A family marked `fragment` is a `StrCat` piece of an op kernel's message: TensorFlow
        # appends the rest at run time, so the message need only start with the template.
        assert any(
            (regex.match if fragment else regex.fullmatch)(
                _template_regex(t["template"]), message, flags=regex.S
            )
            for t, fragment in templates
        ), f"{pattern.id}: no template of {package} in the catalogue gives {message!r}"
        return
    assert example.fixture, f"{pattern.id}: example without a fixture"
    log = _fixture_log(example.fixture)
    assert log.exists(), f"{pattern.id}: fixture {example.fixture} is not captured"
    if set(pattern.exception_types) & SYNTHETIC:
        # made by the reader from the log (no traceback to copy): the reader must make it
        messages = {f.exception.message for f in failures_from_path(log)}
        assert example.message in messages, f"{pattern.id}: the reader does not produce it"
        return
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    first_line = example.message.strip().splitlines()[0].strip()
    assert first_line in text, f"{pattern.id}: example not found in {example.fixture}"


def _fixture_log(fixture: str) -> Path:
    """``keras3/NAME``: a captured scenario; ``planted/BATCH/keras3/NAME``: a planted fault's run
    (fixtures/planted)."""
    if fixture.startswith("planted/"):
        _, batch, dialect, name = fixture.split("/")
        return ROOT / "fixtures" / "planted" / batch / "runs" / dialect / name / "run.log"
    return CAPTURED / fixture / "run.log"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
category = "optimizer"

[[pattern]]
id = "good-one"
title = "A good pattern"
dialects = ["keras3"]
regex = ['learning rate (?P<value>\\d+)']
rule = "value {value}"
[[pattern.examples]]
message = "learning rate 5"
"""


def test_broken_toml_names_file_and_line_and_others_still_load(tmp_path):
    _write(tmp_path, "a-good.toml", GOOD)
    _write(tmp_path, "b-broken.toml", 'category = "optimizer"\n[[pattern]]\nid = "x\n')
    db = load_database([tmp_path])
    assert [p.id for p in db.patterns] == ["good-one"]
    (error,) = db.errors
    assert error.file.endswith("b-broken.toml") and error.line == 3
    assert "invalid TOML" in str(error)


def test_bad_pattern_entry_names_its_id_and_line(tmp_path):
    text = (
        GOOD
        + '\n[[pattern]]\nid = "bad-regex"\ntitle = "t"\ndialects = ["keras3"]\n'
        + 'regex = ["(unclosed"]\n'
    )
    path = _write(tmp_path, "c.toml", text)
    patterns, errors = load_file(path)
    assert [p.id for p in patterns] == ["good-one"]
    (error,) = errors
    assert error.pattern_id == "bad-regex"
    assert error.line == text.splitlines().index("[[pattern]]", 5) + 1
    assert "regex does not compile" in error.message


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('regex = ["x"]\ndialects = ["keras9"]', "dialects"),
        ('regex = ["x"]\ndialects = ["keras3"]\nfix = "{value.__class__}"', "stray"),
        ('regex = ["x"]\ndialects = ["keras3"]\nfix = "{nothere}"', "{nothere}"),
        ('regex = ["x"]\ndialects = ["keras3"]\nfix = "{hp_space}"', "{hp_space}"),
        ('regex = ["x"]\ndialects = ["keras3"]\nvalid = "between 1 and 2"', "valid"),
        ('regex = ["x"]\ndialects = ["keras3"]\nsurprise = 1', "unknown key"),
    ],
)
def test_invalid_entries_are_rejected_with_a_reason(tmp_path, entry, complaint):
    text = f'category = "optimizer"\n[[pattern]]\nid = "p"\ntitle = "t"\n{entry}\n'
    _, errors = load_file(_write(tmp_path, "p.toml", text))
    assert len(errors) == 1 and complaint in errors[0].message


def test_catastrophic_regex_times_out_instead_of_hanging(tmp_path):
    text = (
        'category = "optimizer"\n[[pattern]]\nid = "evil"\ntitle = "t"\n'
        "dialects = [\"keras3\"]\nregex = ['^(a+)+$']\n"
    )
    (pattern,), errors = load_file(_write(tmp_path, "evil.toml", text))
    assert errors == []
    started = time.monotonic()
    assert pattern.search("ValueError", "a" * 40 + "!") is None
    assert time.monotonic() - started < 5


def test_templates_fill_names_only_and_never_evaluate():
    assert fields_of("{a} and {{literal}} {b}") == {"a", "b"}
    with pytest.raises(TemplateError):
        fields_of("{a.__class__}")
    with pytest.raises(TemplateError):
        fields_of("{0}")
    assert fill("x={value} {{y}} {missing}", {"value": "[bold]0[/]"}) == "x=[bold]0[/] {y} ?"


def test_a_user_directory_overrides_a_shipped_pattern_by_id(tmp_path):
    if not SHIPPED.patterns:
        pytest.skip("no shipped patterns")
    shipped = SHIPPED.patterns[0]
    text = GOOD.replace('"good-one"', f'"{shipped.id}"').replace(
        '"optimizer"', f'"{shipped.category}"'
    )
    _write(tmp_path, "override.toml", text)
    db = load_database([builtin_dir(), tmp_path])
    (found,) = [p for p in db.patterns if p.id == shipped.id]
    assert found.title == "A good pattern"


def test_a_pattern_that_timed_out_is_skipped_afterwards_and_said_once(tmp_path, capsys):
    text = (
        'category = "optimizer"\n[[pattern]]\nid = "evil-alternation"\ntitle = "t"\n'
        "dialects = [\"keras3\"]\nregex = ['(.|..)+\\d{9}']\n"
    )
    (pattern,), errors = load_file(_write(tmp_path, "evil.toml", text))
    assert errors == []
    message = "Invalid value for argument `filters`. Expected a strictly positive value. " * 2
    assert pattern.search("ValueError", message) is None
    started = time.monotonic()
    for _ in range(20):
        assert pattern.search("ValueError", message) is None
    assert time.monotonic() - started < 0.25  # skipped: not one more timeout
    err = capsys.readouterr().err
    assert err.count("pattern evil-alternation") == 1 and "timed out; skipped" in err


def test_a_shipped_pattern_that_timed_out_once_is_not_lost(monkeypatch, capsys):
    """A busy machine can push an honest regex past the timeout: a shipped pattern misses that
    message only, and matches the next one."""
    from ktexplain import patterns

    shipped = next(p for p in SHIPPED.patterns if p.examples)
    example = shipped.examples[0]
    real_first_match = patterns._first_match
    calls = []

    def slow_once(compiled, text):
        calls.append(text)
        if len(calls) == 1:
            raise TimeoutError
        return real_first_match(compiled, text)

    monkeypatch.setattr(patterns, "_first_match", slow_once)
    frames = example.frames
    assert shipped.search("", example.message, frames) is None  # that message: no match
    assert shipped.search("", example.message, frames) is not None  # the next one matches
    err = capsys.readouterr().err
    assert err.count(f"pattern {shipped.id}") == 1 and "skipped for this message" in err


def test_lazy_shipped_patterns_match_exactly_what_compiled_ones_match():
    """The shipped database compiles each regex on first use and skips it when the text lacks
    the phrase every match must contain: that shortcut must never change an answer."""
    lazy = {p.id: p for p in load_database([builtin_dir()]).patterns}
    messages = {
        (example.exception or (p.exception_types or ("ValueError",))[0], example.message)
        for p in SHIPPED.patterns
        for example in p.examples
    }
    assert any(r.literal for p in lazy.values() for r in p.regexes), "no literal prefilter"
    for pattern in SHIPPED.patterns:
        for exception_type, message in messages:
            assert lazy[pattern.id].search(exception_type, message) == pattern.search(
                exception_type, message
            ), (pattern.id, message)


def _fields(pattern):
    """Everything a pattern holds, its regexes by source and required literal."""
    out = {k: v for k, v in vars(pattern).items() if k not in ("regexes", "frame_regexes")}
    for key in ("regexes", "frame_regexes"):
        out[key] = [(r.pattern, r.literal) for r in getattr(pattern, key)]
    return out


def _slots(pattern):
    return {name: getattr(pattern, name) for name in fields(pattern)}


def test_built_cache_gives_the_same_patterns_as_reading_the_files(tmp_path, monkeypatch):
    """A CLI start takes the shipped patterns from the built cache: it must hold exactly what
    reading, validating and analysing the files gives."""
    monkeypatch.setenv("KTEXPLAIN_CACHE", str(tmp_path))
    for path in sorted(builtin_dir().glob("*.toml")):
        fresh, fresh_errors = load_file(path, lazy=True)  # a miss: read, then stored
        assert list(tmp_path.glob("built-*.json")), "nothing stored"
        cached, cached_errors = load_file(path, lazy=True)  # a hit
        assert cached_errors == fresh_errors
        assert [_fields(_Plain(p)) for p in cached] == [_fields(_Plain(p)) for p in fresh]


class _Plain:
    """A Pattern's fields as attributes (a record has no __dict__)."""

    def __init__(self, pattern):
        for name, value in _slots(pattern).items():
            setattr(self, name, value)


def test_built_cache_never_serves_an_edited_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KTEXPLAIN_CACHE", str(tmp_path / "cache"))
    path = _write(tmp_path, "p.toml", GOOD)
    (first,), _ = load_file(path, lazy=True)
    path.write_text(GOOD.replace(first.title, "An edited title"), encoding="utf-8")
    (second,), _ = load_file(path, lazy=True)
    assert second.title == "An edited title"


def test_a_damaged_built_cache_entry_means_reading_the_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("KTEXPLAIN_CACHE", str(cache))
    path = _write(tmp_path, "p.toml", GOOD)
    (first,), _ = load_file(path, lazy=True)
    for entry in cache.glob("built-*.json"):
        entry.write_text('{"patterns": [{"id": 3}]}', encoding="utf-8")  # valid JSON, wrong shape
    (again,), errors = load_file(path, lazy=True)
    assert errors == [] and again.id == first.id and again.title == first.title
    for entry in cache.glob("built-*.json"):
        entry.write_bytes(b"\x00garbage")
    (again,), errors = load_file(path, lazy=True)
    assert errors == [] and again.id == first.id


def _shipped_regexes():
    for pattern in SHIPPED.patterns:
        for compiled in (*pattern.regexes, *pattern.frame_regexes):
            yield pattern, compiled.pattern


def test_shipped_regexes_match_with_re_exactly_as_with_regex():
    """The shipped patterns run on the standard library's `re` when it accepts them (see
    `ktexplain.prefilter`): on every example, every real text and every captured run's message,
    `re` must give the same groups as `regex`."""
    import re

    from ktexplain.prefilter import compile_shipped

    texts = {e.message for p in SHIPPED.patterns for e in p.examples}
    texts |= {e.frames for p in SHIPPED.patterns for e in p.examples if e.frames}
    texts |= {item["text"] for item in _jsonl(REAL_TEXTS)}
    texts |= {item["example"] for item in _jsonl(CATALOGUE) if item.get("example")}
    for log in sorted(CAPTURED.glob("*/*/run.log")):
        texts |= {r.message for f in failures_from_path(log) for r in f.chain}
    assert len(texts) > 800
    on_re = 0
    for pattern, source in _shipped_regexes():
        fast, reference = compile_shipped(source), regex.compile(source)
        if not isinstance(fast, re.Pattern):
            continue  # `re` refused it: it runs on `regex` as before
        on_re += 1
        for text in texts:
            found, expected = fast.search(text), reference.search(text)
            assert (found and found.groupdict()) == (expected and expected.groupdict()), (
                pattern.id,
                source,
                text[:200],
            )
    assert on_re > 300


HOSTILE = """
import sys
from ktexplain.patterns import builtin_dir, load_database
from ktexplain.prefilter import compile_shipped

traps = [
    "a" * 5000, "0" * 5000, " " * 5000 + "x", "(" * 2000 + ")" * 1000, "[1, " * 1500,
    "Received: " * 500, "\\n" * 3000 + "x", "'" * 3000, "x" * 200 + "!", "a " * 2000 + "!",
]
for pattern in load_database([builtin_dir()], strict=True).patterns:
    own = [e.message for e in pattern.examples]
    hostile = traps + [" ".join([m] * 20)[:20000] for m in own]
    hostile += [(m[: len(m) // 2] * 50)[:20000] for m in own if len(m) > 4]
    for source in (r.pattern for r in (*pattern.regexes, *pattern.frame_regexes)):
        print(pattern.id, source[:80], flush=True)  # the last line said names a hang
        compiled = compile_shipped(source)  # as the CLI runs it: `re` where re accepts it
        for text in hostile:
            compiled.search(text)
print("done", flush=True)
"""


def test_no_shipped_regex_backtracks_catastrophically_on_hostile_text():
    """A hang detector, not a speed test. Each shipped regex runs as the CLI runs it -- on `re`,
    which has no timeout, wherever `re` accepts it (`re` backtracks where `regex` does not:
    ``(x+x+)+y`` on 24 x's takes `re` a second, `regex` a millisecond) -- on long repetitive
    texts built from its own examples and on the usual backtracking traps, in a child process
    given two minutes for what takes about a second."""
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", HOSTILE],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        said = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        last = (said or "").strip().splitlines()[-1:] or ["before the first pattern"]
        pytest.fail(f"a shipped regex hangs on hostile text: {last[0]}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("done")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worked out by hand on Linux")
@pytest.mark.parametrize("config_home", [None, "", "/srv/config", "/home/me/.config/"])
def test_user_dir_is_where_platformdirs_says(config_home, monkeypatch):
    """`user_dir` finds the user's pattern folder without importing platformdirs on Linux; it
    must be the folder platformdirs names."""
    import platformdirs

    from ktexplain.patterns import user_dir

    if config_home is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", config_home)
    expected = Path(platformdirs.user_config_dir("ktexplain")) / "patterns"
    assert user_dir() == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worked out by hand on Linux")
def test_user_dir_ignores_a_relative_config_home(monkeypatch):
    """The XDG spec: a relative path in XDG_CONFIG_HOME is invalid and ignored (platformdirs 4
    does the same; platformdirs 3 used it as it was, relative to wherever the command ran)."""
    from ktexplain.patterns import user_dir

    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    monkeypatch.setenv("HOME", "/home/someone")
    assert user_dir() == Path("/home/someone/.config/ktexplain/patterns")


def test_autograph_s_key_error_subclass_is_matched_as_a_key_error(database):
    """TensorFlow 2.x re-raises a KeyError from graph code as its subclass
    `MultilineMessageKeyError`, and Python prints that name: patterns for KeyError apply. The
    class is read from the installed TensorFlow when there is one (Keras 2's environment)."""
    keras2 = ROOT / ".venv-keras2" / "lib"
    sources = sorted(
        keras2.glob("python3*/site-packages/tensorflow/python/autograph/pyct/error_utils.py")
    )
    if sources:
        assert "class MultilineMessageKeyError(KeyError)" in sources[0].read_text()
    (pattern,) = [p for p in database.patterns if p.id == "optimizer-reused-across-models"]
    message = (
        "'The optimizer cannot recognize variable dense/kernel:0. This usually means you are "
        "trying to call the optimizer to update different parts of the model separately.'"
    )
    printed = "tensorflow.python.autograph.pyct.error_utils.MultilineMessageKeyError"
    assert pattern.search(printed, message) == pattern.search("KeyError", message)
    assert pattern.search(printed, message)["value"] == "dense/kernel:0"
    assert pattern.search("IndexError", message) is None


def test_pattern_cache_folder_follows_xdg_and_ignores_a_relative_one(monkeypatch):
    from ktexplain import patterncache

    monkeypatch.delenv("KTEXPLAIN_CACHE", raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/cache")
    assert patterncache.cache_dir() == Path("/srv/cache/ktexplain/patterns")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert patterncache.cache_dir() == Path("/home/someone/.cache/ktexplain/patterns")
