"""Where Jinja keeps compiled templates between runs (:func:`template_cache`): one file for them all, read
once per process, each template's code unmarshalled when it is loaded.

Jinja's own file cache reads an entry with ``marshal.load`` on the open file, which fetches the code
piece by piece through Python-level reads: about four times as long as ``marshal.loads`` of the file's
bytes; and one file per template is a file opened, read and closed for each of the twenty-odd templates
a small school's ``plan`` renders. The file maps Jinja's key for each template to its source's checksum
and its marshalled code; it lives in a folder named by Jinja's version and the interpreter's exact version
(a compiled template is only valid for both). An entry whose checksum is not the source's is compiled
again, as Jinja does; a damaged or foreign file is ignored (and replaced by the next template compiled).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from engine.cache import cache_dir, write_entry

#: the file of the compiled templates, in the cache's folder for this Jinja and this interpreter
TEMPLATES_FILE = "templates.marshal"
#: the entries read from each file, by its path: read once per process, whichever environment asks first
_ENTRIES: dict[Path, dict[str, tuple[str, bytes]]] = {}


def template_cache() -> TemplateCode | None:
    """The user's cache of compiled templates (engine.cache), keyed by each template's source; None when
    there is no cache."""
    made_by = hashlib.sha256(f"{jinja2.__version__}|{sys.version}".encode()).hexdigest()[:16]
    folder = cache_dir(f"templates-{made_by}")
    return TemplateCode(folder / TEMPLATES_FILE) if folder else None


def _read(path: Path) -> dict[str, tuple[str, bytes]]:
    """The entries of ``path`` (template key → source checksum, marshalled code); none when it cannot be
    read or is not such a file."""
    try:
        entries = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if type(entries) is not dict:
        return {}
    return {
        key: value
        for key, value in entries.items()
        if type(key) is str
        and type(value) is tuple
        and len(value) == 2
        and type(value[0]) is str
        and type(value[1]) is bytes
    }


class TemplateCode(BytecodeCache):
    """A Jinja bytecode cache in the file ``path`` (see the module's documentation)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> dict[str, tuple[str, bytes]]:
        entries = _ENTRIES.get(self.path)
        if entries is None:
            entries = _ENTRIES[self.path] = _read(self.path)
        return entries

    def load_bytecode(self, bucket: Bucket) -> None:
        entry = self._entries().get(bucket.key)
        if entry is None or entry[0] != bucket.checksum:
            return
        with contextlib.suppress(EOFError, ValueError, TypeError):  # damaged: compiled again
            bucket.code = marshal.loads(entry[1])

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is None:
            return
        # what another process wrote meanwhile is kept: the file is read again, then replaced whole
        entries = _ENTRIES[self.path] = {**self._entries(), **_read(self.path)}
        entries[bucket.key] = (bucket.checksum, marshal.dumps(bucket.code))
        with contextlib.suppress(ValueError):  # not marshallable: not remembered
            write_entry(self.path, marshal.dumps(entries))
