"""No traceback ever reaches a user: odd output paths, `rules copy` onto odd paths, a full disk on
stdout and hand-damaged plan.json each give one message and what to do, exit 1, nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, REPO

from engine.cli import main

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
#: a place nobody may create anything in, root included (sysfs)
UNWRITABLE = Path("/sys/onde-sacoche-test")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_refused(result: Result, *says: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "unexpected error" not in result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert "what to do:" in result.stderr
    for text in says:
        assert text in result.stderr, result.stderr


def tree(path: Path) -> dict[str, str]:
    """Every file under ``path`` with the hash of its content (what "nothing written" compares)."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def made_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan")
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", root / "s.db")
    result = cli("plan", str(EXPORT), "--db", f"sqlite:///{root / 's.db'}", "--out", str(root / "p"))
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def plan_copy(made_plan: Path, tmp_path: Path) -> Path:
    shutil.copytree(made_plan / "p", tmp_path / "p")
    shutil.copy(made_plan / "s.db", tmp_path / "s.db")
    return tmp_path


# --- output paths ------------------------------------------------------------------------------------


def test_dangling_symlink_as_export(tmp_path: Path) -> None:
    (tmp_path / "export.csv").symlink_to(tmp_path / "gone.csv")
    result = cli("inspect", str(tmp_path / "export.csv"))
    assert result.exit_code == 1 and "does not exist" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (
            lambda t: (t / "out").symlink_to(t / "nowhere") or t / "out",
            "symbolic link to a place that does not",
        ),
        (lambda t: (t / "f").write_text("x") and t / "f" / "sub", "which is a file"),
        (lambda t: UNWRITABLE / "plan", "cannot write in /sys"),
    ],
    ids=["dangling-symlink", "under-a-file", "unwritable"],
)
def test_odd_out_for_plan(tmp_path: Path, make: Callable[[Path], Path], says: str) -> None:
    db = tmp_path / "s.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = make(tmp_path)
    before = tree(tmp_path)
    assert_refused(cli("plan", str(EXPORT), "--db", f"sqlite:///{db}", "--out", str(out)), says)
    assert tree(tmp_path) == before and not out.exists()


def test_dangling_symlink_as_batch_out(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(EXPORT, exports / "a.csv")
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", tmp_path / "s.db")
    (tmp_path / "map.yaml").write_text(f"a.csv: sqlite:///{tmp_path / 's.db'}\n", encoding="utf-8")
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    result = cli(
        "batch", str(exports), "--db-map", str(tmp_path / "map.yaml"), "--out", str(tmp_path / "out")
    )
    assert_refused(result, "symbolic link")
    assert not (tmp_path / "nowhere").exists()


# --- rules copy ------------------------------------------------------------------------------------


def _file(t: Path) -> Path:
    (t / "rules").write_text("mine", encoding="utf-8")
    return t / "rules"


def _dangling(t: Path) -> Path:
    (t / "rules").symlink_to(t / "nowhere")
    return t / "rules"


def _full_dir(t: Path) -> Path:
    (t / "rules").mkdir()
    (t / "rules" / "mine.yaml").write_text("id: mine\n", encoding="utf-8")
    return t / "rules"


def _under_file(t: Path) -> Path:
    (t / "f").write_text("x", encoding="utf-8")
    return t / "f" / "rules"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_file, "exists already (a file)"),
        (_dangling, "exists already (a dangling symbolic link)"),
        (_full_dir, "exists already (a directory)"),
        (_under_file, "which is a file"),
        (lambda t: UNWRITABLE / "rules", "cannot write in /sys"),
    ],
    ids=["file", "dangling-symlink", "non-empty-dir", "under-a-file", "unwritable-parent"],
)
def test_rules_copy_onto_odd_paths(tmp_path: Path, make: Callable[[Path], Path], says: str) -> None:
    destination = make(tmp_path)
    before = tree(tmp_path), sorted(os.listdir(tmp_path))
    assert_refused(cli("rules", "copy", str(destination)), says)
    assert (tree(tmp_path), sorted(os.listdir(tmp_path))) == before


def test_rules_copy_to_a_new_nested_path_leaves_no_staging(tmp_path: Path) -> None:
    destination = tmp_path / "a" / "b" / "rules"
    result = cli("rules", "copy", str(destination))
    assert result.exit_code == 0, result.output
    assert (destination / "ruleset.yaml").is_file()
    assert os.listdir(tmp_path / "a" / "b") == ["rules"]
    assert cli("rules", "check", str(destination)).exit_code == 0


# --- a full disk on stdout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["show", "{plan}"], ["inspect", "--json", str(EXPORT)], ["inspect", str(EXPORT)]],
    ids=["show", "inspect-json", "inspect"],
)
def test_full_disk_on_stdout(made_plan: Path, args: list[str]) -> None:
    args = [a.replace("{plan}", str(made_plan / "p")) for a in args]
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "engine.cli", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
        )
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert lines[0] == "error: the output could not be written (No space left on device)", run.stderr
    assert lines[1].startswith("  what to do:") and len(lines) == 2, run.stderr


# --- damaged plan.json ------------------------------------------------------------------------------


