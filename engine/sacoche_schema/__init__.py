"""SACoche DDL used by tests and the demo database (written from the project's target sheet).

``mysql.sql`` is the MySQL/MariaDB version (MyISAM, utf8 / utf8_unicode_ci), ``sqlite.sql`` its SQLite
mirror. Both files are idempotent: loading one twice is harmless.
"""

from __future__ import annotations

import os
import sqlite3
from importlib import resources

__all__ = ["DIALECTS", "create_sqlite", "schema_sql"]

#: Accepted dialect names and the file each one reads.
DIALECTS: dict[str, str] = {"mysql": "mysql.sql", "mariadb": "mysql.sql", "sqlite": "sqlite.sql"}


def schema_sql(dialect: str) -> str:
    """Return the schema script for ``dialect`` ("mysql", "mariadb" or "sqlite")."""
    try:
        filename = DIALECTS[dialect.lower()]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {dialect!r}; expected one of {sorted(DIALECTS)}") from None
    return resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")


def create_sqlite(path: str | os.PathLike[str]) -> None:
    """Create (or complete) a SQLite database at ``path`` holding the SACoche tables and reference rows."""
    connection = sqlite3.connect(os.fspath(path))
    try:
        with connection:
            connection.executescript(schema_sql("sqlite"))
    finally:
        connection.close()
