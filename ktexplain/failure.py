"""The data model every source produces and every renderer consumes.

A source (text log, notebook, tuner directory, live exception) turns its input into `Failure`
records; `diagnose` turns a `Failure` into a `Diagnosis`; `runs.group` folds diagnoses into
`Report`s. Nothing past the source knows where a failure came from except through `origin`.
All records are frozen: the middle of the pipeline is pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ktexplain.record import Record, set_field

if TYPE_CHECKING:
    from ktexplain.attribution import Region
    from ktexplain.lint import Finding

CATEGORIES = (
    "data-shape",
    "hyperparameter-value",
    "layer-constraint",
    "activation",
    "optimizer",
    "environment",
    "tuner-usage",
    "unknown",
)


class Frame(Record):
    __slots__ = ("filename", "lineno", "function", "line")
    filename: str
    lineno: int | None
    function: str
    line: str | None

    def __init__(
        self, filename: str, lineno: int | None, function: str, line: str | None = None
    ) -> None:
        set_field(self, "filename", filename)
        set_field(self, "lineno", lineno)
        set_field(self, "function", function)
        set_field(self, "line", line)

    @property
    def is_user_code(self) -> bool:
        """Not an installed package, the standard library, or generated code."""
        path = self.filename.replace("\\", "/")
        return not (
            "site-packages/" in path
            or "dist-packages/" in path
            or "/lib/python3" in path
            or path.startswith("<frozen")
            or "__autograph_generated" in path
        )


class ExceptionRecord(Record):
    """One exception of a chain: its type as printed, its message with ANSI stripped."""

    __slots__ = ("type", "message", "frames")
    type: str
    message: str
    frames: tuple[Frame, ...]

    def __init__(self, type: str, message: str, frames: tuple[Frame, ...] = ()) -> None:
        set_field(self, "type", type)
        set_field(self, "message", message)
        set_field(self, "frames", frames)

    @property
    def short_type(self) -> str:
        return self.type.rsplit(".", 1)[-1]

    def headline(self) -> str:
        line = summary_line(self.message)
        if not self.type:  # a message pasted without its type
            return line
        return f"{self.type}: {line}" if line else self.type


_GENERIC_FIRST_LINES = re.compile(
    r"^(?:Exception encountered when calling .*|in user code:|Graph execution error:"
    r"|Exception encountered when calling layer .*)$"
)
_NESTED_ERROR = re.compile(r"^\s+[A-Za-z_][\w.]*(?:Error|Exception): (?P<text>.+)$")
_NOT_A_SUMMARY = (
    "File ",
    "Detected at node",
    "[[",
    "•",
    "Arguments received",
    "Call arguments",
    "<stack traces unavailable>",
)


def summary_line(message: str) -> str:
    """The line of a message that says what went wrong.

    Keras 3 opens with "Exception encountered when calling …", Keras 2 with "in user code:" and
    the real error indented further down, TensorFlow with "Graph execution error:".
    """
    lines = [line for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    if not _GENERIC_FIRST_LINES.match(lines[0].strip()) and not lines[0].startswith("<"):
        return lines[0].strip()
    for line in lines[1:]:
        nested = _NESTED_ERROR.match(line)
        if nested:
            return nested.group("text").strip()
    for line in lines[1:]:
        if not line[0].isspace() and not line.startswith(_NOT_A_SUMMARY):
            return line.strip()
    return lines[0].strip()


class HyperParameterSpec(Record):
    """A search-space entry as keras-tuner stores it (`class_name` + `config`)."""

    __slots__ = ("name", "class_name", "config")
    name: str
    class_name: str
    config: Mapping[str, Any]

    def __init__(self, name: str, class_name: str, config: Mapping[str, Any] | None = None) -> None:
        set_field(self, "name", name)
        set_field(self, "class_name", class_name)
        set_field(self, "config", {} if config is None else config)

    def default(self) -> Any:
        """The value keras-tuner uses when it builds once at construction."""
        explicit = self.config.get("default")
        return explicit if explicit is not None else _implicit_default(self.class_name, self.config)

    def describe(self, **overrides: Any) -> str:
        """Render as the call that defines it, e.g. ``hp.Int('filters', min_value=0, ...)``."""
        config = {**self.config, **overrides}
        keys = {
            "Int": ("min_value", "max_value", "step", "sampling"),
            "Float": ("min_value", "max_value", "step", "sampling"),
            "Choice": ("values", "ordered"),
            "Boolean": ("default",),
            "Fixed": ("value",),
        }.get(self.class_name, tuple(k for k in config if k not in ("name", "conditions")))
        parts = [repr(self.name)]
        if config.get("default") is not None and config["default"] != _implicit_default(
            self.class_name, config
        ):
            keys = (*keys, "default")
        for key in keys:
            value = config.get(key)
            if value is None or (key == "sampling" and value == "linear"):
                continue
            if key == "ordered" and value in (True, None):
                continue
            if key == "step" and self.class_name == "Int" and value == 1:
                continue  # hp.Int's own default
            parts.append(f"{key}={_short(value)}")
        return f"hp.{self.class_name}({', '.join(parts)})"


def _implicit_default(class_name: str, config: Mapping[str, Any]) -> Any:
    if class_name in ("Int", "Float"):
        return config.get("min_value")
    if class_name == "Choice":
        values = config.get("values") or [None]
        return values[0]
    if class_name == "Boolean":
        return False
    if class_name == "Fixed":
        return config.get("value")
    return None


def _short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return repr(value)


class Trial(Record):
    """What is known of the trial a failure happened in.

    ``number`` is the 1-based ``Running Trial #N`` of the log; ``trial_id`` the 0-based,
    zero-padded id of ``trial_<id>/``. Either may be unknown. ``values_truncated`` names values
    that the log's table cut to 15 characters plus ``...``.
    """

    __slots__ = (
        "number",
        "trial_id",
        "hyperparameters",
        "space",
        "status",
        "values_truncated",
        "construction",
    )
    number: int | None
    trial_id: str | None
    hyperparameters: Mapping[str, Any]
    space: tuple[HyperParameterSpec, ...]
    status: str | None
    values_truncated: frozenset[str]
    construction: bool

    def __init__(
        self,
        number: int | None = None,
        trial_id: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        space: tuple[HyperParameterSpec, ...] = (),
        status: str | None = None,
        values_truncated: frozenset[str] = frozenset(),
        construction: bool = False,
    ) -> None:
        set_field(self, "number", number)
        set_field(self, "trial_id", trial_id)
        set_field(self, "hyperparameters", {} if hyperparameters is None else hyperparameters)
        set_field(self, "space", space)
        set_field(self, "status", status)
        set_field(self, "values_truncated", values_truncated)
        set_field(self, "construction", construction)

    @property
    def label(self) -> str:
        if self.construction:
            return "tuner construction (default values)"
        if self.number is not None:
            return f"#{self.number}"
        if self.trial_id is not None:
            return f"trial_{self.trial_id}"
        return "?"

    def spec(self, name: str) -> HyperParameterSpec | None:
        return next((s for s in self.space if s.name == name), None)


class Origin(Record):
    """Where in the input a failure was found: ``run.log:120`` or ``<live>``."""

    __slots__ = ("source", "line")
    source: str
    line: int | None

    def __init__(self, source: str, line: int | None = None) -> None:
        set_field(self, "source", source)
        set_field(self, "line", line)

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


class Failure(Record):
    """One failed trial (or one uncaught exception), whatever the input was.

    ``chain`` is in the order Python prints it: the first cause first, the exception that was
    finally raised last. ``traceback_text`` keeps the original text, so nothing is ever lost.
    ``tripped_limit`` is set when this trial's traceback was carried inside keras-tuner's
    ``Number of consecutive failures exceeded the limit`` RuntimeError. ``raising_spec`` is a
    hyperparameter defined on the user's line that raised (``hp.Choice("dropout", [0, 0.5])``).
    ``warning`` marks a Python warning line: a failure only if a pattern recognises it.
    ``candidate`` marks text that may be an error message but came with no traceback and no
    exception type (a pasted line, a paragraph of a short input): also a failure only if a
    pattern recognises it, and only when no real failure of the input was recognised.
    ``weak`` marks a symptom inferred across trials (every trial scoring the same): it is
    reported after the failures that have an exception of their own.
    """

    __slots__ = (
        "chain",
        "origin",
        "trial",
        "traceback_text",
        "tripped_limit",
        "synthetic",
        "raising_spec",
        "warning",
        "weak",
        "candidate",
        "worker",
    )
    chain: tuple[ExceptionRecord, ...]
    origin: Origin
    trial: Trial | None
    traceback_text: str
    tripped_limit: int | None
    synthetic: bool
    raising_spec: HyperParameterSpec | None
    warning: bool
    weak: bool
    candidate: bool
    worker: str | None  # a distributed search's worker whose log holds it

    def __init__(
        self,
        chain: tuple[ExceptionRecord, ...],
        origin: Origin,
        trial: Trial | None = None,
        traceback_text: str = "",
        tripped_limit: int | None = None,
        synthetic: bool = False,
        raising_spec: HyperParameterSpec | None = None,
        warning: bool = False,
        weak: bool = False,
        candidate: bool = False,
        worker: str | None = None,
    ) -> None:
        set_field(self, "chain", chain)
        set_field(self, "origin", origin)
        set_field(self, "trial", trial)
        set_field(self, "traceback_text", traceback_text)
        set_field(self, "tripped_limit", tripped_limit)
        set_field(self, "synthetic", synthetic)
        set_field(self, "raising_spec", raising_spec)
        set_field(self, "warning", warning)
        set_field(self, "weak", weak)
        set_field(self, "candidate", candidate)
        set_field(self, "worker", worker)

    @property
    def exception(self) -> ExceptionRecord:
        return self.chain[-1]

    def user_frame(self) -> Frame | None:
        """The innermost frame of the user's own code: where to look."""
        for record in reversed(self.chain):
            for frame in reversed(record.frames):
                if frame.is_user_code and frame.function != "<warning>":
                    return frame
        return None


