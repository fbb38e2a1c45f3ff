"""Failure → Diagnosis: match the pattern database, extract values, link the hyperparameter."""

from __future__ import annotations

import functools
import re
from typing import Any

from ktexplain.failure import (
    Diagnosis,
    ExceptionRecord,
    Failure,
    HyperParameterLink,
    HyperParameterSpec,
    Trial,
)
from ktexplain.patterns import Database, Pattern, frames_text
from ktexplain.record import replace
from ktexplain.templates import fill
from ktexplain.validity import parse_valid, suggest

Match = tuple[Pattern, ExceptionRecord, dict[str, str]]


def diagnose(
    failure: Failure,
    database: Database,
    cache: dict[Any, Any] | None = None,
    link_by_value: bool = True,
) -> Diagnosis:
    """`cache` (keyed by the identity of the chain's records, which the readers share between
    identical tracebacks, and of the trial record and raising line, shared too) saves matching
    the same message against every pattern again, and explaining the same failure of the same
    trial again: a long log repeats both."""
    if cache is None:
        best = match(failure.chain, database)
    else:
        key = tuple(id(record) for record in failure.chain)
        if key not in cache:
            cache[key] = match(failure.chain, database)
        best = cache[key]
    if best is None:
        return _unknown(failure)
    pattern, record, groups = best
    if cache is None:
        return _explain(failure, pattern, record, dict(groups), link_by_value)
    explained = ("explained", key, _trial_key(failure), id(failure.raising_spec), link_by_value)
    known: Diagnosis | None = cache.get(explained)
    if known is not None:
        return replace(known, failure=failure)
    diagnosis = _explain(failure, pattern, record, dict(groups), link_by_value)
    cache[explained] = diagnosis
    return diagnosis


def _trial_key(failure: Failure) -> Any:
    """What a diagnosis reads of the failure's trial (equal trials, equal diagnoses)."""
    trial = failure.trial
    if trial is None:
        return None
    try:
        key = (
            trial.number,
            trial.trial_id,
            trial.status,
            trial.construction,
            tuple(trial.hyperparameters.items()),
            trial.values_truncated,
            tuple(id(spec) for spec in trial.space),
        )
        hash(key)
    except TypeError:  # a value that cannot be hashed: this record only
        return id(trial)
    return key


def match(chain: tuple[ExceptionRecord, ...], database: Database) -> Match | None:
    best: Match | None = None
    # Patterns in priority order; within one priority, the first cause in the chain wins:
    # the exception Keras raised is more specific than whatever wrapped it later.
    for pattern in sorted(database.patterns, key=lambda p: -p.priority):
        if best is not None and pattern.priority < best[0].priority:
            break
        for record in chain:
            frames = frames_text(record.frames) if pattern.frame_regexes else ""
            groups = pattern.search(record.type, record.message, frames)
            if groups is not None:
                if best is None:
                    best = (pattern, record, groups)
                break
    return best


def _unknown(failure: Failure) -> Diagnosis:
    record = failure.exception
    return Diagnosis(
        failure=failure,
        category="unknown",
        exception=record,
        title=record.headline(),
        dialect=dialect_of(failure),
    )


