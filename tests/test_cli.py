"""The `ktexplain` command: output, JSON schema, exit codes and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CAPTURED, ROOT, SCENARIOS

from ktexplain.cli import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, main

SEED2 = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"
SEED1 = CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.log"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--source", str(SCENARIOS)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_schema(capsys):
    code, out, err = run(capsys, str(SEED1), str(SEED2), "--json")
    assert code == EXIT_OK, err
    data = json.loads(out)
    assert set(data) == {"version", "reports"}
    assert len(data["reports"]) == 2
    for report in data["reports"]:
        assert set(report) >= {
            "source",
            "category",
            "pattern",
            "exception",
            "offending",
            "layer",
            "optimizer",
            "constraint",
            "hyperparameter",
            "trials",
            "occurrences",
            "fix",
        }
        assert set(report["exception"]) == {"type", "message"}
        assert set(report["offending"]) >= {"name", "value"}
        assert isinstance(report["occurrences"], int) and report["occurrences"] >= 1
        for trial in report["trials"]:
            assert set(trial) >= {"id", "hyperparameters"}
    shape = data["reports"][0]
    assert shape["source"].endswith("seed-input-shape-mismatch/run.log:16")
    assert shape["occurrences"] == 3
    assert [t["hyperparameters"] for t in shape["trials"]] == [
        {"units": 96},
        {"units": 512},
        {"units": 128},
    ]


def test_seed2_names_filters_and_its_search_space(capsys):
    code, out, _ = run(capsys, str(SEED2), "--json")
    assert code == EXIT_OK
    report = json.loads(out)["reports"][0]
    assert report["category"] == "hyperparameter-value"
    assert report["offending"] == {"name": "filters", "value": "0", "expected": None}
    assert report["hyperparameter"]["name"] == "filters"
    assert report["hyperparameter"]["value"] == 0
    assert report["hyperparameter"]["search_space"] == (
        "hp.Int('filters', min_value=0, max_value=64, step=16)"
    )
    assert "min_value=16" in report["fix"]
    assert report["user_code"]["function"] == "build_model"
    assert report["user_code"]["code"] == "keras.layers.Conv2D("
    assert report["user_code"]["file"].endswith("seed-conv-filters-zero.py")


def test_terminal_output_without_color_has_the_essentials(capsys):
    code, out, _ = run(capsys, str(SEED2), "--no-color")
    assert code == EXIT_OK
    assert "\x1b[" not in out
    assert "hyperparameter-value" in out
    assert "hp.Int('filters', min_value=0, max_value=64, step=16)" in out


def test_stdin_is_read_with_dash(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED2.read_bytes())))
    code, out, _ = run(capsys, "-", "--json")
    assert code == EXIT_OK
    assert json.loads(out)["reports"][0]["source"].startswith("<stdin>:")


@pytest.mark.parametrize(
    ("make", "code", "needle"),
    [
        (lambda p: p / "missing.log", EXIT_USAGE, "no such file"),
        (lambda p: p, EXIT_USAGE, "not a Keras Tuner project"),
        (lambda p: _bytes(p / "model.h5", b"\x89HDF\r\n\x1a\n\x00\x00\x00"), EXIT_USAGE, "binary"),
        (lambda p: _bytes(p / "empty.log", b""), EXIT_NOTHING, "no failed trial"),
        (
            lambda p: _bytes(p / "ok.log", b"Epoch 1/1\nloss: 0.1\n"),
            EXIT_NOTHING,
            "no failed trial",
        ),
    ],
)
def test_bad_input_gets_one_line_and_an_exit_code(tmp_path, capsys, make, code, needle):
    path = make(tmp_path)
    got, _, err = run(capsys, str(path))
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_unreadable_file(tmp_path, capsys):
    path = _bytes(tmp_path / "secret.log", b"x")
    path.chmod(0)
    if os.access(path, os.R_OK):
        # root reads any mode; /proc/self/mem refuses a read at offset 0 even to root
        path = Path("/proc/self/mem")
        if not path.exists():
            pytest.skip("running as root without /proc: every file is readable")
    got, _, err = run(capsys, str(path))
    assert got == EXIT_USAGE and "cannot read" in err


def test_invalid_utf8_is_decoded_with_a_warning(tmp_path, capsys):
    data = SEED2.read_bytes().replace(b"oneDNN", b"one\xffDNN", 1)
    path = _bytes(tmp_path / "latin.log", data)
    code, out, err = run(capsys, str(path), "--json")
    assert code == EXIT_OK
    assert "not valid UTF-8" in err
    assert json.loads(out)["reports"][0]["offending"]["value"] == "0"


def test_one_bad_path_does_not_hide_the_good_one(tmp_path, capsys):
    code, out, _ = run(capsys, str(tmp_path / "nope.log"), str(SEED2), "--json")
    assert code == EXIT_USAGE
    assert len(json.loads(out)["reports"]) == 1


def test_bracket_laden_message_is_shown_verbatim(tmp_path, capsys, monkeypatch):
    # hand-written parser edge case: markup-like text in a message
    monkeypatch.setenv("COLUMNS", "250")
    text = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "ValueError: bad [bold red]value[/] [[{{node dense/MatMul}}]] [/link] [Op:MatMul]\n"
    )
    path = _bytes(tmp_path / "brackets.log", text.encode())
    code, out, _ = run(capsys, str(path), "--no-color")
    assert code == EXIT_OK
    assert "[bold red]value[/] [[{{node dense/MatMul}}]] [/link] [Op:MatMul]" in out


def test_no_color_env_is_respected():
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "ktexplain", str(SEED2)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == EXIT_OK
    assert "\x1b[" not in proc.stdout and "filters" in proc.stdout


def test_patterns_subcommand_lists_the_database(capsys):
    code = main(["patterns", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert all({"id", "category", "dialects"} <= set(r) for r in rows)


def test_broken_user_pattern_file_is_reported_and_skipped(tmp_path, capsys):
    (tmp_path / "mine.toml").write_text('category = "optimizer"\n[[pattern]\n')
    code, out, err = run(capsys, str(SEED2), "--patterns", str(tmp_path), "--json")
    assert code == EXIT_OK
    assert "mine.toml:2" in err and "pattern file skipped" in err
    assert json.loads(out)["reports"][0]["category"] == "hyperparameter-value"


def test_import_is_cheap():
    code = (
        "import sys, ktexplain\n"
        "heavy = {'tensorflow', 'keras', 'keras_tuner', 'rich', 'regex', 'numpy'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def test_compact_lines_name_their_input_when_there_are_several(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")
    keras2 = CAPTURED / "keras2" / "seed-conv-filters-zero" / "run.log"
    code, out, _ = run(capsys, str(SEED2), str(keras2), "--compact", "--no-color")
    assert code == EXIT_OK
    lines = [line for line in out.splitlines() if line.startswith("ktexplain: ")]
    assert len(lines) == 2
    assert lines[0].startswith(f"ktexplain: {SEED2}:9: at tuner construction: ")
    assert lines[1].startswith(f"ktexplain: {keras2}:")
    single = run(capsys, str(SEED2), "--compact", "--no-color")[1]
    assert str(SEED2) not in single


def test_the_script_is_found_beside_the_log_or_not_at_all(tmp_path, capsys):
    import shutil

    shutil.copyfile(SEED2, tmp_path / "run.log")
    assert main([str(tmp_path / "run.log"), "--json"]) == EXIT_OK
    alone = json.loads(capsys.readouterr().out)["reports"][0]
    assert alone["hyperparameter"] is None  # no script anywhere: no search space, no guess
    shutil.copyfile(SCENARIOS / "seed-conv-filters-zero.py", tmp_path / "seed-conv-filters-zero.py")
    assert main([str(tmp_path / "run.log"), "--json"]) == EXIT_OK
    beside = json.loads(capsys.readouterr().out)["reports"][0]
    assert beside["hyperparameter"]["search_space"] == (
        "hp.Int('filters', min_value=0, max_value=64, step=16)"
    )


def test_version_prints_the_installed_version(capsys):
    from importlib import metadata

    assert main(["--version"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out == f"ktexplain {metadata.version('ktexplain')}\n"


def test_version_falls_back_to_the_package_when_not_installed(monkeypatch):
    from importlib import metadata

    import ktexplain
    from ktexplain import cli

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert cli.version() == ktexplain.__version__


def test_version_from_the_console_script():
    proc = subprocess.run(
        [sys.executable, "-m", "ktexplain", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == EXIT_OK
    assert proc.stdout.startswith("ktexplain ") and proc.stdout.split()[1][0].isdigit()


HOSTILE = """category = "optimizer"

[[pattern]]
id = "hostile-nested"
title = "nested quantifiers"
dialects = ["keras3"]
regex = ['(a+)+$']

[[pattern]]
id = "hostile-alternation"
title = "overlapping alternation"
dialects = ["keras3"]
regex = ['(.|..)+\\d{9}']
"""


def test_a_hostile_user_pattern_times_out_once_and_the_others_go_on(tmp_path, capsys):
    (tmp_path / "hostile.toml").write_text(HOSTILE)
    # three failed trials, each message searched by every pattern
    code, out, err = run(capsys, str(SEED1), str(SEED2), "--patterns", str(tmp_path), "--json")
    assert code == EXIT_OK, err
    reports = json.loads(out)["reports"]
    assert [r["category"] for r in reports] == ["data-shape", "hyperparameter-value"]
    assert reports[1]["offending"]["value"] == "0"
    warnings = [line for line in err.splitlines() if "timed out" in line]
    assert len(warnings) == 1, err
    assert "pattern hostile-alternation" in warnings[0] and "skipped" in warnings[0]
