"""TensorFlow's own C++ log lines → an exception line.

When a kernel fails, TensorFlow's runtime logs it before Python raises anything::

    2019-03-01 12:00:00.123: W tensorflow/core/framework/op_kernel.cc:1767] OP_REQUIRES failed
        at sparse_xent_op.cc:103 : Invalid argument: Received a label value of 10 …
    W0000 00:00:1796047476.831262   14288 op_kernel.cc:1858] OP_REQUIRES failed at
        sparse_xent_op.cc:103 : INVALID_ARGUMENT: Received a label value of 10 …

That line is often all a user pastes, or all a log kept. It becomes ``InvalidArgumentError:
Received a label value of 10 …`` — unless Python's traceback of the same error follows (it
usually does, a few lines later): then the traceback is the failure, and the line stays noise.
So the line is held until a traceback or the same message shows up (dropped), or
`LOOKAHEAD` lines pass or the input ends (emitted).

``N root error(s) found.`` at the start of a line (an exception line cut from its type) gets the
type of its ``(0)`` error's status, the way TensorFlow's exception would print it. ``[[{{node
…}}]]`` and ``[[Node: …]]`` lines pass through: the message keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ktexplain.lazyre import lazy

OP_FAILED = "] OP_REQUIRES failed at "
OP_FAILED_LINE = lazy(
    r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: [IWEF] |[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ )"
    r"\S+\] OP_REQUIRES failed at \S+ : (?P<status>[A-Za-z][A-Za-z_ ]*?): (?P<message>.*)$"
)
ROOT_ERRORS = lazy(r"^\d+ root error\(s\) found\.\s*$")
FIRST_ROOT_ERROR = lazy(r"^\s*\(0\) (?P<status>[A-Za-z][A-Za-z_ ]*?): ")
TF_LOG_LINE = lazy(r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|[IWEF]\d{4} \d\d:\d\d:\d\d)")
TRACEBACK_TEXT = "Traceback (most recent call last)"
LOOKAHEAD = 100

# absl / TensorFlow status codes → the Python exception TensorFlow raises for each.
STATUS_ERRORS = {
    "cancelled": "CancelledError",
    "unknown": "UnknownError",
    "invalid argument": "InvalidArgumentError",
    "deadline exceeded": "DeadlineExceededError",
    "not found": "NotFoundError",
    "already exists": "AlreadyExistsError",
    "permission denied": "PermissionDeniedError",
    "resource exhausted": "ResourceExhaustedError",
    "failed precondition": "FailedPreconditionError",
    "aborted": "AbortedError",
    "out of range": "OutOfRangeError",
    "unimplemented": "UnimplementedError",
    "internal": "InternalError",
    "unavailable": "UnavailableError",
    "data loss": "DataLossError",
    "unauthenticated": "UnauthenticatedError",
}


def error_type(status: str) -> str | None:
    """``Invalid argument`` or ``INVALID_ARGUMENT`` → ``InvalidArgumentError``."""
    return STATUS_ERRORS.get(status.replace("_", " ").strip().lower())


class TensorFlowLog:
    starts: tuple[str, ...] = ()
    contains: tuple[str, ...] = (OP_FAILED, "root error")
    ends: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.held: tuple[str, str] | None = None  # (exception line, message), not yet emitted
        self.continuation: list[str] = []  # its ``[[{{node …}}]]`` lines, held with it
        self.waited = 0
        self.root_line: str | None = None

    @property
    def busy(self) -> bool:
        return self.held is not None or self.root_line is not None

    def feed(self, line: str) -> Sequence[str]:
        if self.held is not None or self.root_line is not None:
            return self._pending(line)
        if OP_FAILED in line:
            return self._op_failed(line)
        if "root error" in line and ROOT_ERRORS.match(line):
            self.root_line = line
            return ()
        return (line,)

    def close(self) -> Sequence[str]:
        out: list[str] = []
        if self.root_line is not None:
            out.append(self.root_line)
            self.root_line = None
        if self.held is not None:
            out.extend((self.held[0], *self.continuation, ""))
            self.held = None
            self.continuation = []
        return out

    def _op_failed(self, line: str) -> Sequence[str]:
        found = OP_FAILED_LINE.match(line)
        type_name = error_type(found.group("status")) if found else None
        if found is None or type_name is None:
            return (line,)
        message = found.group("message").strip()
        self.held = (f"{type_name}: {message}", message[:60])
        self.continuation = []
        self.waited = 0
        return (line,)

    def _pending(self, line: str) -> Sequence[str]:
        if self.root_line is not None:
            root, self.root_line = self.root_line, None
            first = FIRST_ROOT_ERROR.match(line)
            type_name = error_type(first.group("status")) if first else None
            if type_name is None:
                return (root, *self.feed(line))
            return (f"{type_name}: {root}", line)
        assert self.held is not None
        held, fragment = self.held
        if TRACEBACK_TEXT in line or (
            fragment and fragment in line and not TF_LOG_LINE.match(line)
        ):
            # Python's own report of the same error follows: it is the failure
            continuation, self.held, self.continuation = self.continuation, None, []
            return (*continuation, *self.feed(line))
        if self.waited == 0 and line.lstrip().startswith("[["):
            self.continuation.append(line)  # the node the op ran in: part of the message
            return ()
        if OP_FAILED in line:
            previous = self.held, self.continuation
            self._op_failed(line)
            if self.held is not None and self.held[1] == fragment:
                self.held, self.continuation = previous  # the same failure logged again
                return (line,)
            if self.held is None:
                self.held, self.continuation = previous
                return (line,)
            return (held, *previous[1], "", line)
        self.waited += 1
        if self.waited >= LOOKAHEAD:
            continuation, self.held, self.continuation = self.continuation, None, []
            return (held, *continuation, "", line)
        return (line,)
