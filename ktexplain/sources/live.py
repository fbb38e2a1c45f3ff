"""Live exceptions → Failures.

A live exception carries more than its printed text: the frames still hold keras-tuner's own
objects. The hyperparameters are read from them (a ``HyperParameters`` in ``build_model(hp)`` at
tuner construction, the ``Trial`` being run, or the oracle that raised the consecutive-failure
``RuntimeError``, whose trials keep every failed trial's values and traceback text).

This module never imports keras_tuner or TensorFlow: objects are recognised by the module and
name of their type, so explaining an error costs nothing the user's program did not already pay.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator, Mapping
from types import FrameType, TracebackType
from typing import Any

from ktexplain.failure import ExceptionRecord, Failure, Frame, HyperParameterSpec, Origin, Trial
from ktexplain.record import replace
from ktexplain.sources.terminal import ANSI
from ktexplain.sources.tracebacks import LIMIT

ORIGIN = "<live>"
TUNER_MODULES = ("keras_tuner", "kerastuner")
# Modules whose frames or exception types make an error "ours to explain"; the path fragments
# recognise library frames by file name.
RELATED_PATH = re.compile(r"[\\/](?:keras|keras_tuner|kerastuner|tensorflow|tf_keras)[\\/]")
RELATED_MODULES = ("keras", "keras_tuner", "kerastuner", "tensorflow", "tf_keras")
# Functions of keras-tuner whose `trial` local is the trial being run.
TRIAL_FUNCTIONS = frozenset(
    {
        "search",
        "_try_run_and_update_trial",
        "_run_and_update_trial",
        "run_trial",
        "_build_and_fit_model",
        "on_trial_end",
        "end_trial",
    }
)
CONSTRUCTION_FUNCTIONS = frozenset({"_populate_initial_space", "_activate_all_conditions"})


def failures_from_exception(exc: BaseException) -> list[Failure]:
    """The failures an exception stands for: usually one, one per failed trial for the limit."""
    chain = exception_chain(exc)
    text = format_exception(exc)
    oracle = _limit_oracle(chain)
    if oracle is not None:
        from_oracle = failures_from_oracle(oracle, tripping_text=text)
        if from_oracle:
            return from_oracle
    records = tuple(exception_record(e) for e in chain)
    if any(LIMIT.search(r.message) for r in records if r.short_type == "RuntimeError"):
        # No oracle in reach (re-raised elsewhere, distributed worker): the text still has it all.
        parsed = _parse_text(text)
        if parsed:
            return parsed
    return [
        Failure(
            chain=records,
            origin=Origin(ORIGIN),
            trial=_trial_from_frames(chain),
            traceback_text=text,
        )
    ]


def exception_chain(exc: BaseException) -> list[BaseException]:
    """First cause first, as Python prints it; `__suppress_context__` respected, cycles cut."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    chain.reverse()
    return chain


def exception_record(exc: BaseException) -> ExceptionRecord:
    return ExceptionRecord(type_name(type(exc)), ANSI.sub("", safe_str(exc)), _frames(exc))


def type_name(cls: type) -> str:
    """The type as Python's traceback prints it (qualified unless builtin or __main__)."""
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
    if not isinstance(module, str) or module in ("builtins", "__main__"):
        return str(qualname)
    return f"{module}.{qualname}"


def safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return "<exception str() failed>"


