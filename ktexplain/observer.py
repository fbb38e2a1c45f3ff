"""The per-trial keras-tuner observer: each failed trial explained right after keras-tuner reports
it, and a grouped summary when `search()` returns.

keras-tuner is observed where nothing can raise through ktexplain: the oracle's Display reports
each ended trial (after the oracle has recorded it and checked the consecutive-failure limit),
and BaseTuner's on_search_begin / on_search_end hooks are empty. `search`, `on_trial_end` and
the trial itself are left alone, so no ktexplain frame ever shows in a user's traceback.

Loaded only once keras-tuner is: `ktexplain.hook`'s import watcher (or `install()`, when
keras-tuner was imported first) calls `patch_module`. Printing goes through `ktexplain.hook`.
"""

from __future__ import annotations

import sys

from ktexplain import hook

TYPE_CHECKING = False
if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Sequence
    from typing import Any

    from ktexplain.failure import Failure, Trial
    from ktexplain.hook import _State


class _Patch:
    __slots__ = ("had_own", "name", "original", "owner", "wrapper")

    def __init__(self, owner: type, name: str, had_own: bool, original: Any, wrapper: Any):
        self.owner, self.name, self.had_own = owner, name, had_own
        self.original, self.wrapper = original, wrapper


def unpatch(state: _State) -> None:
    """Every patch back to exactly what it was (one patched over by someone else stays, inert)."""
    for patch in reversed(state.patched):
        current = patch.owner.__dict__.get(patch.name)
        if current is not patch.wrapper:
            continue  # someone patched over ours: ours stays, inert
        if patch.had_own:
            setattr(patch.owner, patch.name, patch.original)
        else:
            delattr(patch.owner, patch.name)
    state.patched.clear()


def patch_module(state: _State, module: types.ModuleType) -> None:
    targets: tuple[tuple[str, str, Callable[..., Any]], ...] = (
        ("BaseTuner", "on_search_begin", _wrap_search_begin),
        ("BaseTuner", "on_search_end", _wrap_search_end),
        ("Display", "on_trial_end", _wrap_trial_reported),
    )
    for class_name, name, make in targets:
        owner = getattr(module, class_name, None)
        if not isinstance(owner, type) or owner.__module__ != module.__name__:
            continue  # not defined here (an import of it from elsewhere)
        if any(p.owner is owner and p.name == name for p in state.patched):
            continue
        original = owner.__dict__.get(name)
        if original is None:
            continue
        wrapper = make(original, state)
        wrapper.__ktexplain_original__ = original
        wrapper.__wrapped__ = original
        wrapper.__doc__ = original.__doc__
        setattr(owner, name, wrapper)
        state.patched.append(_Patch(owner, name, True, original, wrapper))


# The failures of the search running on each oracle, for the "same cause" lines and the summary.
_searches: dict[int, list[Failure]] = {}


def _wrap_search_begin(original: Callable[..., Any], state: _State) -> Callable[..., Any]:
    def on_search_begin(self: Any) -> Any:
        if state.active:
            _searches[id(getattr(self, "oracle", None))] = []
        return original(self)

    return on_search_begin


def _wrap_search_end(original: Callable[..., Any], state: _State) -> Callable[..., Any]:
    def on_search_end(self: Any) -> Any:
        result = original(self)
        # Only a search that finished: one stopped by an exception reaches the excepthook,
        # which explains it with every failed trial of the oracle (a summary would say it twice).
        failures = _searches.pop(id(getattr(self, "oracle", None)), None)
        if failures and state.active:
            _summarize(self, failures)
        return result

    return on_search_end


def _wrap_trial_reported(original: Callable[..., Any], state: _State) -> Callable[..., Any]:
    def on_trial_end(self: Any, trial: Any) -> Any:
        result = original(self, trial)  # keras-tuner's "Trial N Complete" report
        if state.active:
            _after_trial(getattr(self, "oracle", None), trial)
        return result

    return on_trial_end


def _after_trial(oracle: Any, trial: Any) -> None:
    """Explain the trial keras-tuner just reported as FAILED. Never raises."""
    if hook.disabled_by_env():
        return
    try:
        from ktexplain.sources.live import failure_from_trial, trial_number_of

        trial_id = getattr(trial, "trial_id", None)
        ended = getattr(oracle, "trials", {}).get(trial_id, trial)
        if str(getattr(ended, "status", "")) != "FAILED":
            return
        failure = failure_from_trial(ended, trial_number_of(oracle, ended), oracle)
        if failure is None:
            return
        record = _searches.setdefault(id(oracle), [])
        earlier = list(record)
        record.append(failure)
        hook._flush_standard_streams()
        repeated = _first_with_same_cause(earlier, failure)
        if repeated is not None:
            # The fix was printed for the first trial with this cause: say so, briefly.
            hook._write(
                f"ktexplain: trial {_label(failure)}: same cause as trial {repeated}\n",
                hook._target(None) or sys.stdout,
            )
            return
        hook._emit([failure], compact=True, header=None)
    except KeyboardInterrupt:
        raise
    except Exception as error:
        hook._say(f"ktexplain: could not explain this trial ({hook._reason(error)})")


def _first_with_same_cause(earlier: Sequence[Failure], failure: Failure) -> str | None:
    if not earlier:
        return None
    for report in hook.reports_for([*earlier, failure]):
        if any(f is failure for f in report.failures) and report.failures[0] is not failure:
            return _label(report.failures[0])
    return None


def _label(failure: Failure) -> str:
    return failure.trial.label if failure.trial is not None else "?"


def _summarize(tuner: Any, failures: Sequence[Failure]) -> None:
    try:
        total = len(getattr(getattr(tuner, "oracle", None), "trials", {}) or {}) or None
        count = len(failures)
        if total:
            header = f"ktexplain: {count} of {total} trials failed in this search"
        else:
            header = f"ktexplain: {count} trial{'s' if count != 1 else ''} failed in this search"
        hook._flush_standard_streams()
        hook._emit(failures, compact=False, header=header, trials=_every_trial(tuner))
    except Exception as error:
        hook._say(f"ktexplain: could not summarize the failed trials ({hook._reason(error)})")


def _every_trial(tuner: Any) -> list[Trial]:
    """Every trial of the search with its status and values: the completed ones are what the
    failures' region is judged against."""
    from ktexplain.sources.live import trial_number_of, trial_record

    oracle = getattr(tuner, "oracle", None)
    trials = dict(getattr(oracle, "trials", {}) or {})
    return [trial_record(trial, trial_number_of(oracle, trial)) for trial in trials.values()]
