"""Is ``--db`` the database the plan was made from, in the state the plan saw?

A plan records, in ``state``, the identity of its database (``identity``: the SQLite file, or the server
and the schema name) and the fingerprint of everything it read (engine.state: row counts and SHA-256 of
the columns read, per table). ``onde-sacoche apply`` recomputes both on ``--db`` before running anything
and refuses another database, or a database that changed since the plan (the plan must be made again).

After an apply that stopped part-way, the fingerprint differs by the plan's own writes: ``apply
--resume`` skips the fingerprint (never the identity) and leaves it to the script's guards, which accept
each touched row in the plan's old or new state, and the rest of the read set unchanged (docs/sql.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.dburl import parse_url
from engine.errors import OndeError

_LOCAL = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def db_identity(url: str) -> dict[str, Any]:
    """What names a database independently of how the URL is spelled: the SQLite file (absolute), or
    the MySQL server (host, port; a local socket or loopback address is ``localhost``) and schema."""
    db = parse_url(url)
    if db.dialect == "sqlite":
        return {"dialect": "sqlite", "file": str(db.path.resolve()) if db.path else ""}
    host = (db.host or "").strip("[]").lower()
    if db.unix_socket or host in _LOCAL:
        host = "localhost"
    port = None if host == "localhost" and db.unix_socket else (db.port or 3306)
    return {"dialect": "mysql", "host": host, "port": port, "database": db.database}


def _shown(identity: Mapping[str, Any]) -> str:
    if identity.get("dialect") == "sqlite":
        return f"SQLite file {identity.get('file')}"
    port = f":{identity['port']}" if identity.get("port") else ""
    return f"schema {identity.get('database')!r} on {identity.get('host')}{port}"


def check_target(doc: Mapping[str, Any], db_url: str, plan_file: Path, *, resume: bool = False) -> None:
    """Refuse ``db_url`` when it is not the plan's database, or (unless ``resume``) not in the state the
    plan read. Nothing is written."""
    state = doc.get("state") or {}
    planned = state.get("identity")
    here = db_identity(db_url)
    if not isinstance(planned, dict):
        raise OndeError(
            file=plan_file,
            message="plan.json does not say which database it was made from",
            hint="run `onde-sacoche plan` again with this version of the tool",
        )
    if planned != here:
        raise OndeError(
            file=plan_file,
            message="--db is not the database the plan was made from: the plan was made on "
            f"{_shown(planned)}, --db is {_shown(here)}; nothing was written",
            hint="give the database the plan was made from, or make a plan on this one",
        )
    if resume:
        return
    from engine.state import read_state

    now = dict(read_state(db_url).fingerprint)
    then = state.get("fingerprint") or {}
    moved = sorted(t for t in set(now) | set(then) if now.get(t) != then.get(t))
    if moved:
        raise OndeError(
            file=plan_file,
            message="the database changed since the plan was made ("
            + ", ".join(moved)
            + "): nothing was written",
            hint="make the plan again on the database as it is now, review it, then apply; if an apply of "
            "this very plan stopped part-way, finish it with `onde-sacoche apply --resume`",
        )
