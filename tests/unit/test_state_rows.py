"""Reading the state's rows (engine.state_rows): each row's values as text and the fingerprint's line,
the same whether the database joins the values (one value per row) or they are read column by column
(a value holding the separator).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from support.tricky_state import column_by_column_print, fill_tricky, prints

from engine.errors import OndeError
from engine.state import read_state
from engine.state_rows import ROW_SEP, SEP, read_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sacoche-ecole-des-tilleuls.db"

#: the example's fingerprint as the column-by-column reader of commit e52088a computed it
EXAMPLE_PRINT = {
    "sacoche_user": (57, "6478df9de6613c75903a790a9513eadbfaf4f747b7e1eb14ae8d13a6d194b81d"),
    "sacoche_groupe": (11, "8c6d5486b3f4c2e43cbca4e6d779b232d3451b6577db9ce93cd00e10c991e8dd"),
    "sacoche_jointure_user_groupe": (15, "6c4b6c99c19fb96a8a1ab5126271a28637103716bafbcd0dacad3567b0ef9020"),
    "sacoche_niveau": (15, "9077434dff20f08dafb92dee7d6f7ea450650a57f42b54ff9e2ddd6266b404c0"),
    "sacoche_user_profil": (19, "d0cd3782dfa22df2a7f338cd575fc32c19d7c035e8eb26a8e9592f1405b38e00"),
    "sacoche_jointure_parent_eleve": (0, hashlib.sha256(b"").hexdigest()),
    "sacoche_parent_adresse": (0, hashlib.sha256(b"").hexdigest()),
}


def test_the_example_s_fingerprint_is_the_column_by_column_one() -> None:
    state = read_state(f"sqlite:///{EXAMPLE}")
    assert prints(state) == EXAMPLE_PRINT == column_by_column_print(EXAMPLE)


def test_tricky_values_are_read_as_text_and_fingerprinted_as_defined(sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)
    state = read_state(f"sqlite:///{sacoche_sqlite}")
    assert prints(state) == column_by_column_print(sacoche_sqlite)
    by_id = {a.user_id: a for a in state.accounts}
    assert sorted(by_id) == [1, 2, 3]
    assert by_id[1].nom == "ÉLODIE-NOËL" and by_id[1].classe_id == 7 and by_id[1].naissance == "2018-05-07"
    assert by_id[2].naissance == "" and by_id[2].ine == "12345678A" and by_id[2].classe_id == 0
    assert by_id[3].nom == f"DE{SEP}LA TOUR"  # read column by column, whole
    assert [(p.user_id, p.login, p.email_origine) for p in state.parents] == [(4, "Anne.Mere", "user")]
    assert state.taken_logins == {"zoe.elodie", "date.sans", "jean.delatour", "anne.mere"}
    assert state.memberships == {(1, 7), (3, 7)}
    assert state.parent_links == {(4, 1): 2}
    assert state.parent_addresses == {4: ("3 rue des Tilleuls", "", "", "", "75001", "PARIS", "FRANCE")}
    assert state.profile.password_min_length == 6  # 0 means SACoche's default


class _Lines:
    """Each row's line and values, from batches of rows (``width`` values a row)."""

    def __init__(self, width: int = 3) -> None:
        self.width = width
        self.lines: list[str] = []
        self.values: list[list[str]] = []

    def add_rows(self, lines: str, values: list[str]) -> None:
        rows = [values[i : i + self.width] for i in range(0, len(values), self.width)]
        assert lines == ROW_SEP.join(SEP.join(row) for row in rows)  # the batch's lines, to hash
        self.lines += [SEP.join(row) for row in rows]
        self.values += rows


def test_a_value_holding_the_separator_gives_the_lines_of_the_column_by_column_read(
    sacoche_sqlite: Path,
) -> None:
    fill_tricky(sacoche_sqlite)
    db = sqlite3.connect(sacoche_sqlite)
    columns = ("user_id", "user_nom", "user_naissance_date")
    fed = read_rows(db, "sqlite", "sacoche_user", columns, "user_id", _Lines)
    db.close()
    assert isinstance(fed, _Lines)
    assert fed.values[1:3] == [["2", "SANS", ""], ["3", f"DE{SEP}LA TOUR", "2017-01-02"]]
    assert fed.lines == [SEP.join(v) for v in fed.values]  # nothing of the first reading left
    assert len(fed.lines) == 5


def test_a_table_that_cannot_be_read_says_which(sacoche_sqlite: Path) -> None:
    db = sqlite3.connect(sacoche_sqlite)
    with pytest.raises(OndeError, match="cannot read table sacoche_nothing"):
        read_rows(db, "sqlite", "sacoche_nothing", ("a", "b"), "a", _Lines)
    db.close()


def test_a_sink_s_own_error_is_not_taken_for_the_database_s(sacoche_sqlite: Path) -> None:
    fill_tricky(sacoche_sqlite)

    class Broken(_Lines):
        def add_rows(self, lines: str, values: list[str]) -> None:
            raise ValueError("the sink's")

    db = sqlite3.connect(sacoche_sqlite)
    with pytest.raises(ValueError, match="the sink's"):
        read_rows(db, "sqlite", "sacoche_user", ("user_id", "user_nom"), "user_id", lambda: Broken(2))
    db.close()
