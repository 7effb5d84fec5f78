"""apply.sql's read-set side (engine.readset_sql): the touched keys of accepted items already in a data
block are read from it, not loaded again; the table names it spells agree with the render stage's."""

from __future__ import annotations

from engine import readset_sql
from engine.render import phrases_group_sets, phrases_sets, sets_data
from engine.render.literals import mysql_literal

ITEMS = [
    {"kind": "update", "accepted": True, "target": {"user_id": 7}, "changes": {"user_prenom": {}}},
    {"kind": "deactivate", "accepted": False, "target": {"user_id": 8}, "changes": {"user_sortie_date": {}}},
    {"kind": "create", "accepted": True, "target": {"login": "noe.lavandie"}, "changes": {}},
    {"kind": "create", "accepted": False, "target": {"login": "zoe.strauss"}, "changes": {}},
    {
        "kind": "membership_add",
        "accepted": True,
        "target": {"user_id": 7, "login": "ana.ruiz", "groupe_ref": "RG_CHORALE"},
        "changes": {},
    },
]


def test_the_names_agree_with_the_render_stage() -> None:
    assert readset_sql.CHANGES == sets_data.CHANGES
    assert readset_sql.NEW == sets_data.NEW
    assert readset_sql.MEMBERS == sets_data.MEMBERS
    assert readset_sql.GROUP_IDS == phrases_sets.GROUP_IDS == phrases_group_sets._GROUP_IDS


def test_accepted_items_in_data_blocks_are_not_loaded_again() -> None:
    sql = "\n".join(readset_sql.touched_sql(ITEMS, mysql_literal, parents=False))
    # the rejected ones are loaded as values, the accepted ones read from their blocks
    assert "('u', 8, 0)" in sql and "('u', 7, 0)" not in sql
    assert "'zoe.strauss'" in sql and "'noe.lavandie'" not in sql and "'ana.ruiz'" not in sql
    assert f"FROM {sets_data.NEW} t JOIN sacoche_user u ON u.user_login = t.user_login" in sql
    assert f"FROM {sets_data.MEMBERS} t JOIN {phrases_sets.GROUP_IDS} c" in sql
    assert sets_data.CHANGES not in sql  # the user table's read guard looks the accounts up itself
    assert readset_sql.blocks_of(ITEMS) == {"sacoche_user"}


def test_without_data_blocks_every_key_is_loaded() -> None:
    sql = "\n".join(readset_sql.touched_sql(ITEMS, mysql_literal, parents=False, data_blocks=False))
    assert "('u', 7, 0)" in sql and "'noe.lavandie'" in sql and "'ana.ruiz'" in sql
    assert sets_data.NEW not in sql and sets_data.MEMBERS not in sql


def test_the_user_read_guard_leaves_out_the_accounts_of_the_change_block() -> None:
    plain = readset_sql.ReadGuard("sacoche_user", 3, "9", mysql_literal)
    guard = readset_sql.ReadGuard("sacoche_user", 3, "9", mysql_literal, in_blocks={"sacoche_user"})
    assert sets_data.CHANGES not in plain.condition
    assert readset_sql.BLOCK_EXCLUDED["sacoche_user"] in guard.condition
    assert readset_sql.EXCLUDED_SQL["sacoche_user"] in guard.condition
    groups = readset_sql.ReadGuard("sacoche_groupe", 3, "9", mysql_literal, in_blocks={"sacoche_user"})
    assert sets_data.CHANGES not in groups.condition


def test_only_an_accepted_account_change_puts_sacoche_user_in_a_block() -> None:
    assert readset_sql.blocks_of(ITEMS[1:]) == set()  # a rejected deactivation, creates, a membership
    assert readset_sql.blocks_of([*ITEMS[1:], ITEMS[0]]) == {"sacoche_user"}


def test_the_account_guard_numbers_masks_in_order_and_marks_a_missing_term() -> None:
    written = {9: {"user_prenom"}, 3: {"user_nom", "user_prenom"}, 5: {"user_prenom"}}
    guard = readset_sql.AccountGuard(written, {"3": "12", "9": "7"}, mysql_literal)
    rows = guard.setup[2].split("\n")[1:]
    # masks sorted by their sorted columns: (user_nom, user_prenom) 0, (user_prenom) 1; ids in order
    assert rows == ["(3, 0, '12'),", "(5, 1, '-'),", "(9, 1, '7')"]
    assert guard.statement.index("WHEN 0 THEN") < guard.statement.index("WHEN 1 THEN")
