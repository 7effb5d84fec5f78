"""apply.sql's classes to rename as a set (MySQL: a data block, one guard, one ``UPDATE … JOIN``) on a
real MariaDB: a run cut right after the rename, or inside it (MyISAM keeps the rows a killed statement
wrote), converges both ways, and the guard stops the script before any write naming the item whose class
moved to a third name."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest
from helpers import REPO
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql
from test_apply_safety_mariadb import EXAMPLES, TODAY, checksums, plan

from engine.pipeline import make_plan
from engine.render import render_sql, sql_path

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth
from benchmarks.changed_heavy import CHANGED_HEAVY
from benchmarks.config import ALLOW_ALL

pytestmark = pytest.mark.mariadb


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def _verified(db: SacocheDatabase, out: Path) -> str:
    rows = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names").stdout
    return rows.splitlines()[-1]


def _verify_lines(db: SacocheDatabase, out: Path) -> list[str]:
    args = ("--batch", "--skip-column-names", "--raw")
    return db.execute_file(sql_path(out, "mysql", "verify"), *args).stdout.splitlines()


def _name(db: SacocheDatabase, groupe_id: int) -> str:
    return str(db.query(f"SELECT groupe_nom FROM sacoche_groupe WHERE groupe_id = {groupe_id}")[0][0])


def test_renames_are_one_block_one_guard_one_update(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    renames = [i for i in doc["items"] if i["kind"] == "class_rename" and i["accepted"]]
    assert renames
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    assert text.count("UPDATE sacoche_groupe g JOIN onde_sacoche_class_rename t") == 1
    assert text.count("FROM onde_sacoche_class_rename t") == 1  # the one guard
    assert "UPDATE sacoche_groupe SET groupe_nom" not in text


def test_apply_cut_after_the_renames_converges_both_ways(school: SacocheDatabase, tmp_path: Path) -> None:
    """apply.sql killed right after its UPDATE of the classes to rename: run again it finishes (its
    guard accepts the class holding the new name), once more writes nothing, and revert.sql (run from
    the cut too) gives every table back."""
    out = tmp_path / "plan"
    doc = plan(school, out)
    rename = next(i for i in doc["items"] if i["kind"] == "class_rename" and i["accepted"])
    groupe_id, new = rename["target"]["groupe_id"], rename["changes"]["groupe_nom"]["new"]
    render_sql(out, ["mysql"], revert_deletes_created=True)  # to restore the tables exactly
    full = sql_path(out, "mysql", "apply")
    text = full.read_text(encoding="utf-8")
    end = text.index(";\n", text.index("UPDATE sacoche_groupe g JOIN onde_sacoche_class_rename")) + 2
    cut = tmp_path / "cut.sql"
    cut.write_text(text[:end], encoding="utf-8")
    original = checksums(school)

    assert school.execute_file(cut).returncode == 0
    assert _name(school, groupe_id) == new  # renamed, the rest of the plan not written
    assert _verified(school, out).startswith("RESULT\t0\tDIFFERS")
    reverted = school.execute_file(sql_path(out, "mysql", "revert"))  # revert from the cut
    assert reverted.returncode == 0, reverted.stderr[-600:]
    assert checksums(school) == original

    assert school.execute_file(cut).returncode == 0
    again = school.execute_file(full)
    assert again.returncode == 0, again.stderr[-600:]
    assert _verified(school, out).startswith("RESULT\t1\tOK")
    done = checksums(school)
    assert school.execute_file(full).returncode == 0  # applied twice: nothing more written
    assert checksums(school) == done
    assert school.execute_file(sql_path(out, "mysql", "revert")).returncode == 0
    assert checksums(school) == original


def test_rename_guard_names_a_class_with_a_third_name(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    rename = next(i for i in doc["items"] if i["kind"] == "class_rename" and i["accepted"])
    groupe_id = rename["target"]["groupe_id"]
    school.query(f"UPDATE sacoche_groupe SET groupe_nom = 'Autre nom' WHERE groupe_id = {groupe_id}")
    before = checksums(school)
    run = school.execute_file(sql_path(out, "mysql", "apply"))
    assert run.returncode != 0
    assert re.search(rf"Duplicate entry 'GUARD \d+/\d+ {rename['id']}: class changed'", run.stderr), (
        run.stderr[-600:]
    )
    assert checksums(school) == before


def test_renames_cut_inside_their_update_converge_both_ways(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    """A synthetic changed-heavy school (several classes still named as last year): apply.sql killed
    inside its UPDATE of the classes to rename (every other row written) converges — revert.sql from
    there restores the tables, apply.sql run again finishes, once more writes nothing."""
    school = synth.generate(tmp_path / "school", pupils=200, seed=11, shares=CHANGED_HEAVY, prefix="c")[0]
    copy_sqlite_to_mysql(school.db, sacoche_mysql)
    out = tmp_path / "plan"
    make_plan(school.export, sacoche_mysql.url, out, today=TODAY, allow=ALLOW_ALL, rng=random.Random(7))
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    renames = [i for i in doc["items"] if i["kind"] == "class_rename" and i["accepted"]]
    assert len(renames) >= 3
    render_sql(out, ["mysql"], revert_deletes_created=True)  # to restore the tables exactly
    full = sql_path(out, "mysql", "apply")
    text = full.read_text(encoding="utf-8")
    writes = text.index("-- All guards passed")
    end = text.index(";\n", text.index("UPDATE sacoche_groupe g JOIN onde_sacoche_class_rename")) + 2
    cut = tmp_path / "cut.sql"
    deletes = "DELETE FROM onde_sacoche_class_rename WHERE n % 2 = 0;\n"
    cut.write_text(text[:writes] + deletes + text[writes:end], encoding="utf-8")
    original = checksums(sacoche_mysql)
    db = sacoche_mysql

    def renamed() -> list[bool]:
        return [_name(db, r["target"]["groupe_id"]) == r["changes"]["groupe_nom"]["new"] for r in renames]

    assert db.execute_file(cut).returncode == 0
    odd = [n % 2 == 1 for n in range(1, len(renames) + 1)]
    assert renamed() == odd  # the odd rows only
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in _verify_lines(db, out)}
    for r, done in zip(renames, odd, strict=True):  # verify.sql: a row per rename, done or NOT DONE
        ok, details = rows[r["id"]]
        assert ok == ("1" if done else "0"), (r["id"], details)
        assert done or details.startswith("NOT DONE (still as the plan found it)"), details
    reverted = db.execute_file(sql_path(out, "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr[-600:]
    assert checksums(db) == original

    assert db.execute_file(cut).returncode == 0
    again = db.execute_file(full)
    assert again.returncode == 0, again.stderr[-600:]
    assert all(renamed())
    assert _verified(db, out).startswith("RESULT\t1\tOK")
    done = checksums(db)
    assert db.execute_file(full).returncode == 0
    assert checksums(db) == done

    revert = sql_path(out, "mysql", "revert").read_text(encoding="utf-8")  # revert.sql cut inside too
    writes = revert.index("-- All guards passed")
    end = revert.index(";\n", revert.index("UPDATE sacoche_groupe g JOIN onde_sacoche_class_rename")) + 2
    cut.write_text(revert[:writes] + deletes + revert[writes:end], encoding="utf-8")
    assert db.execute_file(cut).returncode == 0
    assert renamed() == [not o for o in odd]  # the odd rows back to their old names
    reverted = db.execute_file(sql_path(out, "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr[-600:]
    assert checksums(db) == original


def test_revert_guard_names_a_renamed_class_with_a_third_name(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    doc = plan(school, out)
    rename = next(i for i in doc["items"] if i["kind"] == "class_rename" and i["accepted"])
    assert school.execute_file(sql_path(out, "mysql", "apply")).returncode == 0
    groupe_id = rename["target"]["groupe_id"]
    school.query(f"UPDATE sacoche_groupe SET groupe_nom = 'Autre nom' WHERE groupe_id = {groupe_id}")
    before = checksums(school)
    run = school.execute_file(sql_path(out, "mysql", "revert"))
    assert run.returncode != 0
    assert re.search(rf"Duplicate entry 'GUARD \d+/\d+ {rename['id']}: class changed'", run.stderr), (
        run.stderr[-600:]
    )
    assert checksums(school) == before
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in _verify_lines(school, out)}
    ok, details = rows[rename["id"]]
    assert ok == "0" and details.startswith("UNEXPECTED (neither as the plan found it nor as planned)")
