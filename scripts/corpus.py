#!/usr/bin/env python3
"""Score a ktexplain build on the real-error corpus, on its development part, its held-out part,
or the whole (the default).

usage: corpus.py [--part all|dev|holdout] [--misses N] [--ktexplain PATH] [--corpus FILE]

The corpus lives in ``../shared/corpus/real_errors.jsonl`` (outside a user's clone: absent, this
prints one line and exits 0). A quarter of its items, chosen by a hash of their id, were held out
while patterns and recognisers were developed: ``--part dev`` is what development looked at,
``--part holdout`` measures what it did not. The scoring itself is the shared
``score_corpus.py``, unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "real_errors.jsonl"
SCORER = SHARED / "tools" / "score_corpus.py"


def held_out(item_id: str) -> bool:
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 4 == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "dev", "holdout"), default="all")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--ktexplain", default=str(ROOT / ".venv" / "bin" / "ktexplain"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_file() or not SCORER.is_file():
        print(f"corpus.py: no corpus at {args.corpus} (it is not part of a clone); nothing scored")
        return 0
    lines = [line for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.part != "all":
        want = args.part == "holdout"
        lines = [line for line in lines if held_out(json.loads(line)["id"]) == want]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    command = [sys.executable, str(SCORER), args.ktexplain, "--corpus", handle.name]
    if args.misses:
        command += ["--misses", str(args.misses)]
    print(f"part: {args.part} ({len(lines)} items)", flush=True)
    try:
        return subprocess.run(command, check=False).returncode
    finally:
        Path(handle.name).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
