"""The ``ktexplain check FILE:FUNCTION`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ktexplain.livecheck.result import EXIT_USAGE
from ktexplain.livecheck.runner import DEFAULT_MAX_BUILDS, check
from ktexplain.livecheck.script import ScriptError, _data, load_function


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktexplain check",
        description="Build (and train one step) every corner of a search space before the "
        "search. Exit 0 when every configuration passed, 1 when one failed, 2 usage error.",
    )
    parser.add_argument("target", metavar="FILE:FUNCTION", help="e.g. train.py:build_model")
    parser.add_argument(
        "--data",
        metavar="SPEC",
        help="a training sample: X,Y (names the script assigns), FUNCTION or FILE:FUNCTION "
        "returning (x, y); without it models are built and compiled but not trained",
    )
    parser.add_argument("--max-builds", type=int, default=DEFAULT_MAX_BUILDS, metavar="N")
    parser.add_argument(
        "--graph", action="store_true", help="train in graph mode as fit() does (slower)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-color", action="store_true", help="plain text")
    parser.add_argument(
        "--patterns", action="append", type=Path, default=[], metavar="DIR", help="extra patterns"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    file, _, function = args.target.rpartition(":")
    path = Path(file)
    if not path.is_file():
        print(f"ktexplain: {file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if args.max_builds < 1:
        print("ktexplain: --max-builds must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        build_model, scope = load_function(path, function)
        x, y = _data(args.data, path, scope) if args.data else (None, None)
    except ScriptError as exc:
        print(f"ktexplain: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        print(
            f"ktexplain: loading {path} failed: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from ktexplain import pipeline

    for error in pipeline.database(args.patterns).errors:
        print(f"ktexplain: pattern file skipped: {error}", file=sys.stderr)
    result = check(
        build_model,
        x,
        y,
        max_builds=args.max_builds,
        quiet=True,
        patterns=args.patterns,
        name=f"{path.name}:{function}",
        eager=not args.graph,
    )
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        color = False if args.no_color or os.environ.get("NO_COLOR") else None
        result.render(sys.stdout, color)
    return result.exit_code
