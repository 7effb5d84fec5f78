"""SACoche's archive of the imported ONDE file on a real MariaDB server, through the stock client:
apply.sql writes it as SACoche's wizard does (row Onde of sacoche_siecle_import), verify.sql checks it,
the next plan reads it (no change, no rename), revert.sql restores the previous archive byte for byte,
and a server whose max_allowed_packet cannot hold it is refused before anything is written."""

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

from engine.archive import php_json
from engine.pipeline import make_plan
from engine.render import sql_path

pytestmark = pytest.mark.mariadb

ONDE1 = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
TODAY = date(2026, 11, 29)


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def plan(db: SacocheDatabase, out: Path) -> dict[str, Any]:
    make_plan(ONDE1, db.url, out, today=TODAY, rng=random.Random(7))
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def archive(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return db.query(
        "SELECT siecle_import_date, siecle_import_annee, HEX(siecle_import_contenu) "
        "FROM sacoche_siecle_import "
        "WHERE siecle_import_objet = 'Onde'"
    )


def verify(db: SacocheDatabase, out: Path) -> list[str]:
    result = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names", "--raw")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split("\t")


def test_apply_verify_replan_revert_on_mariadb(school: SacocheDatabase, tmp_path: Path) -> None:
    before = archive(school)
    doc = plan(school, tmp_path / "plan")
    assert doc["state"]["dialect"] == "mysql" and doc["summary"]["archive"] == 1
    assert doc["summary"]["classes_rename"] == 1  # the previous label differs: from MariaDB's archive
    applied = school.execute_file(sql_path(tmp_path / "plan", "mysql", "apply"))
    assert applied.returncode == 0, applied.stderr
    assert verify(school, tmp_path / "plan")[:2] == ["RESULT", "1"]
    ((day, year, content_hex),) = archive(school)
    content = bytes.fromhex(content_hex).decode("utf-8")
    assert (day, year) == (TODAY, "2026")
    assert content == php_json(json.loads(content)) and json.loads(content)[0][0] == "Nom élève"
    again = plan(school, tmp_path / "again")
    assert again["summary"]["archive"] == 0 and again["summary"]["classes_rename"] == 0
    reverted = school.execute_file(sql_path(tmp_path / "plan", "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr
    assert archive(school) == before  # byte for byte (compared as hexadecimal)


def test_archive_bigger_than_max_allowed_packet_is_refused(school: SacocheDatabase, tmp_path: Path) -> None:
    before = archive(school)
    plan(school, tmp_path / "plan")
    ((packet,),) = school.query("SELECT @@global.max_allowed_packet")
    school.query("SET GLOBAL max_allowed_packet = 8192")
    try:
        applied = school.execute_file(sql_path(tmp_path / "plan", "mysql", "apply"))
    finally:
        school.query(f"SET GLOBAL max_allowed_packet = {int(packet)}")
    assert applied.returncode != 0
    assert "archive too big" in applied.stderr
    assert archive(school) == before
    assert school.query("SELECT COUNT(*) FROM sacoche_user WHERE user_login = 'ine.saule1'") == [(0,)]


def test_big_archive_in_pieces_on_mariadb(school: SacocheDatabase, tmp_path: Path) -> None:
    before = archive(school)
    make_plan(
        big_onde1(tmp_path / "big.csv"), school.url, tmp_path / "plan", today=TODAY, rng=random.Random(7)
    )
    doc = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    (item,) = [i for i in doc["items"] if i["kind"] == "archive"]
    content = item["changes"]["siecle_import_contenu"]["new"]
    assert len(content) > 400_000
    applied = school.execute_file(sql_path(tmp_path / "plan", "mysql", "apply"))
    assert applied.returncode == 0, applied.stderr
    assert verify(school, tmp_path / "plan")[:2] == ["RESULT", "1"]
    ((_, _, content_hex),) = archive(school)
    assert bytes.fromhex(content_hex).decode("utf-8") == content
    reverted = school.execute_file(sql_path(tmp_path / "plan", "mysql", "revert"))
    assert reverted.returncode == 0, reverted.stderr
    assert archive(school) == before


def test_big_archive_cut_between_its_pieces_is_finished_by_a_second_run(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    from engine.render import render_sql

    make_plan(big_onde1(tmp_path / "big.csv"), school.url, out, today=TODAY, rng=random.Random(7))
    render_sql(out, ["mysql"], revert_deletes_created=True)  # each cut starts from the same tables
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    (item,) = [i for i in doc["items"] if i["kind"] == "archive"]
    content = item["changes"]["siecle_import_contenu"]["new"]
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    counted = "SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();\n"
    section = text.index("\n-- 7. ")
    ends, at = [], section
    while (at := text.find(counted, at)) != -1:
        at += len(counted)
        ends.append(at)
    assert len(ends) >= 3  # the first piece and at least two appends
    before = archive(school)
    for end in ends[:-1]:  # killed after the first piece, after each append but the last
        cut = tmp_path / "cut.sql"
        cut.write_text(text[:end], encoding="utf-8")
        assert school.execute_file(cut).returncode == 0
        assert archive(school)[0][2] != content.encode("utf-8").hex().upper()  # part-way
        again = school.execute_file(sql_path(out, "mysql", "apply"))
        assert again.returncode == 0, again.stderr[-800:]
        assert verify(school, out)[:2] == ["RESULT", "1"]
        ((_, _, content_hex),) = archive(school)
        assert bytes.fromhex(content_hex).decode("utf-8") == content
        reverted = school.execute_file(sql_path(out, "mysql", "revert"))  # back to the start
        assert reverted.returncode == 0, reverted.stderr[-600:]
        assert archive(school) == before
