"""The versioned message catalogue (catalogue/messages.jsonl, mined by scripts/mine_catalogue.py)
is well formed, and every family of the five causes has a pattern that explains it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from ktexplain import failure

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue" / "messages.jsonl"
# The corpus's labels: ktexplain's categories, with `other` where ktexplain says `unknown`.
CATEGORIES = (set(failure.CATEGORIES) - {"unknown"}) | {"other"}
VERSION = re.compile(r"^(keras|keras-tuner|tf-keras|tensorflow)==\d+(\.\d+)+$")


sys.path.insert(0, str(ROOT / "scripts"))
FIVE = ("data-shape", "hyperparameter-value", "layer-constraint", "activation", "optimizer")
SO_SOURCE = "<op kernels (.so)>"


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
    if "reason" in family and len(family["reason"].strip()) < 20:
        problems.append("an override without a reason")
    if family.get("fragment"):
        if any(t["source"] != SO_SOURCE for t in family["templates"]):
            problems.append("a fragment family with a Python template")
        if "note" not in family:
            problems.append("a fragment without its note")
    return problems


def test_every_family_has_versions_an_example_and_a_valid_category():
    problems = {f["family"]: p for f in FAMILIES if (p := _problems(f))}
    assert not problems, problems


_PRINTF = re.compile(r"%(\(\w+\))?[-#0 +]*\d*(\.\d+)?[diouxXeEfFgGcrs]\b")


def test_examples_read_like_real_messages():
    """No `%s` / `{name}` hole left in an example (unless the template has it literally, as in
    Keras's `State {index} is incompatible`, a missing f-prefix)."""
    bad = []
    for family in FAMILIES:
        literal = " ".join(t["template"] for t in family["templates"])
        example = family["example"]
        holes = [h for h in re.findall(r"\{\w+\}", example) if "{" + h + "}" not in literal]
        if holes or (_PRINTF.search(example) and not _PRINTF.search(literal.replace("%%", ""))):
            bad.append(f"{family['family']}: {example[:120]}")
    assert not bad, "\n".join(bad)


def test_a_message_variant_belongs_to_one_family():
    """Variants that differ only in module paths, quoting, punctuation or spacing are one
    family: a normalised wording never appears in two."""
    from mine_catalogue import skeleton

    owner: dict[tuple[str, ...], str] = {}
    clashes = []
    for family in FAMILIES:
        for template in family["templates"]:
            key = tuple(skeleton(template["template"]))
            if owner.setdefault(key, family["family"]) != family["family"]:
                clashes.append(f"{owner[key]} / {family['family']}: {template['template'][:100]}")
    assert not clashes, "\n".join(clashes)


def test_only_whole_or_useful_op_strings_are_families():
    """`.so` strings are kept only for the five causes' op messages, and a family made only of
    StrCat pieces says so."""
    for family in FAMILIES:
        sources = {t["source"] for t in family["templates"]}
        if sources == {SO_SOURCE}:
            assert family["category"] in FIVE, family["family"]
    assert any(f.get("fragment") for f in FAMILIES)


def test_the_coverage_table_renders_as_markdown():
    from catalogue_coverage import Verdict, markdown

    verdicts = [
        Verdict("a", "data-shape", "x", True, "p", "data-shape", {}, {"keras==3.0.0": True}),
        Verdict("b", "optimizer", "y", False, None, None, {}, {"keras==3.0.0": False}),
        Verdict("c", "other", "z", False, None, None, {}, {"keras==3.0.0": False}),
    ]
    text = markdown(verdicts)
    assert "| keras | 3.0.0 | 2 | 1 | 50% |" in text
    assert "**1 of 2**" in text


def _now(verdict) -> str:
    if verdict.pattern is None:
        return "no pattern"
    return f"matches {verdict.pattern} ({verdict.pattern_category})"


def test_every_family_of_the_five_has_a_pattern():
    from catalogue_coverage import evaluate

    five = [f for f in FAMILIES if f["category"] in FIVE]
    missing = [v for v in evaluate(five) if not v.covered]
    listing = "\n".join(f"{v.family} [{v.category}] {_now(v)}: {v.example[:160]}" for v in missing)
    assert not missing, f"{len(missing)} of {len(five)} families uncovered:\n{listing}"


def test_a_fallback_never_claims_a_family_of_another_category(database):
    """A catch-all fallback (priority < 0) may match many messages nobody listed: on every
    family of the catalogue whose example it matches, the family's category must be its own
    (a fallback of the five causes matching an `other` family would put a wrong cause on it)."""
    fallbacks = [p for p in database.patterns if p.priority < 0 and p.category in FIVE]
    assert len(fallbacks) >= 2
    claimed, wrong = 0, []
    for family in FAMILIES:
        exception = family.get("example_exception") or "ValueError"
        for pattern in fallbacks:
            if pattern.search(exception, family["example"]) is None:
                continue
            claimed += 1
            if family["category"] != pattern.category:
                wrong.append(f"{pattern.id} claims {family['family']} [{family['category']}]")
    assert not wrong, "\n".join(wrong)
    assert claimed >= 5  # the fallbacks do match what they stand for