def _first(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(item for item in doc["items"] if item["kind"] == kind)


def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[[Any], None]:
    return lambda doc: path(doc).__setitem__(key, value)


DAMAGE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "items-not-a-list": (_set(lambda d: d, "items", {}), "'items' is missing or is not a list"),
    "item-without-id": (lambda d: d["items"][0].pop("id"), "'id' must be"),
    "item-without-kind": (lambda d: d["items"][0].pop("kind"), "unknown kind"),
    "item-not-an-object": (lambda d: d["items"].__setitem__(0, "x"), "an item must be an object"),
    "changes-not-a-dict": (_set(lambda d: _first(d, "update"), "changes", []), "must be objects"),
    "subject-a-list": (_set(lambda d: _first(d, "create"), "subject", [1]), "'subject' must be an object"),
    "subject-a-number": (_set(lambda d: _first(d, "update"), "subject", 5), "'subject' must be an object"),
    "reason-a-list": (_set(lambda d: _first(d, "create"), "reason", []), "'reason' must be an object"),
    "name-an-object": (
        _set(lambda d: _first(d, "create")["subject"], "nom", {}),
        "subject: 'nom' must be a plain value",
    ),
    "candidates-text": (
        _set(lambda d: _first(d, "decide")["subject"], "candidates", "x"),
        "'candidates' must be a list",
    ),
    "holds-not-objects": (_set(lambda d: d, "holds", ["x"]), "holds[0] must be an object"),
    "fingerprint-text": (_set(lambda d: d["state"], "fingerprint", "x"), "'fingerprint' must be an object"),
    "names-a-list": (_set(lambda d: d, "names", []), "'names' must be an object"),
    "impossible-today": (_set(lambda d: d, "today", "2019-02-30"), "'today' is not a real date"),
    "impossible-birth-date": (
        _set(lambda d: _first(d, "create")["changes"]["user_naissance_date"], "new", "2019-02-30"),
        "user_naissance_date must be a real date",
    ),
    "impossible-sortie-date": (
        _set(lambda d: _first(d, "deactivate")["changes"]["user_sortie_date"], "new", "2019-02-30"),
        "user_sortie_date must be a real date",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("command", ["show", "render", "apply"])
def test_damaged_plan_json_is_refused(plan_copy: Path, damage: str, command: str) -> None:
    change, says = DAMAGE[damage]
    plan_json = plan_copy / "p" / "plan.json"
    doc = json.loads(plan_json.read_text(encoding="utf-8"))
    change(doc)
    plan_json.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    before = tree(plan_copy)
    extra = ["--db", f"sqlite:///{plan_copy / 's.db'}"] if command == "apply" else []
    result = cli(command, str(plan_copy / "p"), *extra)
    assert_refused(result, says, f"{plan_json}:")
    assert result.stdout == ""
    assert tree(plan_copy) == before  # no SQL, report or database change
    assert "2019-02-30" not in result.output  # a (bogus) birth date is still not quoted


@pytest.mark.parametrize("command", ["show", "render"])
def test_deeply_nested_plan_json_is_refused(tmp_path: Path, command: str) -> None:
    (tmp_path / "plan.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    before = tree(tmp_path)
    assert_refused(cli(command, str(tmp_path)), "nested far too deeply")
    assert tree(tmp_path) == before


def test_closed_pipe_on_stdout_is_quiet(made_plan: Path) -> None:
    """`onde-sacoche show PLAN | head -0`: the reader went away; no traceback, no "Exception ignored"."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "show", str(made_plan / "p")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command starts writing (it takes far longer to start)
    err = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in err and "Exception ignored" not in err and "unexpected" not in err


def test_csv_db_map_with_a_huge_field_is_refused(tmp_path: Path) -> None:
    db_map = tmp_path / "db-map.csv"
    db_map.write_text('export;db\n"' + "a" * 200_000 + '";sqlite:///x.db\n', encoding="utf-8")
    result = cli("batch", str(tmp_path), "--db-map", str(db_map), "--out", str(tmp_path / "out"))
    assert_refused(result, f"{db_map}:2: this CSV line cannot be read", "unclosed double quote")
    assert not (tmp_path / "out").exists()


def _report_is_a_directory(plan: Path) -> None:
    (plan / "rapport.html").unlink()
    (plan / "rapport.html").mkdir()


def _sql_is_a_file(plan: Path) -> None:
    shutil.rmtree(plan / "sql")
    (plan / "sql").write_text("x", encoding="utf-8")


@pytest.mark.parametrize("command", ["plan", "render"])
@pytest.mark.parametrize(
    ("damage", "says"),
    [(_report_is_a_directory, "must be a file, not a directory"), (_sql_is_a_file, "must be a directory")],
    ids=["report-is-a-directory", "sql-is-a-file"],
)
def test_odd_files_in_the_plan_directory(
    plan_copy: Path, command: str, damage: Callable[[Path], None], says: str
) -> None:
    """The new rapport.html used to land inside a directory of that name, exit 0."""
    plan = plan_copy / "p"
    damage(plan)
    before = tree(plan_copy)
    if command == "plan":
        result = cli("plan", str(EXPORT), "--db", f"sqlite:///{plan_copy / 's.db'}", "--out", str(plan))
    else:
        result = cli("render", str(plan))
    assert_refused(result, says)
    assert tree(plan_copy) == before