def _explain(
    failure: Failure,
    pattern: Pattern,
    record: ExceptionRecord,
    groups: dict[str, str],
    link_by_value: bool = True,
) -> Diagnosis:
    fields: dict[str, Any] = {**pattern.statics, **groups}
    value = _clean(groups.get("value"))
    argument = fields.get("argument")
    link = link_hyperparameter(
        failure.trial,
        value if pattern.link_by_value and link_by_value else None,
        argument,
        pattern.hyperparameter_hint,
        failure.raising_spec,
    )
    offending_name = argument
    if link is not None:
        if value is None:
            value = format_value(link.value)
        # The offending value is the hyperparameter's only when it is its value: a token id
        # 570 beyond Embedding(input_dim=vocab_size) blames vocab_size but is not vocab_size.
        if link.value is None or same_value(link.value, value) or link.via == "line":
            offending_name = link.name
    if value is not None:
        fields["value"] = value
    template = pattern.fix
    if link is not None:
        fields.update(_hp_fields(link, pattern, value))
        template = pattern.fix_with_hp or pattern.fix
    return Diagnosis(
        failure=failure,
        category=pattern.category,
        exception=record,
        pattern_id=pattern.id,
        title=fill(pattern.title, fields),
        offending_name=offending_name,
        offending_value=value,
        expected_value=_clean(groups.get("expected")),
        layer=fields.get("layer"),
        optimizer=fields.get("optimizer"),
        constraint=fill(pattern.rule, fields) if pattern.rule else None,
        hyperparameter=link,
        fix=fill(template, fields) if template else None,
        dialect=dialect_of(failure),
    )


def _hp_fields(link: HyperParameterLink, pattern: Pattern, value: str | None) -> dict[str, str]:
    space = link.spec.describe() if link.spec else f"the value of {link.name!r}"
    suggestion = None
    if link.spec is not None and pattern.valid:
        suggestion = suggest(link.spec, parse_valid(pattern.valid))
    if suggestion is None:
        suggestion = f"a search space for {link.name!r} that cannot produce {value}"
    return {
        "hp": link.name,
        "hp_value": format_value(link.value),
        "hp_space": space,
        "hp_suggestion": suggestion,
    }


def link_hyperparameter(
    trial: Trial | None,
    value: str | None,
    argument: str | None,
    hints: tuple[str, ...],
    raising: HyperParameterSpec | None = None,
) -> HyperParameterLink | None:
    """Name the hyperparameter that produced the offending value, if one plausibly did.

    An argument whose name is a hyperparameter with that value wins; then the only
    hyperparameter with that value; then the one defined on the line that raised (a
    ``hp.Choice(...)`` keras-tuner itself refused never reaches the trial's values); then the
    pattern's hints (for messages with no value, such as a diverged loss blamed on
    ``learning_rate``).
    """
    values = dict(trial.hyperparameters) if trial is not None else {}
    candidates = {k: v for k, v in values.items() if not k.startswith("tuner/")}

    def make(name: str, via: str) -> HyperParameterLink:
        spec = trial.spec(name) if trial is not None else None
        return HyperParameterLink(name, candidates[name], spec, via)

    if value is not None:
        if argument in candidates and same_value(candidates[argument], value):
            return make(argument, "argument")
        equal = [k for k, v in candidates.items() if same_value(v, value)]
        if len(equal) == 1:
            return make(equal[0], "value")
        preferred = [k for k in equal if argument and argument in k]
        if len(preferred) == 1:
            return make(preferred[0], "argument")
    if value is None:
        # No value to go by: the pattern's hint is more specific than the line that raised
        # (``model.compile(optimizer=hp.Choice(...), learning_rate=...)`` blames learning_rate).
        hinted = _by_hint(hints, candidates)
        if hinted is not None:
            return make(hinted, "hint")
    construction = trial is not None and trial.construction
    if raising is not None and (
        construction
        or value is None
        or raising.name not in candidates
        or same_value(candidates[raising.name], value)
    ):
        # Not when a trial's recorded value contradicts the message: then the line merely
        # passed through it (``model.fit(batch_size=hp.Choice(...))``). At construction the
        # values are defaults read from the source, and the definition itself may have raised.
        known = trial.spec(raising.name) if trial is not None else None
        current = value if construction and value is not None else candidates.get(raising.name)
        return HyperParameterLink(raising.name, current, known or raising, "line")
    hinted = _by_hint(hints, candidates)
    return make(hinted, "hint") if hinted is not None else None


def _by_hint(hints: tuple[str, ...], candidates: dict[str, Any]) -> str | None:
    return _hinted_name(hints, tuple(candidates))


