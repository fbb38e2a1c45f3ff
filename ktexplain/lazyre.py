"""Module-level regexes compiled the first time they are used.

`re` keeps no compiled pattern between processes, so every ``re.compile`` at import is paid by
every CLI start. Most of a recogniser's patterns are needed only when its rendering shows up.
"""

from __future__ import annotations

import re
from typing import Any

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._source)
        for method in _METHODS:  # from now on found on the instance, without __getattr__
            setattr(self, method, getattr(compiled, method))
        self.pattern = compiled.pattern
        self.groupindex = compiled.groupindex
        return getattr(compiled, name)


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Like ``re.compile(pattern, flags)``, compiled on first use."""
    return _Lazy(pattern, flags)  # type: ignore[return-value]
