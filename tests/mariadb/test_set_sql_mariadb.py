"""The set statements of the MySQL scripts (the pupils' families over temporary tables) on a real
MariaDB: a set statement cut part-way (MyISAM keeps the rows it wrote) still converges — apply.sql run
again finishes, revert.sql restores the tables from there —, and a set guard stops the script before any
write naming the first item whose row moved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql
from test_apply_safety_mariadb import EXAMPLES, apply, checksums, plan

from engine.render import render_sql, sql_path

pytestmark = pytest.mark.mariadb


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


DATA = re.compile(
    r"^INSERT INTO (onde_sacoche_pupil_change|onde_sacoche_pupil_new|onde_sacoche_membership) \("
)


def every_other_row(text: str) -> tuple[str, int]:
    """The script with only the odd rows of each pupil data block left once its guards passed: its set
    statements then do what the full statements do when the client is killed part-way through them
    (MyISAM keeps what they wrote). The blocks are loaded whole, as a run that reaches its guards
    always has them (the read guards find the touched accounts there)."""
    tables, dropped = [], 0
    lines = text.split("\n")
    for at, line in enumerate(lines):
        found = DATA.match(line)
        if not found:
            continue
        tables.append(found.group(1))
        rows = 0
        for row in lines[at + 1 :]:
            rows += 1
            if row.endswith(";"):
                break
        dropped += rows // 2
    deletes = "".join(f"DELETE FROM {t} WHERE n % 2 = 0;\n" for t in dict.fromkeys(tables))
    writes = text.index("-- All guards passed")
    return text[:writes] + deletes + text[writes:], dropped


def verified(db: SacocheDatabase, out: Path) -> str:
    rows = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names").stdout
    return rows.splitlines()[-1]


def test_set_statements_cut_part_way_converge_both_ways(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    render_sql(out, ["mysql"], revert_deletes_created=True)  # to restore the tables exactly
    full = sql_path(out, "mysql", "apply")
    half, dropped = every_other_row(full.read_text(encoding="utf-8"))
    assert dropped >= 8  # changes, new pupils and memberships all cut
    partial = tmp_path / "half.sql"
    partial.write_text(half, encoding="utf-8")
    original = checksums(school)

    cut = school.execute_file(partial)  # the set statements wrote about half their rows
    assert cut.returncode == 0, cut.stderr[-600:]
    assert verified(school, out).startswith("RESULT\t0\tDIFFERS")
    reverted = school.execute_file(sql_path(out, "mysql", "revert"))  # revert from inside a statement
    assert reverted.returncode == 0, reverted.stderr[-600:]
    assert checksums(school) == original

    cut = school.execute_file(partial)
    assert cut.returncode == 0, cut.stderr[-600:]
    again = school.execute_file(full)  # apply.sql run again after the cut: it finishes
    assert again.returncode == 0, again.stderr[-600:]
    assert verified(school, out).startswith("RESULT\t1\tOK")
    done = checksums(school)
    assert school.execute_file(full).returncode == 0  # and once more writes nothing
    assert checksums(school) == done
    replan = plan(school, tmp_path / "replan")
    assert [i["id"] for i in replan["items"] if i["accepted"]] == []
    assert school.execute_file(sql_path(out, "mysql", "revert")).returncode == 0
    assert checksums(school) == original


def test_a_set_guard_stops_before_any_write_naming_the_first_moved_item(
    school: SacocheDatabase,
    tmp_path: Path,
) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    changes = [i for i in doc["items"] if i["kind"] == "update" and "user_prenom" in i["changes"]]
    first = changes[0]
    uid = first["target"]["user_id"]
    # the prénom the plan writes, edited by hand to a third value: neither the old state nor the new one
    school.query(f"UPDATE sacoche_user SET user_prenom = 'Troisième' WHERE user_id = {uid}")
    before = checksums(school)
    run = school.execute_file(sql_path(out, "mysql", "apply"))
    assert run.returncode != 0
    assert re.search(rf"Duplicate entry 'GUARD \d+/\d+ {first['id']}: row changed'", run.stderr), run.stderr
    assert checksums(school) == before
    resumed = apply(out, school, "--resume")  # past the fingerprint: the script's own guard refuses
    assert resumed.exit_code == 1 and "stopped before writing anything" in resumed.stderr
    assert f"{first['id']}: row changed. this account no longer holds" in resumed.stderr
    assert "Troisième" not in resumed.stderr
    assert checksums(school) == before


def test_revert_guard_refuses_an_account_in_neither_state(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0
    first = next(i for i in doc["items"] if i["kind"] == "update" and "user_prenom" in i["changes"])
    school.query(
        f"UPDATE sacoche_user SET user_prenom = 'Autre' WHERE user_id = {first['target']['user_id']}"
    )
    before = checksums(school)
    run = school.execute_file(sql_path(out, "mysql", "revert"))
    assert run.returncode != 0 and f"{first['id']}: row changed" in run.stderr, run.stderr[-600:]
    assert checksums(school) == before


def _verify_rows(db: SacocheDatabase, out: Path) -> list[tuple[str, str, str]]:
    text = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names", "--raw").stdout
    return [tuple(line.split("\t", 2)) for line in text.splitlines()]  # type: ignore[misc]


def test_verify_gives_a_row_per_item_not_done_unexpected_or_ok(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    update = next(i for i in doc["items"] if i["kind"] == "update" and "user_prenom" in i["changes"])
    school.query(
        f"UPDATE sacoche_user SET user_prenom = 'Ailleurs' WHERE user_id = {update['target']['user_id']}"
    )
    rows = _verify_rows(school, out)
    accepted = [i["id"] for i in doc["items"] if i["accepted"] and i["kind"] != "decide"]
    by_name = {name: (ok, details) for name, ok, details in rows}
    assert [name for name, _, _ in rows][-1] == "RESULT" and len(rows) == len(by_name)  # one row per check
    assert set(accepted) <= set(by_name)
    assert by_name[update["id"]][0] == "0"
    assert by_name[update["id"]][1].startswith("UNEXPECTED (neither as the plan found it nor as planned)")
    for item_id in accepted:
        if item_id != update["id"]:  # nothing applied yet: each one still as the plan found it
            assert by_name[item_id][0] == "0", item_id
            assert by_name[item_id][1].startswith("NOT DONE (still as the plan found it)"), by_name[item_id]
    assert by_name["RESULT"][0] == "0"
    old = update["changes"]["user_prenom"]["old"]  # back as the plan found it: then apply.sql runs
    school.query(
        f"UPDATE sacoche_user SET user_prenom = '{old}' WHERE user_id = {update['target']['user_id']}"
    )
    assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0
    rows = _verify_rows(school, out)
    assert all(ok == "1" for _, ok, _ in rows), [r for r in rows if r[1] != "1"]
    assert rows[-1][2] == f"OK: {len(rows) - 1} checks passed"


def test_group_creates_cut_part_way_converge_both_ways(school: SacocheDatabase, tmp_path: Path) -> None:
    """apply.sql killed inside its INSERT of the classes and groups to create (the first row written):
    run again it finishes (its guard accepts the class it created), once more writes nothing, and
    revert.sql gives every table back."""
    out = tmp_path / "plan"
    doc = plan(school, out)
    assert sum(i["kind"] in ("class_create", "group_create") and i["accepted"] for i in doc["items"]) >= 2
    render_sql(out, ["mysql"], revert_deletes_created=True)
    full = sql_path(out, "mysql", "apply")
    text = full.read_text(encoding="utf-8")
    writes = text.index("-- 1. Classes and groups to create")
    end = text.index(";\n", text.index("INSERT INTO sacoche_groupe", writes)) + 2
    cut = tmp_path / "cut.sql"
    cut.write_text(
        text[:writes] + "DELETE FROM onde_sacoche_group_new WHERE n > 1;\n" + text[writes:end],
        encoding="utf-8",
    )
    original = checksums(school)
    groups = len(school.query("SELECT groupe_id FROM sacoche_groupe"))
    assert school.execute_file(cut).returncode == 0
    assert len(school.query("SELECT groupe_id FROM sacoche_groupe")) == groups + 1  # one written
    again = school.execute_file(full)
    assert again.returncode == 0, again.stderr[-600:]
    assert verified(school, out).startswith("RESULT\t1\tOK")
    done = checksums(school)
    assert school.execute_file(full).returncode == 0
    assert checksums(school) == done
    assert school.execute_file(sql_path(out, "mysql", "revert")).returncode == 0
    assert checksums(school) == original
