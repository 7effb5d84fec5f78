"""The SQLite SACoche schema mirrors the MySQL one (file parsing here, live MariaDB when available)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mariadb import SacocheDatabase

from engine.sacoche_schema import create_sqlite, schema_sql

TABLES = [
    "sacoche_groupe",
    "sacoche_jointure_parent_eleve",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_parent_adresse",
    "sacoche_siecle_import",
    "sacoche_user",
    "sacoche_user_profil",
]
#: columns a test row must fill (unique, or NOT NULL without a default), per table
_REQUIRED = {
    "sacoche_user": ("user_login, ", "'enum', "),
    "sacoche_user_profil": ("user_profil_sigle, ", "'XYZ', "),
}
_NOT_COLUMNS = {"PRIMARY", "UNIQUE", "KEY", "CONSTRAINT", "INDEX"}


def _mysql_file_columns() -> dict[str, list[str]]:
    """Column names per table, parsed from mysql.sql (no server needed)."""
    tables: dict[str, list[str]] = {}
    for match in re.finditer(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\)", schema_sql("mysql"), re.S):
        names = [line.split()[0] for line in match.group(2).strip().splitlines() if line.strip()]
        tables[match.group(1)] = [name for name in names if name not in _NOT_COLUMNS]
    return tables


def _sqlite_columns(connection: sqlite3.Connection, table: str) -> list[tuple[str, bool, str | None]]:
    """(name, not null, default literal) per column; a NULL default is reported as None."""
    columns = []
    for _cid, name, _type, notnull, default, _pk in connection.execute(f"PRAGMA table_info({table})"):
        columns.append((name, bool(notnull), None if default in (None, "NULL") else default))
    return columns


@pytest.fixture
def sqlite_db(sacoche_sqlite: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(sacoche_sqlite)
    yield connection
    connection.close()


def test_sqlite_schema_creates_the_tables(sqlite_db: sqlite3.Connection) -> None:
    names = [
        row[0]
        for row in sqlite_db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sacoche%' ORDER BY name"
        )
    ]
    assert names == TABLES


def test_same_columns_as_the_mysql_file(sqlite_db: sqlite3.Connection) -> None:
    mysql = _mysql_file_columns()
    assert sorted(mysql) == TABLES
    for table in TABLES:
        assert [c[0] for c in _sqlite_columns(sqlite_db, table)] == mysql[table], table


def test_defaults_and_constraints(sqlite_db: sqlite3.Connection) -> None:
    sqlite_db.execute("INSERT INTO sacoche_user (user_login) VALUES ('minimal')")
    row = sqlite_db.execute(
        "SELECT user_sortie_date, user_genre, user_email_origine, eleve_lv1, eleve_lv2, user_naissance_date"
        " FROM sacoche_user"
    ).fetchone()
    assert row == ("9999-12-31", "I", "", 100, 100, None)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        sqlite_db.execute("INSERT INTO sacoche_user (user_login) VALUES ('minimal')")
    # Unlike MariaDB's utf8_unicode_ci, SQLite treats these as different logins: uniqueness modulo
    # case/accents is checked in Python by the engine, never left to the database.
    sqlite_db.execute("INSERT INTO sacoche_user (user_login) VALUES ('Minimal')")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.execute("INSERT INTO sacoche_user (user_login, user_genre) VALUES ('g', 'X')")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.execute("INSERT INTO sacoche_user (user_login, user_nom) VALUES ('n', ?)", ("N" * 51,))
    sqlite_db.execute("INSERT INTO sacoche_user (user_login, user_nom) VALUES ('n50', ?)", ("N" * 50,))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        sqlite_db.execute("INSERT INTO sacoche_groupe (groupe_type) VALUES ('classes')")
    sqlite_db.execute("INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (1, 2)")
    with pytest.raises(sqlite3.IntegrityError):
        sqlite_db.execute("INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (1, 2)")
    assert sqlite_db.execute(
        "SELECT user_profil_login_modele, user_profil_mdp_longueur_mini, user_profil_mdp_date_naissance"
        " FROM sacoche_user_profil WHERE user_profil_sigle = 'ELV'"
    ).fetchall() == [("ppp.nnnnnnnn", 6, 0)]


def test_create_sqlite_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "twice.sqlite"
    create_sqlite(path)
    create_sqlite(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM sacoche_niveau").fetchone() == (15,)
        assert connection.execute("SELECT COUNT(*) FROM sacoche_user_profil").fetchone() == (19,)
        assert connection.execute("SELECT COUNT(*) FROM sacoche_siecle_import").fetchone() == (5,)
    connection.close()


def test_declared_types_carry_sacoche_s_widths(sqlite_db: sqlite3.Connection) -> None:
    """PRAGMA table_info reports VARCHAR(n)/CHAR(n) as mysql.sql declares them: the engine reads widths."""
    declared = {name: ctype for _cid, name, ctype, *_ in sqlite_db.execute("PRAGMA table_info(sacoche_user)")}
    assert declared["user_nom"] == declared["user_prenom"] == declared["user_login"] == "VARCHAR(50)"
    assert declared["user_email"] == "VARCHAR(100)"
    assert declared["user_reference"] == "CHAR(11)"
    groupe = {name: ctype for _cid, name, ctype, *_ in sqlite_db.execute("PRAGMA table_info(sacoche_groupe)")}
    assert groupe["groupe_ref"] == groupe["groupe_nom"] == "VARCHAR(20)"
    mysql = schema_sql("mysql")
    for table in TABLES:
        for _cid, name, ctype, *_ in sqlite_db.execute(f"PRAGMA table_info({table})"):
            if "CHAR(" in ctype:
                assert re.search(rf"\n  {name}\s+{re.escape(ctype)}\s", mysql), (table, name, ctype)


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="postgres"):
        schema_sql("postgres")


@pytest.mark.mariadb
def test_sqlite_matches_live_mariadb(sqlite_db: sqlite3.Connection, sacoche_mysql: SacocheDatabase) -> None:
    """Column names/order, NOT NULLs, defaults, ENUM values and reference rows equal the live server's."""
    live: dict[str, list[tuple[str, bool, str | None]]] = {}
    enums: list[tuple[str, str, list[str]]] = []
    for table, name, nullable, default, column_type in sacoche_mysql.query(
        "SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_TYPE"
        " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        " ORDER BY TABLE_NAME, ORDINAL_POSITION"
    ):
        # MariaDB >= 10.2.7 reports defaults as SQL literals ('', 'I', 0, '9999-12-31'), as SQLite does.
        live.setdefault(table, []).append(
            (name, nullable == "NO", None if default in (None, "NULL") else default)
        )
        if column_type.startswith("enum("):
            enums.append((table, name, re.findall(r"'((?:[^']|'')*)'", column_type)))
    assert sorted(live) == TABLES
    for table in TABLES:
        assert _sqlite_columns(sqlite_db, table) == live[table], table

    assert enums
    for table, column, values in enums:
        for value in values:
            sqlite_db.execute("SAVEPOINT enum_check")
            required, required_values = _REQUIRED.get(table, ("", ""))
            sqlite_db.execute(
                f"INSERT INTO {table} ({required}{column}) VALUES ({required_values}?)", (value,)
            )
            sqlite_db.execute("ROLLBACK TO enum_check")
            sqlite_db.execute("RELEASE enum_check")
        required, required_values = _REQUIRED.get(table, ("", ""))
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            sqlite_db.execute(
                f"INSERT INTO {table} ({required}{column}) VALUES ({required_values}'not-an-enum-value')"
            )

    for table, order in (
        ("sacoche_niveau", "niveau_id"),
        ("sacoche_user_profil", "user_profil_sigle"),
        ("sacoche_siecle_import", "siecle_import_objet"),
    ):
        query = f"SELECT * FROM {table} ORDER BY {order}"
        assert sqlite_db.execute(query).fetchall() == sacoche_mysql.query(query), table
