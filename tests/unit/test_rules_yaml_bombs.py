"""Hostile YAML: an alias bomb ("billion laughs"), deep nesting and a self-referring alias are refused
fast, with file:line:column, little memory and no traceback — in rule directories (`rules check`,
`plan --rules`), in batch's --db-map, and on libyaml's fast path used for remembered rule sets."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, REPO, copy_rules

from engine.cli import main
from engine.errors import OndeError
from engine.yamlpos import MAX_DEPTH, load_located

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


def billion_laughs(key: str = "lol") -> str:
    """Nine levels of nine aliases: 9**9 (387 million) strings once expanded, from under 1 KB."""
    lines = [f'{key}0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"{key}{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_list(depth: int = 10_000) -> str:
    return "x: " + "[" * depth + "]" * depth + "\n"


HOSTILE = {
    "billion-laughs": (billion_laughs(), "aliases bringing in more than", 5),
    "deep-nesting": (deep_list(), f"nested deeper than {MAX_DEPTH} levels", 1),
    "self-alias": ("a: &x [1, *x]\n", "alias *x is inside what it names", 1),
}


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_refused_fast(result: Result, seconds: float, file: Path, says: str, line: int) -> None:
    assert seconds < 10, seconds
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "unexpected error" not in result.output
    assert f"{file}:{line}:" in result.stderr and says in result.stderr, result.stderr


@pytest.mark.parametrize("fast", [False, True], ids=["pure", "libyaml"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_loader_refuses_with_the_place(tmp_path: Path, name: str, fast: bool) -> None:
    text, says, line = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(OndeError) as caught:
        load_located(path, fast=fast)
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 100_000  # KiB: under 100 MB more
    assert says in caught.value.message and caught.value.file == str(path) and caught.value.line == line
    assert caught.value.column is not None and caught.value.hint


def test_aliases_within_budget_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {db: 'sqlite:///a.db'}\none: *b\ntwo: *b\n", encoding="utf-8")
    assert load_located(path, fast=False).data == load_located(path, fast=True).data
    assert load_located(path).data["two"] == {"db": "sqlite:///a.db"}


def test_nesting_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", encoding="utf-8")
    for fast in (False, True):
        assert load_located(path, fast=fast).data is not None


def test_libyaml_fast_path_survives_nesting_that_crashed_it(tmp_path: Path) -> None:
    """libyaml's own composer recursed in C: 300,000 levels killed the process (SIGSEGV)."""
    path = tmp_path / "deep.yaml"
    path.write_text(deep_list(300_000), encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from engine.yamlpos import load_located; "
        "from engine.errors import OndeError\n"
        "try: load_located(Path(sys.argv[1]), fast=True)\n"
        "except OndeError as e: print(e.message)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert f"nested deeper than {MAX_DEPTH} levels" in run.stdout


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_rules_check_and_plan_refuse_a_hostile_rule_file(tmp_path: Path, name: str) -> None:
    text, says, line = HOSTILE[name]
    directory = copy_rules(tmp_path)
    hostile = directory / "tables" / "hostile.yaml"
    hostile.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = cli("rules", "check", str(directory))
    assert_refused_fast(result, time.monotonic() - started, hostile, says, line)

    db = tmp_path / "s.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = tmp_path / "plan"
    started = time.monotonic()
    result = cli("plan", str(EXPORT), "--db", f"sqlite:///{db}", "--rules", str(directory), "--out", str(out))
    assert_refused_fast(result, time.monotonic() - started, hostile, says, line)
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_batch_refuses_a_hostile_db_map(tmp_path: Path, name: str) -> None:
    text, says, line = HOSTILE[name]
    exports = tmp_path / "exports"
    exports.mkdir()
    db_map = tmp_path / "db-map.yaml"
    db_map.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    result = cli("batch", str(exports), "--db-map", str(db_map), "--out", str(out))
    assert_refused_fast(result, time.monotonic() - started, db_map, says, line)
    assert not out.exists()


def test_plan_refuses_a_hostile_decisions_file(tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(billion_laughs(), encoding="utf-8")
    db = tmp_path / "s.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = tmp_path / "plan"
    started = time.monotonic()
    result = cli(
        "plan", str(EXPORT), "--db", f"sqlite:///{db}", "--out", str(out), "--decisions", str(decisions)
    )
    assert_refused_fast(result, time.monotonic() - started, decisions, "aliases bringing in", 5)
    assert not out.exists()


def _dangling(directory: Path) -> tuple[Path, str]:
    (directory / "tables" / "gone.yaml").symlink_to(directory / "nowhere.yaml")
    return directory / "tables" / "gone.yaml", "cannot read the file (No such file or directory)"


def _directory(directory: Path) -> tuple[Path, str]:
    (directory / "tables" / "folder.yaml").mkdir()
    return directory / "tables" / "folder.yaml", "cannot read the file (Is a directory)"


def _bad_schema(directory: Path) -> tuple[Path, str]:
    path = directory / "schema" / "table.schema.json"
    path.write_text('{"type": "object", "properties": {"id": {"type": "nope"}}}', encoding="utf-8")
    return path, "not a valid JSON Schema (at properties/id/type)"


@pytest.mark.parametrize("make", [_dangling, _directory, _bad_schema], ids=["dangling", "dir", "schema"])
def test_odd_rule_files_are_one_message(tmp_path: Path, make: object) -> None:
    directory = copy_rules(tmp_path)
    path, says = make(directory)  # type: ignore[operator]
    result = cli("rules", "check", str(directory))
    assert result.exit_code == 1 and "Traceback" not in result.output and "unexpected" not in result.output
    assert f"{path}:" in result.stderr and says in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("text", "says", "column"),
    [
        ("a: [2019-02-30]\n", "this value cannot be read (an impossible date such as 2019-02-30", 5),
        ("a: !!python/name:os.system\n", "unsupported YAML tag", 4),
        ("a: !!int abc\n", "this value cannot be read", 4),
    ],
    ids=["impossible-date", "python-tag", "bad-int"],
)
@pytest.mark.parametrize("fast", [False, True], ids=["pure", "libyaml"])
def test_values_pyyaml_cannot_build_are_located(
    tmp_path: Path, text: str, says: str, column: int, fast: bool
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OndeError) as caught:
        load_located(path, fast=fast)
    assert says in caught.value.message and (caught.value.line, caught.value.column) == (1, column)


def test_batch_refuses_an_impossible_date_in_the_db_map(tmp_path: Path) -> None:
    db_map = tmp_path / "db-map.yaml"
    db_map.write_text("a.csv: {db: 'sqlite:///a.db', since: 2019-02-30}\n", encoding="utf-8")
    result = cli("batch", str(tmp_path), "--db-map", str(db_map), "--out", str(tmp_path / "out"))
    assert_refused_fast(result, 0, db_map, "this value cannot be read", 1)
