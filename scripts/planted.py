#!/usr/bin/env python3
"""Score ktexplain on the planted-fault batches (``fixtures/planted/batch*``), or recapture them.

    python scripts/planted.py                 # score every batch on its committed logs
    python scripts/planted.py --misses        # … and list what was not explained right
    python scripts/planted.py --capture batch2   # rerun a batch's scripts (both environments)

Each batch is 30 small keras-tuner searches, each with one fault planted by someone who had not
seen ktexplain's output, with the expected category and offending value written down before any
script ran (``expected.json``; a ``keras2`` / ``keras3`` key inside an entry overrides it for
that dialect). The scripts ran under Keras 3 (``.venv``) and Keras 2 (``.venv-keras2``);
``runs/<dialect>/<script>/run.log`` is what each printed. A run counts when its log holds a
Python traceback (a fault that a version accepts silently is not a miss).

Scoring is the real-error corpus's (``../shared/tools/score_corpus.py``): the first report's
category must be the expected one; the offending value counts when any report's offending or
hyperparameter value is the expected value, numbers and shapes compared leniently (`forms`).
See fixtures/planted/README.md for what each batch was used for.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "fixtures" / "planted"
PYTHON = {
    "keras3": ROOT / ".venv" / "bin" / "python",
    "keras2": ROOT / ".venv-keras2" / "bin" / "python",
}


def forms(value: Any) -> set[str]:
    """The ways one value may be written: '(None, 20)' ~ '20'; '1.0' ~ '1'; 'units=0' ~ '0'.
    The corpus scorer's rule (../shared/tools/score_corpus.py), copied: a clone has no ../shared."""
    if value is None:
        return set()
    s = str(value).strip().strip("'\"`").strip()
    if not s:
        return set()
    if "=" in s:
        s = s.rsplit("=", 1)[1].strip().strip("'\"`").strip()
    out = {s.lower()}
    nums = re.findall(r"None|-?\d+(?:\.\d+)?(?:e-?\d+)?", s)
    if nums and re.search(r"[\[(]", s):
        out.add(",".join(nums))
        out.add(nums[-1])
    try:
        f = float(s)
        out.add(repr(int(f)) if f.is_integer() else repr(f))
    except ValueError:
        pass
    return out


def runs(batch: Path) -> list[tuple[str, str, Path]]:
    """(dialect, script, log) of every run whose log holds a traceback."""
    found = []
    for log in sorted(batch.glob("runs/*/*/run.log")):
        if "Traceback (most recent call last)" in log.read_text(encoding="utf-8", errors="replace"):
            found.append((log.parent.parent.name, log.parent.name, log))
    return found


def explain(log: Path) -> list[dict[str, Any]]:
    """`ktexplain LOG --json`, in this process."""
    from ktexplain.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main([str(log), "--json"])
    text = out.getvalue()
    return json.loads(text).get("reports") or [] if text.strip() else []


def expectation(expected: dict[str, Any], script: str, dialect: str) -> dict[str, Any]:
    entry = dict(expected[script])
    entry.update(entry.pop(dialect, None) or {})
    return entry


def score(batch: Path) -> list[dict[str, Any]]:
    expected = json.loads((batch / "expected.json").read_text())
    rows = []
    for dialect, script, log in runs(batch):
        want = expectation(expected, script, dialect)
        reports = explain(log)
        got = reports[0].get("category") if reports else "none"
        row = {
            "dialect": dialect,
            "script": script,
            "category": want["category"],
            "got": got,
            "pattern": reports[0].get("pattern") if reports else None,
            "cat_ok": got == want["category"],
            "value": want.get("value"),
            "val_ok": None,
        }
        if want.get("value") is not None:
            values: set[str] = set()
            for report in reports:
                values |= forms((report.get("offending") or {}).get("value"))
                values |= forms((report.get("hyperparameter") or {}).get("value"))
            row["val_ok"] = bool(forms(want["value"]) & values)
            row["got_values"] = sorted(values)
        rows.append(row)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    with_value = [r for r in rows if r["val_ok"] is not None]
    per: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for r in rows:
        per[r["category"]] += 1
        right[r["category"]] += r["cat_ok"]
    return {
        "runs": len(rows),
        "category": sum(r["cat_ok"] for r in rows),
        "with_value": len(with_value),
        "value": sum(r["val_ok"] for r in with_value),
        "per_category": {c: (right[c], per[c]) for c in sorted(per)},
    }


def capture(batch: Path) -> None:
    """Rerun every script of the batch in a fresh folder per run, 2 at a time."""
    jobs = [
        (dialect, script)
        for script in sorted(p.stem for p in (batch / "scripts").glob("*.py"))
        for dialect in PYTHON
    ]

    def one(job: tuple[str, str]) -> None:
        dialect, script = job
        where = batch / "runs" / dialect / script
        scratch = Path(tempfile.gettempdir(), "ktexplain-planted", batch.name, dialect, script)
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        with (scratch / "run.log").open("wb") as out:
            subprocess.run(
                [str(PYTHON[dialect]), str(batch / "scripts" / f"{script}.py")],
                cwd=scratch,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=240,
                check=False,
            )
        where.mkdir(parents=True, exist_ok=True)
        (where / "run.log").write_bytes((scratch / "run.log").read_bytes())
        print(f"captured {batch.name}/{dialect}/{script}", flush=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, jobs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("batches", nargs="*", help="batch folder names (default: all)")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--capture", action="store_true", help="rerun the scripts first")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    batches = [PLANTED / b for b in args.batches] or sorted(PLANTED.glob("batch*"))
    for batch in batches:
        if args.capture:
            capture(batch)
        rows = score(batch)
        s = summary(rows)
        per = ", ".join(f"{c} {a}/{n}" for c, (a, n) in s["per_category"].items())
        print(
            f"{batch.name}: category {s['category']}/{s['runs']}, "
            f"offending value {s['value']}/{s['with_value']}  ({per})"
        )
        if args.misses:
            for r in rows:
                if not r["cat_ok"] or r["val_ok"] is False:
                    print(
                        f"  {r['dialect']} {r['script']}: want {r['category']} / {r['value']}, "
                        f"got {r['got']} / {r.get('got_values')} ({r['pattern']})"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
