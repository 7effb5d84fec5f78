"""apply on a real MariaDB refuses what it must before any write: another school's database, a database
changed since the plan (the read set, checked by `onde-sacoche apply` and by apply.sql itself), and runs
right under odd session sql_modes. Table checksums are compared before and after every refusal."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.cli import main
from engine.pipeline import make_plan
from engine.render import sql_path

pytestmark = pytest.mark.mariadb

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
TODAY = date(2026, 11, 29)
TABLES = (
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
)


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def plan(db: SacocheDatabase, out: Path) -> dict[str, Any]:
    make_plan(EXPORT, db.url, out, today=TODAY, rng=random.Random(7))
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def checksums(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return [row[1:] for row in db.query(f"CHECKSUM TABLE {', '.join(TABLES)} EXTENDED")]


def apply(out: Path, db: SacocheDatabase, *extra: str) -> Result:
    return CliRunner().invoke(main, ["apply", str(out), "--db", db.url, "--yes", *extra])


def test_a_plan_made_on_one_school_is_refused_on_another(
    school: SacocheDatabase, sacoche_mysql: SacocheDatabase, mariadb_server: Any, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    name = "other_school_" + str(abs(hash(tmp_path.name)) % 10**6)
    mariadb_server.create_database(name)
    try:
        mariadb_server.load_sacoche_schema(name)
        other = SacocheDatabase(mariadb_server, name)
        copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", other)
        before = checksums(other)
        for extra in ((), ("--resume",)):
            result = apply(out, other, *extra)
            assert result.exit_code == 1, result.output
            assert "--db is not the database the plan was made from" in result.stderr
            assert f"schema '{name}'" in result.stderr and "Traceback" not in result.output
        assert checksums(other) == before
    finally:
        mariadb_server.drop_database(name)
    assert apply(out, school).exit_code == 0


def test_a_changed_database_is_refused_before_anything_runs(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    school.query("UPDATE sacoche_user SET user_prenom = 'Autre' WHERE user_id = 23")
    before = checksums(school)
    result = apply(out, school)
    assert result.exit_code == 1 and "changed since the plan was made (sacoche_user)" in result.stderr
    assert checksums(school) == before
    assert sql_path(out, "mysql", "apply").is_file()


@pytest.mark.parametrize(
    "mode", ["PAD_CHAR_TO_FULL_LENGTH", "EMPTY_STRING_IS_NULL", "ANSI,NO_BACKSLASH_ESCAPES"]
)
def test_scripts_run_right_under_an_odd_session_sql_mode(
    school: SacocheDatabase, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    init = f"--init-command=SET SESSION sql_mode = CONCAT(@@sql_mode, ',{mode}')"
    original = checksums(school)
    applied = school.execute_file(sql_path(out, "mysql", "apply"), init)
    assert applied.returncode == 0, applied.stderr
    verified = school.execute_file(sql_path(out, "mysql", "verify"), init, "--batch", "--skip-column-names")
    assert verified.returncode == 0 and verified.stdout.splitlines()[-1].startswith("RESULT\t1\tOK"), (
        verified.stdout
    )
    # revert.sql, then in the same session: the session's own mode is given back at the end
    script = tmp_path / "revert-then-mode.sql"
    text = sql_path(out, "mysql", "revert").read_text(encoding="utf-8")
    script.write_text(text + "\nSELECT CONCAT('MODE=', @@SESSION.sql_mode);\n", encoding="utf-8")
    reverted = school.execute_file(script, init, "--batch", "--skip-column-names")
    assert reverted.returncode == 0, reverted.stderr
    assert checksums(school) != original  # created pupils are deactivated, not deleted
    last = reverted.stdout.splitlines()[-1]
    assert last.startswith("MODE=") and mode.split(",")[-1] in last and "STRICT" in last


#: case → (the change made between plan and apply, the guard of the script that refuses it)
STALE = {
    "nom of a touched pupil (a column no item writes)": (
        "UPDATE sacoche_user SET user_nom = 'AUTRE' WHERE user_id = 23",
        "GUARD READ user_id 23: row moved",
    ),
    "prenom of a pupil the plan does not touch": (
        "UPDATE sacoche_user SET user_prenom = 'Autre' WHERE user_id = 1",
        "GUARD READ sacoche_user: table moved",
    ),
    "account created by hand": (
        "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login)"
        " VALUES ('ELV', 'SAULE', 'Ines', 'ines.saule')",
        "GUARD READ sacoche_user: table moved",
    ),
    "login of a new pupil taken by another session (the race)": (
        "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login)"
        " VALUES ('ENS', 'SAULE', 'Ines', 'ine.saule1')",
        ": login taken",
    ),
    "membership added by hand": (
        "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (23, 5)",
        "GUARD READ sacoche_jointure_user_groupe: table moved",
    ),
    "login model": (
        "UPDATE sacoche_user_profil SET user_profil_login_modele = 'nnnnnnnn.pp'"
        " WHERE user_profil_sigle = 'ELV'",
        "GUARD READ sacoche_user_profil: table moved",
    ),
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_apply_sql_itself_refuses_a_moved_read_set(
    school: SacocheDatabase, tmp_path: Path, case: str
) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    assert set(doc["state"]["read_set"]) == {*TABLES, "touched_accounts"}
    change, moved = STALE[case]
    school.query(change)
    before = checksums(school)
    script = sql_path(out, "mysql", "apply")
    run = school.execute_file(script)  # as a DBA would: the script alone
    assert run.returncode != 0
    assert moved in run.stderr
    assert checksums(school) == before
    resumed = apply(out, school, "--resume")  # past apply's own fingerprint check: the script refuses
    assert resumed.exit_code == 1 and "stopped before writing anything" in resumed.stderr
    assert moved.split(": ")[-1] in resumed.stderr and "re-run `onde-sacoche plan`" in resumed.stderr
    assert checksums(school) == before


# --- locked while it runs ------------------------------------------------------------------------------


# A second client's insert while apply.sql holds its locks: tests/mariadb/test_convergence_gaps_mariadb.py
# (a second `mariadb` client seen waiting for the table lock, no timing).


def test_a_refused_script_leaves_no_lock_behind(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    school.query("UPDATE sacoche_user SET user_prenom = 'Autre' WHERE user_id = 1")
    run = school.execute_file(sql_path(out, "mysql", "apply"))
    assert run.returncode != 0 and "GUARD READ sacoche_user" in run.stderr
    # the client exited at the guard: its session, and its lock, are gone; a write goes straight through
    other = school.execute_file(
        "UPDATE sacoche_user SET user_prenom = 'Encore' WHERE user_id = 23;", "--connect-timeout=5"
    )
    assert other.returncode == 0


# --- revert.sql after an apply killed part-way -----------------------------------------------------------

COUNTED = "SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();\n"


def _accept_retires(out: Path) -> None:
    """Accept the class and group retirements too (unchecked by default), as a reviewer would."""
    path = out / "plan.json"
    text = path.read_text(encoding="utf-8")
    retires = [i for i in json.loads(text)["items"] if i["kind"] in ("class_retire", "group_retire")]
    assert sum(len(i["target"]["members"]) for i in retires) == 2
    for item in retires:
        at = text.index('"accepted": false', text.index(f'"id": "{item["id"]}"'))
        text = text[:at] + '"accepted": true' + text[at + len('"accepted": false') :]
    path.write_text(text, encoding="utf-8")


#: the class the sample's plan retires gets two memberships first: a cut between them and the group row
RETIRED_CLASS_MEMBERS = "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (6, 9), (15, 9)"


@pytest.mark.parametrize("accept_all", [False, True], ids=["as-planned", "retires-accepted-too"])
def test_revert_after_an_apply_cut_after_every_write_restores_the_tables(
    school: SacocheDatabase, tmp_path: Path, accept_all: bool
) -> None:
    from engine.render import render_sql

    out = tmp_path / "plan"
    if accept_all:
        school.query(RETIRED_CLASS_MEMBERS)
    plan(school, out)
    if accept_all:
        _accept_retires(out)
    render_sql(out, ["mysql"], revert_deletes_created=True)
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    writes = text.count(COUNTED)
    assert writes > 5  # the pupils' families are one set statement each (MySQL)
    original = checksums(school)
    cut_script = tmp_path / "cut.sql"
    for k in range(writes + 1):
        end = 0
        for _ in range(k):
            end = text.index(COUNTED, end) + len(COUNTED)
        cut_script.write_text(text[: end or text.index("-- All guards passed")], encoding="utf-8")
        cut = school.execute_file(cut_script)  # the client killed after its k-th write
        assert cut.returncode == 0, (k, cut.stderr)
        reverted = school.execute_file(sql_path(out, "mysql", "revert"))
        assert reverted.returncode == 0, (k, reverted.stderr[-600:])
        assert checksums(school) == original, k


# --- apply.sql run again after it was killed part-way -----------------------------------------------------


@pytest.mark.parametrize("accept_all", [False, True], ids=["as-planned", "retires-accepted-too"])
def test_apply_cut_after_every_write_then_run_again_finishes_the_plan(
    school: SacocheDatabase, tmp_path: Path, accept_all: bool
) -> None:
    """For every k: apply.sql killed after its k-th write, then run again in full: verify.sql OK, a
    re-plan finds nothing left to do, a third run writes nothing; revert.sql then restores the tables."""
    from engine.render import render_sql

    out = tmp_path / "plan"
    if accept_all:
        school.query(RETIRED_CLASS_MEMBERS)
    plan(school, out)
    if accept_all:
        _accept_retires(out)
    render_sql(out, ["mysql"], revert_deletes_created=True)  # to start each k from the same tables
    rejected = {i["id"] for i in json.loads((out / "plan.json").read_text())["items"] if not i["accepted"]}
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    writes = text.count(COUNTED)
    assert writes > 5  # the pupils' families are one set statement each (MySQL)
    original = checksums(school)
    cut_script = tmp_path / "cut.sql"
    finished: list[Any] = []  # new rows get new ids after each revert: states differ by ids
    for k in range(writes + 1):
        if k:
            reverted = school.execute_file(sql_path(out, "mysql", "revert"))
            assert reverted.returncode == 0, (k, reverted.stderr[-600:])
            assert checksums(school) == original, k
        end = 0
        for _ in range(k):
            end = text.index(COUNTED, end) + len(COUNTED)
        cut_script.write_text(text[: end or text.index("-- All guards passed")], encoding="utf-8")
        cut = school.execute_file(cut_script)  # the client killed after its k-th write
        assert cut.returncode == 0, (k, cut.stderr)
        again = school.execute_file(sql_path(out, "mysql", "apply"))  # run again, in full
        assert again.returncode == 0, (k, again.stderr[-800:])
        rows = school.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names")
        assert rows.stdout.splitlines()[-1].startswith("RESULT\t1\tOK"), (k, rows.stdout[-800:])
        finished.append(checksums(school))
        once_more = school.execute_file(sql_path(out, "mysql", "apply"))  # converged: writes nothing
        assert once_more.returncode == 0, (k, once_more.stderr[-800:])
        assert checksums(school) == finished[-1], k
        replan = plan(school, tmp_path / f"replan-{k}")  # nothing left to do (but what was rejected)
        assert [i["id"] for i in replan["items"] if i["accepted"]] == [], k
        assert {i["id"] for i in replan["items"]} <= rejected, k
    assert len(finished) == writes + 1


def test_a_row_brought_by_hand_to_the_plans_new_state_is_accepted(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    """The membership the plan removes, removed by hand meanwhile: nothing left to write there, the
    script goes on and the plan is done (the read set leaves the touched membership out)."""
    out = tmp_path / "plan"
    plan(school, out)
    school.query(
        "DELETE j FROM sacoche_jointure_user_groupe j JOIN sacoche_groupe g ON g.groupe_id = j.groupe_id"
        " WHERE j.user_id = 6 AND g.groupe_ref = 'RG_CHORALE'"
    )
    run = school.execute_file(sql_path(out, "mysql", "apply"))
    assert run.returncode == 0, run.stderr[-600:]
    rows = school.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names")
    assert rows.stdout.splitlines()[-1].startswith("RESULT\t1\tOK"), rows.stdout[-600:]


def test_a_write_error_part_way_says_resume_and_resume_finishes(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    """apply.sql failing after some writes: `onde-sacoche` says how to finish (--resume), and it does."""
    from engine.errors import OndeError
    from engine.render.apply import run_mysql

    out = tmp_path / "plan"
    plan(school, out)
    script = sql_path(out, "mysql", "apply")
    text = script.read_text(encoding="utf-8")
    end = 0
    for _ in range(5):
        end = text.index(COUNTED, end) + len(COUNTED)
    broken = tmp_path / "broken" / "apply.sql"
    broken.parent.mkdir()
    failing = "SELECT * FROM onde_sacoche_no_such_table;\n"  # a write error, after five writes
    broken.write_text(text[:end] + failing + text[end:], encoding="utf-8")
    with pytest.raises(OndeError) as failed:
        run_mysql(school.url, broken)
    assert "the database may be partly changed" in str(failed.value)
    assert "--resume" in (failed.value.hint or "")
    refused = apply(out, school)  # the fingerprint moved (its own writes)
    assert refused.exit_code == 1 and "changed since the plan was made" in refused.stderr
    resumed = apply(out, school, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "verify.sql: OK" in resumed.output
