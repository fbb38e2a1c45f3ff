"""A live check of a search space before the search: build (and train one step) at its corners.

``ktexplain.check(tuner_or_hypermodel, x=None, y=None, max_builds=64)`` and
``ktexplain check train.py:build_model``. (The module is not named ``check``: that is the
public function ``ktexplain.check``, which a submodule of the same name would shadow.)

1. The space is discovered the way keras-tuner's constructor does: a build with the defaults,
   then builds that activate each conditional scope never seen active. Every build may register
   new hyperparameters (``for i in range(hp.Int('num_blocks', ...))``); the space grows until no
   build adds to it.
2. Corners: each hyperparameter alone at each of its extremes, the others at their defaults —
   an Int/Float at its min and at the largest value its step really reaches, each Choice value,
   both Booleans. Then pairs of extremes, a greedy pairwise covering set (every pair of extremes
   of two hyperparameters appears in some build; not the full product).
3. With a sample of ``x``/``y``: one training step on it, one prediction, and the loss after the
   update (``test_on_batch``; a non-finite or thousandfold loss is a divergence risk).
4. Where a cause fails on one side of a numeric hyperparameter and not on the other, the boundary
   is found by bisection, so the region and the patched definition are exact
   (``num_blocks ≥ 4``, not ``num_blocks = 6``).

Each failure goes through the normal pipeline (``sources.live`` → ``pipeline.reports``) with the
configuration as the trial's values and the discovered space as its specs; every build, failed or
not, is a trial of the run, so each report says which region of the space fails.

keras_tuner, Keras and TensorFlow are imported inside functions only.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import importlib.util
import itertools
import json
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from ktexplain.failure import ExceptionRecord, Failure, Frame, HyperParameterSpec, Origin, Report
from ktexplain.failure import Trial as TrialRecord

DEFAULT_MAX_BUILDS = 64
SAMPLE_ROWS = 32
DIVERGENCE_FACTOR = 1000.0
PAIR_LEVELS = 3  # a Choice with more values pairs its first and last only
EXIT_CLEAN = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
ORIGIN = "<check>"
_FLOAT_BISECTIONS = 6


@dataclass(frozen=True)
class Build:
    """One configuration that was built. ``kind``: defaults, scope (activates a conditional
    scope), corner (one hyperparameter at an extreme), pair (pairwise extremes), boundary
    (bisection of a failing range)."""

    number: int
    kind: str
    values: Mapping[str, Any]
    failures: tuple[Failure, ...]
    seconds: float

    @property
    def failed(self) -> bool:
        return any(not f.warning for f in self.failures)


@dataclass(frozen=True)
class Change:
    """The narrowest change to the space that removes a cause."""

    name: str
    before: str | None
    after: str

    def line(self) -> str:
        return f"{self.before}  →  {self.after}" if self.before else self.after


@dataclass(frozen=True)
class CheckResult:
    target: str
    reports: tuple[Report, ...]
    builds: tuple[Build, ...]
    space: tuple[HyperParameterSpec, ...]
    changes: tuple[Change, ...]
    max_builds: int
    untried_corners: int
    untried_pairs: int
    interrupted: bool
    trained: bool
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reports

    @property
    def failed_builds(self) -> tuple[Build, ...]:
        return tuple(b for b in self.builds if b.failed)

    @property
    def budget_cut(self) -> bool:
        return len(self.builds) >= self.max_builds and bool(
            self.untried_corners or self.untried_pairs
        )

    @property
    def exit_code(self) -> int:
        if self.reports:
            return EXIT_FAILED
        return EXIT_INTERRUPTED if self.interrupted else EXIT_CLEAN

    def summary_lines(self) -> list[str]:
        kinds = _counts(b.kind for b in self.builds)
        made = ", ".join(f"{n} {k}" for k, n in kinds.items())
        data = "build, compile, a training step and a prediction" if self.trained else "build"
        lines = [
            f"ktexplain check: {self.target}: {_plural(len(self.space), 'hyperparameter')}, "
            f"{len(self.builds)} configurations ({made}; {data} each) in {self.seconds:.1f} s"
        ]
        if self.reports:
            failed = len(self.failed_builds)
            causes = len(self.reports)
            lines.append(
                f"✗ {failed} of {len(self.builds)} configurations failed, "
                f"{causes} cause{'s' if causes != 1 else ''} (configurations are numbered in "
                "build order, #1 = the defaults)"
            )
        elif not self.interrupted:
            lines.append(f"✓ every configuration passed ({len(self.builds)})")
        return lines

    def footer_lines(self) -> list[str]:
        lines = []
        if self.changes:
            lines.append("narrowest change to the space:")
            lines.extend(f"  {c.line()}" for c in self.changes)
        if self.budget_cut:
            lines.append(
                f"budget: stopped at max_builds={self.max_builds}; not tried: "
                f"{self.untried_corners} corner values, {self.untried_pairs} pairs of extremes "
                "(raise max_builds / --max-builds to cover them)"
            )
        if self.interrupted:
            lines.append(
                f"interrupted after {len(self.builds)} configurations: the above is what was "
                "found so far"
            )
        lines.extend(self.notes)
        return lines

    def render(self, file: IO[str] | None = None, color: bool | None = None) -> None:
        from ktexplain.render import make_console, render_reports

        stream = file if file is not None else sys.stdout
        console = make_console(stream, color)
        for line in self.summary_lines():
            console.print(line, style="bold")
        render_reports(self.reports, console=console)
        for line in self.footer_lines():
            console.print(line)

    def to_json(self) -> dict[str, Any]:
        from ktexplain.render import reports_to_json

        document = reports_to_json(self.reports)
        document.update(
            target=self.target,
            ok=self.ok,
            interrupted=self.interrupted,
            trained=self.trained,
            seconds=round(self.seconds, 3),
            max_builds=self.max_builds,
            budget_cut=self.budget_cut,
            untried={"corners": self.untried_corners, "pairs": self.untried_pairs},
            space=[s.describe() for s in self.space],
            configurations=[
                {
                    "number": b.number,
                    "kind": b.kind,
                    "values": {k: _jsonable(v) for k, v in b.values.items()},
                    "failed": b.failed,
                }
                for b in self.builds
            ],
            changes=[{"name": c.name, "before": c.before, "after": c.after} for c in self.changes],
        )
        return document


def check(
    target: Any,
    x: Any = None,
    y: Any = None,
    max_builds: int = DEFAULT_MAX_BUILDS,
    *,
    file: IO[str] | None = None,
    quiet: bool = False,
    patterns: Any = None,
    name: str | None = None,
    eager: bool = True,
) -> CheckResult:
    """Build (and, given ``x``/``y``, train one step) every corner of the search space.

    `target` is a tuner, a ``keras_tuner.HyperModel`` or a model-building function. Prints the
    result (to `file`, default stdout) unless `quiet`; Ctrl-C stops and prints what was found.
    `eager=False` trains in graph mode (as ``fit`` does; seconds of tracing per configuration).
    """
    from ktexplain import pipeline

    if max_builds < 1:
        raise ValueError(f"max_builds must be at least 1, got {max_builds}")
    db = pipeline.database(patterns)
    checker = _Checker(target, x, y, max_builds, db, eager)
    interrupted = False
    with _quiet_tensorflow(), _frozen_heap():
        try:
            checker.run()
        except KeyboardInterrupt:
            interrupted = True
    result = checker.result(name or _target_name(target), interrupted)
    if not quiet:
        result.render(file)
    return result


# -- the search ------------------------------------------------------------------------------
class _Checker:
    def __init__(
        self, target: Any, x: Any, y: Any, max_builds: int, db: Any, eager: bool = True
    ) -> None:
        import keras
        import keras_tuner

        self.kt = keras_tuner
        self.keras = keras
        self.db = db
        self.eager = eager
        self.max_builds = max_builds
        self.tuner: Any = None
        self.hypermodel: Any = None
        self.build_fn: Callable[[Any], Any]
        if hasattr(target, "oracle") and hasattr(target, "hypermodel"):
            self.tuner = target
            self.hypermodel = target.hypermodel
            self.build_fn = target.hypermodel.build
        elif isinstance(target, keras_tuner.HyperModel):
            self.hypermodel = target
            self.build_fn = target.build
        elif callable(target):
            self.build_fn = target
        else:
            raise TypeError(
                "check() takes a tuner, a keras_tuner.HyperModel or a model-building function; "
                f"got {type(target).__name__}"
            )
        self.space = keras_tuner.HyperParameters()
        if self.tuner is not None:
            self.space.merge(self.tuner.oracle.get_space(), overwrite=False)
        elif self.hypermodel is not None:
            with contextlib.suppress(Exception):
                self.hypermodel.declare_hyperparameters(self.space)
        self.x, self.y = _sample(x), _sample(y)
        self.builds: list[Build] = []
        self.tried: set[tuple[Any, ...]] = set()
        self.scopes_once: list[Any] = []
        self.scopes_never: list[Any] = []
        self.attempted_corners: set[tuple[str, Any]] = set()
        self.impossible_pairs: set[tuple[tuple[str, Any], tuple[str, Any]]] = set()
        self.covered_corners: set[tuple[str, Any]] = set()
        self.covered_pairs: set[tuple[tuple[str, Any], tuple[str, Any]]] = set()
        self.started = time.perf_counter()
        self.notes: list[str] = []

    # -- driving --
    def run(self) -> None:
        self._build({}, "defaults")
        reserve = self.max_builds // 8
        while len(self.builds) < self.max_builds - reserve:
            step = self._next()
            if step is None:
                break
            self._build(*step)
        self._sharpen()
        while len(self.builds) < self.max_builds:  # the reserve, when sharpening left some
            step = self._next()
            if step is None:
                break
            self._build(*step)

    def _next(self) -> tuple[dict[str, Any], str] | None:
        for conditions in list(self.scopes_never):
            overrides = {c.name: c.values[0] for c in conditions}
            if self._key_of(overrides) not in self.tried:
                return overrides, "scope"
            self.scopes_never.remove(conditions)
        for parameter in self.space.space:
            for value in _levels(parameter):
                corner = (parameter.name, _hashable(value))
                if corner in self.covered_corners or corner in self.attempted_corners:
                    continue
                self.attempted_corners.add(corner)
                overrides = self._parents(parameter)
                overrides[parameter.name] = value
                if self._key_of(overrides) not in self.tried:
                    return overrides, "corner"
        while True:
            uncovered = self._uncovered_pairs()
            if not uncovered:
                return None
            overrides = self._pair_row(uncovered)
            if self._key_of(overrides) in self.tried:
                self.impossible_pairs.add(uncovered[0])
                continue
            return overrides, "pair"

    def _pair_levels(self) -> list[tuple[str, list[Any]]]:
        out = []
        seen: set[str] = set()
        for parameter in self.space.space:
            if parameter.name in seen or type(parameter).__name__ == "Fixed":
                continue
            seen.add(parameter.name)
            levels = _levels(parameter)
            if len(levels) > PAIR_LEVELS:
                levels = [levels[0], levels[-1]]
            if len(levels) > 1:
                out.append((parameter.name, levels))
        return out

    def _all_pairs(self) -> list[tuple[tuple[str, Any], tuple[str, Any]]]:
        pairs = []
        for (a, levels_a), (b, levels_b) in itertools.combinations(self._pair_levels(), 2):
            for va, vb in itertools.product(levels_a, levels_b):
                pairs.append(((a, _hashable(va)), (b, _hashable(vb))))
        return pairs

    def _uncovered_pairs(self) -> list[tuple[tuple[str, Any], tuple[str, Any]]]:
        return [
            p
            for p in self._all_pairs()
            if p not in self.covered_pairs and p not in self.impossible_pairs
        ]

    def _pair_row(self, uncovered: list[tuple[tuple[str, Any], tuple[str, Any]]]) -> dict[str, Any]:
        """A greedy row of a pairwise covering set: the first uncovered pair, then for every
        other hyperparameter the extreme that covers most uncovered pairs (its default if none)."""
        remaining = set(uncovered)
        levels = dict(self._pair_levels())
        (a, va), (b, vb) = uncovered[0]
        raw = {name: {_hashable(v): v for v in values} for name, values in levels.items()}
        chosen: dict[str, Any] = {a: va, b: vb}
        for name, values in levels.items():
            if name in chosen:
                continue
            best, gain = None, 0
            for value in values:
                key = _hashable(value)
                count = sum(
                    1
                    for other, other_value in chosen.items()
                    if _ordered_pair(name, key, other, other_value, levels) in remaining
                )
                if count > gain:
                    best, gain = key, count
            if best is not None:
                chosen[name] = best
        overrides = {name: raw[name].get(value, value) for name, value in chosen.items()}
        for name in list(overrides):
            parameter = self._parameter(name)
            if parameter is not None:
                for parent, value in self._parents(parameter).items():
                    overrides.setdefault(parent, value)
        return overrides

    # -- one build --
    def _hyperparameters(self, overrides: Mapping[str, Any]) -> Any:
        """A fresh HyperParameters carrying the space, values set where active (as the oracle
        fills a trial's values)."""
        hp = self.kt.HyperParameters()
        for parameter in self.space.space:
            hp.merge([parameter])
            if hp.is_active(parameter):
                hp.values[parameter.name] = overrides.get(parameter.name, parameter.default)
        for name, value in overrides.items():
            if name not in hp.values and self._parameter(name) is None:
                hp.values[name] = value  # a conditional parent not seen yet
        return hp

    def _key_of(self, overrides: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self._hyperparameters(overrides).values
        return tuple(sorted((k, _hashable(v)) for k, v in values.items()))

    def _build(self, overrides: Mapping[str, Any], kind: str) -> Build | None:
        hp = self._hyperparameters(overrides)
        key = tuple(sorted((k, _hashable(v)) for k, v in hp.values.items()))
        if key in self.tried:
            return None
        self.tried.add(key)
        number = len(self.builds) + 1
        start = time.perf_counter()
        error: BaseException | None = None
        losses: list[float] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = self._model(hp)
                if self.x is not None:
                    losses = self._train(model, hp)
            except Exception as exc:
                error = exc
        seconds = time.perf_counter() - start
        self._learn_space(hp)
        values = dict(hp.values)
        failures = self._failures(number, values, error, losses, caught)
        trial = TrialRecord(
            number=number,
            hyperparameters=values,
            space=self._specs(),
            status="FAILED" if any(not f.warning for f in failures) else "COMPLETED",
        )
        failures = tuple(replace(f, trial=trial) for f in failures)
        build = Build(number, kind, values, failures, seconds)
        self.builds.append(build)
        self._cover(values)
        return build

    def _model(self, hp: Any) -> Any:
        if self.tuner is not None and hasattr(self.tuner, "_try_build"):
            return self.tuner._try_build(hp)  # clears the session, checks the model's size
        self.keras.backend.clear_session()
        model = self.build_fn(hp)
        if not isinstance(model, self.keras.Model):
            errors = getattr(self.kt, "errors", None)
            kind = getattr(errors, "FatalTypeError", TypeError)
            raise kind(
                "Expected the model-building function, or HyperModel.build() to return a valid "
                f"Keras Model instance. Received: {model} of type {type(model)}."
            )
        return model

    def _train(self, model: Any, hp: Any) -> list[float]:
        """One training step on the sample, one prediction, and the loss after the update.
        Eagerly unless asked otherwise: tracing a graph per configuration costs seconds, a step
        on a small sample milliseconds."""
        x, y = self.x, self.y
        custom_fit = self.hypermodel is not None and type(self.hypermodel).fit is not getattr(
            self.kt.HyperModel, "fit", None
        )
        if self.eager:
            model.run_eagerly = True
        if custom_fit:
            history = self.hypermodel.fit(hp, model, x, y, epochs=2, verbose=0)
            losses = getattr(history, "history", {}).get("loss", []) if history else []
            model.predict(x, verbose=0) if y is not None else None
            return [float(v) for v in losses]
        if y is None and hasattr(x, "take") and not hasattr(x, "shape"):
            batch = next(iter(x.take(1)))  # a tf.data.Dataset of (x, y) batches
            x, y = (batch[0], batch[1]) if isinstance(batch, (tuple, list)) else (batch, None)
        before = model.train_on_batch(x, y, return_dict=True)
        model.predict_on_batch(x)
        after = model.test_on_batch(x, y, return_dict=True)  # the loss after one update
        return [float(m.get("loss", 0.0)) for m in (before, after)]

    def _learn_space(self, hp: Any) -> None:
        self.space.merge(hp.space, overwrite=False)
        for conditions in hp.active_scopes:
            if conditions not in self.scopes_once:
                self.scopes_once.append(conditions)
            if conditions in self.scopes_never:
                self.scopes_never.remove(conditions)
        for conditions in hp.inactive_scopes:
            if conditions not in self.scopes_once and conditions not in self.scopes_never:
                self.scopes_never.append(conditions)

    def _failures(
        self,
        number: int,
        values: Mapping[str, Any],
        error: BaseException | None,
        losses: Sequence[float],
        caught: Sequence[warnings.WarningMessage],
    ) -> tuple[Failure, ...]:
        from ktexplain.sources.code import with_specs
        from ktexplain.sources.live import failures_from_exception

        origin = Origin(ORIGIN)
        failures: list[Failure] = []
        if error is not None:
            failures.extend(replace(f, origin=origin) for f in failures_from_exception(error))
        elif losses:
            diverged = _divergence(losses)
            if diverged is not None:
                failures.append(
                    Failure(chain=(ExceptionRecord("TrainingDiverged", diverged),), origin=origin)
                )
        seen: set[tuple[str, str]] = set()
        for message in caught:
            key = (message.category.__name__, str(message.message))
            if key in seen:
                continue
            seen.add(key)
            frame = Frame(str(message.filename), message.lineno, "<warning>")
            record = ExceptionRecord(key[0], key[1], (frame,))
            failures.append(Failure(chain=(record,), origin=origin, warning=True))
        return tuple(with_specs(failures, ()))

    def _cover(self, values: Mapping[str, Any]) -> None:
        levels = dict(self._pair_levels())
        all_levels = {p.name: {_hashable(v) for v in _levels(p)} for p in self.space.space}
        present = [
            (name, _hashable(value))
            for name, value in values.items()
            if _hashable(value) in all_levels.get(name, ())
        ]
        self.covered_corners.update(present)
        paired = [(n, v) for n, v in present if n in levels]
        for first, second in itertools.combinations(paired, 2):
            self.covered_pairs.add(_ordered_pair(first[0], first[1], second[0], second[1], levels))

    # -- the space --
    def _parameter(self, name: str) -> Any:
        return next((p for p in self.space.space if p.name == name), None)

    def _parents(self, parameter: Any) -> dict[str, Any]:
        return {c.name: c.values[0] for c in getattr(parameter, "conditions", ()) or ()}

    def _specs(self) -> tuple[HyperParameterSpec, ...]:
        from ktexplain.sources.live import hyperparameters_of

        return hyperparameters_of(self.space)[1]

    # -- sharpening a boundary --
    def _sharpen(self) -> None:
        """For each cause that fails on one side of a numeric hyperparameter, bisect between the
        largest passing and the smallest failing value (holding a failing build's other values)."""
        from ktexplain.runs import cause_key

        for report in self._reports():
            key = cause_key(report.diagnosis)
            failing = {f.trial.number for f in report.failures if f.trial is not None}
            found = self._boundary(report, failing)
            if found is None:
                continue
            name, grid, low, high, base, failing_high = found
            # grid[low] is on the passing side, grid[high] on the failing side
            while abs(high - low) > 1 and len(self.builds) < self.max_builds:
                middle = (low + high) // 2
                overrides = dict(base)
                overrides[name] = grid[middle]
                build = self._build(overrides, "boundary")
                if build is None:
                    break
                if self._fails_with(build, key):
                    high = middle
                else:
                    low = middle
            del failing_high

    def _boundary(
        self, report: Report, failing: set[int | None]
    ) -> tuple[str, list[Any], int, int, dict[str, Any], bool] | None:
        link = report.diagnosis.hyperparameter
        names = [link.name] if link is not None else []
        names += [p.name for p in self.space.space if p.name not in names]
        clean = [b for b in self.builds if not b.failed]
        bad = [b for b in self.builds if b.number in failing]
        for name in names:
            parameter = self._parameter(name)
            if parameter is None or type(parameter).__name__ not in ("Int", "Float"):
                continue
            fails = [b for b in bad if _is_number(b.values.get(name))]
            passes = [b.values[name] for b in clean if _is_number(b.values.get(name))]
            if not fails or not passes:
                continue
            low_fail = min(b.values[name] for b in fails)
            high_fail = max(b.values[name] for b in fails)
            if max(passes) < low_fail:
                base = next(b for b in fails if b.values[name] == low_fail)
                grid = _grid(parameter, max(passes), low_fail)
                return name, grid, 0, len(grid) - 1, dict(base.values), True
            if min(passes) > high_fail:
                base = next(b for b in fails if b.values[name] == high_fail)
                grid = _grid(parameter, high_fail, min(passes))
                return name, grid, len(grid) - 1, 0, dict(base.values), False
        return None

    def _fails_with(self, build: Build, key: tuple[str, ...]) -> bool:
        from ktexplain import pipeline
        from ktexplain.runs import cause_key

        found = pipeline.reports([f for f in build.failures if not f.warning], self.db)
        return any(cause_key(r.diagnosis) == key for r in found)

    # -- the result --
    def _trials(self) -> list[TrialRecord]:
        trials = []
        for build in self.builds:
            trial = next((f.trial for f in build.failures if f.trial is not None), None)
            if trial is None:
                trial = TrialRecord(
                    number=build.number,
                    hyperparameters=dict(build.values),
                    space=self._specs(),
                    status="COMPLETED",
                )
            trials.append(trial)
        return trials

    def _reports(self) -> list[Report]:
        from ktexplain import pipeline

        failures = [f for b in self.builds for f in b.failures]
        return pipeline.reports(failures, self.db, self._trials()) if failures else []

    def result(self, target: str, interrupted: bool) -> CheckResult:
        reports = self._reports()
        corners = {
            (p.name, _hashable(v)) for p in self.space.space for v in _levels(p)
        } - self.covered_corners
        specs = self._specs()
        return CheckResult(
            target=target,
            reports=tuple(reports),
            builds=tuple(self.builds),
            space=specs,
            changes=tuple(_changes(reports, specs, self.db)),
            max_builds=self.max_builds,
            untried_corners=len(corners),
            untried_pairs=len(self._uncovered_pairs()),
            interrupted=interrupted,
            trained=self.x is not None,
            seconds=time.perf_counter() - self.started,
            notes=tuple(self.notes),
        )


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """``clear_session`` runs ``gc.collect()`` at every build; with TensorFlow loaded that walks
    millions of objects (most of a build's time). Objects alive before the check are frozen out
    of collection meanwhile; what the builds create is still collected."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _quiet_tensorflow() -> Iterator[None]:
    """TensorFlow's retracing warnings and Keras' absl lines say nothing about the space."""
    loggers = [logging.getLogger(n) for n in ("tensorflow", "absl")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# -- values of the space ---------------------------------------------------------------------
def _levels(parameter: Any) -> list[Any]:
    """The extremes of a hyperparameter: the values a corner sets it to."""
    kind = type(parameter).__name__
    if kind == "Boolean":
        return [False, True]
    if kind == "Choice":
        return list(parameter.values)
    if kind == "Fixed":
        return [parameter.value]
    if kind in ("Int", "Float"):
        low, high = _reach(parameter)
        cast = int if kind == "Int" else float
        return [cast(low)] if low == high else [cast(low), cast(high)]
    return [parameter.default]


def _reach(parameter: Any) -> tuple[Any, Any]:
    """The smallest and largest values the step really reaches (``hp.Int('f', 0, 60, step=16)``
    reaches 48, not 60)."""
    low, high, step = parameter.min_value, parameter.max_value, getattr(parameter, "step", None)
    if not step:
        return low, high
    try:
        count = parameter._get_n_values()
        ends = (parameter._get_value_by_index(0), parameter._get_value_by_index(count - 1))
        return min(ends), max(ends)
    except Exception:
        return low, high


def _grid(parameter: Any, start: Any, stop: Any) -> list[Any]:
    """Values between `start` and `stop` (both included) the hyperparameter can take, in order."""
    kind = type(parameter).__name__
    step = getattr(parameter, "step", None)
    if step:
        try:
            values = sorted(
                parameter._get_value_by_index(i) for i in range(parameter._get_n_values())
            )
            if kind == "Int":
                values = [int(v) for v in values]
            inside = [v for v in values if start <= v <= stop]
            if inside and len(inside) <= 100_000:
                return inside
        except Exception:
            pass
    if kind == "Int":
        return list(range(int(start), int(stop) + 1))
    # A continuous Float: a fixed number of points, geometric for log sampling.
    points = 2**_FLOAT_BISECTIONS
    if getattr(parameter, "sampling", "linear") == "log" and start > 0:
        ratio = (stop / start) ** (1 / points)
        return [_round(start * ratio**i) for i in range(points)] + [stop]
    width = (stop - start) / points
    return [_round(start + width * i) for i in range(points)] + [stop]


def _ordered_pair(
    a: str, va: Any, b: str, vb: Any, levels: Mapping[str, Any]
) -> tuple[tuple[str, Any], tuple[str, Any]]:
    order = list(levels)
    if order.index(a) > order.index(b):
        return (b, vb), (a, va)
    return (a, va), (b, vb)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    if isinstance(value, bool):
        return ("bool", value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _round(value: float) -> float:
    if value == 0:
        return 0.0
    return round(value, 3 - math.floor(math.log10(abs(value))))


def _divergence(losses: Sequence[float]) -> str | None:
    if any(not math.isfinite(v) for v in losses):
        bad = next(v for v in losses if not math.isfinite(v))
        return f"training loss became {bad}"
    first, last = losses[0], losses[-1]
    if first > 0 and last / first >= DIVERGENCE_FACTOR:
        return f"training loss rose from {first:.5g} to {last:.5g}"
    return None


def _sample(data: Any) -> Any:
    """At most SAMPLE_ROWS rows: the check trains on a sample, not on the data set."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        return type(data)(_sample(d) for d in data)
    if isinstance(data, dict):
        return {k: _sample(v) for k, v in data.items()}
    if hasattr(data, "shape") and hasattr(data, "__getitem__") and getattr(data, "ndim", 0) > 0:
        return data[:SAMPLE_ROWS]
    return data


def _length(data: Any) -> int:
    if isinstance(data, dict):
        data = next(iter(data.values()), None)
    elif isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        data = data[0]
    try:
        return max(1, len(data))
    except TypeError:
        return 8


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counts(items: Iterator[str] | Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _target_name(target: Any) -> str:
    for attribute in ("__qualname__", "__name__"):
        name = getattr(target, attribute, None)
        if isinstance(name, str):
            return name
    return type(target).__name__


def _changes(
    reports: Sequence[Report], specs: Sequence[HyperParameterSpec], db: Any
) -> list[Change]:
    """Per cause: the region's patched definition, else the pattern's valid range applied to
    the blamed hyperparameter."""
    from ktexplain.validity import parse_valid, suggest

    by_name = {s.name: s for s in specs}
    changes: list[Change] = []
    for report in reports:
        region = report.region
        if region is not None and region.verdict == "separates" and region.patched:
            for condition, patched in zip(region.conditions, region.patched, strict=False):
                spec = by_name.get(condition.name)
                changes.append(Change(condition.name, spec.describe() if spec else None, patched))
            continue
        link = report.diagnosis.hyperparameter
        pattern = next((p for p in db.patterns if p.id == report.diagnosis.pattern_id), None)
        if link is None or link.spec is None or pattern is None or not pattern.valid:
            continue
        suggestion = suggest(link.spec, parse_valid(pattern.valid))
        if suggestion is not None:
            changes.append(Change(link.name, link.spec.describe(), suggestion))
    unique: list[Change] = []
    for change in changes:
        if change not in unique:
            unique.append(change)
    return unique


# -- ktexplain check FILE:FUNCTION -----------------------------------------------------------
def is_live_target(argument: str) -> bool:
    """``train.py:build_model`` (a function in a script), as opposed to a path to lint."""
    path, colon, function = argument.rpartition(":")
    return bool(colon and path and function.isidentifier() and not Path(argument).exists())


# Calls that construct or run a tuner: never run when a script is loaded for a check.
_TUNER_CALL = ("Search", "Hyperband", "Optimization", "Tuner", "Oracle")
_RUNNING_METHODS = frozenset(
    {"search", "fit", "results_summary", "get_best_models", "get_best_hyperparameters"}
)


class ScriptError(Exception):
    """The script or its function cannot be loaded: exit code 2."""


def load_function(path: Path, function: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The function of a script, loaded as a module (not ``__main__``) whose top level runs its
    imports, definitions and assignments only: statements that construct or run a tuner, bare
    expression statements (``tuner.search(...)``, ``main()``), loops and ``with`` blocks are
    skipped, as is the ``if __name__ == "__main__":`` block. The script's folder is on
    ``sys.path`` as when Python runs it."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        tree = ast.parse(source, str(path))
    except SyntaxError as exc:
        raise ScriptError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    tree.body = _definitions(tree.body)
    module_name = "__ktexplain_check__"
    spec = importlib.util.spec_from_loader(module_name, loader=None, origin=str(path))
    if spec is None:  # pragma: no cover
        raise ScriptError(f"{path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        exec(compile(tree, str(path), "exec"), module.__dict__)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    found = module.__dict__.get(function)
    if not callable(found):
        defined = sorted(
            n
            for n, v in module.__dict__.items()
            if callable(v) and getattr(v, "__module__", None) == module_name
        )
        raise ScriptError(
            f"{path}: no function {function!r} (defined there: {', '.join(defined) or 'none'})"
        )
    return found, module.__dict__


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definitions(body: list[ast.stmt]) -> list[ast.stmt]:
    kept: list[ast.stmt] = []
    for index, statement in enumerate(body):
        if isinstance(statement, _DEFINITIONS):
            kept.append(statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if not _runs_a_tuner(statement):
                kept.append(statement)
        elif isinstance(statement, ast.Expr):
            if index == 0 and isinstance(statement.value, ast.Constant):
                kept.append(statement)  # the docstring
        elif isinstance(statement, ast.If):
            if not _is_main_guard(statement.test) and not _runs_a_tuner(statement):
                statement.body = _definitions(statement.body) or [ast.Pass()]
                statement.orelse = _definitions(statement.orelse)
                kept.append(statement)
        elif isinstance(statement, ast.Try) and not _runs_a_tuner(statement):
            statement.body = _definitions(statement.body) or [ast.Pass()]
            kept.append(statement)
    for statement in kept:
        ast.fix_missing_locations(statement)
    return kept


def _runs_a_tuner(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name.endswith(_TUNER_CALL):
            return True
        if isinstance(func, ast.Attribute) and name in _RUNNING_METHODS:
            return True
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _data(spec: str, script: Path, scope: Mapping[str, Any]) -> tuple[Any, Any]:
    """``--data``: ``X,Y`` (names the script assigns), ``FUNCTION`` of the script, or
    ``FILE:FUNCTION``; a function returns ``(x, y)``."""
    if "," in spec:
        names = [n.strip() for n in spec.split(",")]
        if len(names) != 2 or any(n not in scope for n in names):
            missing = [n for n in names if n not in scope]
            raise ScriptError(f"--data {spec}: not assigned at the top of {script}: {missing}")
        return scope[names[0]], scope[names[1]]
    if is_live_target(spec):
        file, _, function = spec.rpartition(":")
        loader, _ = load_function(Path(file), function)
    else:
        found = scope.get(spec)
        if not callable(found):
            raise ScriptError(f"--data {spec}: no such function in {script}")
        loader = found
    data = loader()
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ScriptError(f"--data {spec}: must return (x, y)")
    return data[0], data[1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktexplain check",
        description="Build (and train one step) every corner of a search space before the "
        "search. Exit 0 when every configuration passed, 1 when one failed, 2 usage error.",
    )
    parser.add_argument("target", metavar="FILE:FUNCTION", help="e.g. train.py:build_model")
    parser.add_argument(
        "--data",
        metavar="SPEC",
        help="a training sample: X,Y (names the script assigns), FUNCTION or FILE:FUNCTION "
        "returning (x, y); without it models are built and compiled but not trained",
    )
    parser.add_argument("--max-builds", type=int, default=DEFAULT_MAX_BUILDS, metavar="N")
    parser.add_argument(
        "--graph", action="store_true", help="train in graph mode as fit() does (slower)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-color", action="store_true", help="plain text")
    parser.add_argument(
        "--patterns", action="append", type=Path, default=[], metavar="DIR", help="extra patterns"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    file, _, function = args.target.rpartition(":")
    path = Path(file)
    if not path.is_file():
        print(f"ktexplain: {file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if args.max_builds < 1:
        print("ktexplain: --max-builds must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        build_model, scope = load_function(path, function)
        x, y = _data(args.data, path, scope) if args.data else (None, None)
    except ScriptError as exc:
        print(f"ktexplain: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        print(
            f"ktexplain: loading {path} failed: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from ktexplain import pipeline

    for error in pipeline.database(args.patterns).errors:
        print(f"ktexplain: pattern file skipped: {error}", file=sys.stderr)
    result = check(
        build_model,
        x,
        y,
        max_builds=args.max_builds,
        quiet=True,
        patterns=args.patterns,
        name=f"{path.name}:{function}",
        eager=not args.graph,
    )
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        color = False if args.no_color or os.environ.get("NO_COLOR") else None
        result.render(sys.stdout, color)
    return result.exit_code
