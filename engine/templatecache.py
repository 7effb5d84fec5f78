"""Where Jinja keeps compiled templates between runs (:func:`template_cache`): one file per template,
its source's checksum then its code, read whole and unmarshalled at once.

Jinja's own file cache reads an entry with ``marshal.load`` on the open file, which fetches the code
piece by piece through Python-level reads: about four times as long as ``marshal.loads`` of the file's
bytes, for the twenty-odd templates a small school's ``plan`` renders. The entries are named by Jinja's
key for the template, in a folder named by Jinja's version and the interpreter's exact version (a
compiled template is only valid for both); an entry whose checksum is not the source's is compiled
again, as Jinja does.
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


def template_cache() -> TemplateCode | None:
    """The user's cache of compiled templates (engine.cache), keyed by each template's source; None when
    there is no cache."""
    made_by = hashlib.sha256(f"{jinja2.__version__}|{sys.version}".encode()).hexdigest()[:16]
    folder = cache_dir(f"templates-{made_by}")
    return TemplateCode(folder) if folder else None


class TemplateCode(BytecodeCache):
    """A Jinja bytecode cache in ``folder`` (see the module's documentation)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key}.cache"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        checksum, newline, code = data.partition(b"\n")
        if not newline or checksum != bucket.checksum.encode():
            return
        with contextlib.suppress(EOFError, ValueError, TypeError):  # damaged: compiled again
            bucket.code = marshal.loads(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is None:
            return
        write_entry(self._path(bucket), bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code))
