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
from typing import TYPE_CHECKING

from ktexplain.inputs import InputError, distributed_runs, read_distributed, read_failures

if TYPE_CHECKING:
    from ktexplain.failure import Trial

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NOTHING = 3
EXIT_INTERNAL = 70


class _Formatter(argparse.HelpFormatter):
    """argparse's own, told the width: left to find it, argparse imports shutil (and with it
    bz2, lzma and zlib, ~4 ms of every start) for `shutil.get_terminal_size`, which does this."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=terminal_columns() - 2)


def terminal_columns() -> int:
    """$COLUMNS, else the terminal's width, else 80: as `shutil.get_terminal_size`."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktexplain",
        formatter_class=_Formatter,
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
    # Read before argparse runs (see `_main`): here only for --help, without importing
    # importlib.metadata at every run.
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def version() -> str:
    """The installed distribution's version; the package's own when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("ktexplain")
    except metadata.PackageNotFoundError:
        from ktexplain import __version__

        return __version__


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
    if "--version" in args_list and "--" not in args_list[: args_list.index("--version")]:
        print(f"ktexplain {version()}")  # a return code, not argparse's SystemExit
        return EXIT_OK
    if args_list[:1] == ["patterns"] and not Path("patterns").is_file():
        from ktexplain.commands import list_patterns

        return list_patterns(args_list[1:])
    if args_list[:1] == ["check"] and not Path("check").exists():
        from ktexplain.commands import check

        return check(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    from ktexplain import pipeline
    from ktexplain.render import render_reports, reports_to_json

    db = pipeline.database(args.patterns)
    for error in db.errors:
        print(f"ktexplain: pattern file skipped: {error}", file=sys.stderr)
    all_reports = []
    failed_inputs = 0
    from ktexplain.progress import wanted

    show_progress = wanted(args.json)
    runs = distributed_runs(args.paths)  # a chief's project and its logs: one input
    grouped = {member for project, logs in runs.items() for member in logs}
    for name in args.paths:
        if name in grouped:
            continue
        try:
            trials: list[Trial] = []
            if name in runs:
                failures = read_distributed(name, runs[name], args.source, trials)
            else:
                failures = read_failures(
                    name, args.source, args.project, trials, progress=show_progress
                )
        except InputError as exc:
            print(f"ktexplain: {exc}", file=sys.stderr)
            failed_inputs += 1
            continue
        found = pipeline.reports(failures, db, trials) if failures else []
        if not found:
            print(
                f"ktexplain: no failed trial or traceback found in {_label(name)}", file=sys.stderr
            )
            continue
        all_reports.extend(found)
    if args.json:
        # One write: json.dump to a stream writes each token (seconds for 10,000 trials).
        sys.stdout.write(json.dumps(reports_to_json(all_reports), indent=2) + "\n")
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
