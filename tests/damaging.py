"""How real logs get damaged: shared by tests/test_damage.py and bench/run.py.

Each kind keeps every traceback header and final error line intact: the damage goes at the end
of the file, or at a line boundary just before a structural line (a traceback header, a trial
start, an epoch), never between a traceback's header and its exception line.
"""

from __future__ import annotations

import random

STRUCTURAL = (b"Traceback (most recent call last):", b"Search: Running Trial", b"Epoch ")
KINDS = ("nul-tail", "nul-gap", "random-burst", "nul-in-lines")


def damage(log: bytes, kind: str, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    if kind == "nul-tail":  # the crash left the file's last blocks allocated but unwritten
        return log + b"\x00" * rng.randint(4096, 65536)
    lines = log.splitlines(keepends=True)
    if kind == "nul-in-lines":  # stray NULs inside lines that are not exception lines
        out = []
        for line in lines:
            if line.startswith((b" ", b"Epoch", b"Search")) and len(line) > 4:
                at = rng.randrange(1, len(line) - 1)
                line = line[:at] + b"\x00" * rng.randint(1, 3) + line[at:]
            out.append(line)
        return b"".join(out)
    at = _insertion_point(lines, rng)
    if kind == "nul-gap":  # padding, then the process (or a restart) went on writing
        junk = b"\x00" * rng.randint(512, 8192)
    elif kind == "random-burst":
        junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(512, 4096)))
    else:
        raise ValueError(kind)
    return b"".join(lines[:at]) + junk + b"".join(lines[at:])


def _insertion_point(lines: list[bytes], rng: random.Random) -> int:
    candidates = [i for i, line in enumerate(lines) if line.lstrip(b"\r").startswith(STRUCTURAL)]
    if not candidates:
        return len(lines) // 2
    return rng.choice(candidates)
