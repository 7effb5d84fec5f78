"""The MySQL scripts on a real MariaDB server, run with the stock `mariadb` client as a DBA would.

The example school (tests/support/state_copy.py copies it from the bundled SQLite file, ids included)
is planned against MariaDB itself; then: apply → re-plan has no change; a second apply is stopped by the
guards with nothing written (CHECKSUM TABLE and full dumps identical); revert restores every row; drift
is refused; odd names round-trip byte for byte, with and without NO_BACKSLASH_ESCAPES.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES, REPO
from support.mariadb import MariaDBServer, SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.cli import main
from engine.pipeline import make_plan
from engine.plan.seal import reseal
from engine.render import render_sql, sql_path

pytestmark = pytest.mark.mariadb

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
GOLDEN = REPO / "tests" / "golden" / "sql" / "mysql"
TODAY = date(2026, 11, 29)
TABLES = (
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
)
CREATED_LOGINS = {"ine.saule1", "loi.pervench", "sal.aubepine"}
CREATED_REFS = {"104515_CM2", "RG_ANGLAIS_RENFORCE"}
LOGIN, SORTIE = 11, 16  # column indexes in sacoche_user
NO_BACKSLASH = "--init-command=SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


@pytest.fixture
def second_school(mariadb_server: MariaDBServer, request: pytest.FixtureRequest) -> Iterator[SacocheDatabase]:
    name = f"second_{abs(hash(request.node.name)) % 10**8}"
    mariadb_server.create_database(name)
    try:
        mariadb_server.load_sacoche_schema(name)
        db = SacocheDatabase(mariadb_server, name)
        copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
        yield db
    finally:
        mariadb_server.drop_database(name)


def plan(db: SacocheDatabase, out: Path, **options: Any) -> dict[str, Any]:
    make_plan(EXPORT, db.url, out, today=TODAY, rng=random.Random(7), **options)
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def dump(db: SacocheDatabase) -> dict[str, list[tuple[Any, ...]]]:
    return {table: db.query(f"SELECT * FROM {table} ORDER BY 1, 2") for table in TABLES}


def checksums(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return db.query(f"CHECKSUM TABLE {', '.join(TABLES)}")


def run(db: SacocheDatabase, script: Path, *args: str) -> Any:
    return db.execute_file(script, *args)


def verify_rows(db: SacocheDatabase, script: Path) -> list[list[str]]:
    result = run(db, script, "--batch", "--skip-column-names", "--raw")
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def assert_reverted(
    original: dict[str, list[tuple[Any, ...]]], reverted: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Every pre-existing row identical; accounts created by apply are deactivated on the plan's date."""
    assert [r for r in reverted["sacoche_user"] if r[LOGIN] not in CREATED_LOGINS] == original["sacoche_user"]
    created = {r[LOGIN]: r[SORTIE] for r in reverted["sacoche_user"] if r[LOGIN] in CREATED_LOGINS}
    assert created == dict.fromkeys(CREATED_LOGINS, TODAY)
    assert [g for g in reverted["sacoche_groupe"] if g[2] not in CREATED_REFS] == original["sacoche_groupe"]
    for table in ("sacoche_jointure_user_groupe", "sacoche_niveau", "sacoche_user_profil"):
        assert reverted[table] == original[table], table


# --- the golden scripts themselves --------------------------------------------------------------------------


def test_golden_mysql_scripts_run_on_mariadb(school: SacocheDatabase) -> None:
    original, sums = dump(school), checksums(school)
    assert verify_rows(school, GOLDEN / "verify.sql")[-1][:2] == ["RESULT", "0"]
    applied = run(school, GOLDEN / "apply.sql")
    assert applied.returncode == 0, applied.stderr
    assert re.search(r"apply\.sql done\t32\t32", applied.stdout)
    assert verify_rows(school, GOLDEN / "verify.sql")[-1] == ["RESULT", "1", "OK: 33 checks passed"]
    after_apply = checksums(school)
    second = run(school, GOLDEN / "apply.sql")  # converged: its guards accept the new state
    assert second.returncode == 0, second.stderr
    assert re.search(r"apply\.sql done\t32\t0", second.stdout)  # and no write finds an old row
    assert checksums(school) == after_apply
    reverted = run(school, GOLDEN / "revert.sql")
    assert reverted.returncode == 0, reverted.stderr
    assert_reverted(original, dump(school))
    assert checksums(school) != sums  # the created accounts are still there, deactivated


