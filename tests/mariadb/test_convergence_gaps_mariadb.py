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
