"""Fill ``{name}`` templates from a mapping, and nothing more.

No `str.format`: a pattern file is data, and ``{value.__class__}`` or ``{0[1]}`` must not reach
Python's formatting machinery. A placeholder is a bare identifier; ``{{``/``}}`` are braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


class TemplateError(ValueError):
    pass


def fields_of(template: str) -> set[str]:
    names: set[str] = set()
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateError(f"stray {token!r} at {match.start()} (write {token * 2})")
        names.add(match.group(1))
    return names


def fill(template: str, values: Mapping[str, object], missing: str = "?") -> str:
    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None:
            return token
        value = values.get(name)
        return missing if value is None else str(value)

    return _TOKEN.sub(substitute, template)
