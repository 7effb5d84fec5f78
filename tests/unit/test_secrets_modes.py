"""The plan directory holds minors' data and password hashes: 0700, every file 0600, whatever the umask."""

from __future__ import annotations

import os
import random
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES

from engine.batch import batch_command
from engine.cli import main
from engine.pipeline import make_plan

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
DB = f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}"


@pytest.fixture(autouse=True)
def lax_umask() -> Iterator[None]:
    """The usual umask 022, which made everything 0644 before."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def _assert_private(root: Path) -> None:
    modes = _modes(root)
    for name, mode in modes.items():
        expected = 0o700 if (root / name).is_dir() else 0o600
        assert mode == expected, f"{name}: {oct(mode)}"


def test_plan_directory_and_every_file_are_private(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    names = set(_modes(out))
    assert {"plan.json", "identifiants.csv", "identifiants.html", "rapport.html", "resume.md"} <= names
    assert "sql/mysql/apply.sql" in names and "sql/sqlite" in names
    _assert_private(out)


def test_an_existing_directory_and_older_files_are_tightened(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    (out / "sql" / "mysql").mkdir(parents=True)
    for path in (out, out / "sql", out / "sql" / "mysql"):
        path.chmod(0o755)
    printed = out / "rapport.pdf"  # printed by an earlier run, with the printer's mode
    printed.write_bytes(b"%PDF-")
    printed.chmod(0o644)
    unrelated = tmp_path / "other.txt"
    unrelated.write_text("x")
    make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    _assert_private(out)
    assert stat.S_IMODE(unrelated.stat().st_mode) == 0o644


def test_render_command_keeps_the_directory_private(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    (out / "sql").chmod(0o755)
    (out / "plan.json").chmod(0o644)
    result = CliRunner().invoke(main, ["render", str(out), "--dialect", "both"])
    assert result.exit_code == 0, result.output
    _assert_private(out)


def test_batch_out_and_summaries_are_private(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "a.csv").write_bytes(EXPORT.read_bytes())
    db_map = tmp_path / "map.yaml"
    db_map.write_text(f'a.csv: "{DB}"\n', encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    result = CliRunner().invoke(
        batch_command, [str(exports), "--db-map", str(db_map), "--out", str(out), "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    _assert_private(out)
    assert {"batch-summary.json", "batch-summary.txt", "a/plan.json"} <= set(_modes(out))