class HyperParameterLink(Record):
    """The hyperparameter blamed. ``via`` says how it was found: ``argument`` (the message's
    argument is a hyperparameter with that value), ``value`` (the only one with that value),
    ``line`` (defined on the line that raised), ``hint`` (the pattern's hint)."""

    __slots__ = ("name", "value", "spec", "via")
    name: str
    value: Any
    spec: HyperParameterSpec | None
    via: str

    def __init__(
        self, name: str, value: Any, spec: HyperParameterSpec | None = None, via: str = "value"
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "value", value)
        set_field(self, "spec", spec)
        set_field(self, "via", via)


class Diagnosis(Record):
    """What a failure means. ``exception`` is the member of the chain the pattern matched."""

    __slots__ = (
        "failure",
        "category",
        "exception",
        "pattern_id",
        "title",
        "offending_name",
        "offending_value",
        "expected_value",
        "layer",
        "optimizer",
        "constraint",
        "hyperparameter",
        "fix",
        "dialect",
    )
    failure: Failure
    category: str
    exception: ExceptionRecord
    pattern_id: str | None
    title: str | None
    offending_name: str | None
    offending_value: str | None
    expected_value: str | None
    layer: str | None
    optimizer: str | None
    constraint: str | None
    hyperparameter: HyperParameterLink | None
    fix: str | None
    dialect: str | None

    def __init__(
        self,
        failure: Failure,
        category: str,
        exception: ExceptionRecord,
        pattern_id: str | None = None,
        title: str | None = None,
        offending_name: str | None = None,
        offending_value: str | None = None,
        expected_value: str | None = None,
        layer: str | None = None,
        optimizer: str | None = None,
        constraint: str | None = None,
        hyperparameter: HyperParameterLink | None = None,
        fix: str | None = None,
        dialect: str | None = None,
    ) -> None:
        set_field(self, "failure", failure)
        set_field(self, "category", category)
        set_field(self, "exception", exception)
        set_field(self, "pattern_id", pattern_id)
        set_field(self, "title", title)
        set_field(self, "offending_name", offending_name)
        set_field(self, "offending_value", offending_value)
        set_field(self, "expected_value", expected_value)
        set_field(self, "layer", layer)
        set_field(self, "optimizer", optimizer)
        set_field(self, "constraint", constraint)
        set_field(self, "hyperparameter", hyperparameter)
        set_field(self, "fix", fix)
        set_field(self, "dialect", dialect)


class Report(Record):
    """One cause, with every trial it happened in (in order of first appearance). ``region``
    is the part of the search space where the cause happens, when the run's other trials were
    known (``ktexplain.attribution``)."""

    __slots__ = ("diagnosis", "failures", "region", "risks")
    diagnosis: Diagnosis
    failures: tuple[Failure, ...]
    region: Region | None
    risks: tuple[Finding, ...]  # the lint's findings on the blamed definition

    def __init__(
        self,
        diagnosis: Diagnosis,
        failures: tuple[Failure, ...],
        region: Region | None = None,
        risks: tuple[Finding, ...] = (),
    ) -> None:
        set_field(self, "diagnosis", diagnosis)
        set_field(self, "failures", failures)
        set_field(self, "region", region)
        set_field(self, "risks", risks)

    @property
    def occurrences(self) -> int:
        return len(self.failures)

    @property
    def trials(self) -> tuple[Trial, ...]:
        return tuple(f.trial for f in self.failures if f.trial is not None)
