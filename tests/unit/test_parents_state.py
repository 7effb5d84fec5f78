"""The parents' side of SACoche's state: TUT accounts, links, addresses, widths, fingerprint, read set."""

from __future__ import annotations

from pathlib import Path

from parents_files import add_parent
from schools import SchoolDB

from engine.readset import _parent_rows, _parent_touched_sql, guarded_tables, touched
from engine.state import ACTIVE, PARENT_READ_COLUMNS, READ_COLUMNS, read_state

ADDRESS = ("7 impasse des Glycines", "", "", "", "14990", "BOURG-FICTIF", "FRANCE")


def _school(tmp_path: Path) -> tuple[SchoolDB, dict[str, int]]:
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    lou = db.pupil("LAVANDIER", "Lou", classe="104513_CE1")
    mere = add_parent(db, "LAVANDIER", "Solène", "slavandier", children=[(noe, 1), (lou, 1)], address=ADDRESS)
    pere = add_parent(
        db, "LAVANDIER", "Octave", "olavandier", genre="M", children=[(noe, 2)], sortie="2025-07-04"
    )
    return db, {"noe": noe, "lou": lou, "mere": mere, "pere": pere}


def test_state_reads_parents_links_addresses_and_the_tut_profile(tmp_path: Path) -> None:
    db, ids = _school(tmp_path)
    db.conn.execute(
        "UPDATE sacoche_user_profil SET user_profil_login_modele = 'p.nnnnnnnn' "
        "WHERE user_profil_sigle = 'TUT'"
    )
    state = read_state(db.url)
    assert {p.login for p in state.parents} == {"slavandier", "olavandier"}
    assert all(a.login not in ("slavandier", "olavandier") for a in state.accounts)  # pupils only
    by_login = {p.login: p for p in state.parents}
    assert by_login["slavandier"].active and not by_login["olavandier"].active
    assert by_login["olavandier"].genre == "M" and by_login["olavandier"].sortie_date == "2025-07-04"
    assert dict(state.parent_links) == {
        (ids["mere"], ids["noe"]): 1,
        (ids["mere"], ids["lou"]): 1,
        (ids["pere"], ids["noe"]): 2,
    }
    assert dict(state.parent_addresses) == {ids["mere"]: ADDRESS}
    assert state.parent_profile.model == "p.nnnnnnnn"
    assert state.profile.model == "ppp.nnnnnnnn"  # ELV's unchanged
    assert {"slavandier", "olavandier"} <= state.taken_logins
    assert by_login["slavandier"].sortie_date == ACTIVE


def test_fingerprint_and_widths_cover_the_parent_tables(tmp_path: Path) -> None:
    db, _ = _school(tmp_path)
    before = read_state(db.url)
    assert set(before.fingerprint) == set(READ_COLUMNS) | set(PARENT_READ_COLUMNS)
    assert before.fingerprint["sacoche_jointure_parent_eleve"]["rows"] == 3
    assert before.widths["adresse_postal_code"] == 10 and before.widths["adresse_pays_nom"] == 35
    db.conn.execute("UPDATE sacoche_parent_adresse SET adresse_postal_libelle = 'AILLEURS'")
    after = read_state(db.url)
    moved = [t for t in after.fingerprint if after.fingerprint[t] != before.fingerprint[t]]
    assert moved == ["sacoche_parent_adresse"]


def test_read_set_covers_parent_tables_only_in_a_plan_that_plans_parents() -> None:
    pupils_only = [{"kind": "update", "target": {"user_id": 3}, "changes": {}}]
    assert guarded_tables(pupils_only) == tuple(READ_COLUMNS)
    with_parents = [*pupils_only, {"kind": "parent_link", "target": {}, "changes": {}}]
    assert set(guarded_tables(with_parents)) == set(READ_COLUMNS) | set(PARENT_READ_COLUMNS)


def test_touched_parent_rows_are_resolved_by_id_or_login() -> None:
    items = [
        {"kind": "parent_update", "target": {"user_id": 9, "login": "a"}, "changes": {"user_email": {}}},
        {"kind": "parent_create", "target": {"login": "New.Parent"}, "changes": {}},
        {
            "kind": "parent_link",
            "target": {
                "parent_id": None,
                "parent_login": "New.Parent",
                "eleve_id": None,
                "eleve_login": "kid",
            },
            "changes": {},
        },
        {
            "kind": "parent_unlink",
            "target": {"parent_id": 9, "parent_login": "a", "eleve_id": 4, "eleve_login": "b"},
            "changes": {},
        },
        {
            "kind": "parent_address",
            "target": {"parent_id": None, "parent_login": "New.Parent"},
            "changes": {},
        },
    ]
    found = touched(items)
    assert found.user_ids == {9} and found.written == {9: {"user_email"}}
    assert found.logins == {"new.parent"}
    links, addresses = _parent_rows(found, {"new.parent": 70, "kid": 71})
    assert links == {(70, 71), (9, 4)} and addresses == {70}
    sql = _parent_touched_sql(found, "INSERT IGNORE INTO t (what, a, b)", lambda v: f"'{v}'")
    assert "INSERT IGNORE INTO t (what, a, b) VALUES ('l', '9', '4')" in sql
    assert any("'l', u.user_id, u2.user_id FROM sacoche_user u, sacoche_user u2" in s for s in sql)
    assert any(s.startswith("INSERT IGNORE INTO t (what, a, b) SELECT 'd', u.user_id, 0") for s in sql)
