"""Shared helpers: where the captured fixtures are, and how to read one like the CLI does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCENARIOS = FIXTURES / "scenarios"
CAPTURED = FIXTURES / "captured"


def read_fixture(path: Path) -> list:
    """What `ktexplain LOG --source fixtures/scenarios` reads: the scripts the tracebacks name
    live in fixtures/scenarios, not beside the logs."""
    from ktexplain.cli import read_failures

    return read_failures(str(path), [SCENARIOS])


def scenario_spec(name: str) -> dict:
    with (SCENARIOS / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def captured_cases() -> list[tuple[str, str]]:
    """(dialect, scenario) for every capture whose scenario still exists."""
    cases = []
    for log in sorted(CAPTURED.glob("*/*/run.log")):
        dialect, name = log.parent.parent.name, log.parent.name
        if (SCENARIOS / f"{name}.toml").exists():
            cases.append((dialect, name))
    return cases


def expected_for(name: str, dialect: str) -> dict:
    spec = scenario_spec(name)
    expected = {k: v for k, v in spec.get("expected", {}).items() if not isinstance(v, dict)}
    expected.update(spec.get("expected", {}).get(dialect, {}))
    # `key = false` in a dialect's table: that dialect's output cannot carry it
    return {k: v for k, v in expected.items() if v is not False}


@pytest.fixture(scope="session")
def database():
    from ktexplain import pipeline

    db = pipeline.database()
    assert not db.errors, [str(e) for e in db.errors]
    return db
