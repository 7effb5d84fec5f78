"""A per-user cache of work that depends only on files shipped with the tool (compiled templates…).

Everything cached here is derived from file contents and keyed by them (or checked against their
modification time by the library that owns the entry), so a stale entry is never used. The cache is an
optimisation only: when the directory cannot be created or written (read-only home, CI sandbox), callers
simply do the work again.

Location: ``$ONDE_SACOCHE_CACHE`` if set (``off`` disables the cache), else ``$XDG_CACHE_HOME/onde-sacoche``,
else ``~/.cache/onde-sacoche``; one subdirectory per tool version. Nothing about pupils is ever stored.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import BytecodeCache

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


def template_cache() -> BytecodeCache | None:
    """Where Jinja keeps compiled templates between runs (keyed by each template's source), or None."""
    from jinja2 import FileSystemBytecodeCache

    folder = cache_dir("jinja")
    return FileSystemBytecodeCache(str(folder)) if folder else None
