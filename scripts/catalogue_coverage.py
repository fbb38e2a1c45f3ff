#!/usr/bin/env python3
"""Which catalogue families does the pattern database explain, per package version?

Loads catalogue/messages.jsonl (made by scripts/mine_catalogue.py) and the shipped patterns, and
for every family diagnoses its example and one instantiation of each template (as a
`Failure` carrying the template's exception type). A template is covered when a pattern matches
it *and* that pattern's category is the family's. For the five causes it prints a table per
package version (families of the five present in that version, and covered there) and the uncovered
families (id, category, example), which it also writes to catalogue/uncovered.txt.

    python scripts/catalogue_coverage.py            # table + uncovered list (+ uncovered.txt)
    python scripts/catalogue_coverage.py --write    # also store the matched pattern ids in
                                                    # catalogue/messages.jsonl
    python scripts/catalogue_coverage.py --markdown # the per-version table as Markdown only
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CATALOGUE = ROOT / "catalogue" / "messages.jsonl"
UNCOVERED = ROOT / "catalogue" / "uncovered.txt"
FIVE = ("data-shape", "hyperparameter-value", "layer-constraint", "activation", "optimizer")
# C++ op messages surface as InvalidArgumentError when run, and as ValueError when Keras builds
# a graph (shape inference): either counts.
ALTERNATE_TYPES = {"InvalidArgumentError": ("ValueError",)}


def load_catalogue(path: Path = CATALOGUE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Verdict:
    family: str
    category: str
    example: str
    covered: bool
    pattern: str | None  # what the example matched (any category)
    pattern_category: str | None
    # template text → (pattern id or None, covered)
    templates: dict[str, tuple[str | None, bool]] = field(default_factory=dict)
    versions: dict[str, bool] = field(default_factory=dict)  # package==version → covered there


def _diagnose(exception: str, message: str, db: Any) -> tuple[str | None, str]:
    from ktexplain.diagnose import diagnose
    from ktexplain.failure import ExceptionRecord, Failure, Origin

    best: tuple[str | None, str] = (None, "unknown")
    for type_name in (exception, *ALTERNATE_TYPES.get(exception, ())):
        failure = Failure((ExceptionRecord(type_name, message),), Origin("catalogue"))
        d = diagnose(failure, db)
        if d.pattern_id is not None:
            return d.pattern_id, d.category
    return best


def evaluate(families: list[dict[str, Any]], db: Any = None) -> list[Verdict]:
    from mine_catalogue import instantiate

    if db is None:
        from ktexplain.pipeline import database

        db = database([])
    verdicts = []
    for fam in families:
        category = fam["category"]
        pattern, pattern_category = _diagnose(
            fam.get("example_exception", "ValueError"), fam["example"], db
        )
        verdict = Verdict(
            family=fam["family"],
            category=category,
            example=fam["example"],
            covered=pattern is not None and pattern_category == category,
            pattern=pattern,
            pattern_category=pattern_category,
        )
        by_text: dict[str, tuple[str | None, bool]] = {}
        for template in fam["templates"]:
            text = template["template"]
            if text not in by_text:
                tid, tcat = _diagnose(template["exception"], instantiate(text), db)
                by_text[text] = (tid, tid is not None and tcat == category)
            for version in template["versions"]:
                ok = by_text[text][1]
                verdict.versions[version] = verdict.versions.get(version, True) and ok
        verdict.templates = by_text
        # Covered overall: the example and every template's instantiation are recognised.
        verdict.covered = verdict.covered and all(ok for _, ok in by_text.values())
        verdicts.append(verdict)
    return verdicts


def _version_key(label: str) -> tuple[str, tuple[int, ...]]:
    from mine_catalogue import version_key

    return version_key(label)


def per_version(verdicts: list[Verdict]) -> list[tuple[str, str, int, int]]:
    """(package, version, families of the five present there, covered there), oldest first."""
    per: dict[str, list[int]] = {}
    for v in verdicts:
        if v.category not in FIVE:
            continue
        for version, ok in v.versions.items():
            counts = per.setdefault(version, [0, 0])
            counts[0] += 1
            counts[1] += int(ok)
    rows = []
    for label in sorted(per, key=_version_key):
        package, version = label.split("==")
        rows.append((package, version, per[label][0], per[label][1]))
    return rows


def table(verdicts: list[Verdict]) -> str:
    lines = [f"{'package':12} {'version':9} {'families':>8} {'covered':>8} {'share':>6}"]
    for package, version, present, covered in per_version(verdicts):
        lines.append(f"{package:12} {version:9} {present:8} {covered:8} {covered / present:6.0%}")
    return "\n".join(lines)


def markdown(verdicts: list[Verdict]) -> str:
    """The per-version table as Markdown, with a per-category summary (for docs/coverage.md)."""
    five = [v for v in verdicts if v.category in FIVE]
    covered = sum(v.covered for v in five)
    out = [
        "Message families of the five causes in the versioned catalogue"
        " (`catalogue/messages.jsonl`) that the shipped patterns explain with the right"
        " category: a family counts as covered in a version when every template of it that"
        " the version has is recognised. Generated by `scripts/catalogue_coverage.py"
        " --markdown`.",
        "",
        f"All versions: **{covered} of {len(five)}** families covered.",
        "",
        "| category | families | covered |",
        "|---|---:|---:|",
    ]
    for category in FIVE:
        mine = [v for v in five if v.category == category]
        out.append(f"| {category} | {len(mine)} | {sum(v.covered for v in mine)} |")
    out += [
        "",
        "| package | version | families of the five | covered | share |",
        "|---|---|---:|---:|---:|",
    ]
    for package, version, present, ok in per_version(verdicts):
        out.append(f"| {package} | {version} | {present} | {ok} | {ok / present:.0%} |")
    return "\n".join(out) + "\n"


def uncovered_text(verdicts: list[Verdict]) -> str:
    out = [
        "# Families of the five causes that no pattern explains (or explains with another",
        "# category). Generated by scripts/catalogue_coverage.py from catalogue/messages.jsonl;",
        "# regenerate, don't edit. Columns: family id, category, what it matches now, example;",
        "# then the template instantiations that fail.",
        "",
    ]
    for v in sorted(verdicts, key=lambda v: (v.category, v.family)):
        if v.category not in FIVE or v.covered:
            continue
        now = f"matches {v.pattern} ({v.pattern_category})" if v.pattern else "no pattern"
        out.append(f"{v.family}\t{v.category}\t{now}\t{v.example}")
        for text, (pid, ok) in v.templates.items():
            if not ok:
                out.append(f"    template: {text}   [{pid or 'no pattern'}]")
    return "\n".join(out) + "\n"


def write_back(families: list[dict[str, Any]], verdicts: list[Verdict], path: Path) -> None:
    by_id = {v.family: v for v in verdicts}
    with path.open("w", encoding="utf-8") as out:
        for fam in families:
            v = by_id[fam["family"]]
            fam["pattern"] = v.pattern if v.pattern and v.pattern_category == v.category else None
            out.write(json.dumps(fam, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("--write", action="store_true", help="store pattern ids in the catalogue")
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print only the per-version table as Markdown (for docs/coverage.md); writes nothing",
    )
    args = parser.parse_args(argv)
    families = load_catalogue(args.catalogue)
    verdicts = evaluate(families)
    if args.markdown:
        sys.stdout.write(markdown(verdicts))
        return 0
    print(table(verdicts))
    five = [v for v in verdicts if v.category in FIVE]
    covered = sum(v.covered for v in five)
    print(
        f"\nfamilies of the five: {len(five)}, covered {covered}, not covered {len(five) - covered}"
    )
    for category in FIVE:
        mine = [v for v in five if v.category == category]
        print(f"  {category:22} {sum(v.covered for v in mine):4} / {len(mine)}")
    text = uncovered_text(verdicts)
    UNCOVERED.write_text(text, encoding="utf-8")
    print("\nuncovered (also in catalogue/uncovered.txt):")
    print("\n".join(line for line in text.splitlines() if line and not line.startswith("#")))
    if args.write:
        write_back(families, verdicts, args.catalogue)
    return 0


if __name__ == "__main__":
    sys.exit(main())
