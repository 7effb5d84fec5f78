"""A plan larger than REMEMBERED_ITEMS renders without the memos its three scripts would share (memory
of a million-pupil plan): the scripts must be byte for byte those rendered with them."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from engine.pipeline import make_plan
from engine.render import sql as render_sql_module
from engine.render.sql import render_sql
from engine.render.sqlphrases import SQLitePhrases

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _planned(tmp_path: Path, export: str, parents: str | None = None) -> Path:
    """The example school planned into ``tmp_path/plan`` (a copy of its database)."""
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", tmp_path / "sacoche.db")
    out = tmp_path / "plan"
    make_plan(
        EXAMPLES / export,
        f"sqlite:///{tmp_path / 'sacoche.db'}",
        out,
        parents_path=EXAMPLES / parents if parents else None,
        rng=random.Random(3),
    )
    return out


def _scripts(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "sql").rglob("*.sql"))}


@pytest.mark.parametrize("parents", [False, True])
def test_scripts_without_the_shared_memos_are_the_same(tmp_path: Path, monkeypatch, parents: bool) -> None:
    out = _planned(
        tmp_path,
        "onde1-ecole-des-tilleuls.csv",
        "onde1-responsables-ecole-des-tilleuls.csv" if parents else None,
    )
    remembered = _scripts(out)
    assert len(remembered) == 6
    forgot: list[SQLitePhrases] = []
    original = SQLitePhrases.forget_items

    def spy(self: SQLitePhrases) -> None:
        forgot.append(self)
        original(self)

    monkeypatch.setattr(SQLitePhrases, "forget_items", spy)
    monkeypatch.setattr(render_sql_module, "REMEMBERED_ITEMS", 0)
    render_sql(out, ("mysql", "sqlite"))
    assert forgot, "the large-plan path was not taken"
    assert not forgot[0]._columns and not forgot[0]._changes and not forgot[0]._all_hold  # kept nothing
    assert _scripts(out) == remembered


def test_a_large_plans_sql_blocks_stay_small(tmp_path: Path, monkeypatch) -> None:
    """A big SQLite section comes in pieces of CHUNK items, joined BLOCK_PIECES at a time: no block
    holds a whole section (a 200,000-pupil plan held 138 MB in one, its render peak +250 MB)."""
    from engine.render import sqlphrases

    out = _planned(tmp_path, "onde2-ecole-des-tilleuls.csv")
    before = _scripts(out)
    monkeypatch.setattr(sqlphrases, "CHUNK", 1)
    monkeypatch.setattr(render_sql_module, "BLOCK_PIECES", 2)
    largest = [0]
    blocks = render_sql_module._blocks

    def measured(chunks):
        for block in blocks(chunks):
            largest[0] = max(largest[0], len(block))
            yield block

    monkeypatch.setattr(render_sql_module, "_blocks", measured)
    render_sql(out, ("mysql", "sqlite"))
    assert _scripts(out) == before
    sqlite_apply = (out / "sql" / "sqlite" / "apply.sql").read_text(encoding="utf-8")
    assert largest[0] < len(sqlite_apply) // 4
