"""Copy a SACoche state from a SQLite file (e.g. the bundled example) into a MariaDB test database.

Every row of the five SACoche tables is copied with all its columns and its ids, so a plan computed from
the MariaDB copy refers to the same user_id / groupe_id as one computed from the SQLite file. The target
tables are emptied first (the schema's reference rows are replaced by the file's).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

TABLES = (
    "sacoche_niveau",
    "sacoche_user_profil",
    "sacoche_groupe",
    "sacoche_user",
    "sacoche_jointure_user_groupe",
    "sacoche_siecle_import",
    "sacoche_jointure_parent_eleve",
    "sacoche_parent_adresse",
)


def copy_sqlite_to_mysql(sqlite_path: str | Path, db: Any) -> dict[str, int]:
    """Copy every row of the SACoche tables from ``sqlite_path`` into ``db`` (a SacocheDatabase).

    Returns the number of rows copied per table.
    """
    source = sqlite3.connect(f"file:{Path(sqlite_path)}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    try:
        with db.connect() as connection, connection.cursor() as cursor:
            for table in TABLES:
                rows = source.execute(f"SELECT * FROM {table}")
                columns = [d[0] for d in rows.description]
                data = [tuple(row) for row in rows.fetchall()]
                cursor.execute(f"DELETE FROM {table}")
                if data:
                    placeholders = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", data
                    )
                counts[table] = len(data)
    finally:
        source.close()
    return counts
