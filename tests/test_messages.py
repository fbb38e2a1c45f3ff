"""Messages without a traceback: a bare last line, a line with no type at all, a wrapped paste.

The messages are real: each is copied from a captured run's log (fixtures/captured), named with
its fixture; only the way it is cut or wrapped is the parser edge case under test."""

from __future__ import annotations

import textwrap

from conftest import CAPTURED

from ktexplain.pipeline import reports
from ktexplain.sources.terminal import ANSI
from ktexplain.sources.text import failures_from_text

# The last line of a real Keras 3 capture (keras3/seed-conv-filters-zero).
SEED_LOG = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"


def _last_error_line() -> str:
    text = ANSI.sub("", SEED_LOG.read_text(encoding="utf-8", errors="replace"))
    (line,) = [
        line for line in text.splitlines() if line.startswith("ValueError: Invalid value for")
    ][:1]
    return line


def test_a_bare_last_line_is_a_failure_with_no_frames(database):
    line = _last_error_line()
    (failure,) = failures_from_text(line + "\n")
    assert not failure.candidate
    assert failure.exception.type == "ValueError" and failure.exception.frames == ()
    (report,) = reports([failure], database)
    assert report.diagnosis.category == "hyperparameter-value"
    assert report.diagnosis.offending_value == "0"


def test_a_dotted_type_and_tf1s_see_above_wording_are_exception_lines():
    message = _last_error_line().partition(": ")[2]
    for head in ("keras.src.ValueError", "ValueError (see above for traceback)"):
        (failure,) = failures_from_text(f"{head}: {message}\n")
        assert failure.exception.short_type == "ValueError"
        assert failure.exception.message == message


def test_a_message_with_no_type_is_read_when_a_pattern_knows_it(database):
    message = _last_error_line().partition(": ")[2]
    pasted = f"I get this when the tuner starts:\n\n{message}\n\nany idea?\n"
    failures = failures_from_text(pasted)
    assert all(f.candidate for f in failures)
    (report,) = reports(failures, database)
    assert report.diagnosis.category == "hyperparameter-value"
    assert report.diagnosis.offending_value == "0"


def test_a_message_wrapped_at_80_columns_still_matches(database):
    line = _last_error_line()
    wrapped = "\n".join(textwrap.wrap(line, 60))
    assert wrapped.count("\n") >= 1
    (report,) = reports(failures_from_text(wrapped + "\n"), database)
    assert report.diagnosis.pattern_id is not None
    assert report.diagnosis.offending_value == "0"


def test_loose_text_is_not_read_beside_a_real_traceback(database):
    log = SEED_LOG.read_text(encoding="utf-8", errors="replace")
    failures = failures_from_text(log)
    assert failures and not any(f.candidate for f in failures)


def test_prose_that_no_pattern_knows_gives_no_report(database):
    failures = failures_from_text("The search ran all night.\nNothing failed, I think.\n")
    assert failures and all(f.candidate for f in failures)
    assert reports(failures, database) == []
