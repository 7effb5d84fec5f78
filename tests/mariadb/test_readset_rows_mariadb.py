"""The read set at plan time, read as one text per row in chunks (engine.state_rows), is the server's own
sums over the rows the plan does not touch: tricky keys (a login or a group ref holding a separator,
accents, an empty login, NULL columns), chunks of two rows and chunks cut at the session's
GROUP_CONCAT length (read again column by column) give the same sums, terms and refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql
from support.tricky_state import fill_tricky

from engine import state_rows
from engine.errors import OndeError
from engine.readset import TOUCHED_USERS, masked_term_sql, plan_read_set, read_set, term_sql
from engine.state import TABLE_COLUMNS
from engine.state_rows import ROW_SEP, SEP

pytestmark = pytest.mark.mariadb

#: the rows the items below touch, as conditions on each table (written out here, not derived)
UNTOUCHED = {
    "sacoche_user": "user_id NOT IN (1, 2)",  # 1 updated, 2's login created again (other case, accents)
    "sacoche_groupe": "groupe_id <> 7",  # renamed
    "sacoche_jointure_user_groupe": "(user_id, groupe_id) NOT IN ((1, 8), (3, 8))",  # added, removed
    "sacoche_niveau": "1",
    "sacoche_user_profil": "1",
    "sacoche_jointure_parent_eleve": "NOT (parent_id = 4 AND eleve_id = 1)",  # linked, by logins
    "sacoche_parent_adresse": "parent_id <> 4",  # the address of the parent found by login
}


def _items(odd: str) -> list[dict[str, Any]]:
    return [
        {"kind": "update", "target": {"user_id": 1}, "changes": {"user_nom": "X", "user_login": "y"}},
        {"kind": "create", "target": {"login": "DÂTÉ.SANS"}, "changes": {}},
        {"kind": "class_rename", "target": {"groupe_id": 7}, "changes": {}},
        {"kind": "membership_add", "target": {"user_id": 1, "login": "z", "groupe_ref": f"g{odd}1"}},
        {"kind": "membership_remove", "target": {"login": f"JEAN{odd}DELATOUR", "groupe_ref": f"g{odd}1"}},
        {"kind": "decide", "target": {"user_id": 3}, "changes": {}},  # touches nothing
        {"kind": "parent_link", "target": {"parent_login": "ANNE.MERE", "eleve_id": 1}, "changes": {}},
        {"kind": "parent_address", "target": {"parent_login": "anne.mere"}, "changes": {}},
    ]


def _school(sqlite: Path, db: SacocheDatabase, odd: str) -> SacocheDatabase:
    fill_tricky(sqlite, "DE LA TOUR")
    copy_sqlite_to_mysql(sqlite, db)
    db.query("UPDATE sacoche_user SET user_login = %s WHERE user_id = 3", (f"jean{odd}delatour",))
    db.query("UPDATE sacoche_user SET user_login = 'Dâté.Sans' WHERE user_id = 2")
    db.query(
        "INSERT INTO sacoche_groupe (groupe_id, groupe_type, groupe_ref, groupe_nom)"
        " VALUES (8, 'groupe', %s, 'Chorale é')",
        (f"G{odd}1",),
    )
    db.query("INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (1, 8), (2, 8), (3, 8)")
    return db


def _server_sums(db: SacocheDatabase) -> dict[str, dict[str, Any]]:
    """The read set as the server sums it, the touched rows left out by the conditions above."""
    found = {}
    for table, condition in UNTOUCHED.items():
        total = f"CAST(COALESCE(SUM({term_sql(table)}), 0) AS CHAR)"
        [(rows, total)] = db.query(f"SELECT COUNT(*), {total} FROM {table} WHERE {condition}")
        found[table] = {"rows": int(rows), "checksum": str(total)}
    [(term,)] = db.query(
        f"SELECT {masked_term_sql({'user_nom', 'user_login'})} FROM sacoche_user WHERE user_id = 1"
    )
    found[TOUCHED_USERS] = {"rows": 1, "terms": {"1": str(term)}}
    return found


CASES = [
    ("", state_rows.CHUNK, state_rows.CHUNK_LENGTH),  # one text per chunk of rows
    ("", 2, state_rows.CHUNK_LENGTH),  # chunks of two rows
    ("", state_rows.CHUNK, 10),  # every chunk cut at the session's length: read again column by column
    (SEP, state_rows.CHUNK, state_rows.CHUNK_LENGTH),  # a row's separator in a login and a group ref
    (ROW_SEP, 2, state_rows.CHUNK_LENGTH),  # a chunk's separator in them
]


@pytest.mark.parametrize(("odd", "chunk", "length"), CASES)
def test_the_read_set_is_the_server_s_sums_without_the_touched_rows(
    sacoche_mysql: SacocheDatabase,
    sacoche_sqlite: Path,
    monkeypatch: pytest.MonkeyPatch,
    odd: str,
    chunk: int,
    length: int,
) -> None:
    monkeypatch.setattr(state_rows, "CHUNK", chunk)
    monkeypatch.setattr(state_rows, "CHUNK_LENGTH", length)
    db = _school(sacoche_sqlite, sacoche_mysql, odd)
    early = read_set(db.url, parents=True)
    assert early is not None and set(early) == set(TABLE_COLUMNS)
    found = plan_read_set(db.url, early, _items(odd))
    assert found == _server_sums(db)
    assert found["sacoche_jointure_user_groupe"]["rows"] == 3  # (2, 8) and the class's (1, 7) and (3, 7)
    assert found["sacoche_user"]["rows"] == 3 and found["sacoche_parent_adresse"]["rows"] == 0


@pytest.mark.parametrize(("odd", "chunk", "length"), CASES)
def test_a_key_edited_while_planning_is_refused(
    sacoche_mysql: SacocheDatabase,
    sacoche_sqlite: Path,
    monkeypatch: pytest.MonkeyPatch,
    odd: str,
    chunk: int,
    length: int,
) -> None:
    monkeypatch.setattr(state_rows, "CHUNK", chunk)
    monkeypatch.setattr(state_rows, "CHUNK_LENGTH", length)
    db = _school(sacoche_sqlite, sacoche_mysql, odd)
    early = read_set(db.url, parents=True)
    assert early is not None
    db.query("UPDATE sacoche_user SET user_login = %s WHERE user_id = 5", (f"irene{odd}",))
    with pytest.raises(OndeError, match=r"changed while the plan was being made \(sacoche_user\)"):
        plan_read_set(db.url, early, _items(odd))
