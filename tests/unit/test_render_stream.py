"""Streamed rendering: scripts written piece by piece equal the whole-text rendering; a failure in any
script leaves every script of the plan directory as it was; compiled templates come from the cache."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO

import engine.render.sql as render
from engine.cache import cache_dir
from engine.pipeline import make_plan
from engine.render import SCRIPTS, load_plan, render_scripts, render_sql, sql_path

EXAMPLE_CSV = REPO / "examples" / "onde2-ecole-des-tilleuls.csv"
EXAMPLE_DB = f"sqlite:///{REPO / 'examples' / 'sacoche-ecole-des-tilleuls.db'}"


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    out = tmp_path / "plan"
    make_plan(EXAMPLE_CSV, EXAMPLE_DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    return out


def test_blocks_join_small_pieces() -> None:
    pieces = ["x" * 10] * 10_000
    blocks = list(render._blocks(pieces))
    assert "".join(blocks) == "".join(pieces)
    assert len(blocks) == -(-len(pieces) // render.BLOCK_PIECES)  # BLOCK_PIECES pieces a block
    assert render.BLOCK_PIECES <= 256  # a SQLite section's piece holds CHUNK items: blocks stay a few MiB
    assert list(render._blocks([])) == []


def test_written_scripts_equal_the_rendered_text(plan_dir: Path) -> None:
    loaded = load_plan(plan_dir)
    for dialect in ("mysql", "sqlite"):
        for name, text in render_scripts(loaded, dialect).items():
            assert sql_path(plan_dir, dialect, name).read_text(encoding="utf-8") == text
            assert "\n\n\n" not in text


def test_apply_that_would_delete_an_account_is_refused() -> None:
    guard = render._refusing_account_deletes
    with pytest.raises(AssertionError):
        list(guard(["SELECT 1;\nDELETE FROM sacoche_", "user WHERE user_id = 1;\n"]))  # across two chunks
    assert list(guard(["DELETE FROM sacoche_jointure_user_groupe WHERE 1;\n"])) != []


def test_a_failing_script_writes_nothing(plan_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripts go to temporary files first: when the fifth of six fails, the four before it are not
    renamed into place, the old scripts stay, and no temporary file is left behind."""
    before = {p: p.read_bytes() for p in (plan_dir / "sql").rglob("*.sql")}
    assert len(before) == 2 * len(SCRIPTS)
    for path in before:
        path.write_bytes(b"-- old script\n")
    real = render.script_chunks
    calls = []

    def failing(loaded, model, dialect, name):  # type: ignore[no-untyped-def]
        calls.append((dialect, name))
        if len(calls) == 5:
            raise ValueError("boom")
        return real(loaded, model, dialect, name)

    monkeypatch.setattr(render, "script_chunks", failing)
    with pytest.raises(render.OndeError, match=r"cannot render sqlite/revert\.sql: boom"):
        render_sql(plan_dir)
    assert {p: p.read_bytes() for p in (plan_dir / "sql").rglob("*.sql")} == dict.fromkeys(
        before, b"-- old script\n"
    )
    assert not [p for p in (plan_dir / "sql").rglob("*") if p.name.endswith(".tmp")]


def test_compiled_templates_are_cached_and_give_the_same_scripts(
    plan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_plan(plan_dir)

    def fresh(setting: str) -> dict[str, str]:
        monkeypatch.setenv("ONDE_SACOCHE_CACHE", setting)
        cache_dir.cache_clear()
        render._environment.cache_clear()
        return render_scripts(loaded, "mysql")

    try:
        uncached = fresh("off")
        cached_dir = tmp_path / "cache"
        first = fresh(str(cached_dir))
        compiled = list(cached_dir.rglob("templates.marshal"))
        assert compiled, "the bytecode cache holds the compiled templates"
        second = fresh(str(cached_dir))  # now loaded from the cache
        assert uncached == first == second
    finally:
        monkeypatch.undo()
        cache_dir.cache_clear()
        render._environment.cache_clear()
