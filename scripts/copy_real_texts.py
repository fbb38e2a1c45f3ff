#!/usr/bin/env python3
"""Copy real error texts from the shared corpus into ``fixtures/real/texts.jsonl``, with their
source and labels, so the suite can check pattern examples without ``../shared/``.

usage: copy_real_texts.py ID [ID ...]

Held-out items (see ``scripts/corpus.py``) are refused: they measure what development did not see.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import CORPUS, ROOT, held_out

TEXTS = ROOT / "fixtures" / "real" / "texts.jsonl"
KEPT = (
    "id",
    "source",
    "format",
    "dialect",
    "category",
    "offending_argument",
    "offending_value",
    "layer",
    "tuner_context",
    "text",
)


def main(ids: list[str]) -> int:
    items = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            items[item["id"]] = item
    have = {}
    if TEXTS.is_file():
        for line in TEXTS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                have[item["id"]] = item
    for item_id in ids:
        if item_id not in items:
            print(f"no corpus item {item_id}", file=sys.stderr)
            return 2
        if held_out(item_id):
            print(f"{item_id} is held out: not copied", file=sys.stderr)
            return 2
        have[item_id] = {k: items[item_id].get(k) for k in KEPT}
    TEXTS.parent.mkdir(parents=True, exist_ok=True)
    with TEXTS.open("w", encoding="utf-8") as handle:
        for item_id in sorted(have):
            handle.write(json.dumps(have[item_id], ensure_ascii=False) + "\n")
    print(f"{TEXTS.relative_to(ROOT)}: {len(have)} texts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