# --- scenarios on a plan computed from MariaDB ------------------------------------------------------------


def test_apply_then_replan_has_no_changes(school: SacocheDatabase, tmp_path: Path) -> None:
    original = dump(school)
    doc = plan(school, tmp_path / "plan")
    assert doc["state"]["dialect"] == "mysql"
    assert doc["summary"]["create"] == 3 and doc["summary"]["update"] == 9
    result = run(school, sql_path(tmp_path / "plan", "mysql", "apply"))
    assert result.returncode == 0, result.stderr
    again = plan(school, tmp_path / "again")["summary"]
    for key in (
        "create",
        "update",
        "deactivate",
        "reactivate",
        "classes_create",
        "classes_rename",
        "groups_create",
        "memberships_add",
        "memberships_remove",
    ):
        assert again[key] == 0, key
    after = dump(school)
    # The hand-made group "Soutien lecture" and its memberships are untouched.
    assert [g for g in after["sacoche_groupe"] if g[3] == "Soutien lecture"] == [
        g for g in original["sacoche_groupe"] if g[3] == "Soutien lecture"
    ]
    assert [j for j in after["sacoche_jointure_user_groupe"] if j[1] == 11] == [
        j for j in original["sacoche_jointure_user_groupe"] if j[1] == 11
    ]
    # Nothing left behind: no stored program, no trigger.
    assert school.query(
        "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"
    ) == [(0,)]
    assert school.query(
        "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
    ) == [(0,)]


def test_a_mysql_plan_has_mysql_scripts_only(school: SacocheDatabase, tmp_path: Path) -> None:
    """A real SACoche needs no SQLite scripts; those of an older plan in the same directory go away."""
    out = tmp_path / "plan"
    stale = sql_path(out, "sqlite", "apply")
    stale.parent.mkdir(parents=True)
    stale.write_text("-- an older plan's script\n", encoding="utf-8")
    plan(school, out, force=True)
    assert sorted(p.relative_to(out).as_posix() for p in (out / "sql").rglob("*.sql")) == [
        f"sql/mysql/{name}.sql" for name in ("apply", "revert", "verify")
    ]


def item_guards_only(out: Path) -> None:
    """Render the plan again without its read set (engine.readset), so that the per-item guards behind
    the read-set guards are what a drift meets."""
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["state"].pop("read_set")
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    render_sql(out, ["mysql"])


def test_apply_twice_changes_nothing_the_second_time(school: SacocheDatabase, tmp_path: Path) -> None:
    plan(school, tmp_path / "plan")
    script = sql_path(tmp_path / "plan", "mysql", "apply")
    assert run(school, script).returncode == 0
    sums, rows = checksums(school), dump(school)
    second = run(school, script)  # the read set leaves out the rows it touched; they are in the new state
    assert second.returncode == 0, second.stderr
    assert re.search(r"apply\.sql done\t\d+\t0", second.stdout)
    assert checksums(school) == sums and dump(school) == rows
    item_guards_only(tmp_path / "plan")
    third = run(school, script)
    assert third.returncode == 0, third.stderr
    assert checksums(school) == sums and dump(school) == rows


