"""Running the live scripts: the two interpreters, a quiet environment, and the output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent.parent
KERAS3_PYTHON = os.environ.get("KTEXPLAIN_KERAS3_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
KERAS2_PYTHON = os.environ.get(
    "KTEXPLAIN_KERAS2_PYTHON", str(ROOT / ".venv-keras2" / "bin" / "python")
)
TRACEBACK = "Traceback (most recent call last):"


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def interpreter(dialect: str) -> str:
    """The Python of a dialect's environment; skips the test when it is not there."""
    if dialect == "keras2":
        path = KERAS2_PYTHON
        hint = "set KTEXPLAIN_KERAS2_PYTHON to a Python with TensorFlow 2.15 / Keras 2"
    else:
        path = KERAS3_PYTHON if Path(KERAS3_PYTHON).exists() else sys.executable
        hint = "set KTEXPLAIN_KERAS3_PYTHON"
    if not Path(path).exists():
        pytest.skip(f"no {dialect} interpreter at {path} ({hint})")
    return path


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTEXPLAIN")}
    env.update(
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        KTEXPLAIN_NO_USER_PATTERNS="1",
        COLUMNS="200",
        PYTHONUNBUFFERED="1",
    )
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    env.update(extra)
    return env


def run_python(python: str, args: list[str], cwd: Path, timeout: float = 180, **env: str) -> Run:
    done = subprocess.run(
        [python, *args],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_script(dialect: str, name: str, cwd: Path, *args: str, **env: str) -> Run:
    return run_python(interpreter(dialect), [str(SCRIPTS / name), *args], cwd, **env)


def from_traceback(stderr: str) -> str:
    """Everything from Python's first traceback header on (TensorFlow's start-up noise, which
    carries timestamps and process ids, comes before it)."""
    assert TRACEBACK in stderr, f"no traceback in:\n{stderr[-3000:]}"
    return stderr[stderr.index(TRACEBACK) :]