def format_exception(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # a pathological exception object; keep what can be said
        return f"{type_name(type(exc))}: {safe_str(exc)}\n"


def is_keras_related(exc: BaseException) -> bool:
    """Worth explaining: raised by, or through, Keras, TensorFlow or keras-tuner."""
    for member in exception_chain(exc):
        module = getattr(type(member), "__module__", "") or ""
        if module.split(".", 1)[0] in RELATED_MODULES:
            return True
        for frame, _ in _walk(member.__traceback__):
            name = frame.f_globals.get("__name__")
            if isinstance(name, str) and name.split(".", 1)[0] in RELATED_MODULES:
                return True
    return False


# -- frames ---------------------------------------------------------------------------------
def _walk(tb: TracebackType | None) -> Iterator[tuple[FrameType, int]]:
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _frames(exc: BaseException) -> tuple[Frame, ...]:
    try:
        summary = traceback.extract_tb(exc.__traceback__)
    except Exception:
        return ()
    return tuple(Frame(f.filename, f.lineno, f.name, f.line or None) for f in summary)


def _locals(frame: FrameType) -> Mapping[str, Any]:
    try:
        return frame.f_locals
    except Exception:
        return {}


def _is_tuner_object(obj: Any, *names: str) -> bool:
    cls = type(obj)
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith(TUNER_MODULES):
        return False
    return any(getattr(c, "__name__", "") in names for c in getattr(cls, "__mro__", (cls,)))


def _all_frames(chain: list[BaseException]) -> list[FrameType]:
    """Outermost to innermost, the last exception's frames last (the closest to the error)."""
    return [frame for member in chain for frame, _ in _walk(member.__traceback__)]


def _limit_oracle(chain: list[BaseException]) -> Any:
    """The oracle whose `_check_consecutive_failures` raised the limit RuntimeError."""
    last = chain[-1]
    if not isinstance(last, RuntimeError) or not LIMIT.search(safe_str(last)):
        return None
    fallback = None
    for frame in reversed(_all_frames([last])):
        scope = _locals(frame)
        candidate = scope.get("self")
        if frame.f_code.co_name == "_check_consecutive_failures" and _is_tuner_object(
            candidate, "Oracle"
        ):
            return candidate
        if fallback is None and _is_tuner_object(candidate, "BaseTuner"):
            fallback = getattr(candidate, "oracle", None)
    return fallback


def _trial_from_frames(chain: list[BaseException]) -> Trial | None:
    frames = _all_frames(chain)
    for frame in reversed(frames):
        if frame.f_code.co_name not in TRIAL_FUNCTIONS:
            continue
        candidate = _locals(frame).get("trial")
        if _is_tuner_object(candidate, "Trial"):
            oracle = getattr(_locals(frame).get("self"), "oracle", None)
            return trial_record(candidate, number=trial_number_of(oracle, candidate))
    for frame in reversed(frames):
        for value in list(_locals(frame).values()):
            if _is_tuner_object(value, "HyperParameters"):
                construction = any(f.f_code.co_name in CONSTRUCTION_FUNCTIONS for f in frames)
                values, space = hyperparameters_of(value)
                return Trial(construction=construction, hyperparameters=values, space=space)
    return None


# -- keras-tuner objects → records ---------------------------------------------------------
def hyperparameters_of(hp: Any) -> tuple[dict[str, Any], tuple[HyperParameterSpec, ...]]:
    """Values and search space of a keras-tuner ``HyperParameters``, defensively."""
    try:
        values = dict(getattr(hp, "values", {}) or {})
    except Exception:
        values = {}
    specs: list[HyperParameterSpec] = []
    try:
        space = list(getattr(hp, "space", ()) or ())
    except Exception:
        space = []
    for parameter in space:
        try:
            config = dict(parameter.get_config())
            specs.append(
                HyperParameterSpec(
                    name=str(config.get("name", getattr(parameter, "name", "?"))),
                    class_name=type(parameter).__name__,
                    config=config,
                )
            )
        except Exception:
            continue
    return values, tuple(specs)


def trial_record(trial: Any, number: int | None = None) -> Trial:
    values, space = hyperparameters_of(getattr(trial, "hyperparameters", None))
    trial_id = getattr(trial, "trial_id", None)
    status = getattr(trial, "status", None)
    return Trial(
        number=number,
        trial_id=None if trial_id is None else str(trial_id),
        hyperparameters=values,
        space=space,
        status=None if status is None else str(status),
    )


def trial_number_of(oracle: Any, trial: Any) -> int | None:
    """keras-tuner's ``Running Trial #N``: its display's count, else the creation order."""
    trial_id = getattr(trial, "trial_id", None)
    try:
        numbers = oracle._display.trial_number
        if trial_id in numbers:
            return int(numbers[trial_id])
    except Exception:
        pass
    try:
        return list(oracle.trials).index(trial_id) + 1
    except Exception:
        return None


def failures_from_oracle(
    oracle: Any, tripping_text: str | None = None, trial_ids: list[str] | None = None
) -> list[Failure]:
    """One failure per FAILED trial of the oracle (or per id in `trial_ids`), in end order.

    Each trial's ``message`` is the text of its traceback; the trial that tripped the limit gets
    `tripping_text` (the whole live RuntimeError) as its traceback text.
    """
    try:
        trials = dict(oracle.trials)
        order = [t for t in getattr(oracle, "end_order", []) if t in trials]
        order += [t for t in trials if t not in order]
    except Exception:
        return []
    if trial_ids is None:
        ids = [t for t in order if str(getattr(trials[t], "status", "")) == "FAILED"]
    else:
        ids = [t for t in trial_ids if t in trials]
    limit = getattr(oracle, "max_consecutive_failed_trials", None)
    failures: list[Failure] = []
    for index, trial_id in enumerate(ids):
        trial = trials[trial_id]
        tripped = limit if tripping_text is not None and index == len(ids) - 1 else None
        failure = failure_from_trial(trial, trial_number_of(oracle, trial), oracle)
        if failure is None:
            continue
        if tripped is not None:
            failure = replace(failure, tripped_limit=tripped, traceback_text=tripping_text or "")
        failures.append(failure)
    return failures


def failure_from_trial(trial: Any, number: int | None, oracle: Any = None) -> Failure | None:
    """A finished keras-tuner trial that did not complete → its failure (or None if it did)."""
    record = trial_record(trial, number)
    message = getattr(trial, "message", None)
    origin = Origin(f"trial_{record.trial_id}" if record.trial_id else ORIGIN)
    if isinstance(message, str) and message.strip():
        parsed = _parse_text(message, origin.source)
        if parsed:
            first = parsed[-1]
            return replace(first, trial=record, origin=origin, traceback_text=message)
        headline = ANSI.sub("", message.strip().splitlines()[-1])
        kind, _, text = headline.partition(": ")
        return Failure(
            chain=(ExceptionRecord(kind or "Error", text),),
            origin=origin,
            trial=record,
            traceback_text=message,
        )
    if record.status in ("FAILED", "INVALID"):
        # keras-tuner marks a NaN objective INVALID/FAILED without any message.
        objective = getattr(getattr(oracle, "objective", None), "name", None) or "objective"
        return Failure(
            chain=(ExceptionRecord("NaNObjective", f"the objective {objective} was nan"),),
            origin=origin,
            trial=record,
            synthetic=True,
        )
    return None


def _parse_text(text: str, source: str = ORIGIN) -> list[Failure]:
    try:
        from ktexplain.sources.text import failures_from_text
    except ImportError:
        return []
    return [f for f in failures_from_text(text, source) if f.chain]
