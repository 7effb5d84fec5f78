"""Copy a SACoche state from a SQLite file (e.g. the bundled example) into a MariaDB test database.

Every row of the five SACoche tables is copied with all its columns and its ids, so a plan computed from
the MariaDB copy refers to the same user_id / groupe_id as one computed from the SQLite file. The target
tables are emptied first (the schema's reference rows are replaced by the file's). SACoche's archive of
the previous import (up to 16 MB, MEDIUMTEXT) is sent in pieces, as a statement holding it whole, once
escaped, would exceed the server's max_allowed_packet (16 MiB by default).
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
#: table -> (its long text column, its primary key): sent in pieces of PIECE characters
LONG_TEXT = {"sacoche_siecle_import": ("siecle_import_contenu", "siecle_import_objet")}
PIECE = 1_000_000


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
                rest: list[tuple[object, str]] = []  # (key, the long text's pieces after the first)
                if table in LONG_TEXT:
                    text, key = (columns.index(c) for c in LONG_TEXT[table])
                    for i, row in enumerate(data):
                        if isinstance(row[text], str) and len(row[text]) > PIECE:
                            rest += [
                                (row[key], row[text][at : at + PIECE])
                                for at in range(PIECE, len(row[text]), PIECE)
                            ]
                            data[i] = (*row[:text], row[text][:PIECE], *row[text + 1 :])
                if data:
                    placeholders = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", data
                    )
                for key_value, piece in rest:  # CONCAT: at most max_allowed_packet, MEDIUMTEXT is less
                    column, key_column = LONG_TEXT[table]
                    cursor.execute(
                        f"UPDATE {table} SET {column} = CONCAT({column}, %s) WHERE {key_column} = %s",
                        (piece, key_value),
                    )
                counts[table] = len(data)
    finally:
        source.close()
    return counts
