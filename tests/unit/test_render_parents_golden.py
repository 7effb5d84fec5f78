"""Golden SQL of a plan with parents: the bundled example's pupils and responsables exports (as README
command 1 does, the responsables file cut to nine rows) planned against its SQLite state with a fixed
date and seeded passwords. Regenerate with ``ONDE_UPDATE_GOLDEN=1`` only when a change of output is
intended. The pupils-only goldens (tests/golden/sql/) are checked by tests/unit/test_render_sql.py and
do not change with parents."""

from __future__ import annotations

import os
import random
import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO

from engine.errors import OndeError
from engine.pipeline import make_plan
from engine.render import SCRIPTS, render_sql, sql_path
from engine.render.apply import run_sqlite, verify_sqlite

GOLDEN = REPO / "tests" / "golden" / "sql-parents"
PUPILS = Path("examples/onde2-ecole-des-tilleuls.csv")
#: the first nine rows of the example's responsables export (two-children rows, a parent on two rows,
#: a child not found): the goldens stay small
PARENTS = Path("tests/data/parents/onde1-responsables-golden.csv")
EXAMPLE_DB = "sqlite:///examples/sacoche-ecole-des-tilleuls.db"
TODAY = date(2026, 11, 29)
SEED = 20261129


def masked(text: str) -> str:
    from test_render_sql import masked as pupils_masked

    return pupils_masked(text)


@pytest.fixture
def plan_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    out = tmp_path / "plan"
    make_plan(PUPILS, EXAMPLE_DB, out, today=TODAY, rng=random.Random(SEED), parents_path=PARENTS)
    render_sql(out, ["mysql", "sqlite"])
    return out


def test_golden_scripts_with_parents(plan_dir: Path) -> None:
    update = os.environ.get("ONDE_UPDATE_GOLDEN") == "1"
    for dialect in ("mysql", "sqlite"):
        for name in SCRIPTS:
            rendered = masked(sql_path(plan_dir, dialect, name).read_text(encoding="utf-8"))
            golden = GOLDEN / dialect / f"{name}.sql"
            if update:
                golden.parent.mkdir(parents=True, exist_ok=True)
                golden.write_text(rendered, encoding="utf-8")
            assert golden.is_file(), f"missing golden file {golden}: run with ONDE_UPDATE_GOLDEN=1"
            assert rendered == golden.read_text(encoding="utf-8"), (
                f"{dialect}/{name}.sql differs from {golden}"
            )


def test_golden_sqlite_scripts_with_parents_run(tmp_path: Path) -> None:
    """The golden SQLite scripts themselves on a copy of the example database: apply, verify, a second
    apply refused by its first guard, revert back to the parents' tables as they were."""
    db = tmp_path / "sacoche.db"
    shutil.copy(REPO / "examples" / "sacoche-ecole-des-tilleuls.db", db)
    assert not verify_sqlite(db, GOLDEN / "sqlite" / "verify.sql").verified
    run_sqlite(db, GOLDEN / "sqlite" / "apply.sql")
    checks = verify_sqlite(db, GOLDEN / "sqlite" / "verify.sql")
    assert checks.verified
    assert sum(1 for row in checks.rows if str(row[0]).startswith("parent_")) == 26
    with pytest.raises(OndeError, match="GUARD 1/"):
        run_sqlite(db, GOLDEN / "sqlite" / "apply.sql")
    run_sqlite(db, GOLDEN / "sqlite" / "revert.sql")
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        for table in ("sacoche_jointure_parent_eleve", "sacoche_parent_adresse"):
            assert connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
        parents = connection.execute(
            "SELECT COUNT(*), MIN(user_sortie_date) FROM sacoche_user WHERE user_profil_sigle = 'TUT'"
        ).fetchone()
        assert parents == (8, "2026-11-29")  # deactivated, not deleted (no --revert-deletes-created)
    finally:
        connection.close()
