"""A command-line run ends without the interpreter's teardown (engine.cliguard._exit_now): what it printed
and wrote is complete, its exit code is the command's, and an in-process call of main() still returns
through SystemExit (tests and callers are never killed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES, REPO

from engine.cli import main

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ONDE_SACOCHE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, env=env, **kwargs
    )


def test_a_plan_run_from_the_command_line_prints_and_writes_everything(
    tmp_path: Path, sacoche_sqlite: Path
) -> None:
    out = tmp_path / "plan"
    args = ["plan", str(EXPORT), "--db", f"sqlite:///{sacoche_sqlite}", "--out", str(out)]
    args += ["--today", "2026-09-01", "--allow", "coverage"]
    run = _run(*args)
    in_process = CliRunner().invoke(main, [*args[:-4], "--out", str(tmp_path / "again"), *args[-4:]])
    assert run.returncode == in_process.exit_code
    assert run.returncode in (0, 3), run.stderr
    assert run.stdout.replace(str(out), "OUT") == in_process.stdout.replace(str(tmp_path / "again"), "OUT")
    assert run.stdout.rstrip().endswith("plan.json")
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))  # whole, closed, valid
    assert document["items"]
    assert (out / "rapport.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_help_through_a_pipe_is_complete() -> None:
    run = _run("--help")
    assert run.returncode == 0
    assert run.stdout.startswith("Usage: ") and "Exit codes:" in run.stdout
    assert run.stdout.endswith('instead of "unexpected error".\n')  # the last line, flushed


def test_an_error_keeps_exit_code_1_and_its_message() -> None:
    run = _run("plan", "/nonexistent/export.csv", "--db", "sqlite:///x.db")
    assert run.returncode == 1
    assert "does not exist" in run.stderr and "what to do" in run.stderr


def test_main_called_in_process_still_raises_system_exit() -> None:
    with pytest.raises(SystemExit) as exited:
        main(args=["--help"])
    assert exited.value.code == 0


# ------------------------------------------------------------- what a plan's start-up no longer does


def _imported(stderr: str) -> set[str]:
    """Module names from ``python -X importtime`` lines."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_a_plan_with_remembered_rules_imports_no_yaml_no_strptime_no_subprocess(
    tmp_path: Path, sacoche_sqlite: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ONDE_SACOCHE_CACHE": str(tmp_path / "cache")}
    env.pop("ONDE_SACOCHE_DEBUG", None)
    args = ["plan", str(EXPORT), "--db", f"sqlite:///{sacoche_sqlite}", "--today", "2026-09-01"]
    args += ["--allow", "coverage", "--force"]
    command = [sys.executable, "-X", "importtime", "-m", "engine.cli", *args]
    first = subprocess.run([*command, "--out", str(tmp_path / "a")], capture_output=True, text=True, env=env)
    again = subprocess.run([*command, "--out", str(tmp_path / "b")], capture_output=True, text=True, env=env)
    assert first.returncode == again.returncode and again.returncode in (0, 3), again.stderr
    assert "yaml" in _imported(first.stderr)  # an empty cache: the rules are checked and remembered
    imported = _imported(again.stderr)
    assert "engine.pipeline" in imported and "jinja2" in imported  # the measure saw the plan's imports
    assert {"yaml", "_strptime", "subprocess"} & imported == set()
    for name in ("plan.json", "rapport.html", "sql/mysql/apply.sql", "sql/sqlite/verify.sql"):
        assert (tmp_path / "b" / name).is_file()


def _remembered_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from engine.cache import ENV_VAR, cache_dir

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    cache_dir.cache_clear()
    folder = cache_dir("yaml")
    assert folder is not None
    return folder


def test_a_remembered_yaml_load_gives_the_same_data_and_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.cache import cache_dir
    from engine.yamlpos import load_located

    folder = _remembered_cache(tmp_path, monkeypatch)
    try:
        for path in sorted((REPO / "rules").rglob("*.yaml")):
            plain = load_located(path, fast=True)
            kept = load_located(path, fast=True, remember=True)  # computed, then written
            recalled = load_located(path, fast=True, remember=True)  # read back
            for doc in (kept, recalled):
                assert (repr(doc.data), doc.positions, doc.file) == (repr(plain.data), plain.positions, path)
        assert len(list(folder.iterdir())) == len(list((REPO / "rules").rglob("*.yaml")))
    finally:
        cache_dir.cache_clear()


