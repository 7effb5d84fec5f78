"""Convergence on a real MariaDB, the cases the other files leave out: revert.sql after an apply.sql cut
between two pieces of SACoche's import archive, verify.sql's NOT DONE / UNEXPECTED texts, and a second
client's insert made while apply.sql holds its locks."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLES, big_onde1
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.pipeline import make_plan
from engine.render import render_sql, sql_path

pytestmark = pytest.mark.mariadb

TODAY = date(2026, 11, 29)
TABLES = (
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
    "sacoche_siecle_import",
)
COUNTED = "SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();\n"


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def checksums(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return [row[1:] for row in db.query(f"CHECKSUM TABLE {', '.join(TABLES)} EXTENDED")]


def archive_hex(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return db.query(
        "SELECT siecle_import_date, siecle_import_annee, HEX(siecle_import_contenu) "
        "FROM sacoche_siecle_import WHERE siecle_import_objet = 'Onde'"
    )


def verify_rows(db: SacocheDatabase, out: Path) -> list[list[str]]:
    result = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names", "--raw")
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def cut_ends(text: str, start: int = 0) -> list[int]:
    """Where apply.sql may be cut: the end of each counted write from ``start`` on."""
    ends, at = [], start
    while (at := text.find(COUNTED, at)) != -1:
        at += len(COUNTED)
        ends.append(at)
    return ends


# --- 1. revert.sql after an apply cut between two pieces of the archive ----------------------------------


def test_revert_after_an_apply_cut_between_the_archives_pieces_restores_everything(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    """For every cut inside the archive's write (after its first piece, after each append): revert.sql
    gives every table back byte for byte (CHECKSUM TABLE … EXTENDED, the archive compared as hex), and
    apply.sql run from there finishes the plan (verify OK)."""
    out = tmp_path / "plan"
    make_plan(big_onde1(tmp_path / "big.csv"), school.url, out, today=TODAY, rng=random.Random(7))
    render_sql(out, ["mysql"], revert_deletes_created=True)  # each cut starts from the same tables
    (item,) = [i for i in json.loads((out / "plan.json").read_text())["items"] if i["kind"] == "archive"]
    content = item["changes"]["siecle_import_contenu"]["new"].encode("utf-8").hex().upper()
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    ends = cut_ends(text, text.index("\n-- 7. "))
    assert len(ends) >= 3  # the first piece and at least two appends
    original, archive_before = checksums(school), archive_hex(school)
    cut = tmp_path / "cut.sql"
    for n, end in enumerate(ends[:-1]):  # killed after the first piece, after each append but the last
        cut.write_text(text[:end], encoding="utf-8")
        assert school.execute_file(cut).returncode == 0, n
        part = archive_hex(school)[0][2]
        assert part != content and content.startswith(part), n  # part-way, on a piece boundary
        ok, details = {row[0]: row[1:] for row in verify_rows(school, out)}[item["id"]]
        found = f"; found: row Onde, {len(part) // 2} bytes, the first pieces of the new file"
        assert ok == "0" and details.startswith("UNEXPECTED"), (n, details)
        assert details.endswith(found + " (apply.sql was cut between them: run it again)"), (n, details)
        reverted = school.execute_file(sql_path(out, "mysql", "revert"))
        assert reverted.returncode == 0, (n, reverted.stderr[-600:])
        assert archive_hex(school) == archive_before, n
        assert checksums(school) == original, n
        again = school.execute_file(sql_path(out, "mysql", "apply"))  # and from there, apply finishes
        assert again.returncode == 0, (n, again.stderr[-600:])
        assert verify_rows(school, out)[-1][:2] == ["RESULT", "1"], n
        assert archive_hex(school)[0][2] == content, n
        assert school.execute_file(sql_path(out, "mysql", "revert")).returncode == 0, n
        assert checksums(school) == original, n


# --- 3. verify.sql: NOT DONE and UNEXPECTED, on the real server ------------------------------------------

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


def plan_sample(db: SacocheDatabase, out: Path) -> dict[str, Any]:
    make_plan(EXPORT, db.url, out, today=TODAY, rng=random.Random(7))
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def test_verify_names_the_items_a_partial_apply_did_not_do(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    doc = plan_sample(school, out)
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    writes = text.index("-- All guards passed")
    # killed right after the accounts' set statement (MySQL writes the pupils' families as sets)
    end = next(at for at in cut_ends(text, writes) if at > text.index("-- 4. Pupils to update"))
    cut = tmp_path / "cut.sql"
    cut.write_text(text[:end], encoding="utf-8")
    assert school.execute_file(cut).returncode == 0
    written = {line[3:].split(":")[0] for line in text[writes:end].splitlines() if line.startswith("-- ")}
    # every row of their set statements (classes and groups to create, classes to rename too)
    in_sets = {"class_create", "class_rename", "group_create", "create", "update", "deactivate", "reactivate"}
    accepted = [i["id"] for i in doc["items"] if i["accepted"] and i["kind"] != "decide"]
    kinds = {i["id"]: i["kind"] for i in doc["items"]}
    done = [i for i in accepted if i in written or kinds[i] in in_sets]
    assert 0 < len(done) < len(accepted)
    rows = {row[0]: row[1:] for row in verify_rows(school, out)}
    for item_id in accepted:
        ok, details = rows[item_id]
        if item_id in done:
            assert ok == "1", (item_id, details)
        else:
            assert ok == "0" and details.startswith("NOT DONE (still as the plan found it), expected: "), (
                item_id,
                details,
            )
    ok, result = rows["RESULT"]
    not_done = [i for i in accepted if i not in done]
    assert ok == "0" and result.startswith(f"DIFFERS: {len(not_done)} of ")
    assert result.endswith(": " + ", ".join(not_done))  # in the order of the checks, which is the plan's


def test_verify_says_what_it_found_for_a_row_moved_to_a_third_state(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    doc = plan_sample(school, out)
    assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0
    update = next(i for i in doc["items"] if i["kind"] == "update" and set(i["changes"]) == {"user_prenom"})
    user_id = update["target"]["user_id"]
    create = next(i for i in doc["items"] if i["kind"] == "create")
    login = create["target"]["login"]
    school.query("UPDATE sacoche_user SET user_prenom = 'Ailleurs' WHERE user_id = %s", (user_id,))
    school.query("UPDATE sacoche_user SET user_nom = 'AUTRE' WHERE user_login = %s", (login,))
    rows = {row[0]: row[1:] for row in verify_rows(school, out)}
    ok, details = rows[update["id"]]
    assert ok == "0"
    assert details == (
        f"UNEXPECTED (neither as the plan found it nor as planned), expected: user_id {user_id} holds the "
        f"new values; found: user_id {user_id} with user_prenom neither as the plan found it nor as planned"
    )
    ok, details = rows[create["id"]]
    assert ok == "0" and details.startswith("UNEXPECTED (neither as the plan found it nor as planned)")
    assert details.endswith(f"; found: account {login} with user_nom not as planned"), details
    assert "Ailleurs" not in details and "AUTRE" not in details  # column names, never pupil data
    school.query("DELETE FROM sacoche_user WHERE user_id = %s", (user_id,))
    ok, details = {row[0]: row[1:] for row in verify_rows(school, out)}[update["id"]]
    gone = f"; found: no ELV account user_id {user_id} with login {update['target']['login']}"
    assert details.endswith(gone), details


# --- 4. a second client's insert made while apply.sql holds its locks ------------------------------------

GATE = "DO GET_LOCK('onde_sacoche_test_gate', 600);\n"  # test-only: apply.sql waits here, under its locks

#: the second client's insert → whether it must succeed once apply.sql has unlocked
CONCURRENT = {
    "a teacher's account": (
        "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login)"
        " VALUES ('ENS', 'TILLEUL', 'Anne', 'anne.tilleul')",
        True,
    ),
    "a login the plan creates": (
        "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login)"
        " VALUES ('ENS', 'SAULE', 'Ines', 'ine.saule1')",
        False,
    ),
}


def _wait_for(connection: Any, sql: str, what: str) -> None:
    """Poll the server until ``sql`` returns a row (a failure after a minute, never a timed assert)."""
    import time

    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql)
            if cursor.fetchall():
                return
            assert time.monotonic() < deadline, f"never saw {what}"
            time.sleep(0.05)


@pytest.mark.parametrize("case", sorted(CONCURRENT))
def test_a_second_clients_insert_waits_for_the_lock_and_does_not_break_apply(
    school: SacocheDatabase, tmp_path: Path, case: str
) -> None:
    """apply.sql is held, under its LOCK TABLES and after its guards, on a user lock the test owns; a second
    `mariadb` client started then waits for the table lock (seen in the server's process list); once the
    test lets apply.sql go, it finishes and verifies OK, and the insert lands after every write of apply
    (its auto-increment id is above the accounts apply created) or, for a login the plan took, is refused
    by SACoche's UNIQUE(user_login): the pupil keeps it."""
    import subprocess

    insert, lands = CONCURRENT[case]
    out = tmp_path / "plan"
    doc = plan_sample(school, out)
    logins = [i["target"]["login"] for i in doc["items"] if i["kind"] == "create"]
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    held = tmp_path / "held.sql"
    at = text.index("-- All guards passed")
    held.write_text(text[:at] + GATE + text[at:], encoding="utf-8")
    gate = school.connect()
    try:
        with gate.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK('onde_sacoche_test_gate', 10)")
            assert cursor.fetchall() == ((1,),)
        command = school.server.client_command(school.name)
        with held.open("rb") as script:  # the child keeps its own copy of the file
            first = subprocess.Popen(command, stdin=script, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_for(
            gate,
            "SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO GET_LOCK%'",
            "apply.sql waiting at the gate",
        )
        second = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert second.stdin is not None
        second.stdin.write(insert + ";\n")
        second.stdin.flush()  # communicate() below closes it: the client then exits
        _wait_for(
            gate,
            "SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO sacoche_user%'"
            " AND STATE LIKE 'Waiting for table%'",
            "the second client waiting for the table lock",
        )
        assert school.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST")  # the server answers
        with gate.cursor() as cursor:
            cursor.execute("DO RELEASE_LOCK('onde_sacoche_test_gate')")  # apply.sql goes on
        stdout, stderr = first.communicate(timeout=120)
        assert first.returncode == 0, stderr.decode()[-600:]
        assert b"apply.sql done" in stdout
        _, inserted = second.communicate(timeout=60)
    finally:
        gate.close()
    assert verify_rows(school, out)[-1][:2] == ["RESULT", "1"]
    marks = ", ".join(["%s"] * len(logins))
    ((created,),) = school.query(
        f"SELECT MAX(user_id) FROM sacoche_user WHERE user_login IN ({marks})", logins
    )
    login = insert.split("'")[-2]
    if lands:
        assert second.returncode == 0, inserted
        ((user_id, profil),) = school.query(
            "SELECT user_id, user_profil_sigle FROM sacoche_user WHERE user_login = %s", (login,)
        )
        assert profil == "ENS" and user_id > created  # inserted after every account apply.sql created
    else:
        assert second.returncode != 0 and "Duplicate entry" in inserted and login in inserted
        assert school.query("SELECT user_profil_sigle FROM sacoche_user WHERE user_login = %s", (login,)) == [
            ("ELV",)
        ]


# --- revert.sql itself cut part-way, then run again --------------------------------------------------------


def test_revert_cut_after_every_write_then_run_again_restores_everything(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    """SACoche's archive already holds a big file (several pieces) and the plan brings another: revert.sql
    killed after each of its writes, then run again, gives every table back byte for byte."""
    first = tmp_path / "first"
    make_plan(big_onde1(tmp_path / "first.csv", 9000), school.url, first, today=TODAY, rng=random.Random(7))
    assert school.execute_file(sql_path(first, "mysql", "apply")).returncode == 0
    out = tmp_path / "plan"
    make_plan(big_onde1(tmp_path / "big.csv", 9500), school.url, out, today=TODAY, rng=random.Random(7))
    render_sql(out, ["mysql"], revert_deletes_created=True)
    (item,) = [i for i in json.loads((out / "plan.json").read_text())["items"] if i["kind"] == "archive"]
    assert len(item["changes"]["siecle_import_contenu"]["old"]) > 400_000  # the old one in pieces too
    original = checksums(school)
    assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0
    text = sql_path(out, "mysql", "revert").read_text(encoding="utf-8")
    ends = cut_ends(text, text.index("-- All guards passed"))
    assert len(ends) >= 3
    cut = tmp_path / "cut.sql"
    for k, end in enumerate(ends[:-1], 1):
        cut.write_text(text[:end], encoding="utf-8")
        assert school.execute_file(cut).returncode == 0, k  # killed after its k-th write
        again = school.execute_file(sql_path(out, "mysql", "revert"))
        assert again.returncode == 0, (k, again.stderr[-600:])
        assert checksums(school) == original, k
        assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0, k  # for the next k
        assert checksums(school) != original, k
