"""The wheel ships the pattern database and works away from the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_wheel_carries_patterns_and_finds_them_when_installed(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ktexplain-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n for n in names if n.startswith("ktexplain/patterns/"))
    assert shipped == sorted(
        f"ktexplain/patterns/{p.name}" for p in (ROOT / "patterns").glob("*.toml")
    )
    assert "ktexplain/py.typed" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    proc = subprocess.run(
        [sys.executable, "-m", "ktexplain", "patterns", "--json"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "KTEXPLAIN_NO_USER_PATTERNS": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(proc.stdout)
    assert rows and all(str(site) in row["source"] for row in rows)


def test_readme_install_lines_are_the_ones_that_work():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install and use", 1)[1].split("### The command", 1)[0]
    commands = [line.split("#")[0].strip() for line in section.splitlines()]
    assert "pip install ktexplain" not in commands  # not on a package index
    assert {"pip install .", 'pip install ".[live]"', "make dist"} <= set(commands)
    assert "pip install dist/ktexplain-*.whl" in commands


@pytest.mark.slow
def test_make_dist_builds_a_wheel_that_installs_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        ["make", "-s", "dist", f"DIST={dist}"], cwd=ROOT, check=True, capture_output=True
    )
    (wheel,) = dist.glob("ktexplain-*-py3-none-any.whl")
    # a fresh environment that sees the dependencies but not the checkout
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [str(venv / "bin" / "ktexplain"), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == f"ktexplain {wheel.name.split('-')[1]}"
