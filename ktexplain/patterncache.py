"""Pattern files as this machine last read them, kept under the digest of their text.

`tomllib` is pure Python and validating ~170 patterns is work; neither changes while a file
does not. Two forms are kept (``KTEXPLAIN_CACHE``, else the XDG cache; ``0`` turns it off):

- ``toml-<digest>.json``: a file's parsed TOML, for user pattern files (validated on each load);
- ``built-<digest>.json``: the shipped patterns after validation, with each regex's required
  literal (`prefilter.required_literal`), so a CLI start builds them without parsing, checking
  or analysing anything. Its digest covers the text, this package's version and the code that
  builds it, so an edit to either is never served from an old entry.

Any problem with the cache (a read-only home, a damaged entry) means reading the file again.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

FORMAT = 2  # bump when the built form changes shape


def cache_dir() -> Path | None:
    chosen = os.environ.get("KTEXPLAIN_CACHE")
    if chosen == "0":
        return None
    if chosen:
        return Path(chosen)
    return Path(xdg_base("XDG_CACHE_HOME", ".cache")) / "ktexplain" / "patterns"


def xdg_base(variable: str, fallback: str) -> str:
    """An XDG base folder: the variable when it holds an absolute path (the spec ignores a
    relative one), else ``~/<fallback>``."""
    base = os.environ.get(variable, "")
    return base if os.path.isabs(base) else os.path.join(os.path.expanduser("~"), fallback)


def _entry(kind: str, raw: bytes) -> Path | None:
    try:  # hashlib would load OpenSSL first: a few ms of every CLI start
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover
        from hashlib import blake2b

    place = cache_dir()
    if place is None:
        return None
    digest = blake2b(raw, digest_size=16)
    if kind == "built":
        digest.update(_code_fingerprint())
    return place / f"{kind}-{digest.hexdigest()}.json"


@functools.cache  # once per process: the code does not change while it runs
def _code_fingerprint() -> bytes:
    from ktexplain import __version__

    here = Path(__file__).resolve().parent
    parts = [__version__, str(FORMAT)]
    for name in ("patterns.py", "prefilter.py", "patterncache.py"):
        try:
            found = (here / name).stat()
            parts.append(f"{name}:{found.st_size}:{found.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:?")
    return "\0".join(parts).encode()


def _read(entry: Path | None) -> Any:
    if entry is None:
        return None
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(entry: Path | None, data: Any) -> None:
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, entry)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home or a value JSON cannot hold: the work is done again next time


def toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def parse_toml(raw: str, keep: bool = True) -> Any:
    """The file's TOML, parsed once per machine for each text it has had (when `keep`)."""
    tomllib = toml_module()
    entry = _entry("toml", raw.encode()) if keep else None
    data = _read(entry)
    if data is not None:
        return data
    data = tomllib.loads(raw)
    _write(entry, data)
    return data


def load_built(raw: bytes) -> Any:
    """The built form stored for this text by this code, or None."""
    return _read(_entry("built", raw))


def store_built(raw: bytes, built: Any) -> None:
    _write(_entry("built", raw), built)
