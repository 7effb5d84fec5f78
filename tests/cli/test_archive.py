"""SACoche's archive of the imported ONDE file (sacoche_siecle_import, row Onde), end to end on SQLite:
written by apply.sql as SACoche's wizard writes it, checked by verify.sql, read back by the next plan,
restored byte for byte by revert.sql."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, big_onde1

from engine.archive import php_json
from engine.cli import main
from engine.render import sql_path
from engine.render.apply import run_sqlite

ONDE1 = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
TODAY = "2026-11-29"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    copy = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", copy)
    return copy


def plan(db: Path, out: Path, export: Path = ONDE1) -> dict[str, Any]:
    result = cli("plan", str(export), "--db", f"sqlite:///{db}", "--out", str(out), "--today", TODAY)
    assert result.exit_code in (0, 3), result.output
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def archive_row(db: Path) -> tuple[Any, ...] | None:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(
            "SELECT siecle_import_date, siecle_import_annee, siecle_import_contenu "
            "FROM sacoche_siecle_import "
            "WHERE siecle_import_objet = 'Onde'"
        ).fetchone()
    finally:
        connection.close()


def test_php_json_is_what_php_json_encode_writes() -> None:
    assert php_json([["Nom élève", "Prénom"], ["D'ALBERT/Y", "Zoé"]]) == (
        '[["Nom \\u00e9l\\u00e8ve","Pr\\u00e9nom"],["D\'ALBERT\\/Y","Zo\\u00e9"]]'
    )


def test_apply_archives_the_file_verify_replan_and_revert(tmp_path: Path, db: Path) -> None:
    before = archive_row(db)
    doc = plan(db, tmp_path / "plan")
    (item,) = [i for i in doc["items"] if i["kind"] == "archive"]
    assert item["accepted"] and doc["summary"]["archive"] == 1
    renames = [i for i in doc["items"] if i["kind"] == "class_rename"]
    assert [(i["changes"]["groupe_nom"]["old"], i["accepted"]) for i in renames] == [
        ("[CE1] CE1 M. Ancien", True)
    ]
    result = cli("apply", str(tmp_path / "plan"), "--db", f"sqlite:///{db}")
    assert result.exit_code == 0, result.output
    assert "verify.sql: OK" in result.output
    day, year, content = archive_row(db)  # type: ignore[misc]
    assert (day, year) == (TODAY, "2026")
    lines = json.loads(content)
    assert lines[0][:3] == ["Nom élève", "Nom d'usage élève", "Prénom élève"]  # header line included
    assert len(lines) == 56 and all(isinstance(c, str) for line in lines for c in line)
    assert content == php_json(lines)
    again = plan(db, tmp_path / "again")
    assert [i["kind"] for i in again["items"] if i["kind"] in ("archive", "class_rename")] == []
    run_sqlite(db, sql_path(tmp_path / "plan", "sqlite", "revert"))
    assert archive_row(db) == before  # byte for byte


def test_archive_changed_since_the_plan_stops_apply(tmp_path: Path, db: Path) -> None:
    plan(db, tmp_path / "plan")
    connection = sqlite3.connect(db)
    connection.execute(
        "UPDATE sacoche_siecle_import SET siecle_import_annee = '2024' WHERE siecle_import_objet = 'Onde'"
    )
    connection.commit()
    connection.close()
    result = cli("apply", str(tmp_path / "plan"), "--db", f"sqlite:///{db}")
    assert result.exit_code == 1 and "archive changed" in result.output + (result.stderr or "")
    assert archive_row(db)[1] == "2024"  # type: ignore[index]


def test_missing_archive_row_is_inserted_and_revert_removes_it(tmp_path: Path, db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("DELETE FROM sacoche_siecle_import WHERE siecle_import_objet = 'Onde'")
    connection.commit()
    connection.close()
    doc = plan(db, tmp_path / "plan")
    (item,) = [i for i in doc["items"] if i["kind"] == "archive"]
    assert item["target"]["row_exists"] is False
    assert [i for i in doc["items"] if i["kind"] == "class_rename"] == []  # no archive: no rename
    assert cli("apply", str(tmp_path / "plan"), "--db", f"sqlite:///{db}").exit_code == 0
    assert archive_row(db)[0] == TODAY  # type: ignore[index]
    run_sqlite(db, sql_path(tmp_path / "plan", "sqlite", "revert"))
    assert archive_row(db) is None


def test_base_without_the_archive_table_plans_and_archives_nothing(tmp_path: Path, db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("DROP TABLE sacoche_siecle_import")
    connection.commit()
    connection.close()
    doc = plan(db, tmp_path / "plan")
    assert doc["summary"]["archive"] == 0
    assert [i for i in doc["items"] if i["kind"] in ("archive", "class_rename")] == []


def test_onde2_export_is_not_archived(tmp_path: Path, db: Path) -> None:
    doc = plan(db, tmp_path / "plan", EXAMPLES / "onde2-ecole-des-tilleuls.csv")
    assert doc["summary"]["archive"] == 0


def test_report_and_show_mention_the_archive(tmp_path: Path, db: Path) -> None:
    from engine.render.report import build_view

    doc = plan(db, tmp_path / "plan")
    assert "gardé dans l'archive de SACoche" in build_view(doc)["archive"]
    shown = cli("show", str(tmp_path / "plan"))
    assert shown.exit_code == 0 and "sacoche_siecle_import row Onde" in shown.output


def test_big_archive_is_written_in_pieces_and_reverted(tmp_path: Path, db: Path) -> None:
    from engine.render import ARCHIVE_CHUNK

    before = archive_row(db)
    doc = plan(db, tmp_path / "plan", big_onde1(tmp_path / "big.csv"))
    (item,) = [i for i in doc["items"] if i["kind"] == "archive"]
    content = item["changes"]["siecle_import_contenu"]["new"]
    assert len(content) > 2 * ARCHIVE_CHUNK
    script = sql_path(tmp_path / "plan", "sqlite", "apply").read_text(encoding="utf-8")
    assert script.count("siecle_import_contenu = siecle_import_contenu || ") == len(content) // ARCHIVE_CHUNK
    assert cli("apply", str(tmp_path / "plan"), "--db", f"sqlite:///{db}").exit_code == 0
    assert archive_row(db)[2] == content  # type: ignore[index]
    run_sqlite(db, sql_path(tmp_path / "plan", "sqlite", "revert"))
    assert archive_row(db) == before
