"""A per-user cache of work that depends only on files shipped with the tool (compiled templates…).

Everything cached here is derived from file contents and keyed by them (or checked against their
modification time by the library that owns the entry), so a stale entry is never used. The cache is an
optimisation only: when the directory cannot be created or written (read-only home, CI sandbox), callers
simply do the work again.

Location: ``$ONDE_SACOCHE_CACHE`` if set (``off`` disables the cache), else ``$XDG_CACHE_HOME/onde-sacoche``,
else ``~/.cache/onde-sacoche``; one subdirectory per tool version. Nothing about pupils is ever stored.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache
from pathlib import Path

from engine import __version__

ENV_VAR = "ONDE_SACOCHE_CACHE"


@cache
def cache_dir(name: str) -> Path | None:
    """``<cache root>/<version>/<name>``, created on first use; None when caching is off or impossible."""
    setting = os.environ.get(ENV_VAR, "")
    if setting.lower() == "off":
        return None
    if setting:
        root = Path(setting)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "onde-sacoche"
    path = root / __version__ / name
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    return path


def write_entry(path: Path, data: bytes) -> None:
    """Write a cache file readable by its owner only, beside then renamed (a concurrent run never reads
    half an entry); a failure leaves nothing (the cache is an optimisation only)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
