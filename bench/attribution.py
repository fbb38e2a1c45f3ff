#!/usr/bin/env python3
"""Benchmark: attribution across a 10,000-trial project directory, end to end.

    python bench/attribution.py [--trials 10000] [--baseline 100]

Writes a synthetic Keras Tuner project in a temporary directory, shaped exactly like a real
one: each ``trial_<id>/trial.json``, ``oracle.json`` and ``tuner0.json`` are copies of the
captured real run ``fixtures/captured/keras3/region-conv-blocks-depth`` with only the values,
ids, statuses and metrics changed. The failure region is a threshold (every trial with
``num_blocks >= 4`` FAILED with the real run's traceback, the others COMPLETED with a healthy
loss); ``filters_0`` and ``learning_rate`` vary independently and only co-occur.

It times ``ktexplain --json DIR`` in a fresh process (imports included, what a user waits for)
on the large directory and on a 100-trial one (the size of a run's own search, the baseline),
prints both, their ratio, and the large one against the 3 s target. Exit 1 when over target.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "fixtures" / "captured" / "keras3" / "region-conv-blocks-depth" / "project" / "depth"
TARGET_SECONDS = 3.0


def _templates() -> tuple[dict, dict, dict, dict]:
    trials = [json.loads(p.read_text()) for p in sorted(REAL.glob("trial_*/trial.json"))]
    completed = next(t for t in trials if t["status"] == "COMPLETED")
    failed = next(t for t in trials if t["status"] == "FAILED" and t["message"])
    oracle = json.loads((REAL / "oracle.json").read_text())
    tuner = json.loads((REAL / "tuner0.json").read_text())
    return completed, failed, oracle, tuner


def write_project(folder: Path, count: int, seed: int = 0) -> Path:
    """A project of `count` trials at ``folder/bench/``; returns its path."""
    completed, failed, oracle, tuner = _templates()
    rng = random.Random(seed)
    width = len(str(count - 1))  # keras-tuner pads ids to the width of max_trials
    project = folder / "bench"
    project.mkdir(parents=True)
    space = [
        {
            "class_name": "Int",
            "config": {
                "name": "num_blocks",
                "default": None,
                "conditions": [],
                "min_value": 1,
                "max_value": 6,
                "step": 1,
                "sampling": "linear",
            },
        },
        {
            "class_name": "Choice",
            "config": {
                "name": "filters_0",
                "default": 8,
                "conditions": [],
                "values": [8, 16, 32],
                "ordered": True,
            },
        },
        {
            "class_name": "Float",
            "config": {
                "name": "learning_rate",
                "default": 0.0001,
                "conditions": [],
                "min_value": 0.0001,
                "max_value": 0.01,
                "step": None,
                "sampling": "log",
            },
        },
    ]
    ids = [str(i).zfill(width) for i in range(count)]
    for trial_id in ids:
        values = {
            "num_blocks": rng.randint(1, 6),
            "filters_0": rng.choice([8, 16, 32]),
            "learning_rate": 10 ** rng.uniform(-4, -2),
        }
        fails = values["num_blocks"] >= 4
        trial = copy.deepcopy(failed if fails else completed)
        trial["trial_id"] = trial_id
        trial["hyperparameters"] = {"space": space, "values": values}
        if not fails:
            loss = rng.uniform(1.9, 2.4)
            accuracy = rng.uniform(0.1, 0.3)
            for name, value in (
                ("loss", loss),
                ("val_loss", loss + 0.05),
                ("accuracy", accuracy),
                ("val_accuracy", accuracy),
            ):
                trial["metrics"]["metrics"][name]["observations"] = [{"value": [value], "step": 0}]
            trial["score"] = accuracy
        folder_of_trial = project / f"trial_{trial_id}"
        folder_of_trial.mkdir()
        (folder_of_trial / "trial.json").write_text(json.dumps(trial))
    oracle = dict(oracle)
    oracle["hyperparameters"] = {"space": space, "values": {}}
    oracle["start_order"] = ids
    oracle["end_order"] = ids
    oracle["run_times"] = {trial_id: 1 for trial_id in ids}
    (project / "oracle.json").write_text(json.dumps(oracle))
    (project / "tuner0.json").write_text(json.dumps(tuner))
    return project


def time_cli(project: Path) -> tuple[float, float, dict]:
    """Wall time and CPU time (user + system) of ``ktexplain --json PROJECT`` in its own
    process. The CPU time is what to trust on a loaded machine, where wall time includes
    waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ktexplain", "--json", str(project)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"ktexplain exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, cpu, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ktexplain-bench-") as tmp:
        small = write_project(Path(tmp) / "small", args.baseline)
        large = write_project(Path(tmp) / "large", args.trials)
        time_cli(small)  # warm the file cache and the bytecode
        small_seconds, small_cpu, _ = time_cli(small)
        large_seconds, large_cpu, output = time_cli(large)
    region = output["reports"][0]["region"] if output["reports"] else None
    baseline = f"{small_seconds:6.2f} s wall, {small_cpu:6.2f} s CPU"
    print(f"{args.baseline:>6} trials: {baseline}  (baseline)")
    verdict = "ok" if large_seconds < TARGET_SECONDS else "OVER"
    print(
        f"{args.trials:>6} trials: {large_seconds:6.2f} s wall, {large_cpu:6.2f} s CPU  "
        f"({large_seconds / small_seconds:.1f}× the baseline; target < {TARGET_SECONDS:.0f} s "
        f"wall: {verdict})"
    )
    if large_cpu < TARGET_SECONDS <= large_seconds:
        print("(the CPU time is under target: the machine is loaded, wall time waited for a core)")
    if region is not None:
        print(f"region: {region['statement']}")
    return 0 if large_seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
