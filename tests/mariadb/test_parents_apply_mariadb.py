"""A pupils + parents plan made on MariaDB: its apply.sql (which writes the pupils' items; the parents'
SQL is another increment) runs under its own LOCK TABLES, read-set guards included; re-planned after
it, the pupils converge and the parents are planned the same way."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from helpers import EXAMPLES
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.pipeline import make_plan
from engine.render import sql_path

pytestmark = pytest.mark.mariadb

PUPILS = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
PARENTS = EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv"


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def test_a_plan_with_parents_applies_on_mariadb(school: SacocheDatabase, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    make_plan(PUPILS, school.url, out, parents_path=PARENTS, today=date(2026, 12, 2), rng=random.Random(7))
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["summary"]["parents_create"] > 0
    assert "sacoche_jointure_parent_eleve" in doc["state"]["read_set"]
    applied = school.execute_file(sql_path(out, "mysql", "apply"))
    assert applied.returncode == 0, applied.stderr[-2000:]
    again = tmp_path / "again"
    make_plan(PUPILS, school.url, again, parents_path=PARENTS, today=date(2026, 12, 2), rng=random.Random(7))
    kinds = [i["kind"] for i in json.loads((again / "plan.json").read_text(encoding="utf-8"))["items"]]
    assert not [k for k in kinds if k in ("create", "update", "deactivate", "reactivate", "class_create")]
    assert kinds.count("parent_create") == doc["summary"]["parents_create"]