def test_apply_then_revert_restores_every_row(school: SacocheDatabase, tmp_path: Path) -> None:
    original = dump(school)
    out = tmp_path / "plan"
    plan(school, out)
    assert run(school, sql_path(out, "mysql", "apply")).returncode == 0
    reverted = run(school, sql_path(out, "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr
    assert_reverted(original, dump(school))
    sums = checksums(school)
    assert run(school, sql_path(out, "mysql", "revert")).returncode != 0  # its guards stop a second run
    assert checksums(school) == sums


def test_revert_deletes_created_on_request(school: SacocheDatabase, tmp_path: Path) -> None:
    original = dump(school)
    out = tmp_path / "plan"
    plan(school, out)
    render_sql(out, ["mysql"], revert_deletes_created=True)
    assert run(school, sql_path(out, "mysql", "apply")).returncode == 0
    reverted = run(school, sql_path(out, "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr
    assert dump(school) == original


def test_retired_class_comes_back_with_its_id(school: SacocheDatabase, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        'same:\n  - {pupil: "ine:160493976AV", account: 43}\naccept: [class_retire-c1645c6e88]\n',
        encoding="utf-8",
    )
    original = dump(school)
    out = tmp_path / "plan"
    plan(school, out, decisions_file=decisions)
    assert run(school, sql_path(out, "mysql", "apply")).returncode == 0
    assert school.query("SELECT COUNT(*) FROM sacoche_groupe WHERE groupe_id = 9") == [(0,)]
    again = plan(school, tmp_path / "again", decisions_file=decisions)["summary"]
    assert again["needs_decision"] == 0 and again["update"] == 0 and again["classes_retire"] == 0
    assert run(school, sql_path(out, "mysql", "revert")).returncode == 0
    assert_reverted(original, dump(school))


@pytest.mark.parametrize(
    ("drift", "args", "guard"),
    [
        (
            "UPDATE sacoche_user SET user_prenom = %s WHERE user_id = 23",
            ("Noémie",),  # neither the old prénom nor the plan's new one
            "update-03b50611e7: row changed",
        ),
        (
            "UPDATE sacoche_user SET user_sortie_date = %s WHERE user_id = 53",
            ("2026-10-01",),
            "deactivate-0b1a0ae53d",
        ),
        (
            "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_login) VALUES ('ENS', 'X', %s)",
            ("ine.saule1",),
            "create-ff66a3be72: login taken",
        ),
        # utf8_unicode_ci: another case and accents is the same login for SACoche's UNIQUE index.
        (
            "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_login) VALUES ('ENS', 'X', %s)",
            ("Sal.Aubépine",),
            "create-96e4e57aad: login taken",
        ),
        (
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom) VALUES ('groupe', %s, 'x')",
            ("rg_anglais_renforce",),
            "group_create-daa8ebfb92: ref exists",
        ),
    ],
)
def test_drift_is_stopped_before_any_write(
    school: SacocheDatabase, tmp_path: Path, drift: str, args: tuple[Any, ...], guard: str
) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    school.query(drift, args)
    sums, rows = checksums(school), dump(school)
    result = run(school, sql_path(out, "mysql", "apply"))
    assert result.returncode != 0
    # a row the plan touches is guarded on its own (the read set leaves it out), any other by the read set
    assert guard in result.stderr or "GUARD READ sacoche_" in result.stderr
    item_guards_only(out)
    result = run(school, sql_path(out, "mysql", "apply"))
    assert result.returncode != 0
    assert guard in result.stderr
    assert checksums(school) == sums and dump(school) == rows


# --- odd text ---------------------------------------------------------------------------------------------

NASTY_NOM = "D'A\\B;--/*%_\"`"
NASTY_PRENOM = "Zoé\nŒ\t'x'\u200b"
NASTY_EMAIL = "o'h\\ara;-- DROP TABLE sacoche_user;/* x */%_@\r\nexample.org"
NASTY_CLASS = "[CM2] L'É\\c;--/*%"


def odd_plan(db: SacocheDatabase, out: Path) -> None:
    """A plan whose old values (in the database) and new values (written) hold every awkward character."""
    db.query(
        "UPDATE sacoche_user SET user_nom = %s, user_prenom = %s WHERE user_id = 23",
        (NASTY_NOM, NASTY_PRENOM),
    )
    plan(db, out)
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["items"]:
        if item["id"] == "create-ff66a3be72":
            changes = item["changes"]
            changes["user_nom"]["new"], changes["user_prenom"]["new"] = NASTY_NOM, NASTY_PRENOM
            changes["user_email"]["new"] = NASTY_EMAIL
        if item["id"] == "class_create-749c789a11":
            item["changes"]["groupe_nom"]["new"] = NASTY_CLASS
        if item["kind"] == "update" and item["target"]["user_id"] == 23:
            assert item["changes"]["user_nom"]["old"] == NASTY_NOM
    reseal(doc)  # odd new values on purpose, sealed again as `plan` would
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    render_sql(out, ["mysql"])


def odd_values(db: SacocheDatabase) -> tuple[Any, ...]:
    return (
        db.query(
            "SELECT user_nom, user_prenom, user_email FROM sacoche_user WHERE user_login = 'ine.saule1'"
        ),
        db.query("SELECT groupe_nom FROM sacoche_groupe WHERE groupe_ref = '104515_CM2'"),
    )


@pytest.mark.parametrize(
    "no_backslash_escapes", [False, True], ids=["default-sql-mode", "NO_BACKSLASH_ESCAPES"]
)
def test_odd_names_round_trip_exactly(
    school: SacocheDatabase, tmp_path: Path, no_backslash_escapes: bool
) -> None:
    extra = (NO_BACKSLASH,) if no_backslash_escapes else ()
    mode = run(school, Path("/dev/null"), *extra, "-e", "SELECT @@SESSION.sql_mode")
    assert ("NO_BACKSLASH_ESCAPES" in mode.stdout) is no_backslash_escapes
    out = tmp_path / "plan"
    odd_plan(school, out)
    original = dump(school)
    result = run(school, sql_path(out, "mysql", "apply"), *extra)
    assert result.returncode == 0, result.stderr
    assert odd_values(school) == ([(NASTY_NOM, NASTY_PRENOM, NASTY_EMAIL)], [(NASTY_CLASS,)])
    rows = verify_rows(school, sql_path(out, "mysql", "verify"))
    assert rows[-1][:2] == ["RESULT", "1"], rows
    reverted = run(school, sql_path(out, "mysql", "revert"), *extra)
    assert reverted.returncode == 0, reverted.stderr
    assert_reverted(original, dump(school))
    assert school.query("SELECT user_nom, user_prenom FROM sacoche_user WHERE user_id = 23") == [
        (NASTY_NOM, NASTY_PRENOM)
    ]


def test_same_result_with_and_without_no_backslash_escapes(
    school: SacocheDatabase, second_school: SacocheDatabase, tmp_path: Path
) -> None:
    # A naive escaped literal would mean two different things under the two modes; ours do not.
    naive = "SELECT LENGTH('a\\\\b')"
    assert (
        run(school, Path("/dev/null"), "-e", naive).stdout
        != run(school, Path("/dev/null"), NO_BACKSLASH, "-e", naive).stdout
    )
    odd_plan(school, tmp_path / "one")
    odd_plan(second_school, tmp_path / "two")
    assert run(school, sql_path(tmp_path / "one", "mysql", "apply")).returncode == 0
    assert run(second_school, sql_path(tmp_path / "two", "mysql", "apply"), NO_BACKSLASH).returncode == 0
    assert dump(school) == dump(second_school)
    assert odd_values(second_school) == ([(NASTY_NOM, NASTY_PRENOM, NASTY_EMAIL)], [(NASTY_CLASS,)])


# --- the apply command through the client -----------------------------------------------------------------


def test_apply_command_runs_the_client(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(school, out)
    original = dump(school)
    declined = CliRunner().invoke(main, ["apply", str(out), "--db", school.url], input="n\n")
    assert declined.exit_code != 0 and dump(school) == original
    result = CliRunner().invoke(main, ["apply", str(out), "--db", school.url, "--yes"])
    assert result.exit_code == 0, result.output
    assert "verify.sql: OK: 33 checks passed" in result.output
    sums = checksums(school)
    again = CliRunner().invoke(main, ["apply", str(out), "--db", school.url, "--yes"])
    assert again.exit_code == 1 and "the database changed since the plan was made" in again.stderr
    again = CliRunner().invoke(main, ["apply", str(out), "--db", school.url, "--yes", "--resume"])
    assert again.exit_code == 0, again.output  # converged: the script runs and writes nothing
    assert "verify.sql: OK: 33 checks passed" in again.output
    assert checksums(school) == sums


def test_retired_group_with_members_comes_back(school: SacocheDatabase, tmp_path: Path) -> None:
    school.query(
        "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom)"
        " VALUES ('groupe', 'RG_THEATRE', 'Théâtre')"
    )
    groupe_id = school.query("SELECT groupe_id FROM sacoche_groupe WHERE groupe_ref = 'RG_THEATRE'")[0][0]
    school.query(
        "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (23, %s), (29, %s)",
        (groupe_id, groupe_id),
    )
    out = tmp_path / "plan"
    plan(school, out)
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    retire = next(i for i in doc["items"] if i["kind"] == "group_retire")
    assert retire["target"]["members"] == [23, 29]
    retire["accepted"] = True
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    render_sql(out, ["mysql"])
    original = dump(school)
    applied = run(school, sql_path(out, "mysql", "apply"))
    assert applied.returncode == 0, applied.stderr
    assert school.query(
        "SELECT COUNT(*) FROM sacoche_jointure_user_groupe WHERE groupe_id = %s", (groupe_id,)
    ) == [(0,)]
    assert school.query("SELECT COUNT(*) FROM sacoche_groupe WHERE groupe_id = %s", (groupe_id,)) == [(0,)]
    assert run(school, sql_path(out, "mysql", "revert")).returncode == 0
    assert_reverted(original, dump(school))