def test_a_remembered_yaml_entry_is_the_text_s_and_a_broken_one_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.cache import cache_dir
    from engine.errors import OndeError
    from engine.yamlpos import load_located

    folder = _remembered_cache(tmp_path, monkeypatch)
    try:
        path = tmp_path / "x.yaml"
        path.write_text("a: 1\nb: [x, 2024-01-02]\n", encoding="utf-8")
        first = load_located(path, fast=True, remember=True)
        (entry,) = folder.iterdir()
        entry.write_bytes(b"\x80\x05not a pickle")  # truncated or foreign: loaded from the text again
        again = load_located(path, fast=True, remember=True)
        assert (again.data, again.positions) == (first.data, first.positions)
        path.write_text("a: 1\nb: [y]\n", encoding="utf-8")  # another text, another entry
        assert load_located(path, fast=True, remember=True).data == {"a": 1, "b": ["y"]}
        assert len(list(folder.iterdir())) == 2
        path.write_text("a: 1\na: 2\n", encoding="utf-8")  # an error is raised every time, never kept
        for _ in range(2):
            with pytest.raises(OndeError, match="written twice"):
                load_located(path, fast=True, remember=True)
        assert len(list(folder.iterdir())) == 2
    finally:
        cache_dir.cache_clear()


_DAYS = [
    "2026-11-29",
    "2024-02-29",
    "2026-02-29",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-01-32",
    "2026-1-05",
    " 2026-01-05",
    "2026-01-05 ",
    "２０２６-01-05",
    "2026/01/05",
    "20260105",
    "abcd-ef-gh",
    "",
]


@pytest.mark.parametrize("value", _DAYS)
def test_today_is_read_as_click_datetime_reads_it(value: str) -> None:
    import click

    from engine.cliguard import IsoDay

    def outcome(kind: click.ParamType) -> str:
        try:
            return repr(kind.convert(value, None, None))
        except click.BadParameter as exc:
            return f"refused: {exc.message}"

    assert outcome(IsoDay()) == outcome(click.DateTime(formats=["%Y-%m-%d"]))


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%m/%d/%Y", "%Y%m%d", "%d.%m.%Y"])
def test_a_date_step_reads_a_value_as_strptime_does(fmt: str) -> None:
    from datetime import datetime

    from engine.ops import _digits_shape, _parse_date

    def reference(value: str) -> str:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            return "refused"

    def fast(value: str) -> str:
        try:
            return _parse_date(value, fmt, _digits_shape(fmt))
        except ValueError:
            return "refused"

    assert _digits_shape(fmt) is not None
    days = ["01", "09", "28", "29", "30", "31", "32", "00", "1", " 1", "٣1"]
    months = ["01", "02", "12", "13", "00", "2"]
    years = ["2024", "2023", "1900", "2000", "0000", "0001", "9999", "24"]
    for year in years:
        for month in months:
            for day in days:
                value = fmt.replace("%Y", year).replace("%m", month).replace("%d", day)
                assert fast(value) == reference(value), value
    assert _digits_shape("%d/%m/%y") is None and _digits_shape("%d %m %Y") is None


def test_every_engine_dataclass_has_a_docstring() -> None:
    """Without one, @dataclass builds ``__doc__`` from ``inspect.signature`` at import: a fraction of a
    millisecond per class, at every start of every command that imports it."""
    import ast

    missing = []
    for path in sorted((REPO / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef) or ast.get_docstring(node):
                continue
            if any("dataclass" in ast.unparse(d) for d in node.decorator_list):
                missing.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}")
    assert missing == []


def test_the_collector_is_frozen_after_the_imports_only_in_a_command_line_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from engine import cliguard

    monkeypatch.setattr(cliguard, "_COMMAND_LINE_RUN", [False])  # main() called with args, as tests do
    before = gc.get_freeze_count()
    with cliguard.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == before  # a test process keeps a full collector
    monkeypatch.setattr(cliguard, "_COMMAND_LINE_RUN", [True])
    try:
        with cliguard.collector_paused():
            kept = [[] for _ in range(10)]
        assert gc.isenabled() and gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()
