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

from engine.state import read_state
from engine.state_rows import SEP

pytestmark = pytest.mark.mariadb


def test_mariadb_and_sqlite_give_one_state(sacoche_mysql: SacocheDatabase, sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)
    copy_sqlite_to_mysql(sacoche_sqlite, sacoche_mysql)
    lite = read_state(f"sqlite:///{sacoche_sqlite}")
    maria = read_state(sacoche_mysql.url)
    with contextlib.closing(sacoche_mysql.connect()) as conn:
        assert prints(maria) == column_by_column_print(conn)
    assert prints(maria) == prints(lite) == column_by_column_print(sacoche_sqlite)
    for field in dataclasses.fields(lite):
        if field.name not in ("url", "dialect", "widths", "archive"):
            assert getattr(maria, field.name) == getattr(lite, field.name), field.name
    assert {a.user_id: a.nom for a in maria.accounts}[3] == f"DE{SEP}LA TOUR"
