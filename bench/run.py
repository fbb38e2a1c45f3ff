#!/usr/bin/env python3
"""Benchmarks: ktexplain on a large log, against a baseline measured in the same run.

    python bench/run.py [--megabytes 200]

The log is made of real captured runs (every ``fixtures/captured/*/*/run.log``) repeated until it
reaches the size asked for, so it has the real mix of progress bars, tables and tracebacks. Each
measurement runs in a fresh subprocess, so peak memory (ru_maxrss) is its own:

- baseline: read the file line by line in Python and do nothing (the floor for any line reader);
- read: `TextReader` over the file (what `ktexplain FILE` spends before diagnosis);
- explain: the whole CLI pipeline with `--json` to /dev/null.

It prints seconds, MB/s, peak RSS, and each one's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROGRAMS = {
    "baseline": (
        "import sys\n"
        "with open(sys.argv[1], 'rb') as handle:\n"
        "    for line in handle:\n"
        "        line.decode('utf-8', 'replace')\n"
    ),
    "read": (
        "import sys\n"
        "from pathlib import Path\n"
        "from ktexplain.cli import _stream\n"
        "print(len(_stream(Path(sys.argv[1]))), file=sys.stderr)\n"
    ),
    "explain": (
        "import sys, os\n"
        "from ktexplain.cli import main\n"
        "sys.stdout = open(os.devnull, 'w')\n"
        "main([sys.argv[1], '--json'])\n"
    ),
}
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]], check=True)\n"
    "elapsed = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(elapsed, peak)\n"
)


def build_log(target: Path, megabytes: int) -> int:
    sources = [p.read_bytes() for p in sorted((ROOT / "fixtures" / "captured").glob("*/*/run.log"))]
    if not sources:
        sys.exit("no captured logs under fixtures/captured")
    chunk = b"".join(sources)
    written = 0
    with target.open("wb") as handle:
        while written < megabytes * 1_000_000:
            handle.write(chunk)
            written += len(chunk)
    return written


def measure(name: str, log: Path) -> tuple[float, int]:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, PROGRAMS[name], str(log)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds, peak_kib = proc.stdout.split()
    return float(seconds), int(peak_kib)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "big.log"
        size = build_log(log, args.megabytes)
        results = {name: measure(name, log) for name in PROGRAMS}
    base_seconds, base_peak = results["baseline"]
    rows = []
    for name, (seconds, peak) in results.items():
        rows.append(
            {
                "name": name,
                "seconds": round(seconds, 3),
                "mb_per_s": round(size / 1e6 / seconds, 1),
                "peak_mib": round(peak / 1024, 1),
                "time_ratio": round(seconds / base_seconds, 2),
                "memory_ratio": round(peak / base_peak, 2),
            }
        )
    if args.json:
        print(json.dumps({"bytes": size, "results": rows}, indent=2))
        return 0
    print(f"log: {size / 1e6:.0f} MB of real captured runs, repeated")
    print(f"{'':10} {'seconds':>9} {'MB/s':>8} {'peak MiB':>9} {'× time':>8} {'× memory':>9}")
    for row in rows:
        print(
            f"{row['name']:10} {row['seconds']:9.2f} {row['mb_per_s']:8.1f} {row['peak_mib']:9.1f}"
            f" {row['time_ratio']:8.2f} {row['memory_ratio']:9.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
