"""engine.state_rows.read_rows on some rows only (``where``) and into any sink factory (engine.readset
reads its keys and terms so): the rows and values of the column-by-column read, whichever way it went."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.tricky_state import fill_tricky

from engine.state_rows import ROW_SEP, SEP, read_rows


class _Rows:
    def __init__(self, seen: list[str], width: int) -> None:
        self.width = width
        self.values: list[list[str]] = []
        seen.append("new")  # each reading starts a new sink

    def add_rows(self, lines: str, values: list[str]) -> None:
        rows = [values[i : i + self.width] for i in range(0, len(values), self.width)]
        assert lines == ROW_SEP.join(SEP.join(row) for row in rows)
        self.values += rows


def _read(path: Path, columns: tuple[str, ...], where: str) -> tuple[list[list[str]], list[str]]:
    seen: list[str] = []
    db = sqlite3.connect(path)
    fed = read_rows(
        db, "sqlite", "sacoche_user", columns, "user_id", lambda: _Rows(seen, len(columns)), where=where
    )
    db.close()
    assert isinstance(fed, _Rows)
    return fed.values, seen


def test_some_rows_joined_by_the_database(sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)
    values, seen = _read(
        sacoche_sqlite, ("user_id", "lower(user_login)", "user_naissance_date"), "user_id < 3"
    )
    assert values == [["1", "zoe.elodie", "2018-05-07"], ["2", "date.sans", ""]]
    assert seen == ["new"]


def test_some_rows_read_again_column_by_column_keep_the_condition(sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)  # account 3's name holds the separator
    values, seen = _read(sacoche_sqlite, ("user_id", "user_nom"), "user_id IN (1, 3)")
    assert values == [["1", "ÉLODIE-NOËL"], ["3", f"DE{SEP}LA TOUR"]]
    assert seen == ["new", "new"]  # what the first reading fed is dropped


def test_no_row_matching_feeds_nothing(sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)
    assert _read(sacoche_sqlite, ("user_id",), "user_id > 99") == ([], ["new"])
