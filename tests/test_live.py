"""`ktexplain.sources.live`: live exceptions → Failures, with hyperparameters from the frames."""

from __future__ import annotations

import json

import pytest
from live_scripts._support import run_script

from ktexplain.sources.live import (
    exception_chain,
    failures_from_exception,
    is_keras_related,
    safe_str,
    type_name,
)

DIALECTS = [
    pytest.param("keras3", marks=pytest.mark.slow),
    pytest.param("keras2", marks=[pytest.mark.slow, pytest.mark.keras2]),
]


def _raised(make):
    try:
        make()
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_chain_is_first_cause_first_and_respects_suppressed_context():
    def cause_then_effect():
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise ValueError("outer") from inner

    def suppressed():
        try:
            raise KeyError("hidden")
        except KeyError:
            raise ValueError("shown") from None

    def implicit():
        try:
            raise KeyError("first")
        except KeyError:
            raise ValueError("second")  # noqa: B904 - an implicit context is the point

    assert [type(e) for e in exception_chain(_raised(cause_then_effect))] == [KeyError, ValueError]
    assert [type(e) for e in exception_chain(_raised(suppressed))] == [ValueError]
    failure = failures_from_exception(_raised(implicit))[0]
    assert [r.type for r in failure.chain] == ["KeyError", "ValueError"]
    assert failure.chain[0].message == "'first'"
    assert "During handling of the above exception" in failure.traceback_text
    assert failure.exception.frames[-1].function == "implicit"


def test_a_cycle_in_the_chain_ends():
    first, second = ValueError("a"), KeyError("b")
    first.__context__, second.__context__ = second, first
    assert len(exception_chain(first)) == 2


def test_messages_lose_ansi_codes_but_the_traceback_text_keeps_the_original():
    exc = _raised(lambda: (_ for _ in ()).throw(ValueError("\x1b[1mInput 0 is bad\x1b[0m")))
    failure = failures_from_exception(exc)[0]
    assert failure.exception.message == "Input 0 is bad"
    assert "\x1b[1mInput 0 is bad" in failure.traceback_text
    assert failure.origin.source == "<live>"


def test_an_exception_whose_str_raises_is_still_recorded():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no")

    exc = _raised(lambda: (_ for _ in ()).throw(Unprintable()))
    failure = failures_from_exception(exc)[0]
    assert safe_str(exc) == "<exception str() failed>"
    assert failure.exception.message == "<exception str() failed>"
    assert failure.exception.type.endswith("Unprintable")
    assert "Unprintable" in failure.traceback_text


def test_type_names_are_printed_like_python_does():
    class Local(Exception):
        pass

    assert type_name(ValueError) == "ValueError"
    assert type_name(json.JSONDecodeError) == "json.decoder.JSONDecodeError"
    assert type_name(Local).endswith("Local") and "test_live" in type_name(Local)


def test_plain_python_errors_are_not_keras_related():
    assert not is_keras_related(_raised(lambda: 1 / 0))
    assert failures_from_exception(_raised(lambda: 1 / 0))[0].trial is None


def test_an_error_passing_through_a_keras_module_is_related():
    keras_like = {"__name__": "keras.src.layers.fake"}
    exec("def boom():\n    raise ValueError('x')\n", keras_like)
    user = {"__name__": "__main__"}
    exec(
        compile("def boom():\n    raise ValueError('x')\n", "/home/me/keras/train.py", "exec"), user
    )
    assert is_keras_related(_raised(keras_like["boom"]))
    assert not is_keras_related(_raised(user["boom"]))  # a folder named keras is not Keras


def test_an_error_from_a_keras_module_is_related():
    class Fake(Exception):
        pass

    Fake.__module__ = "tensorflow.python.framework.errors_impl"
    assert is_keras_related(Fake("x"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_explain_reads_hyperparameters_from_the_live_objects(dialect, tmp_path):
    done = run_script(dialect, "explain_caught.py", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("╭") == 0  # explain() prints nothing
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    cases = {case["case"]: case for case in map(json.loads, lines)}
    assert set(cases) == {"construction", "limit", "chained", "fatal"}

    construction = cases["construction"]
    assert construction["trials"] == [
        {
            "number": None,
            "id": None,
            "construction": True,
            "values": {"filters": 0},
            "space": ["hp.Int('filters', min_value=0, max_value=64, step=16)"],
        }
    ]
    report = construction["reports"][0]
    assert report["hyperparameter"]["name"] == "filters"
    assert report["hyperparameter"]["search_space"] == (
        "hp.Int('filters', min_value=0, max_value=64, step=16)"
    )

    limit = cases["limit"]
    # One failure per failed trial of the oracle, in order; the last one tripped the limit.
    assert [t["number"] for t in limit["trials"]] == [1, 2, 3]
    assert [t["id"] for t in limit["trials"]] == ["0", "1", "2"]
    assert all(set(t["values"]) == {"units"} for t in limit["trials"])
    assert limit["tripped"] == [None, None, 3]
    assert all(chain[-1][0] == "ValueError" for chain in limit["chains"])
    assert sum(r["occurrences"] for r in limit["reports"]) == 3
    assert limit["reports"][0]["category"] == "data-shape"

    chained = cases["chained"]
    assert [t for t, _ in chained["chains"][0]] == ["ValueError", "TypeError"]
    assert chained["chains"][0][1][1] == "could not make the dropout layer"  # ANSI gone
    assert chained["trials"][0]["values"] == {"rate": 0.1}

    fatal = cases["fatal"]  # a FatalError leaves search(): the `trial` local is the source
    assert fatal["chains"][0][-1][0].endswith("FatalTypeError")
    assert fatal["trials"][0]["number"] == 1 and fatal["trials"][0]["id"] == "0"
    assert fatal["trials"][0]["construction"] is False
    assert fatal["trials"][0]["values"] == {"optimizer": "adam"}
