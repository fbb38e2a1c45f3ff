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
