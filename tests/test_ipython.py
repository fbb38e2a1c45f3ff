"""The IPython extension: explanations after a cell's traceback, and exact unloading."""

from __future__ import annotations

import sys

import pytest
from live_scripts._support import ROOT, SCRIPTS, environment, interpreter, run_python

FILTERS_SPACE = "hp.Int('filters', min_value=0, max_value=64, step=16)"

SHELL_SCRIPT = r"""
import sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
hook_before = sys.excepthook
shell.run_line_magic("load_ext", "ktexplain")
print("wrapped", "showtraceback" in vars(shell))
result = shell.run_cell("1/0")
print("failed", result.error_in_exec is not None and not result.success)
shell.run_line_magic("unload_ext", "ktexplain")
print("restored", "showtraceback" not in vars(shell), sys.excepthook is hook_before)
result = shell.run_cell("1/0")
print("still fails", not result.success)
"""


def test_load_and_unload_in_a_real_shell(tmp_path):
    done = run_python(sys.executable, ["-c", SHELL_SCRIPT], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "wrapped True" in lines
    assert "failed True" in lines
    assert "restored True True" in lines
    assert "still fails True" in lines
    # The cell's own traceback is there, and nothing of ours for a non-Keras error.
    assert done.stdout.count("ZeroDivisionError") >= 2
    assert "ktexplain" not in done.stdout + done.stderr


def _notebook_cells() -> list[str]:
    return [
        "import ktexplain\nktexplain.install()\n"
        "print('wrapped', getattr(get_ipython().showtraceback, '__ktexplain__', False))",
        (SCRIPTS / "nb_survive.py").read_text(),
        (SCRIPTS / "nb_conv.py").read_text(),
        "ktexplain.uninstall()\nprint('restored', 'showtraceback' not in vars(get_ipython()))",
        "%load_ext ktexplain",
        "build_conv_tuner()",
        "%unload_ext ktexplain\nprint('restored', 'showtraceback' not in vars(get_ipython()))",
        "build_conv_tuner()",
    ]


@pytest.mark.slow
def test_a_notebook_shows_the_explanation_after_the_traceback_and_the_cell_still_fails(
    tmp_path, monkeypatch
):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    python = interpreter("keras3")
    if python != sys.executable:
        pytest.skip("the notebook kernel runs in the interpreter running the tests")
    monkeypatch.delenv("KTEXPLAIN", raising=False)
    for key, value in environment().items():
        monkeypatch.setenv(key, value)
    assert str(ROOT) in environment()["PYTHONPATH"]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in _notebook_cells()]
    )
    status: dict[int, str] = {}

    def record(cell, cell_index, execute_reply):
        status[cell_index] = execute_reply["content"]["status"]

    client = nbclient.NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        allow_errors=True,
        on_cell_executed=record,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    cells = notebook.cells
    assert [status[i] for i in range(len(cells))] == [
        "ok",
        "ok",
        "error",
        "ok",
        "ok",
        "error",
        "ok",
        "error",
    ]
    assert "wrapped True" in _stream(cells[0])

    # keras-tuner cleared the cell at each trial end; the summary carries every failed trial.
    summary = [o for o in _displays(cells[1]) if "trials failed" in o["text/plain"]]
    assert len(summary) == 1
    assert "ktexplain: 2 of 4 trials failed in this search" in summary[0]["text/plain"]
    assert "#3, #4" in summary[0]["text/plain"]
    assert "activation=sigmoidd" in summary[0]["text/plain"]
    assert "<pre" in summary[0]["text/html"] and "sigmoidd" in summary[0]["text/html"]

    for index in (2, 5):  # install() in IPython, then %load_ext
        outputs = cells[index].outputs
        kinds = [o.output_type for o in outputs]
        assert "error" in kinds and "display_data" in kinds
        assert kinds.index("error") < kinds.index("display_data")  # traceback first
        error = outputs[kinds.index("error")]
        assert error.ename == "ValueError" and "filters=0" in error.evalue
        explanation = outputs[kinds.index("display_data")].data
        assert FILTERS_SPACE in explanation["text/plain"]
        assert "tuner construction (default values)" in explanation["text/plain"]
        assert "filters" in explanation["text/html"]

    assert "restored True" in _stream(cells[3])
    assert "restored True" in _stream(cells[6])
    assert [o.output_type for o in cells[7].outputs] == ["error"]  # unloaded: traceback only


def _stream(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _displays(cell) -> list[dict]:
    return [o.data for o in cell.outputs if o.output_type == "display_data"]
