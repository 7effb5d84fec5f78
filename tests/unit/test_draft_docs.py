"""The walk of docs/rules.md "A new export arrived" runs as written: its commands, output and messages."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO

from engine.cli import main

DOC = REPO / "docs" / "rules.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


def section() -> list[tuple[str, str, str]]:
    """(language, info, body) of each fenced block of the section."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## A new export arrived")
    end = text.index("\n## ", start + 1)
    return [m.groups() for m in BLOCK.finditer(text[start:end])]


def block(lang: str, info: str = "") -> tuple[str, str]:
    found = [(i, body) for lg, i, body in section() if lg == lang and info in i]
    assert len(found) == 1, (lang, info)
    return found[0]


def write_export(directory: Path, replace: tuple[str, str] | None = None) -> tuple[str, str]:
    info, body = block("csv", "draft=")
    name = re.search(r"draft=(\S+)", info).group(1)
    if replace:
        assert replace[0] in body
        body = body.replace(*replace)
    (directory / name).write_text(body, encoding="utf-8")
    return name, body


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_walk_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name, body = write_export(tmp_path)
    _, commands = block("sh")
    outputs = []
    for line in commands.strip().splitlines():
        args = shlex.split(line)
        assert args[0] == "onde-sacoche"
        code, out, err = cli(*args[1:])
        assert code == 0, (line, err)
        outputs.append(out)
    assert outputs[0] == block("text", "draft-output")[1]
    code, out, err = cli("inspect", name, "--rules", "my-rules", "--json")
    info = json.loads(out)
    assert info["pupils"] == body.strip().count("\n") - 1  # every row under the title and header
    assert info["format"] == "draft-eleves" and len(info["classes"]) == 2


def test_the_todo_message_is_the_one_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name, _ = write_export(tmp_path, (";Id. classe;", ";Champ 7;"))
    assert cli("rules", "draft", name, "--out", "my-rules")[0] == 0
    code, _, err = cli("rules", "check", "my-rules")
    assert code == 1
    shown = block("text", "draft-todo")[1]
    assert shown in err.replace(f"{tmp_path.resolve()}/", "")
