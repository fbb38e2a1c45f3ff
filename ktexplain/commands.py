"""The CLI's subcommands besides explaining: ``ktexplain patterns`` (list the pattern database)
and ``ktexplain check PATH`` (the search space's risks, read without running anything).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ktexplain.cli import EXIT_OK, EXIT_USAGE, version

EXIT_FLAGGED = 1


def check(argv: Sequence[str]) -> int:
    """``ktexplain check``: FILE:FUNCTION is the live check (it builds and trains); a script or a
    project is the lint, and nothing runs."""
    from ktexplain import livecheck

    if any(livecheck.is_live_target(a) for a in argv if not a.startswith("-")):
        return livecheck.main(list(argv))  # FILE:FUNCTION, the live check
    return check_space(argv)  # a script or a project: the lint, nothing runs


def list_patterns(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ktexplain patterns", description="List the patterns.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--patterns", action="append", type=Path, default=[], metavar="DIR")
    args = parser.parse_args(list(argv))
    from ktexplain.patterns import default_dirs, load_database

    db = load_database(default_dirs(args.patterns), strict=True)  # with examples, all checked
    for error in db.errors:
        print(f"ktexplain: pattern file skipped: {error}", file=sys.stderr)
    rows: list[dict[str, Any]] = [
        {
            "id": p.id,
            "category": p.category,
            "dialects": list(p.dialects),
            "priority": p.priority,
            "examples": len(p.examples),
            "title": p.title,
            "source": p.source,
        }
        for p in db.patterns
    ]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich.table import Table

    from ktexplain.render import make_console

    table = Table("id", "category", "dialects", "priority", "title", box=None)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["category"]),
            ", ".join(row["dialects"]),
            str(row["priority"]),
            str(row["title"]),
        )
    color = False if os.environ.get("NO_COLOR") else None
    make_console(sys.stdout, color).print(table)
    return EXIT_OK


def check_space(argv: Sequence[str]) -> int:
    """``ktexplain check train.py|my_dir/my_project``: the search space's risks, before any run.
    Exit 1 when something is flagged, 0 when the space is clean, 2 on unreadable input."""
    parser = argparse.ArgumentParser(
        prog="ktexplain check",
        description="Check a search space (a script's hp.* calls, or a project's oracle.json).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(list(argv))
    from ktexplain.lint import check_path, format_findings

    flagged = False
    unreadable = False
    found: dict[str, list[dict[str, Any]]] = {}
    for name in args.paths:
        try:
            findings = check_path(Path(name))
        except (OSError, ValueError) as exc:
            print(f"ktexplain: {name}: cannot check ({exc})", file=sys.stderr)
            unreadable = True
            continue
        flagged = flagged or bool(findings)
        found[name] = [f.to_json() for f in findings]
        if not args.json:
            for line in format_findings(name, findings):
                print(line)
    if args.json:
        json.dump({"version": version(), "findings": found}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    if unreadable:
        return EXIT_USAGE
    return EXIT_FLAGGED if flagged else EXIT_OK
