"""Reading the CLI's inputs into failures: a log file or stdin (streamed, damage repaired), a
notebook, a Keras Tuner project directory, or a distributed search's chief project with its logs.

Every input becomes the same `Failure` records; what cannot be read raises `InputError`, which the
CLI reports in one line (exit code 2).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ktexplain.sources import damage

if TYPE_CHECKING:
    from ktexplain.failure import Failure, Trial
    from ktexplain.progress import ReadProgress
    from ktexplain.sources.text import TextReader

BINARY_SNIFF = 8192


class InputError(Exception):
    """An input that cannot be read: reported in one line, exit code 2."""


def read_failures(
    name: str,
    source_dirs: Sequence[Path] = (),
    project_dirs: Sequence[Path] = (),
    trials: list[Trial] | None = None,
    progress: bool = False,
) -> list[Failure]:
    """The input's failures; `trials`, when given, receives every trial of the run (failed or
    not) that the input shows, for attribution across trials. `progress`: a log that takes more
    than a second to read shows a bar on stderr (`ktexplain.progress`)."""
    from ktexplain.sources.code import SourceSpaces, with_source_space

    if name == "-":
        stdin = sys.stdin.buffer
        head = stdin.peek(BINARY_SNIFF)[:BINARY_SNIFF] if hasattr(stdin, "peek") else b""
        _reject_binary(head, "<stdin>")  # a pipe can only be sampled at its head
        failures = _read_stream(stdin, "<stdin>", trials, _progress("<stdin>", None, progress))
        return with_source_space(failures, SourceSpaces([Path.cwd(), *source_dirs]))
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: no such file")
    if path.is_dir():
        return _read_project_dir(path, name, trials)
    try:
        with path.open("rb") as handle:
            head = damage.sample(handle, path.stat().st_size)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    _reject_binary(head, name)
    if path.suffix == ".ipynb":
        return _read_notebook(path, name, source_dirs, trials, project_dirs)
    try:
        seen: list[Trial] = []
        size = path.stat().st_size
        failures = _stream(path, seen, _progress(name, size, progress))
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    from ktexplain.sources.tunerdir import complete_from_projects, nearby_projects

    completed = complete_from_projects(failures, [*project_dirs, *nearby_projects(path)], seen)
    if trials is not None:
        trials.extend(completed.trials)
    for note in completed.notes:
        print(f"ktexplain: note: {note}", file=sys.stderr)
    failures = completed.failures
    return with_source_space(failures, SourceSpaces([path.resolve().parent, *source_dirs]))


def distributed_runs(names: Sequence[str]) -> dict[str, list[str]]:
    """``ktexplain chief.log worker0.log worker1.log my_dir/my_project``: when one input is the
    project of a distributed search's chief, the logs given with it are that run's (the chief's
    and its workers'), read as one run. Project name → the logs."""
    if not any(name != "-" and Path(name).is_dir() for name in names):
        return {}  # no project among the inputs: nothing to read as one distributed run
    from ktexplain.sources.distributed import is_distributed
    from ktexplain.sources.tunerdir import find_projects

    projects = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir():
            try:
                found = find_projects(path)
            except OSError:
                continue
            if len(found) == 1 and is_distributed(found[0]):
                projects.append(name)
    logs = [n for n in names if n != "-" and Path(n).is_file() and Path(n).suffix != ".ipynb"]
    if len(projects) != 1 or not logs:
        return {}
    return {projects[0]: logs}


def read_distributed(
    project_name: str,
    log_names: Sequence[str],
    source_dirs: Sequence[Path] = (),
    trials: list[Trial] | None = None,
) -> list[Failure]:
    """The chief's project, with every worker's tracebacks linked to its trials by the order
    and scores of what the worker ran (a worker's log prints no trial id nor table); the
    chief's log completes the rest. Each failure keeps its worker's log as its source."""
    from ktexplain.sources.code import SourceSpaces, with_source_space
    from ktexplain.sources.distributed import WorkerLog, link_workers
    from ktexplain.sources.tunerdir import complete_from_projects, find_projects, read_project

    project = find_projects(Path(project_name))[0]
    reading = read_project(project)
    for note in reading.notes:
        print(f"ktexplain: note: {note}", file=sys.stderr)
    workers: list[WorkerLog] = []
    failures: list[Failure] = []
    for name in log_names:
        path = Path(name)
        seen: list[Trial] = []
        try:
            found = _stream(path, seen)
            # "\n" only: a progress bar's "\r" is not a line for the reader's line numbers.
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                lines = handle.read().split("\n")
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
        if seen:  # the chief's log: its tables number the trials as the project does
            failures += complete_from_projects(found, [project], seen).failures
        else:
            workers.append(WorkerLog(path, lines, found))
    linked, notes = link_workers(project, reading, workers)
    for note in notes:
        print(f"ktexplain: note: {note}", file=sys.stderr)
    failures += linked
    # The project's own failures (its silent ones: a traceback it never has) complete them.
    covered = {f.trial.number for f in failures if f.trial is not None}
    failures += [f for f in reading.failures if f.trial is None or f.trial.number not in covered]
    if trials is not None:
        trials.extend(reading.trials)
    folders = [Path(n).resolve().parent for n in log_names]
    return with_source_space(failures, SourceSpaces([*folders, *source_dirs]))


def _read_notebook(
    path: Path,
    name: str,
    source_dirs: Sequence[Path],
    trials: list[Trial] | None = None,
    project_dirs: Sequence[Path] = (),
) -> list[Failure]:
    from ktexplain.sources.code import SourceSpaces, with_source_space
    from ktexplain.sources.notebook import NotebookError, failures_from_notebook

    shown: list[Trial] = []
    objectives: dict[int, str] = {}
    best: list[str] = []
    try:
        failures = failures_from_notebook(path, trials=shown, objectives=objectives, best=best)
    except NotebookError as exc:
        raise InputError(f"{name}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    failures, shown = _with_notebook_project(
        path, failures, shown, objectives, project_dirs, best[0] if best else None
    )
    if trials is not None:
        trials.extend(shown)
    return with_source_space(failures, SourceSpaces([path.resolve().parent, *source_dirs]))


def _with_notebook_project(
    path: Path,
    failures: list[Failure],
    shown: list[Trial],
    objectives: dict[int, str],
    project_dirs: Sequence[Path],
    best: str | None = None,
) -> tuple[list[Failure], list[Trial]]:
    """A notebook keeps only its last trial's output; its search's project directory, when it
    is beside the notebook (or named by --project) and provably this run, has every trial: its
    failures the notebook lost (a traceback, or a silent divergence judged from the metrics) and
    every trial for attribution."""
    from ktexplain.sources.tunerdir import nearby_projects, project_of_notebook, read_project

    projects = [*project_dirs, *nearby_projects(path)]
    project, notes = project_of_notebook(projects, objectives, best)
    for note in notes:
        print(f"ktexplain: note: {note}", file=sys.stderr)
    if project is None:
        return failures, shown
    reading = read_project(project)
    covered = {f.trial.number for f in failures if f.trial is not None}
    added = [f for f in reading.failures if f.trial is None or f.trial.number not in covered]
    return [*failures, *added], reading.trials


def _read_project_dir(path: Path, name: str, trials: list[Trial] | None = None) -> list[Failure]:
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
        if trials is not None and len(projects) == 1:  # numbers restart in each project
            trials.extend(reading.trials)
    return failures


def _progress(name: str, total: int | None, wanted: bool) -> ReadProgress | None:
    if not wanted:
        return None
    from ktexplain.progress import ReadProgress

    return ReadProgress(name, total)


def _stream(
    path: Path, trials: list[Trial] | None = None, progress: ReadProgress | None = None
) -> list[Failure]:
    with path.open("rb") as handle:
        return _read_stream(handle, str(path), trials, progress)


def _read_stream(
    handle: IO[bytes],
    name: str,
    trials: list[Trial] | None = None,
    progress: ReadProgress | None = None,
) -> list[Failure]:
    """Line by line, whatever the size: a week-long run's log can be gigabytes."""
    from ktexplain.sources.text import TextReader

    reader = TextReader(name)
    repair = damage.LineRepair()
    try:
        for data, start, end, base in _blocks(handle):
            _read_block(reader, repair, data, base, start, end)
            if progress is not None:
                progress(base + end)
    finally:
        if progress is not None:
            progress.close()  # the bar goes before anything else is printed
    warning = repair.warning(name)
    if warning is not None:
        print(warning, file=sys.stderr)
    if repair.first_invalid is not None:
        _warn_decoding(name, repair.first_invalid)
    failures = reader.failures_found()
    if trials is not None:
        trials.extend(reader.trials_seen())
    return failures


def _read_block(
    reader: TextReader,
    repair: damage.LineRepair,
    data: bytes,
    base: int,
    start: int,
    end: int,
) -> None:
    """The lines ``data[start:end]``; `base` is where ``data`` starts in the input."""
    if data.find(b"\x00", start, end) < 0:
        # Nearly always: skimmed in bulk, and only the lines read are decoded (a line that is
        # not UTF-8 has its damage cut out first).
        reader.feed_bytes(
            data,
            undecodable=functools.partial(_repaired, repair, base),
            start=start,
            end=end,
        )
        return
    # NUL bytes (a crash's padding): line by line, damage cut out, stray bytes dropped
    raws = data[start:end].split(b"\n")
    if raws[-1] == b"":
        raws.pop()
    offset = base + start
    for raw in raws:
        for piece in repair.lines(raw, offset):
            reader.feed(piece)
        offset += len(raw) + 1


def _repaired(repair: damage.LineRepair, base: int, raw: bytes, at: int) -> list[str]:
    return repair.lines(raw, base + at)


READ_BLOCK = 1 << 22  # 4 MiB


def _blocks(handle: IO[bytes]) -> Iterator[tuple[bytes, int, int, int]]:
    """The input as ``(data, start, end, base)``: the whole lines ``data[start:end]``, in
    order, where ``data`` starts at offset `base` of the input. Each block is read as it is
    and never copied: cutting it at its last line's end would copy it (a copy costs here five
    times the reading), so only the line across two blocks is joined."""
    pending: list[bytes] = []  # the start of a line that began in an earlier block
    base = 0  # the input's offset of the next block read
    while True:
        block = handle.read(READ_BLOCK)
        if not block:
            break
        first = block.find(b"\n")
        if first < 0:
            pending.append(block)  # a line longer than a block: a progress bar's \r segments
            base += len(block)
            continue
        start = 0
        if pending:
            head = b"".join((*pending, block[: first + 1]))
            yield head, 0, len(head), base - (len(head) - first - 1)
            pending, start = [], first + 1
        end = block.rfind(b"\n") + 1
        if end > start:
            yield block, start, end, base
        if end < len(block):
            pending.append(block[end:])
        base += len(block)
    if pending:
        tail = b"".join(pending)
        yield tail, 0, len(tail), base - len(tail)


def _reject_binary(head: bytes, name: str) -> None:
    if damage.looks_binary(head):
        raise InputError(f"{name}: looks like a binary file, not a text log")


def _warn_decoding(name: str, offset: int, stream: IO[str] | None = None) -> None:
    print(
        f"ktexplain: {name}: not valid UTF-8 (first bad byte at offset {offset}); "
        "undecodable bytes shown as U+FFFD",
        file=stream or sys.stderr,
    )
