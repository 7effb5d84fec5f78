"""The plan directory's files on disk: private modes (0700 / 0600, whatever the umask), writes under a
temporary name renamed into place (a failure never leaves half a file), and the staging directory a plan
is written to before :func:`publish_files` moves it into ``--out`` (engine.pipeline.publish).

A staging directory (:func:`make_staging`) is itself the temporary name of every file in it: nobody else
reads it, a failed plan's is removed whole (:func:`remove_staging`) and :func:`publish_files` renames each
file into place. So a file written below it is written under its own name, with no second rename.

The whole plan directory is confidential (minors' names, birth dates, INE, password hashes): see
docs/security.md.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

#: modes of everything in a plan directory (and a batch's --out): the owner only
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) and set it to 0700, an existing directory too (a staging
    directory of :func:`make_staging` is left as mkdtemp made it: 0700)."""
    if _STAGING and os.path.join(path, "") in _STAGING:
        return path
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


#: what a plan directory holds besides sql/ (tightened when found with a wider mode)
PLAN_DIR_PATTERNS = (
    "plan.json",
    "rapport.*",
    "resume.*",
    "identifiants.*",
    "identifiants-*",  # identifiants-parents.csv (docs/parents.md)
    "decisions.yaml",
    ".*.tmp",
)


#: a name :data:`PLAN_DIR_PATTERNS` matches (as ``Path.glob`` does, case-sensitive: POSIX)
_PLAN_DIR_NAME = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in PLAN_DIR_PATTERNS))


def tighten_tree(root: Path) -> None:
    """A plan directory 0700 with its ``sql/`` tree (directories 0700, files 0600) and its own files 0600,
    those an older version or a printer left with wider modes. Only the plan's files: an ``--out`` given
    by mistake as a folder of other documents keeps theirs. Symbolic links are never followed. A mode
    already right is left alone (one ``lstat``, no ``chmod``)."""
    if root.is_symlink() or not root.is_dir():
        return
    os.chmod(root, PRIVATE_DIR)
    with os.scandir(root) as entries:
        for entry in entries:
            if _PLAN_DIR_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                _tighten(entry, PRIVATE_FILE)
    sql = root / "sql"
    if sql.is_symlink() or not sql.is_dir():
        return
    os.chmod(sql, PRIVATE_DIR)
    _tighten_below(os.fspath(sql))


def _tighten(entry: os.DirEntry[str], mode: int) -> None:
    if stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) != mode:
        os.chmod(entry.path, mode)


def _tighten_below(directory: str) -> None:
    """Every directory below ``directory`` 0700 and every other entry 0600, symbolic links left alone
    (and not followed), as ``os.walk`` would visit them: a directory that cannot be listed is skipped."""
    try:
        with os.scandir(directory) as listed:
            entries = list(listed)
    except OSError:
        return
    below = []
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            _tighten(entry, PRIVATE_DIR)
            below.append(entry.path)
        else:
            _tighten(entry, PRIVATE_FILE)
    for path in below:
        _tighten_below(path)


#: the staging directories of this process (:func:`make_staging`), each with a trailing separator: a
#: new set at each change (under the lock), so that a thread reading it never sees it change size
_STAGING: frozenset[str] = frozenset()
_STAGING_CHANGE = threading.Lock()


def make_staging() -> Path:
    """A new private staging directory (0700, in the system's temporary directory) for a plan."""
    global _STAGING
    staging = tempfile.mkdtemp(prefix="onde-sacoche-")
    with _STAGING_CHANGE:
        _STAGING = _STAGING | {os.path.join(staging, "")}
    return Path(staging)


def _staged(path: str) -> bool:
    """Whether ``path`` is below a staging directory of :func:`make_staging` not yet removed."""
    return any(path.startswith(root) for root in _STAGING)


def _staged_files(directory: Path) -> list[tuple[str, ...]]:
    """The files below ``directory`` as tuples of path parts, sorted (the order of
    ``sorted(directory.rglob("*"))``, its files)."""
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        with os.scandir(os.path.join(directory, *parts)) as entries:
            for entry in entries:
                if entry.is_dir():
                    pending.append((*parts, entry.name))
                elif entry.is_file():
                    found.append((*parts, entry.name))
    return sorted(found)


