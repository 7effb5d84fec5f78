"""The read set of a plan that plans parents covers the parents' tables (links, addresses), leaving out
the rows its parent items touch; a pupils-only plan's read set does not name them."""

from __future__ import annotations

import pytest
from support.mariadb import SacocheDatabase

from engine.errors import OndeError
from engine.readset import plan_read_set, read_set

pytestmark = pytest.mark.mariadb


@pytest.fixture
def family(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    db = sacoche_mysql
    db.query(
        "INSERT INTO sacoche_user (user_id, user_profil_sigle, user_nom, user_prenom, user_login) VALUES "
        "(1, 'ELV', 'LAVANDIER', 'Noé', 'nlavandier'), (2, 'ELV', 'LAVANDIER', 'Lou', 'llavandier'), "
        "(3, 'TUT', 'LAVANDIER', 'Solène', 'slavandier')"
    )
    db.query("INSERT INTO sacoche_jointure_parent_eleve VALUES (3, 1, 1), (3, 2, 1)")
    db.query(
        "INSERT INTO sacoche_parent_adresse (parent_id, adresse_ligne1) VALUES (3, '7 impasse des Glycines')"
    )
    return db


LINK = {
    "kind": "parent_unlink",
    "target": {"parent_id": 3, "parent_login": "slavandier", "eleve_id": 2, "eleve_login": "llavandier"},
    "changes": {},
}
ADDRESS = {"kind": "parent_address", "target": {"parent_id": 3, "parent_login": "slavandier"}, "changes": {}}


def test_parents_tables_are_covered_only_when_the_plan_plans_parents(family: SacocheDatabase) -> None:
    pupils_only = read_set(family.url)
    assert pupils_only is not None and "sacoche_jointure_parent_eleve" not in pupils_only
    early = read_set(family.url, parents=True)
    assert early is not None
    assert (
        early["sacoche_jointure_parent_eleve"]["rows"] == 2 and early["sacoche_parent_adresse"]["rows"] == 1
    )
    untouched = plan_read_set(family.url, early, [{**ADDRESS, "kind": "parent_link", "target": {}}])
    assert untouched["sacoche_jointure_parent_eleve"] == early["sacoche_jointure_parent_eleve"]
    found = plan_read_set(family.url, early, [LINK, ADDRESS])
    assert found["sacoche_jointure_parent_eleve"]["rows"] == 1  # the unlinked row left out
    assert found["sacoche_parent_adresse"] == {"rows": 0, "checksum": "0"}


def test_a_link_edited_while_planning_is_refused(family: SacocheDatabase) -> None:
    early = read_set(family.url, parents=True)
    assert early is not None
    family.query("UPDATE sacoche_jointure_parent_eleve SET resp_legal_num = 2 WHERE eleve_id = 1")
    with pytest.raises(
        OndeError, match=r"changed while the plan was being made \(sacoche_jointure_parent_eleve\)"
    ):
        plan_read_set(family.url, early, [LINK])


def test_apply_sql_read_guards_leave_out_the_touched_parent_rows(family: SacocheDatabase) -> None:
    """The guard apply.sql will run once it locks the parents' tables (engine.readset.GUARDED_IN_SQL):
    ReadGuard over the touched-keys table, filled by touched_sql, agrees with the plan's read set for
    the parents' tables, new logins resolved in SQL."""
    from engine.readset import TOUCHED
    from engine.readset_sql import ReadGuard, touched_sql
    from engine.render.literals import mysql_literal

    new_link = {
        "kind": "parent_link",
        "target": {
            "parent_id": None,
            "parent_login": "slavandier",
            "eleve_id": None,
            "eleve_login": "nlavandier",
        },
        "changes": {},
    }
    items = [LINK, ADDRESS, new_link]
    early = read_set(family.url, parents=True)
    assert early is not None
    found = plan_read_set(family.url, early, items)
    assert found["sacoche_jointure_parent_eleve"]["rows"] == 0
    connection = family.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {TOUCHED} (what CHAR(1) NOT NULL, a INT UNSIGNED NOT NULL, "
                "b INT UNSIGNED NOT NULL, PRIMARY KEY (what, a, b))"
            )
            for statement in touched_sql(items, mysql_literal, parents=True):
                cursor.execute(statement)
            for table in ("sacoche_jointure_parent_eleve", "sacoche_parent_adresse"):
                info = found[table]
                guard = ReadGuard(table, int(info["rows"]), str(info["checksum"]), mysql_literal)
                cursor.execute(f"SELECT {guard.condition}")
                assert cursor.fetchone()[0] == 1, table
            cursor.execute("INSERT INTO sacoche_parent_adresse (parent_id) VALUES (9)")
            info = found["sacoche_parent_adresse"]
            guard = ReadGuard(
                "sacoche_parent_adresse", int(info["rows"]), str(info["checksum"]), mysql_literal
            )
            cursor.execute(f"SELECT {guard.condition}")
            assert cursor.fetchone()[0] == 0  # a row nobody planned: the guard stops the script
    finally:
        connection.close()


def test_state_reads_parents_links_and_addresses_from_mariadb(family: SacocheDatabase) -> None:
    from engine.state import read_state

    state = read_state(family.url)
    assert [(p.user_id, p.login, p.active) for p in state.parents] == [(3, "slavandier", True)]
    assert dict(state.parent_links) == {(3, 1): 1, (3, 2): 1}
    assert state.parent_addresses[3][0] == "7 impasse des Glycines" and len(state.parent_addresses[3]) == 7
    assert state.widths["adresse_postal_libelle"] == 45 and state.parent_profile.model == "ppp.nnnnnnnn"
