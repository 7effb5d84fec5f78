"""The parents' SQL (docs/parents.md, docs/sql.md): hand-built parent items of every kind added to the
example's pupils plan, rendered for both dialects, and the SQLite scripts run on a copy of the example
database holding three parents: apply, verify, guards, revert."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO
from parent_items import FAMILY_SQL, family_plan, parent_items, set_accepted

from engine.errors import OndeError
from engine.render import load_plan, render_scripts, render_sql, sql_path
from engine.render.apply import run_sqlite, verify_sqlite

TABLES = (
    "sacoche_user",
    "sacoche_jointure_parent_eleve",
    "sacoche_parent_adresse",
    "sacoche_jointure_user_groupe",
)


@pytest.fixture
def family_db(tmp_path: Path) -> Path:
    db = tmp_path / "sacoche.db"
    shutil.copy(REPO / "examples" / "sacoche-ecole-des-tilleuls.db", db)
    connection = sqlite3.connect(db)
    with connection:
        for statement in FAMILY_SQL:
            connection.execute(statement)
    connection.close()
    return db


@pytest.fixture
def plan_dir(family_db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "plan"
    family_plan(out, f"sqlite:///{family_db}")
    return out


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(db)
    try:
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        connection.close()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# --- what the scripts say -------------------------------------------------------------------------------


def test_mysql_scripts_lock_the_parents_tables_and_never_delete_an_account(plan_dir: Path) -> None:
    scripts = render_scripts(load_plan(plan_dir), "mysql")
    apply, revert = scripts["apply"], scripts["revert"]
    for text in (apply, revert):
        at = text.index("\nLOCK TABLES")
        lock = text[at : text.index(";", at)]
        for name in (
            "sacoche_user AS p WRITE",
            "sacoche_user AS e WRITE",
            "sacoche_jointure_parent_eleve WRITE",
            "sacoche_jointure_parent_eleve AS l WRITE",
            "sacoche_parent_adresse WRITE",
            "sacoche_parent_adresse AS pa WRITE",
        ):
            assert name in lock
    assert "DELETE FROM sacoche_user" not in apply and "DELETE FROM sacoche_user" not in revert
    # the only DELETE of apply.sql about parents is the link row of the unlink
    assert apply.count("DELETE FROM sacoche_jointure_parent_eleve") == 1
    assert "DELETE FROM sacoche_parent_adresse" not in apply
    unlink = apply[apply.index("-- parent_unlink-0000000009: ") :]
    assert unlink.splitlines()[1] == "DELETE FROM sacoche_jointure_parent_eleve WHERE resp_legal_num = 1"
    # the new parent: TUT, no class, inserted only while its login is free
    create = apply[apply.index("-- parent_create-0000000001: ") :].split(";")[0]
    assert "'TUT', 'M', 'NOUVEAU', 'Élie'" in create and "FROM DUAL" in create
    assert "WHERE NOT EXISTS (SELECT 1 FROM sacoche_user u WHERE u.user_login = 'nou.parent')" in create
    # writes move only rows in the old state
    address = apply[apply.index("-- parent_address-0000000006: ") :].split(";")[0]
    assert "SET adresse_ligne1 = '3 rue Neuve', adresse_postal_code = '14000'" in address
    assert "CAST(adresse_ligne1 AS BINARY) = CAST('7 impasse des Glycines' AS BINARY)" in address
    link = apply[apply.index("-- parent_link-0000000008: ") :].split(";")[0]
    assert "NOT EXISTS (SELECT 1 FROM sacoche_jointure_parent_eleve l WHERE" in link
    assert "e.user_login = 'sal.aubepine'" in link and "e.user_profil_sigle = 'ELV'" in link
    # the decide item is a question: never written
    assert "parent_decide-000000000a" not in apply
    assert "-- not accepted:    1 (left out); decide: 2 (never applied)" in apply


def test_a_pupils_only_plan_locks_no_parent_table(family_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pupils"
    family_plan(out, f"sqlite:///{family_db}", items=[])
    apply = render_scripts(load_plan(out), "mysql")["apply"]
    assert "parent" not in apply[apply.index("\nLOCK TABLES") : apply.index("-- GUARDS")]


def test_mysql_guards_accept_the_old_or_the_new_state(plan_dir: Path) -> None:
    apply = render_scripts(load_plan(plan_dir), "mysql")["apply"]
    guard = apply[apply.index("parent_link-0000000007: already linked. ") :]
    guard = guard[: guard.index("AND NOT @onde_sacoche_other_state")]
    assert "SET @onde_sacoche_other_state = ((EXISTS (SELECT 1 FROM sacoche_jointure_parent_eleve l" in guard
    assert "l.resp_legal_num = 2" in guard
    unlink = apply[apply.index("parent_unlink-0000000009: not linked. ") :]
    assert (
        "SET @onde_sacoche_other_state = ((NOT EXISTS (SELECT 1 FROM sacoche_jointure_parent_eleve" in unlink
    )


# --- SQLite: apply, verify, revert -----------------------------------------------------------------------


def test_sqlite_apply_writes_every_parent_item_and_verify_says_ok(plan_dir: Path, family_db: Path) -> None:
    render_sql(plan_dir, ["sqlite"])
    verify = sql_path(plan_dir, "sqlite", "verify")
    before = verify_sqlite(family_db, verify)
    assert not before.verified
    details = {row[0]: row[2] for row in before.rows}
    assert details["parent_link-0000000007"].startswith("NOT DONE (still as the plan found it)")
    run_sqlite(family_db, sql_path(plan_dir, "sqlite", "apply"))
    assert verify_sqlite(family_db, verify).verified
    new = query(
        family_db,
        "SELECT user_id, user_profil_sigle, eleve_classe_id, user_email_origine FROM sacoche_user "
        "WHERE user_login = 'nou.parent'",
    )
    assert [r[1:] for r in new] == [("TUT", 0, "admin")]
    parent = new[0][0]
    links = query(family_db, "SELECT parent_id, eleve_id, resp_legal_num FROM sacoche_jointure_parent_eleve")
    pupil = query(family_db, "SELECT user_id FROM sacoche_user WHERE user_login = 'sal.aubepine'")[0][0]
    assert sorted(links) == sorted(
        [(900, 1, 1), (901, 3, 2), (902, 4, 1), (parent, 1, 2), (parent, pupil, 1)]
    )
    assert query(family_db, "SELECT * FROM sacoche_parent_adresse ORDER BY parent_id") == [
        (900, "3 rue Neuve", "", "", "", "14000", "BOURG-FICTIF", "FRANCE"),
        (parent, "2 rue d'Ici", "", "", "", "14990", "BOURG-FICTIF", "FRANCE"),
    ]
    assert query(
        family_db,
        "SELECT user_id, user_sortie_date, user_email FROM sacoche_user WHERE user_id BETWEEN 900 AND 902",
    ) == [
        (900, "9999-12-31", "solene.l@exemple.invalid"),
        (901, "9999-12-31", ""),
        (902, "2026-11-29", ""),
    ]
    with pytest.raises(OndeError, match=r"GUARD 1/"):  # SQLite's guards accept the old state only
        run_sqlite(family_db, sql_path(plan_dir, "sqlite", "apply"))


@pytest.mark.parametrize("deletes_created", [False, True], ids=["deactivates", "deletes-created"])
def test_sqlite_revert_restores_the_parents_tables(
    plan_dir: Path, family_db: Path, deletes_created: bool
) -> None:
    render_sql(plan_dir, ["sqlite"], revert_deletes_created=deletes_created)
    before = dump(family_db)
    run_sqlite(family_db, sql_path(plan_dir, "sqlite", "apply"))
    run_sqlite(family_db, sql_path(plan_dir, "sqlite", "revert"))
    after = dump(family_db)
    for table in ("sacoche_jointure_parent_eleve", "sacoche_parent_adresse", "sacoche_jointure_user_groupe"):
        assert after[table] == before[table], table
    created = {"nou.parent", "ine.saule1", "loi.pervench", "sal.aubepine"}
    kept = [r for r in after["sacoche_user"] if r[11] not in created]
    assert kept == before["sacoche_user"]
    left = [r for r in after["sacoche_user"] if r[11] in created]
    assert left == [] if deletes_created else all(r[16] == "2026-11-29" for r in left) and len(left) == 4


# --- guards ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "guard"),
    [
        (
            "UPDATE sacoche_user SET user_email = 'autre@exemple.invalid' WHERE user_id = 900",
            "parent_update-0000000002: row changed",
        ),
        (
            "DELETE FROM sacoche_jointure_parent_eleve WHERE parent_id = 900 AND eleve_id = 2",
            "parent_unlink-0000000009: not linked",
        ),
        (
            "UPDATE sacoche_jointure_parent_eleve SET resp_legal_num = 2 "
            "WHERE parent_id = 900 AND eleve_id = 2",
            "parent_unlink-0000000009: not linked",
        ),
        (
            "UPDATE sacoche_parent_adresse SET adresse_ligne1 = '8 impasse' WHERE parent_id = 900",
            "parent_address-0000000006: address changed",
        ),
        (
            "UPDATE sacoche_user SET user_login = 'tim.autre' WHERE user_id = 1",
            "parent_link-0000000007: pupil changed",
        ),
        (
            "UPDATE sacoche_user SET user_profil_sigle = 'ENS' WHERE user_id = 901",
            "parent_reactivate-0000000003: row changed",
        ),
        (
            "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login) "
            "VALUES ('ENS', 'A', 'B', 'Nou.Parent')",
            "parent_create-0000000001: login taken",
        ),
    ],
)
def test_a_row_moved_since_the_plan_stops_sqlite_apply_before_any_write(
    plan_dir: Path, family_db: Path, edit: str, guard: str
) -> None:
    render_sql(plan_dir, ["sqlite"])
    connection = sqlite3.connect(family_db)
    with connection:
        connection.execute(edit)
    connection.close()
    before = dump(family_db)
    with pytest.raises(OndeError, match=guard):
        run_sqlite(family_db, sql_path(plan_dir, "sqlite", "apply"))
    assert dump(family_db) == before


def test_a_link_needing_a_rejected_parent_is_refused(plan_dir: Path) -> None:
    set_accepted(plan_dir, "parent_create-0000000001", False)
    with pytest.raises(OndeError, match="parent_address-0000000005 is accepted but needs its new parent"):
        render_scripts(load_plan(plan_dir), "sqlite")


def test_a_link_needing_a_rejected_pupil_is_refused(plan_dir: Path) -> None:
    doc = load_plan(plan_dir).doc
    pupil = next(
        i["id"] for i in doc["items"] if i["kind"] == "create" and i["target"]["login"] == "sal.aubepine"
    )
    set_accepted(plan_dir, pupil, False)
    with pytest.raises(OndeError, match="parent_link-0000000008 is accepted but needs its new pupil"):
        render_scripts(load_plan(plan_dir), "sqlite")


# --- what the renderer refuses in an item -----------------------------------------------------------------


def _broken(n: int, change: Any) -> list[dict[str, Any]]:
    items = parent_items()
    change(items[n])
    return items


@pytest.mark.parametrize(
    ("n", "change", "message"),
    [
        (
            0,
            lambda i: i["changes"]["user_profil_sigle"].update(new="ELV"),
            "user_profil_sigle of a parent must be 'TUT'",
        ),
        (
            0,
            lambda i: i["changes"].update(eleve_classe_id={"old": None, "new": "CP"}),
            "'eleve_classe_id' cannot be set",
        ),
        (
            1,
            lambda i: i["changes"].update(user_login={"old": "a", "new": "b"}),
            "'user_login' cannot be changed",
        ),
        (4, lambda i: i["changes"]["adresse_postal_code"].update(new="12345678901"), "at most 10 characters"),
        (5, lambda i: i["target"].pop("row_exists"), "target needs row_exists"),
        (
            6,
            lambda i: i["changes"]["resp_legal_num"].update(new=300),
            "resp_legal_num must be an integer from 0 to 255",
        ),
        (8, lambda i: i["target"].pop("resp_legal_num"), "target needs resp_legal_num"),
        (9, lambda i: i.update(accepted=True), "a parent_decide item is a question, it cannot be accepted"),
    ],
)
def test_a_malformed_parent_item_is_refused_with_its_line(
    family_db: Path, tmp_path: Path, n: int, change: Any, message: str
) -> None:
    out = tmp_path / "plan"
    family_plan(out, f"sqlite:///{family_db}", items=_broken(n, change))
    with pytest.raises(OndeError, match=message) as refused:
        load_plan(out)
    assert refused.value.file is not None and refused.value.line


@pytest.mark.parametrize(
    ("edit", "guard"),
    [
        (
            "UPDATE sacoche_jointure_parent_eleve SET resp_legal_num = 3 WHERE parent_id = "
            "(SELECT user_id FROM sacoche_user WHERE user_login = 'nou.parent') AND eleve_id = 1",
            "parent_link-0000000007: link changed",
        ),
        (
            "UPDATE sacoche_parent_adresse SET adresse_ligne1 = '9 rue Autre' WHERE parent_id = 900",
            "parent_address-0000000006: address changed",
        ),
        (
            "UPDATE sacoche_user SET user_email = 'autre@exemple.invalid' WHERE user_id = 900",
            "parent_update-0000000002: row changed",
        ),
    ],
)
def test_a_row_changed_after_apply_stops_sqlite_revert(
    plan_dir: Path, family_db: Path, edit: str, guard: str
) -> None:
    render_sql(plan_dir, ["sqlite"])
    run_sqlite(family_db, sql_path(plan_dir, "sqlite", "apply"))
    connection = sqlite3.connect(family_db)
    with connection:
        connection.execute(edit)
    connection.close()
    before = dump(family_db)
    with pytest.raises(OndeError, match=guard):
        run_sqlite(family_db, sql_path(plan_dir, "sqlite", "revert"))
    assert dump(family_db) == before
