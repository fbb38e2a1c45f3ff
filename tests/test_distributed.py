"""A distributed search read as one run: a real chief and two workers on 127.0.0.1 (slow)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from live_scripts._support import SCRIPTS, environment, interpreter

from ktexplain.cli import main

ROLES = ("chief", "tuner0", "tuner1")
TIMEOUT = 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_each_workers_tracebacks_are_linked_to_the_chiefs_trials(tmp_path, capsys):
    python = interpreter("keras3")
    port = str(_free_port())
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for role in ROLES:
            env = environment(
                KERASTUNER_TUNER_ID=role,
                KERASTUNER_ORACLE_IP="127.0.0.1",
                KERASTUNER_ORACLE_PORT=port,
            )
            with (tmp_path / f"{role}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [python, str(SCRIPTS / "distributed_search.py")],
                        cwd=tmp_path,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,  # its own process group, killed below
                    )
                )
            time.sleep(1 if role == "chief" else 0)  # the chief's oracle listens first
        deadline = time.monotonic() + TIMEOUT
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    project = tmp_path / "my_dir" / "dist"
    statuses = sorted(
        json.loads(path.read_text())["status"] for path in project.glob("trial_*/trial.json")
    )
    assert statuses == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"], statuses
    chief = (tmp_path / "chief.log").read_text(errors="replace")
    assert "Traceback" not in chief  # the chief has no traceback: the workers do
    logs = [str(tmp_path / f"{role}.log") for role in ROLES]
    assert main(["--json", *logs, str(project)]) == 0
    captured = capsys.readouterr()
    (report,) = json.loads(captured.out)["reports"]
    assert report["hyperparameter"]["name"] == "rate"
    linked = {t["hyperparameters"]["rate"]: t for t in report["trials"]}
    assert set(linked) == {1.5, 2.5}  # both failures, each linked to its own trial
    for rate, trial in linked.items():
        assert trial["id"] is not None
        assert trial["worker"] in ("tuner0.log", "tuner1.log")
        assert trial["source"].split(":")[0].endswith(trial["worker"])
        log = (tmp_path / trial["source"].rsplit(":", 1)[0]).read_text(errors="replace")
        assert f"rate={rate}" in log  # the worker whose log it is saw that trial's error
    assert "one of trials" not in captured.err
