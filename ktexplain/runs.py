"""Across trials: fold repeated causes into one report each, in order of first appearance."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ktexplain.failure import Diagnosis, Failure, Report

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+|/tmp/[^\s'\"]+|__inference_\w+|node \S+")


def cause_key(diagnosis: Diagnosis) -> tuple[str, ...]:
    """Two failures share a report when they are the same cause.

    For a pattern match that blames a hyperparameter, the cause is the pattern and that
    hyperparameter (``filters=0`` and ``filters=-16`` are one problem with one fix). Otherwise it
    is the pattern and the offending value, or for an unknown failure the exception itself with
    addresses and temporary paths masked.
    """
    if diagnosis.pattern_id is None:
        # Numbers that vary per trial (an index, a size) do not make another cause.
        message = _NUMBER.sub("#", _ADDRESS.sub("…", diagnosis.exception.message.strip()))
        return ("unknown", diagnosis.exception.type, message)
    if diagnosis.hyperparameter is not None:
        return (diagnosis.pattern_id, "hp", diagnosis.hyperparameter.name)
    return (
        diagnosis.pattern_id,
        "value",
        diagnosis.offending_name or "",
        diagnosis.offending_value or "",
    )


def group(diagnoses: Iterable[Diagnosis]) -> list[Report]:
    order: list[tuple[str, ...]] = []
    first: dict[tuple[str, ...], Diagnosis] = {}
    members: dict[tuple[str, ...], list[Failure]] = {}
    seen: dict[tuple[str, ...], _TrialsSeen] = {}
    for diagnosis in diagnoses:
        key = cause_key(diagnosis)
        if key not in first:
            order.append(key)
            first[key] = diagnosis
            members[key] = []
            seen[key] = _TrialsSeen()
        if seen[key].add(diagnosis.failure):
            members[key].append(diagnosis.failure)
    reports = [Report(first[key], tuple(members[key])) for key in order]
    # Stable: explained failures in their order of first appearance, then the ones no pattern
    # knows (a pasted paragraph's known line outranks the unknown error quoted beside it),
    # inferred symptoms last.
    return sorted(
        reports,
        key=lambda r: (all(f.weak for f in r.failures), r.diagnosis.category == "unknown"),
    )


class _TrialsSeen:
    """The trials of one cause so far, indexed so that a repeat is found in constant time (a
    10,000-trial directory has thousands of failures with one cause).

    One trial's traceback can appear several times in one input: printed by keras-tuner, in the
    final RuntimeError, and again in ``results_summary()``. Two failures of one input are one
    trial when both are the tuner's construction, when both have a number and it is the same, or
    otherwise when they have the same trial id."""

    def __init__(self) -> None:
        self.construction: set[str] = set()
        self.numbers: set[tuple[str, int]] = set()
        self.ids: set[tuple[str, str]] = set()
        self.unnumbered_ids: set[tuple[str, str]] = set()

    def add(self, failure: Failure) -> bool:
        """Whether `failure` is a trial not seen yet (then remembered)."""
        trial, source = failure.trial, failure.origin.source
        if trial is None:
            return True
        if trial.construction:
            if source in self.construction:
                return False
            self.construction.add(source)
            return True
        by_id = None if trial.trial_id is None else (source, trial.trial_id)
        if trial.number is not None:
            if (source, trial.number) in self.numbers or by_id in self.unnumbered_ids:
                return False
            self.numbers.add((source, trial.number))
        elif by_id in self.ids:
            return False
        elif by_id is not None:
            self.unnumbered_ids.add(by_id)
        if by_id is not None:
            self.ids.add(by_id)
        return True
