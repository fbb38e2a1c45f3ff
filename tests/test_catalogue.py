"""The versioned message catalogue (catalogue/messages.jsonl, mined by scripts/mine_catalogue.py)
is well formed, and every family of the five causes has a pattern that explains it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue" / "messages.jsonl"
CATEGORIES = {
    "data-shape",
    "hyperparameter-value",
    "layer-constraint",
    "activation",
    "optimizer",
    "environment",
    "tuner-usage",
    "other",
}
VERSION = re.compile(r"^(keras|keras-tuner|tf-keras|tensorflow)==\d+(\.\d+)+$")


def _families() -> list[dict]:
    return [json.loads(line) for line in CATALOGUE.read_text().splitlines() if line.strip()]


FAMILIES = _families()


def test_catalogue_is_not_empty_and_ids_are_unique():
    assert len(FAMILIES) > 50
    ids = [f["family"] for f in FAMILIES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


def _problems(family: dict) -> list[str]:
    problems = []
    if family["category"] not in CATEGORIES:
        problems.append(f"category {family['category']!r}")
    if not family["invariant"].strip():
        problems.append("no invariant")
    if not family["example"].strip():
        problems.append("no example")
    if not family["templates"]:
        problems.append("no templates")
    for template in family["templates"]:
        if not template["template"].strip() or not template["source"]:
            problems.append(f"template without text or source: {template}")
        if not template["versions"]:
            problems.append(f"template without versions: {template['template']!r}")
        bad = [v for v in template["versions"] if not VERSION.match(v)]
        if bad:
            problems.append(f"bad versions {bad}")
    if "pattern" not in family:
        problems.append("no pattern field")
    return problems


def test_every_family_has_versions_an_example_and_a_valid_category():
    problems = {f["family"]: p for f in FAMILIES if (p := _problems(f))}
    assert not problems, problems


def _now(verdict) -> str:
    if verdict.pattern is None:
        return "no pattern"
    return f"matches {verdict.pattern} ({verdict.pattern_category})"


def test_every_family_of_the_five_has_a_pattern():
    sys.path.insert(0, str(ROOT / "scripts"))
    from catalogue_coverage import FIVE, evaluate

    five = [f for f in FAMILIES if f["category"] in FIVE]
    missing = [v for v in evaluate(five) if not v.covered]
    listing = "\n".join(f"{v.family} [{v.category}] {_now(v)}: {v.example[:160]}" for v in missing)
    assert not missing, f"{len(missing)} of {len(five)} families uncovered:\n{listing}"
