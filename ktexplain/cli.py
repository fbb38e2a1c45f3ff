"""``ktexplain FILE...``: explain saved Keras Tuner output. A thin front end over the pipeline.

Exit codes: 0 failures were found and explained; 2 usage error or unreadable input (missing,
unreadable, binary, a directory that is not a Keras Tuner project); 3 the input was read but held no
failed trial and no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktexplain.failure import Failure

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NOTHING = 3
EXIT_INTERNAL = 70
BINARY_SNIFF = 8192


class InputError(Exception):
    """An input that cannot be read: reported in one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktexplain",
        description="Explain why a Keras Tuner search failed, from its saved output.",
        epilog="`ktexplain patterns` lists the pattern database. Exit codes: 0 explained, "
        "2 usage or unreadable input, 3 no failure found.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="FILE",
        help="log file(s), - for stdin, or a Keras Tuner project directory",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-color", action="store_true", help="plain text (NO_COLOR works too)")
    parser.add_argument("--compact", action="store_true", help="one line per cause")
    parser.add_argument(
        "--patterns",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="extra pattern directory (repeatable); overrides shipped patterns by id",
    )
    parser.add_argument(
        "--source",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="where to look for the scripts a traceback names, to read the search space",
    )
    parser.add_argument(
        "--project",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="the tuner's project directory, to complete a log's trials (default: found "
        "next to the log)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback from ktexplain itself, unless asked for
        if os.environ.get("KTEXPLAIN_DEBUG"):
            raise
        print(
            f"ktexplain: internal error: {type(exc).__name__}: {exc} "
            "(set KTEXPLAIN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["patterns"] and not Path("patterns").is_file():
        return list_patterns(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    from ktexplain import pipeline
    from ktexplain.render import render_reports, reports_to_json

    db = pipeline.database(args.patterns)
    for error in db.errors:
        print(f"ktexplain: pattern file skipped: {error}", file=sys.stderr)
    all_reports = []
    failed_inputs = 0
    for name in args.paths:
        try:
            failures = read_failures(name, args.source, args.project)
        except InputError as exc:
            print(f"ktexplain: {exc}", file=sys.stderr)
            failed_inputs += 1
            continue
        if not failures:
            print(
                f"ktexplain: no failed trial or traceback found in {_label(name)}", file=sys.stderr
            )
            continue
        all_reports.extend(pipeline.reports(failures, db))
    if args.json:
        json.dump(reports_to_json(all_reports), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif all_reports:
        color = False if args.no_color or os.environ.get("NO_COLOR") else None
        render_reports(
            all_reports,
            file=sys.stdout,
            color=color,
            compact=args.compact,
            show_source=len(args.paths) > 1,
        )
    if failed_inputs:
        return EXIT_USAGE
    return EXIT_OK if all_reports else EXIT_NOTHING


def _label(name: str) -> str:
    return "<stdin>" if name == "-" else name


def read_failures(
    name: str, source_dirs: Sequence[Path] = (), project_dirs: Sequence[Path] = ()
) -> list[Failure]:
    from ktexplain.sources.code import SourceSpaces, with_source_space

    if name == "-":
        stdin = sys.stdin.buffer
        head = stdin.peek(BINARY_SNIFF)[:BINARY_SNIFF] if hasattr(stdin, "peek") else b""
        _reject_binary(head, "<stdin>")
        failures = _read_stream(stdin, "<stdin>")
        return with_source_space(failures, SourceSpaces([Path.cwd(), *source_dirs]))
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: no such file")
    if path.is_dir():
        return _read_project_dir(path, name)
    try:
        with path.open("rb") as handle:
            head = handle.read(BINARY_SNIFF)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    _reject_binary(head, name)
    if path.suffix == ".ipynb":
        return _read_notebook(path, name, source_dirs)
    try:
        failures = _stream(path)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    from ktexplain.sources.tunerdir import nearby_projects, with_project_trials

    failures = with_project_trials(failures, [*project_dirs, *nearby_projects(path)])
    return with_source_space(failures, SourceSpaces([path.resolve().parent, *source_dirs]))


def _read_notebook(path: Path, name: str, source_dirs: Sequence[Path]) -> list[Failure]:
    from ktexplain.sources.code import SourceSpaces, with_source_space
    from ktexplain.sources.notebook import NotebookError, failures_from_notebook

    try:
        failures = failures_from_notebook(path)
    except NotebookError as exc:
        raise InputError(f"{name}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return with_source_space(failures, SourceSpaces([path.resolve().parent, *source_dirs]))


def _read_project_dir(path: Path, name: str) -> list[Failure]:
    from ktexplain.sources.tunerdir import find_projects, read_project

    try:
        projects = find_projects(path)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if not projects:
        raise InputError(
            f"{name}: is a directory, but not a Keras Tuner project (no trial_*/trial.json)"
        )
    failures = []
    for project in projects:
        reading = read_project(project)
        for note in reading.notes:
            print(f"ktexplain: note: {note}", file=sys.stderr)
        failures.extend(reading.failures)
    return failures


def _stream(path: Path) -> list[Failure]:
    with path.open("rb") as handle:
        return _read_stream(handle, str(path))


def _read_stream(handle: IO[bytes], name: str) -> list[Failure]:
    """Line by line, whatever the size: a week-long run's log can be gigabytes."""
    from ktexplain.sources.text import TextReader

    reader = TextReader(name)
    first_bad: int | None = None
    offset = 0
    for raw in handle:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if first_bad is None:
                first_bad = offset + exc.start
            line = raw.decode("utf-8", errors="replace")
        offset += len(raw)
        reader.feed(line)
    if first_bad is not None:
        _warn_decoding(name, first_bad)
    return reader.failures_found()


def _reject_binary(head: bytes, name: str) -> None:
    if b"\x00" in head:
        raise InputError(f"{name}: looks like a binary file, not a text log")


def _warn_decoding(name: str, offset: int, stream: IO[str] | None = None) -> None:
    print(
        f"ktexplain: {name}: not valid UTF-8 (first bad byte at offset {offset}); "
        "undecodable bytes shown as U+FFFD",
        file=stream or sys.stderr,
    )


def list_patterns(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ktexplain patterns", description="List the patterns.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--patterns", action="append", type=Path, default=[], metavar="DIR")
    args = parser.parse_args(list(argv))
    from ktexplain import pipeline

    db = pipeline.database(args.patterns)
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
