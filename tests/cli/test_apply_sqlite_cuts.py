"""SQLite, as a user runs it: `onde-sacoche apply` (and revert.sql through the sqlite3 shell) interrupted
after its k-th write, for every k, leaves the database as it was (one transaction), and running it again
finishes: verify OK, a re-plan proposes nothing. The interruption is a failing write injected through a
trigger that raises at the k-th row written, or the process killed while its k-th write runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES

from engine.cli import main
from engine.render import sql_path
from engine.render.apply import verify_sqlite

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
TODAY = "2026-11-29"
#: every SACoche table, and the tables the scripts write (where the injected triggers count rows)
TABLES = (
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
    "sacoche_siecle_import",
)
WRITTEN = ("sacoche_user", "sacoche_groupe", "sacoche_jointure_user_groupe", "sacoche_siecle_import")
INJECTED = "onde test: write refused"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        connection.close()


def plan(db: Path, out: Path) -> dict[str, Any]:
    result = cli("plan", str(EXPORT), "--db", url(db), "--out", str(out), "--today", TODAY)
    assert result.exit_code in (0, 3), result.output
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def inject(db: Path, k: int, action: str = f"SELECT RAISE(ABORT, '{INJECTED}')") -> None:
    """Triggers that count the rows the scripts write and run ``action`` at the k-th one (k = 0: never)."""
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("CREATE TABLE onde_test_writes (n INTEGER NOT NULL)")
        connection.execute("INSERT INTO onde_test_writes VALUES (0)")
        for table in WRITTEN:
            for event in ("INSERT", "UPDATE", "DELETE"):
                connection.execute(
                    f"CREATE TRIGGER onde_test_{event.lower()}_{table} AFTER {event} ON {table} BEGIN "
                    "UPDATE onde_test_writes SET n = n + 1; "
                    f"{action} WHERE (SELECT n FROM onde_test_writes) = {k}; END"
                )
    connection.close()


def uninject(db: Path) -> int:
    """Drop the triggers; the rows they counted (what the scripts wrote and committed)."""
    connection = sqlite3.connect(db)
    with connection:
        ((written,),) = connection.execute("SELECT n FROM onde_test_writes").fetchall()
        names = connection.execute("SELECT name FROM sqlite_master WHERE name LIKE 'onde_test_%'").fetchall()
        for (name,) in names:
            if name != "onde_test_writes":
                connection.execute(f"DROP TRIGGER {name}")
        connection.execute("DROP TABLE onde_test_writes")
    connection.close()
    return written


def rows_written(db: Path, pristine: Path, run: Any) -> int:
    """How many rows ``run`` writes on a fresh copy (counted by the triggers, none raising)."""
    shutil.copy(pristine, db)
    inject(db, 0)
    run()
    written = uninject(db)
    shutil.copy(pristine, db)
    return written


@pytest.fixture
def school(tmp_path: Path) -> tuple[Path, Path, Path, dict[str, Any]]:
    """(database file, a copy of it as planned, the plan directory, plan.json)."""
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = tmp_path / "plan"
    doc = plan(db, out)
    assert cli("render", str(out), "--revert-deletes-created").exit_code == 0  # revert gives back all
    pristine = tmp_path / "pristine.db"
    shutil.copy(db, pristine)
    return db, pristine, out, doc


def test_apply_interrupted_after_every_write_leaves_nothing_and_a_rerun_finishes(
    tmp_path: Path, school: tuple[Path, Path, Path, dict[str, Any]]
) -> None:
    db, pristine, out, doc = school
    original = dump(db)
    total = rows_written(db, pristine, lambda: cli("apply", str(out), "--db", url(db)))
    assert total > 30
    rejected = {i["id"] for i in doc["items"] if not i["accepted"]}
    for k in range(1, total + 1):
        shutil.copy(pristine, db)
        inject(db, k)
        cut = cli("apply", str(out), "--db", url(db))
        assert cut.exit_code == 1, (k, cut.output)
        assert INJECTED in cut.stderr and "rolled back" in cut.stderr and "Traceback" not in cut.output, k
        assert "run the same command again" in cut.stderr and "re-run `onde-sacoche plan`" not in cut.stderr
        uninject(db)
        assert dump(db) == original, k  # one transaction: nothing of the first k writes stayed
        again = cli("apply", str(out), "--db", url(db))  # the same command again, as the user would
        assert again.exit_code == 0, (k, again.output)
        assert "verify.sql: OK" in again.stdout, k
        replan = plan(db, tmp_path / f"replan-{k}")
        assert [i["id"] for i in replan["items"] if i["accepted"]] == [], k
        assert {i["id"] for i in replan["items"]} <= rejected, k


def _sqlite3_shell(db: Path, script: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["sqlite3", str(db)], input=script.read_bytes(), capture_output=True, check=False)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_revert_interrupted_after_every_write_leaves_nothing_and_a_rerun_restores(
    tmp_path: Path, school: tuple[Path, Path, Path, dict[str, Any]]
) -> None:
    """revert.sql as its header says to run it (`sqlite3 sacoche.db < revert.sql`), stopped at its k-th
    write: the database still holds the applied plan; run again, it gives every table back."""
    db, _, out, _ = school
    original = dump(db)
    assert cli("apply", str(out), "--db", url(db)).exit_code == 0
    applied_file = tmp_path / "applied.db"
    shutil.copy(db, applied_file)
    applied = dump(db)
    revert = sql_path(out, "sqlite", "revert")
    total = rows_written(db, applied_file, lambda: _sqlite3_shell(db, revert))
    assert total > 30
    for k in range(1, total + 1):
        shutil.copy(applied_file, db)
        inject(db, k)
        cut = _sqlite3_shell(db, revert)
        assert cut.returncode != 0 and INJECTED.encode() in cut.stderr, k
        uninject(db)
        assert dump(db) == applied, k
        again = _sqlite3_shell(db, revert)
        assert again.returncode == 0, (k, again.stderr)
        assert dump(db) == original, k


def test_apply_process_killed_mid_transaction_leaves_nothing_and_a_rerun_finishes(
    tmp_path: Path, school: tuple[Path, Path, Path, dict[str, Any]]
) -> None:
    """`onde-sacoche apply` killed (SIGKILL) while its k-th write runs (a trigger that never ends holds
    it there, inside the open transaction): the next open rolls the hot journal back, then the same
    command finishes."""
    db, pristine, out, _ = school
    original = dump(db)
    total = rows_written(db, pristine, lambda: cli("apply", str(out), "--db", url(db)))
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    spin = f"SELECT COUNT(*) FROM ({forever})"
    journal = db.with_name(db.name + "-journal")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for k in (1, total // 2, total):
        shutil.copy(pristine, db)
        inject(db, k, spin)
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "apply", str(out), "--db", url(db)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not journal.exists():  # its transaction has written pages: it is in its writes
            assert process.poll() is None and time.monotonic() < deadline, (k, process.communicate())
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL, k
        assert journal.exists(), k  # a hot journal: the transaction never committed
        uninject(db)  # opening the file rolls the journal back
        assert dump(db) == original, k
        again = cli("apply", str(out), "--db", url(db))
        assert again.exit_code == 0, (k, again.output)
        assert "verify.sql: OK" in again.stdout, k
        assert verify_sqlite(db, sql_path(out, "sqlite", "verify")).verified, k


def test_sqlite_verify_says_what_it_found_for_a_row_moved_to_a_third_state(
    school: tuple[Path, Path, Path, dict[str, Any]],
) -> None:
    db, _, out, doc = school
    assert cli("apply", str(out), "--db", url(db)).exit_code == 0
    update = next(i for i in doc["items"] if i["kind"] == "update" and set(i["changes"]) == {"user_prenom"})
    user_id, login = update["target"]["user_id"], update["target"]["login"]
    create = next(i for i in doc["items"] if i["kind"] == "create")
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("UPDATE sacoche_user SET user_prenom = 'Ailleurs' WHERE user_id = ?", (user_id,))
        connection.execute(
            "UPDATE sacoche_user SET user_nom = 'AUTRE', user_genre = 'I' WHERE user_login = ?",
            (create["target"]["login"],),
        )
    connection.close()
    rows = {name: details for name, _, details in verify_sqlite(db, sql_path(out, "sqlite", "verify")).rows}
    assert rows[update["id"]] == (
        f"UNEXPECTED (neither as the plan found it nor as planned), expected: user_id {user_id} holds the "
        f"new values; found: user_id {user_id} with user_prenom neither as the plan found it nor as planned"
    )
    assert rows[create["id"]].endswith(
        f"; found: account {create['target']['login']} with user_genre, user_nom not as planned"
    )
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("DELETE FROM sacoche_user WHERE user_id = ?", (user_id,))
    connection.close()
    rows = {name: details for name, _, details in verify_sqlite(db, sql_path(out, "sqlite", "verify")).rows}
    assert rows[update["id"]].endswith(f"; found: no ELV account user_id {user_id} with login {login}")


def test_a_refusing_guard_still_says_to_plan_again(school: tuple[Path, Path, Path, dict[str, Any]]) -> None:
    """Rolled back by a guard (the database is not as the plan found it): the hint is a new plan, not the
    same command again."""
    db, _, out, doc = school
    update = next(i for i in doc["items"] if i["kind"] == "update" and set(i["changes"]) == {"user_prenom"})
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "UPDATE sacoche_user SET user_prenom = 'Autre' WHERE user_id = ?", (update["target"]["user_id"],)
        )
    connection.close()
    before = dump(db)
    refused = cli("apply", str(out), "--db", url(db), "--resume")  # past the fingerprint: the guards
    assert refused.exit_code == 1 and "rolled back: ONDE-SACOCHE GUARD " in refused.stderr
    assert "re-run `onde-sacoche plan`" in refused.stderr and "same command" not in refused.stderr
    assert dump(db) == before


def test_sqlite_verify_says_what_it_found_in_the_archive(tmp_path: Path) -> None:
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = tmp_path / "plan"
    onde1 = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
    result = cli("plan", str(onde1), "--db", url(db), "--out", str(out), "--today", TODAY)
    assert result.exit_code in (0, 3), result.output
    (archive,) = [i for i in json.loads((out / "plan.json").read_text())["items"] if i["kind"] == "archive"]
    assert cli("apply", str(out), "--db", url(db)).exit_code == 0
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("UPDATE sacoche_siecle_import SET siecle_import_contenu = 'abc'")
    connection.close()
    rows = {name: details for name, _, details in verify_sqlite(db, sql_path(out, "sqlite", "verify")).rows}
    assert rows[archive["id"]].startswith("UNEXPECTED") and rows[archive["id"]].endswith(
        "; found: row Onde, 3 bytes"
    )
