"""`ktexplain.record`: frozen records behave as the frozen dataclasses they replaced."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from ktexplain.failure import ExceptionRecord, Failure, Frame, Origin, Trial
from ktexplain.record import FrozenError, Record, fields, replace, set_field


@dataclasses.dataclass(frozen=True)
class _AsDataclass:
    filename: str
    lineno: int | None
    function: str
    line: str | None = None


def _frame() -> Frame:
    return Frame("model.py", 12, "build_model", "x = layers.Dense(units)(x)")


def test_equality_hash_and_repr_are_a_frozen_dataclass_s():
    frame, twin = _frame(), _frame()
    reference = _AsDataclass("model.py", 12, "build_model", "x = layers.Dense(units)(x)")
    assert frame == twin and hash(frame) == hash(twin)
    assert frame != replace(frame, lineno=13)
    assert repr(frame).removeprefix("Frame") == repr(reference).removeprefix("_AsDataclass")
    assert frame != reference  # a record equals only its own class, as a dataclass does
    assert len({frame, twin, replace(frame, line=None)}) == 2


def test_fields_are_the_slots_in_order_and_defaults_apply():
    assert fields(Frame) == ("filename", "lineno", "function", "line")
    assert Frame("a.py", None, "f").line is None
    trial = Trial()
    assert (trial.number, trial.hyperparameters, trial.space) == (None, {}, ())
    assert Trial().hyperparameters is not trial.hyperparameters  # no shared mutable default


def test_frozen():
    frame = _frame()
    with pytest.raises(FrozenError):
        frame.lineno = 1  # type: ignore[misc]
    with pytest.raises(FrozenError):
        del frame.line  # type: ignore[misc]
    with pytest.raises(AttributeError):
        frame.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(frame, "__dict__")


def test_replace_changes_only_what_is_named_and_refuses_unknown_fields():
    failure = Failure((ExceptionRecord("ValueError", "bad"),), Origin("run.log", 3))
    moved = replace(failure, origin=Origin("run.log", 9), weak=True)
    assert moved.origin.line == 9 and moved.weak and moved.chain is failure.chain
    assert failure.origin.line == 3 and not failure.weak
    with pytest.raises(TypeError, match="no field 'orign'"):
        replace(failure, orign=Origin("x"))


def test_pickle_and_copy_round_trip():
    failure = Failure(
        (ExceptionRecord("ValueError", "bad", (_frame(),)),),
        Origin("run.log", 3),
        trial=Trial(number=2, hyperparameters={"units": 0}),
    )
    assert pickle.loads(pickle.dumps(failure)) == failure
    deep = copy.deepcopy(failure)
    assert deep == failure and deep.trial is not failure.trial


def test_a_record_whose_init_does_not_take_its_fields_in_order_is_refused():
    with pytest.raises(TypeError, match="in order"):

        class _Swapped(Record):
            __slots__ = ("a", "b")

            def __init__(self, b: int, a: int) -> None:
                set_field(self, "a", a)
                set_field(self, "b", b)

    with pytest.raises(TypeError, match="at least two"):

        class _Single(Record):
            __slots__ = ("a",)

            def __init__(self, a: int) -> None:
                set_field(self, "a", a)
