"""The plan directory's I/O: read a decisions file, write plan.json and the new pupils' credentials.

``plan.json`` is the seam between planning and rendering: it holds everything a renderer needs, never a
plaintext password. The passwords of new pupils go to ``identifiants.csv`` only. The whole plan directory
is confidential (minors' names, birth dates, INE, password hashes): it is made 0700 and every file in it
0600, whatever the umask (see docs/security.md). Files are written to a temporary name and renamed, so a
failure never leaves half a plan.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engine.dburl import public_url
from engine.errors import OndeError, OndeErrorGroup
from engine.match import Decisions as MatchDecisions
from engine.plan.items import Decisions as ItemDecisions
from engine.plan.items import Plan
from engine.plan.planjson import plan_json_chunks
from engine.read import paused_gc
from engine.yamlpos import load_located

PLAN_FILE = "plan.json"
CREDENTIALS_FILE = "identifiants.csv"
#: answers given with accept / reject / decide, replayed by the next `plan` into the same directory
DECISIONS_FILE = "decisions.yaml"
FORMAT_VERSION = 1


def load_decisions(path: Path) -> tuple[MatchDecisions, ItemDecisions]:
    """Parse a decisions YAML file::

    accept: [item-id, …]          # items to apply even if unchecked by default
    reject: [item-id, …]          # items not to apply
    same:                         # this row IS this account
      - {pupil: "ine:203451870GH", account: 12}
    different:                    # this row is NOT this account (a new pupil)
      - {pupil: "id:TISSERAND|Énzo|2015-08-22", account: 40}
    """
    doc = load_located(path)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None:
        raise doc.error((), "a decisions file is a mapping with keys accept, reject, same, different")
    errors = []
    for key in data:
        if key not in {
            "accept",
            "reject",
            "same",
            "different",
            "children",
            "parents",
        }:  # parents: docs/parents.md
            errors.append(
                doc.error((key,), f"unknown key '{key}'", hint="use accept, reject, same or different")
            )
    ids: dict[str, frozenset[str]] = {}
    for key in ("accept", "reject"):
        values = data.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(doc.error((key,), f"'{key}' must be a list of item ids"))
            values = []
        ids[key] = frozenset(values)
    pairs: dict[str, list[tuple[str, int]]] = {}
    for key in ("same", "different"):
        pairs[key] = []
        for index, entry in enumerate(data.get(key) or []):
            if (
                not isinstance(entry, dict)
                or set(entry) != {"pupil", "account"}
                or not isinstance(entry["pupil"], str)
                or not isinstance(entry["account"], int)
            ):
                errors.append(
                    doc.error((key, index), f"each '{key}' entry is {{pupil: KEY, account: USER_ID}}")
                )
                continue
            pairs[key].append((entry["pupil"], entry["account"]))
    both = ids["accept"] & ids["reject"]
    if both:
        errors.append(
            doc.error(("reject",), f"item(s) both accepted and rejected: {', '.join(sorted(both))}")
        )
    if errors:
        raise OndeErrorGroup(errors)
    return (
        MatchDecisions(same=dict(pairs["same"]), different=frozenset(pairs["different"])),
        ItemDecisions(accept=ids["accept"], reject=ids["reject"]),
    )


def stale_item_decisions(plan: Plan, decisions: ItemDecisions) -> list[str]:
    """Accept/reject answers naming items this plan does not have (the situation changed)."""
    present = {item.id for item in plan.items}
    return [
        f"{verb}: {item_id} (no such item in this plan)"
        for verb, ids in (("accept", decisions.accept), ("reject", decisions.reject))
        for item_id in sorted(ids)
        if item_id not in present
    ]


def check_destination(out: Path, state_url: str, force: bool) -> None:
    """Refuse to overwrite a plan computed from another database, unless forced."""
    existing = out / PLAN_FILE
    if not existing.is_file() or force:
        return
    try:
        previous = json.loads(existing.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise OndeError(
            "a damaged plan.json is in the way",
            file=existing,
            hint="remove it, choose another --out, or use --force",
        ) from None
    previous_url = previous.get("state", {}).get("url") if isinstance(previous, dict) else None
    if not isinstance(previous_url, str) or public_url(previous_url) != state_url:
        shown = public_url(previous_url) if isinstance(previous_url, str) else "unknown"
        raise OndeError(
            f"this directory holds a plan of another database ({shown})",
            file=existing,
            hint="choose another --out, or use --force to replace it",
        )


#: modes of everything in a plan directory (and a batch's --out): the owner only
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) and set it to 0700, an existing directory too."""
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
    moved from, as tuples of path parts (``()`` for ``staging`` itself): see :func:`remove_staging`."""
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


def remove_staging(staging: Path, emptied: Iterable[tuple[str, ...]] = ()) -> None:
    """Remove a staging directory whose files were all moved out of the directories ``emptied``
    (:func:`publish_files`): those directories and their parents, deepest first, then ``staging``,
    one ``rmdir`` each; whatever else it holds (a plan that failed on the way), with shutil.rmtree."""
    below = {parts[:depth] for parts in emptied for depth in range(1, len(parts) + 1)}
    try:
        for parts in sorted(below, key=len, reverse=True):
            os.rmdir(staging.joinpath(*parts))
        os.rmdir(staging)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def _atomically(path: Path, mode: int, write: Callable[[BinaryIO], None], *, rename: bool = True) -> Path:
    """Write a file through ``write`` under a temporary name beside ``path`` (created with ``mode``),
    then rename it to ``path`` and return ``path``; with ``rename=False``, return the temporary file for
    the caller to rename once all its files are written. On any error the temporary file is removed."""
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


def _write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    _atomically(path, mode, lambda handle: handle.write(data))


def credentials_rows(plan: Plan) -> list[dict[str, str]]:
    """One row per accepted new pupil: class, nom, prénom, login, password (plaintext)."""
    rows = []
    for item in plan.items:
        if item.kind != "create" or not item.accepted or item.id not in plan.passwords:
            continue
        rows.append(
            {
                "classe": item.subject.get("classe", ""),
                "nom": item.subject["nom"],
                "prenom": item.subject["prenom"],
                "login": item.target["login"],
                "mot_de_passe": plan.passwords[item.id],
                "item": item.id,
            }
        )
    return sorted(rows, key=lambda r: (r["classe"], r["nom"], r["prenom"]))


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


#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character (or a leading quote, so that
    the change can be undone exactly) gets a single quote in front."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def restore_cell(text: str) -> str:
    """The value :func:`neutralise_cell` was given."""
    return text[1:] if text.startswith("'") else text


def credentials_csv(rows: list[dict[str, str]]) -> bytes:
    """identifiants.csv: UTF-8 with BOM, ``;``, CRLF, every cell neutralised for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: neutralise_cell(str(value)) for key, value in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def read_credentials(out_dir: Path) -> list[dict[str, str]]:
    """Rows of ``out_dir/identifiants.csv`` as they were before neutralisation, or ``[]`` when the file
    is absent or unreadable (it is only ever a copy of what the plan made)."""
    path = Path(out_dir) / CREDENTIALS_FILE
    if not path.is_file():
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {key: restore_cell(value or "") for key, value in row.items() if isinstance(key, str)}
                for row in csv.DictReader(handle, delimiter=";")
            ]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


@dataclass(frozen=True, slots=True)
class WrittenPlan:
    """plan.json as just written: its path, what json.loads reads back of it, the sha256 of its bytes."""

    path: Path
    doc: dict[str, Any]
    sha256: str
    #: indexes of the items that are not plain JSON (read back from their bytes: their seals are checked)
    reread: tuple[int, ...]


def write_plan(out: Path, plan: Plan, meta: Mapping[str, Any]) -> WrittenPlan:
    """Write plan.json (and identifiants.csv when there are new pupils) into ``out`` (made 0700)."""
    private_dir(out)
    body = {"format_version": FORMAT_VERSION, **meta, **plan.to_dict(items=False)}
    doc: dict[str, Any] = {}
    reread: list[int] = []
    with paused_gc():  # the items' dicts kept for rendering are acyclic: no collection need walk them
        sha256 = _write_bytes_atomic(out / PLAN_FILE, plan_json_chunks(body, plan.items, doc, reread))
    rows = credentials_rows(plan)
    credentials = out / CREDENTIALS_FILE
    if rows:
        _write_atomic(credentials, credentials_csv(rows))
    else:
        credentials.unlink(missing_ok=True)
    return WrittenPlan(out / PLAN_FILE, doc, sha256, tuple(reread))
