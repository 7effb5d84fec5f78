"""The state read from a real MariaDB is the state read from SQLite holding the same rows: the lines the
server joins (CONCAT_WS) give the values and the fingerprint of the column-by-column read, NULLs, dates,
accents and a value holding the separator (read column by column) included."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import pytest
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql
from support.tricky_state import column_by_column_print, fill_tricky, prints

from engine import state_rows
from engine.state import read_state
from engine.state_rows import ROW_SEP, SEP

pytestmark = pytest.mark.mariadb


@pytest.mark.parametrize(
    ("nom", "chunk", "length"),
    [
        ("DE LA TOUR", state_rows.CHUNK, state_rows.CHUNK_LENGTH),  # every table in chunks
        ("DE LA TOUR", 2, state_rows.CHUNK_LENGTH),  # chunks of two rows: their order kept
        ("DE LA TOUR", state_rows.CHUNK, 40),  # chunks cut at the session's length: read again
        (f"DE{SEP}LA TOUR", state_rows.CHUNK, state_rows.CHUNK_LENGTH),  # a line's separator in a value
        (f"DE{ROW_SEP}LA TOUR", 2, state_rows.CHUNK_LENGTH),  # a chunk's separator in a value
    ],
)
def test_mariadb_and_sqlite_give_one_state(
    sacoche_mysql: SacocheDatabase,
    sacoche_sqlite: Path,
    monkeypatch: pytest.MonkeyPatch,
    nom: str,
    chunk: int,
    length: int,
) -> None:
    monkeypatch.setattr(state_rows, "CHUNK", chunk)
    monkeypatch.setattr(state_rows, "CHUNK_LENGTH", length)
    fill_tricky(sacoche_sqlite, nom)
    copy_sqlite_to_mysql(sacoche_sqlite, sacoche_mysql)
    lite = read_state(f"sqlite:///{sacoche_sqlite}")
    maria = read_state(sacoche_mysql.url)
    with contextlib.closing(sacoche_mysql.connect()) as conn:
        assert prints(maria) == column_by_column_print(conn)
    assert prints(maria) == prints(lite) == column_by_column_print(sacoche_sqlite)
    for field in dataclasses.fields(lite):
        if field.name not in ("url", "dialect", "widths", "archive"):
            assert getattr(maria, field.name) == getattr(lite, field.name), field.name
    assert {a.user_id: a.nom for a in maria.accounts}[3] == nom