def publish_files(staging: Path, out: Path, optional: Iterable[str]) -> set[tuple[str, ...]]:
    """Move every file of ``staging`` to the same place in ``out`` (made 0700, as each directory a file
    goes to), once the ``optional`` files (``/``-separated paths) ``staging`` lacks are removed from
    ``out``; then :func:`tighten_tree` on ``out``. Returns the directories of ``staging`` the files were
    moved from, as tuples of path parts (``()`` for ``staging`` itself): see :func:`remove_staging`.

    When nothing is at ``out`` yet (a batch's new school), ``staging`` itself, tightened, is renamed to
    ``out``: the plan directory appears whole, in one rename (nothing is left to remove)."""
    if not os.path.lexists(out) and _rename_whole(staging, out):
        return set()
    private_dir(out)
    files = _staged_files(staging)
    present = {"/".join(parts) for parts in files}
    for name in optional:  # never leave a file of an older plan beside the new plan.json
        if name not in present:
            (out / name).unlink(missing_ok=True)
    made = {()}  # the directories made 0700 so far (``out`` itself)
    source, destination = os.fspath(staging), os.fspath(out)
    for parts in files:
        if parts[:-1] not in made:
            private_dir(out.joinpath(*parts[:-1]))
            made.add(parts[:-1])
        name = os.path.join(*parts)
        # rename or copy2: keeps the mode (0600)
        shutil.move(os.path.join(source, name), os.path.join(destination, name))
    tighten_tree(out)
    return made


def _rename_whole(staging: Path, out: Path) -> bool:
    """``staging`` (its tree tightened first) renamed to ``out``, which did not exist: False, nothing
    moved, when that is refused (another file system, a file in the way, ``out`` made meanwhile and not
    empty: an empty directory made meanwhile is replaced)."""
    tighten_tree(staging)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging, out)
    except OSError:
        return False
    return True


def remove_staging(staging: Path, emptied: Iterable[tuple[str, ...]] = ()) -> None:
    """Remove a staging directory whose files were all moved out of the directories ``emptied``
    (:func:`publish_files`): those directories and their parents, deepest first, then ``staging``,
    one ``rmdir`` each; whatever else it holds (a plan that failed on the way), with shutil.rmtree."""
    global _STAGING
    with _STAGING_CHANGE:
        _STAGING = _STAGING - {os.path.join(staging, "")}
    below = {parts[:depth] for parts in emptied for depth in range(1, len(parts) + 1)}
    try:
        for parts in sorted(below, key=len, reverse=True):
            os.rmdir(staging.joinpath(*parts))
        os.rmdir(staging)
    except OSError:
        if os.path.lexists(staging):  # else: published whole (publish_files)
            shutil.rmtree(staging, ignore_errors=True)


def _atomically(path: Path, mode: int, write: Callable[[BinaryIO], None], *, rename: bool = True) -> Path:
    """Write a file through ``write`` under a temporary name beside ``path`` (created with ``mode``),
    then rename it to ``path`` and return ``path``; with ``rename=False``, return the temporary file for
    the caller to rename once all its files are written. On any error the temporary file is removed.

    Below a staging directory (:func:`make_staging`) the file is written under its own name, which is
    returned with ``rename=False`` too (renaming it to itself changes nothing)."""
    if _STAGING and _staged(os.fspath(path)):
        return _write_staged(path, mode, write)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(temporary, mode)
        if not rename:
            return temporary
        os.replace(temporary, path)
        return path
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_staged(path: Path, mode: int, write: Callable[[BinaryIO], None]) -> Path:
    """:func:`_atomically` below a staging directory: written in place, removed on any error."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(fd, mode)  # whatever the umask
            write(handle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    _atomically(path, mode, lambda handle: handle.write(data))


def _write_bytes_atomic(path: Path, chunks: Iterable[bytes]) -> str:
    """Byte chunks written through :func:`_atomically`; the sha256 of the file."""
    digest = hashlib.sha256()

    def write(handle: BinaryIO) -> None:
        for chunk in chunks:  # the items come a MiB a batch: no buffer of our own to join them in
            digest.update(chunk)
            handle.write(chunk)

    _atomically(path, PRIVATE_FILE, write)
    return digest.hexdigest()


def write_chunks_atomic(
    path: Path, chunks: Iterable[str], mode: int = PRIVATE_FILE, *, rename: bool = True
) -> Path:
    """Text chunks written as UTF-8, a MiB at a time, through :func:`_atomically` (same ``rename``)."""

    def write(handle: BinaryIO) -> None:
        buffer: list[str] = []
        size = 0
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            if size > 1 << 20:
                handle.write("".join(buffer).encode("utf-8"))
                buffer, size = [], 0
        handle.write("".join(buffer).encode("utf-8"))

    return _atomically(path, mode, write, rename=rename)
