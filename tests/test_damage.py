"""Damaged logs (NUL padding after a crash, a burst of random bytes, stray NULs) are read, not
refused: the damage is skipped with one warning line and the log is explained as if intact.

The logs are real captures, damaged in tmp_path with a fixed seed (see tests/damaging.py).
"""

from __future__ import annotations

import io
import json
import sys

import pytest
from conftest import CAPTURED, SCENARIOS
from damaging import KINDS, damage

from ktexplain.cli import EXIT_OK, EXIT_USAGE, main
from ktexplain.sources.damage import looks_binary

# Captures of the two dialects of `make test` that hold a traceback (not the clean searches).
LOGS = [
    p
    for p in sorted(CAPTURED.glob("keras[23]/*/run.log"))
    if b"Traceback (most recent call last):" in p.read_bytes()
][::11]
IDS = [f"{p.parent.parent.name}/{p.parent.name}" for p in LOGS]


def explain(capsys, path: str) -> tuple[int, dict, str]:
    code = main([path, "--json", "--source", str(SCENARIOS)])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def categories(data: dict) -> list[str]:
    return [r["category"] for r in data["reports"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", LOGS, ids=IDS)
def test_damaged_log_is_explained_like_the_intact_one(log, kind, tmp_path, capsys):
    code, intact, _ = explain(capsys, str(log))
    assert code == EXIT_OK and intact["reports"]
    damaged = tmp_path / "run.log"
    damaged.write_bytes(damage(log.read_bytes(), kind, seed=len(log.name)))
    code, data, err = explain(capsys, str(damaged))
    assert code == EXIT_OK, err
    assert categories(data)[0] == categories(intact)[0]
    assert data["reports"][0]["pattern"] == intact["reports"][0]["pattern"]
    assert "binary" not in err
    if kind != "nul-in-lines":
        (line,) = [x for x in err.splitlines() if "damaged" in x]
        assert "bytes " in line and "read the rest" in line
    assert len(err.strip().splitlines()) <= 1  # never more than the one warning line


@pytest.mark.parametrize("kind", ["nul-tail", "random-burst"])
def test_damaged_log_on_stdin(kind, monkeypatch, capsys):
    log = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"
    damaged = damage(log.read_bytes(), kind, seed=3)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(damaged))))
    code, data, err = explain(capsys, "-")
    assert code == EXIT_OK, err
    assert data["reports"][0]["category"] == "hyperparameter-value"
    assert data["reports"][0]["offending"]["value"] == "0"
    assert len([x for x in err.splitlines() if "damaged" in x]) == 1


def test_the_warning_names_the_byte_range_of_the_padding(tmp_path, capsys):
    log = (CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log").read_bytes()
    path = tmp_path / "run.log"
    path.write_bytes(log + b"\x00" * 5000)
    code, _, err = explain(capsys, str(path))
    assert code == EXIT_OK
    assert f"bytes {len(log)}–{len(log) + 5000}" in err


def test_nul_bytes_inside_a_traceback_do_not_break_it(tmp_path, capsys):
    log = (CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log").read_bytes()
    spoiled = log.replace(b'  File "', b'  File\x00 "').replace(
        b"Invalid value", b"Inv\x00alid value"
    )
    path = tmp_path / "run.log"
    path.write_bytes(spoiled)
    code, data, err = explain(capsys, str(path))
    assert code == EXIT_OK, err
    assert data["reports"][0]["offending"]["value"] == "0"
    assert "Invalid value for argument `filters`" in data["reports"][0]["exception"]["message"]


def test_a_file_mostly_padding_with_a_text_head_is_still_read(tmp_path, capsys):
    log = (CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log").read_bytes()
    path = tmp_path / "run.log"
    path.write_bytes(log + b"\x00" * 1_000_000)
    code, data, _ = explain(capsys, str(path))
    assert code == EXIT_OK and data["reports"][0]["category"] == "hyperparameter-value"


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"\x89HDF\r\n\x1a\n\x00\x00\x00", True),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 8, True),
        (b"\x00" * 10_000, True),
        (b"", False),
        (b"Epoch 1/3\n" * 100 + b"\x00" * 100_000, False),
        ("ValueError: la précision a diminué\n".encode("latin-1") * 50, False),  # latin-1
        (b"Traceback (most recent call last):\n" * 100 + bytes(range(256)) * 2, False),
        (b"Traceback (most recent call last):\n" + bytes(range(256)) * 2, True),
    ],
)
def test_binary_means_most_of_the_sample_is_not_text(data, binary):
    assert looks_binary(data) is binary


def test_a_real_binary_file_is_still_refused(tmp_path, capsys):
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(256)) * 4096)
    code = main([str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "binary" in err