@functools.lru_cache(maxsize=1024)
def _hinted_name(hints: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    """Cached: the trials of one run share their names, and thousands share one cause."""
    for hint in hints:
        # A hint is a name or a regular expression over names (``num_(?:blocks|layers)``).
        named = [k for k in names if k == hint or _fullmatch(hint, k)]
        if len(named) == 1:
            return named[0]
    return None


def _fullmatch(expression: str, name: str) -> bool:
    if re.escape(expression) == expression:
        return False  # a plain name: equal or not, already compared
    compiled = _hint_pattern(expression)
    try:
        return compiled is not None and compiled.fullmatch(name, timeout=0.05) is not None
    except TimeoutError:
        return False


@functools.lru_cache(maxsize=512)
def _hint_pattern(expression: str) -> Any:
    """Compiled once: a 10,000-trial run links thousands of failures by the same hints. With
    `regex` and its timeout: a user's hint may be hostile."""
    import regex

    try:
        return regex.compile(expression)
    except regex.error:
        return None


def same_value(hp_value: Any, text: str) -> bool:
    if isinstance(hp_value, bool):
        return str(hp_value).lower() == text.lower()
    if isinstance(hp_value, (int, float)):
        try:
            return float(hp_value) == float(text)
        except ValueError:
            return False
    return str(hp_value) == text


def format_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        text = text[1:-1]
    return text


KERAS2_MARKERS = (
    "keras/src/engine/",
    "keras/engine/",
    "site-packages/tf_keras/",
    "keras/src/dtensor/",
    "keras/src/optimizers/legacy/",
    "keras/src/mixed_precision/",
    "in user code:",
    "Exception encountered when calling layer ",
)
# Keras 3 on the JAX backend: JAX's own paths, and wording only JAX/XLA use. Checked before the
# Keras 3 markers (keras/src/backend/jax/ is under keras/src/backend/ too). A Keras 3 message raised
# before any op runs carries none of them and reads as keras3, which it is word for word.
JAX_MARKERS = (
    "jax/_src/",
    "keras/src/backend/jax/",
    "site-packages/jaxlib/",
    "jaxlib.xla_extension",
    "XlaRuntimeError",
    "jax.errors.",
    "got incompatible shapes for broadcasting:",
    "Incompatible shapes for broadcasting: shapes=",
    "dot_general requires contracting dimensions",
)
# Keras 3 on the torch backend, likewise (keras/src/backend/torch/ is under keras/src/backend/).
TORCH_MARKERS = (
    "site-packages/torch/",
    "keras/src/backend/torch/",
    "torch.Size([",
    "mat1 and mat2 shapes cannot be multiplied",
    "must match the size of tensor b",
)
KERAS3_MARKERS = (
    "keras/src/backend/",
    "keras/src/ops/",
    "keras/src/models/",
    "keras/src/trainers/",
    "keras/src/layers/layer.py",
    "keras/src/layers/input_spec.py",
    "keras/src/optimizers/base_optimizer.py",
    "Arguments received by ",
)


def dialect_of(failure: Failure) -> str | None:
    """keras3, keras2, jax, torch or tf-op, from paths and wording only the one version has.

    Keras 2.13+ also lives under ``keras/src/``, so the package path alone does not tell.
    """
    paths = " ".join(f.filename for r in failure.chain for f in r.frames)
    text = paths + " " + " ".join(r.message[:4000] for r in failure.chain)
    if any(marker in text for marker in KERAS2_MARKERS):
        return "keras2"
    if any(marker in text for marker in JAX_MARKERS):
        return "jax"
    if any(marker in text for marker in TORCH_MARKERS):
        return "torch"
    if any(marker in text for marker in KERAS3_MARKERS):
        return "keras3"
    types = " ".join(r.type for r in failure.chain)
    if "errors_impl" in types or "InvalidArgumentError" in types:
        return "tf-op"
    return None
