"""Connecting to SACoche's database, read-only: the ``--db`` URL → a DB-API connection and its dialect.

``sqlite:///path`` opens the file read-only (``mode=ro``); ``mysql://…`` connects through
engine.dburl and sets the session read-only. Used by engine.state (reading the state) and by the
checks that run against the database later (engine.target, engine.readset).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote  # urllib.request.pathname2url on POSIX (urllib.request costs ~5 ms)

from engine.dburl import connect_mysql, parse_url, public_url
from engine.errors import OndeError


def _file_url_path(path: Path) -> str:
    """The path part of a ``file:`` URI for ``path`` (``urllib.request.pathname2url``)."""
    if os.name == "nt":  # pragma: no cover - drive letters and backslashes
        from urllib.request import pathname2url

        return pathname2url(str(path.resolve()))
    return quote(str(path.resolve()))


def redact_url(url: str) -> str:
    """The URL without its password, for plan files and messages (see engine.dburl)."""
    return public_url(url)


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL."""
    db = parse_url(url)
    if db.path is None:
        raise OndeError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path", file=db.public)
    return db.path


@contextmanager
def connect(url: str) -> Iterator[tuple[Any, str]]:
    """A read-only DB-API connection for a ``--db`` URL, and its dialect ('sqlite' or 'mysql')."""
    db = parse_url(url)
    if db.path is not None:
        path = db.path
        if not path.is_file():
            raise OndeError(
                "no such SQLite database", file=path, hint="check the path in --db sqlite:///PATH"
            )
        conn = sqlite3.connect(f"file:{_file_url_path(path)}?mode=ro", uri=True)
        try:
            # one read transaction for the whole reading: the file locked and its journal looked for
            # once, not at every statement (and every table read from the same snapshot)
            conn.execute("BEGIN")
            yield conn, "sqlite"
        finally:
            conn.close()
        return
    conn = connect_mysql(db.resolved())
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
        yield conn, "mysql"
    finally:
        conn.close()
