"""Checks on the directories a command is about to write, made before any work so that an odd path
(a dangling symbolic link, a file, a place one may not write) is one message and nothing written."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from engine.errors import OndeError


def _nearest_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (refusing a dangling link on the way)."""
    current = path
    while not current.exists():
        if current.is_symlink():
            raise OndeError(
                "this is a symbolic link to a place that does not exist",
                file=current,
                hint="remove the link, create what it points to, or give another path",
            )
        if current.parent == current:
            break
        current = current.parent
    return current


def _may_create_in(directory: Path, what: Path) -> None:
    """Refuse unless a directory can really be created in ``directory`` (tried, then removed: the
    permission bits alone do not tell for root, read-only mounts or /sys)."""
    try:
        probe = tempfile.mkdtemp(prefix=".onde-sacoche-probe-", dir=directory)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OndeError(
            f"cannot write in {directory} ({reason})",
            file=what,
            hint="choose a directory you may write to, or fix the permissions",
        ) from None
    with contextlib.suppress(OSError):
        os.rmdir(probe)


def check_output_dir(path: Path, option: str = "--out") -> None:
    """Refuse an output directory that cannot be created or written, before anything is written."""
    if path.is_symlink() and not path.exists():
        raise OndeError(
            f"{option} is a symbolic link to a place that does not exist",
            file=path,
            hint="remove the link, create what it points to, or give another directory",
        )
    existing = _nearest_existing(path)
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is under {existing}, which is a file"
        raise OndeError(f"{option} {where}, not a directory", file=path, hint="give a directory path")
    _may_create_in(existing, path)


def copy_tree_new(source: Path, destination: Path) -> None:
    """Copy ``source`` to ``destination``, which must not exist in any form (not even as a dangling
    link); the copy is made beside it and renamed, so a failure leaves nothing behind."""
    if destination.exists() or destination.is_symlink():
        kind = (
            "a dangling symbolic link"
            if not destination.exists()
            else ("a directory" if destination.is_dir() else "a file")
        )
        raise OndeError(
            f"the destination exists already ({kind})",
            file=destination,
            hint="choose a new directory name: nothing is overwritten",
        )
    parent = destination.absolute().parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise OndeError(
            f"the destination is under {existing}, which is a file",
            file=destination,
            hint="choose a path under a directory",
        )
    _may_create_in(existing, destination)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=parent))
    except OSError as exc:
        raise OndeError(
            f"cannot create the destination ({exc.strerror or type(exc).__name__})",
            file=destination,
            hint="choose a directory you may write to",
        ) from None
    try:
        shutil.copytree(source, staging / "rules")
        os.rename(staging / "rules", destination)
    except OSError as exc:
        raise OndeError(
            f"the copy failed ({exc.strerror or type(exc).__name__}); nothing was left behind",
            file=destination,
            hint="free some space or choose another place",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_plan_outputs(directory: Path) -> None:
    """Refuse a plan directory where a file the tool writes is a directory (or a FIFO, a device…), or
    ``sql/`` is a file: the new file would land inside it, or the writing would stop half-way."""
    from engine.plan.planio import CREDENTIALS_FILE, DECISIONS_FILE
    from engine.render import DIALECTS, PLAN_FILE, SCRIPTS, SQL_DIR
    from engine.render.report import REPORT_FILE, SHEET_FILE, SUMMARY_FILE

    if not directory.is_dir():
        return
    folders = [directory / SQL_DIR, *(directory / SQL_DIR / d for d in DIALECTS)]
    names = (PLAN_FILE, REPORT_FILE, SUMMARY_FILE, SHEET_FILE, CREDENTIALS_FILE, DECISIONS_FILE)
    files = [directory / n for n in names]
    files += [directory / SQL_DIR / d / f"{s}.sql" for d in DIALECTS for s in SCRIPTS]
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise OndeError(
                "this must be a directory, not a file",
                file=folder,
                hint="move it away: the plan's SQL scripts are written there",
            )
    for path in files:
        if path.exists() and not path.is_file():
            raise OndeError(
                "this must be a file, not a directory or a special file",
                file=path,
                hint="move it away: the plan writes this file",
            )
