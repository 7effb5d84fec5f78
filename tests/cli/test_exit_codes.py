"""Exit codes: usage errors exit 1 in the project's message style (never 2, which means "changes
present" with --detailed-exitcode), every code is documented in --help and README, and the last-resort
handler turns an unexpected exception into one line without its text."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, REPO
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.cli import main
from engine.cliguard import GuardedGroup

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["plan", "/nonexistent/export.csv", "--db", "sqlite:///x.db"], "does not exist"),  # missing file
        (["plan", str(EXPORT)], "Missing option '--db'"),  # missing option
        (["plan"], "Missing argument 'EXPORT'"),  # missing argument
        (["inspect", str(EXPORT), "--bogus"], "No such option '--bogus'"),  # bad option
        (["render", "--dialect", "oracle", str(EXAMPLES)], "'oracle' is not one of"),  # bad choice
        (["plan", str(EXPORT), "--db", "sqlite:///x.db", "--today", "29/11/2026"], "--today"),  # bad value
        (["no-such-command"], "No such command"),
        (["batch", str(EXAMPLES)], "Missing option '--db-map'"),
        (["rules", "copy"], "Missing argument"),
    ],
)
def test_usage_errors_exit_1_in_the_project_style(args: list[str], says: str) -> None:
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    first, second = result.stderr.splitlines()
    assert first.startswith("error: ") and says in first
    assert second.startswith("  what to do: see `") and second.endswith(" --help`")
    assert "Traceback" not in result.output and "Usage:" not in result.output


def test_no_command_shows_help_and_exits_1() -> None:
    result = cli()
    assert result.exit_code == 1
    assert "Commands:" in result.stderr


def test_help_and_version_exit_0() -> None:
    assert cli("--help").exit_code == 0
    assert cli("plan", "--help").exit_code == 0
    assert cli("--version").exit_code == 0


def test_every_exit_code_documented_in_help_and_readme() -> None:
    help_text = cli("--help").stdout
    section = help_text[help_text.index("Exit codes:") :]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Exit codes") :]
    table = table[: table.index("\n#")]
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s", section, re.M), code
        assert re.search(rf"^\| {code} ", table, re.M), code
    assert "other" in section.lower() and "other" in table.lower()
    assert "--detailed-exitcode" in section and "--detailed-exitcode" in table
    assert "ONDE_SACOCHE_DEBUG" in section and "ONDE_SACOCHE_DEBUG" in readme


def test_docs_give_exit_2_only_for_detailed_exitcode() -> None:
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"exit(?:s| code| status)? 2\b", text, re.I):
            around = text[max(0, match.start() - 150) : match.end() + 150]
            assert "detailed-exitcode" in around, (path, around)


def test_exit_0_and_1_from_a_command(tmp_path: Path) -> None:
    assert cli("rules", "check").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("not;an;onde;export\n1;2;3;4\n", encoding="utf-8")
    result = cli("inspect", str(bad))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {bad}")


def test_detailed_exitcode_2_and_held_3_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    args = ["plan", str(EXPORT), "--db", f"sqlite:///{db}", "--out", str(tmp_path / "p")]
    assert cli(*args, "--detailed-exitcode").exit_code == 2
    assert cli(*args, "--force").exit_code == 0  # the same plan without the flag


def _crashing_group() -> click.Group:
    @click.group(cls=GuardedGroup)
    def group() -> None:
        """A group with one command that fails unexpectedly."""

    @group.command("crash")
    def crash() -> None:
        raise ValueError("pupil LAVANDIER Noé 2034518")

    return group


def test_unexpected_exception_is_one_line_without_its_text() -> None:
    result = CliRunner().invoke(_crashing_group(), ["crash"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unexpected error (ValueError)")
    assert "LAVANDIER" not in result.output and "Traceback" not in result.output
    assert "ONDE_SACOCHE_DEBUG=1" in result.stderr


def test_debug_variable_shows_the_traceback() -> None:
    result = CliRunner(env={"ONDE_SACOCHE_DEBUG": "1"}).invoke(_crashing_group(), ["crash"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "ValueError" in result.stderr


def test_usage_error_from_the_installed_entry_point_exits_1() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "engine.cli", "plan", "--bogus"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert run.returncode == 1 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr


def _apply_waiting_for_confirmation(tmp_path: Path, school: SacocheDatabase) -> subprocess.Popen[str]:
    """apply on the MariaDB database the plan was made from (apply refuses any other before asking)."""
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", school)
    made = cli("plan", str(EXPORT), "--db", school.url, "--out", str(tmp_path / "p"))
    assert made.exit_code == 0, made.output
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "apply", str(tmp_path / "p"), "--db", school.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.mariadb
def test_refused_confirmation_exits_1(tmp_path: Path, sacoche_mysql: SacocheDatabase) -> None:
    process = _apply_waiting_for_confirmation(tmp_path, sacoche_mysql)
    out, err = process.communicate("n\n", timeout=120)
    assert process.returncode == 1
    assert "Apply to" in out
    assert err.strip().splitlines()[-1] == "aborted: nothing was done" and "Traceback" not in err


@pytest.mark.mariadb
def test_ctrl_c_exits_130(tmp_path: Path, sacoche_mysql: SacocheDatabase) -> None:
    process = _apply_waiting_for_confirmation(tmp_path, sacoche_mysql)
    assert process.stdout is not None
    prompt = ""
    while "Apply to" not in prompt:
        char = process.stdout.read(1)
        assert char, "no confirmation prompt"
        prompt += char
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
