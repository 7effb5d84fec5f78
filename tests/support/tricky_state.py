"""A SACoche state whose rows are easy to read wrong (NULLs, accents, the fingerprint's separator inside
a name, a parent), and the state's fingerprint computed as defined, column by column."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from engine.state import ORDER_BY, TABLE_COLUMNS
from engine.state_rows import SEP


def fill_tricky(path: Path, nom: str = f"DE{SEP}LA TOUR") -> None:
    """Rows whose text is easy to get wrong: NULL, accents, ``nom`` (by default one holding the line's
    separator) for account 3, a parent."""
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "INSERT INTO sacoche_groupe (groupe_id, groupe_type, groupe_ref, groupe_nom, niveau_id)"
            " VALUES (7, 'classe', '104513_CE1', 'CE1 Mme Ancolie', 20001)"
        )
        users = [
            (1, "ELV", "203451870GH", "F", "ÉLODIE-NOËL", "Zoé", "2018-05-07", "", "", "zoe.elodie", 7),
            (2, "ELV", " 12345678a", "I", "SANS", "Date", None, "", "", "date.sans", 0),
            (3, "ELV", "", "M", nom, "Jean", "2017-01-02", "", "", "jean.delatour", 7),
            (4, "TUT", "", "F", "MÈRE", "Anne", None, "anne@example.org", "user", "Anne.Mere", 0),
            (5, "DIR", "", "I", "DIRECTRICE", "Irène", None, "", "", "", 0),
        ]
        db.executemany(
            "INSERT INTO sacoche_user (user_id, user_profil_sigle, user_reference, user_genre, user_nom,"
            " user_prenom, user_naissance_date, user_email, user_email_origine, user_login,"
            " eleve_classe_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        db.executemany(
            "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)", [(1, 7), (3, 7)]
        )
        db.execute("INSERT INTO sacoche_jointure_parent_eleve VALUES (4, 1, 2)")
        db.execute(
            "INSERT INTO sacoche_parent_adresse VALUES (4, '3 rue des Tilleuls', '', '', '', '75001', "
            "'PARIS', 'FRANCE')"
        )
        db.execute(
            "UPDATE sacoche_user_profil SET user_profil_mdp_longueur_mini = 0 WHERE user_profil_sigle = 'ELV'"
        )
    db.close()


def column_by_column_print(db: Any) -> dict[str, tuple[int, str]]:
    """The fingerprint as defined, on a DB-API connection (a SQLite path opens one): each table's rows
    in ORDER_BY order, every value as text (NULL as "", a date as yyyy-mm-dd) joined by U+001F, each
    row followed by U+001E, hashed with SHA-256."""
    if isinstance(db, Path):
        with contextlib.closing(sqlite3.connect(db)) as conn:
            return column_by_column_print(conn)

    def text(value: Any) -> str:
        return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)

    found = {}
    for table, columns in TABLE_COLUMNS.items():
        cursor = db.cursor()
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {ORDER_BY[table]}")
        rows = cursor.fetchall()
        cursor.close()
        lines = "".join("\x1f".join(text(v) for v in row) + "\x1e" for row in rows)
        found[table] = (len(rows), hashlib.sha256(lines.encode("utf-8")).hexdigest())
    return found


def prints(state: Any) -> dict[str, tuple[int, str]]:
    return {t: (f["rows"], f["sha256"]) for t, f in state.fingerprint.items()}
