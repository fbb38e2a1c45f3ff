"""Running a live check: build (and train one step on a sample) each configuration the space
asks for, turn what failed into the pipeline's failures, and bisect a failing numeric range to
its boundary.

keras_tuner, Keras and TensorFlow are imported inside functions only.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from ktexplain.failure import ExceptionRecord, Failure, Frame, Origin, Report
from ktexplain.failure import Trial as TrialRecord
from ktexplain.livecheck.result import Build, CheckResult, _changes
from ktexplain.livecheck.space import Space, _grid, _hashable, _is_number
from ktexplain.record import replace
from ktexplain.sources.trials import DIVERGENCE_FACTOR

DEFAULT_MAX_BUILDS = 64
SAMPLE_ROWS = 32
ORIGIN = "<check>"


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
        known = keras_tuner.HyperParameters()
        if self.tuner is not None:
            known.merge(self.tuner.oracle.get_space(), overwrite=False)
        elif self.hypermodel is not None:
            with contextlib.suppress(Exception):
                self.hypermodel.declare_hyperparameters(known)
        self.space = Space(keras_tuner, known)
        self.x, self.y = _sample(x), _sample(y)
        self.builds: list[Build] = []
        self.started = time.perf_counter()
        self.notes: list[str] = []

    # -- driving --
    def run(self) -> None:
        self._build({}, "defaults")
        reserve = self.max_builds // 8
        while len(self.builds) < self.max_builds - reserve:
            step = self.space.next()
            if step is None:
                break
            self._build(*step)
        self._sharpen()
        while len(self.builds) < self.max_builds:  # the reserve, when sharpening left some
            step = self.space.next()
            if step is None:
                break
            self._build(*step)

    # -- one build --
    def _build(self, overrides: Mapping[str, Any], kind: str) -> Build | None:
        hp = self.space.hyperparameters(overrides)
        key = tuple(sorted((k, _hashable(v)) for k, v in hp.values.items()))
        if key in self.space.tried:
            return None
        self.space.tried.add(key)
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
        self.space.learn(hp)
        values = dict(hp.values)
        failures = self._failures(number, values, error, losses, caught)
        trial = TrialRecord(
            number=number,
            hyperparameters=values,
            space=self.space.specs(),
            status="FAILED" if any(not f.warning for f in failures) else "COMPLETED",
        )
        failures = tuple(replace(f, trial=trial) for f in failures)
        build = Build(number, kind, values, failures, seconds)
        self.builds.append(build)
        self.space.cover(values)
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
        names += [p.name for p in self.space.known.space if p.name not in names]
        clean = [b for b in self.builds if not b.failed]
        bad = [b for b in self.builds if b.number in failing]
        for name in names:
            parameter = self.space.parameter(name)
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
                    space=self.space.specs(),
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
        specs = self.space.specs()
        return CheckResult(
            target=target,
            reports=tuple(reports),
            builds=tuple(self.builds),
            space=specs,
            changes=tuple(_changes(reports, specs, self.db)),
            max_builds=self.max_builds,
            untried_corners=len(self.space.untried_corners()),
            untried_pairs=len(self.space.uncovered_pairs()),
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


def _target_name(target: Any) -> str:
    for attribute in ("__qualname__", "__name__"):
        name = getattr(target, attribute, None)
        if isinstance(name, str):
            return name
    return type(target).__name__
