"""The methods ``dataclasses`` writes for each class (``__init__``, ``__repr__``, ``__eq__``…), compiled
once per user instead of at every start.

``@dataclass`` writes each method as Python source and compiles it with ``exec`` when the class is
created: for the forty-odd classes a ``plan`` imports, that compilation was the largest fixed cost of a
small school's plan after the interpreter's own start-up (about a tenth of it). While a command imports
its stages (:func:`remembered_dataclass_code`), the ``exec`` that ``dataclasses`` calls looks each source
text up in a file of the user's cache (engine.cache) holding the code objects compiled from those texts
by this very interpreter, as Python keeps a module's compiled code in its ``.pyc``. The same text always
gives the same code, so the classes are exactly those ``@dataclass`` makes; a text never seen is compiled
as before and remembered. An unreadable, foreign or damaged file is ignored, and without a cache nothing
changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
from collections.abc import Iterator
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

from engine.cache import cache_dir

#: beyond this many remembered texts, the file keeps only those of the run that writes it
MAX_ENTRIES = 5000

_MISSING = object()


def _cache_file() -> Path | None:
    folder = cache_dir("code")
    if folder is None:
        return None
    # code objects are only valid for the interpreter (and bytecode version) that compiled them
    return folder / f"dataclasses-{sys.implementation.cache_tag}-{MAGIC_NUMBER.hex()}.marshal"


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, type(_read.__code__))}


def _write(path: Path, entries: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # the cache is an optimisation only
        temporary.write_bytes(marshal.dumps(entries))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def remembered_dataclass_code() -> Iterator[None]:
    """Within the block, dataclasses created reuse the code remembered for their methods' source texts
    (see the module's documentation); texts compiled for the first time are remembered at its end."""
    path = _cache_file()
    if path is None:
        yield
        return
    known = _read(path)
    used: dict[str, Any] = {}
    added: list[str] = []

    def remembered_exec(source: Any, globals_: Any = None, locals_: Any = None) -> None:
        if isinstance(source, str):
            code = known.get(source)
            if code is None:
                # dont_inherit: compiled as dataclasses' own exec compiles it, without this module's
                # ``from __future__ import annotations``
                code = compile(source, "<string>", "exec", dont_inherit=True)
                added.append(source)
            used[source] = code
            source = code
        exec(source, globals_, locals_)

    before = getattr(dataclasses, "exec", _MISSING)
    dataclasses.exec = remembered_exec  # type: ignore[attr-defined]  # found before the builtin exec
    try:
        yield
    finally:
        if before is _MISSING:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = before  # type: ignore[attr-defined]
        if added:
            _write(path, used if len(known) + len(added) > MAX_ENTRIES else {**known, **used})
