"""Every recipe in docs/rules.md is applied to a fresh copy of the rules and reads its example CSV."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, copy_rules

from engine.read import read_export
from engine.rules import check_rules, load_rules

DOC = REPO / "docs" / "rules.md"
BLOCK = re.compile(r"^```(yaml|csv)([^\n]*)\n(.*?)^```", re.S | re.M)


def recipes() -> list[tuple[str, str, bool, str, str]]:
    """(title, rule file, new?, yaml text, csv text) for each `yaml file=…` block and the csv after it."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    blocks = list(BLOCK.finditer(text))
    for index, block in enumerate(blocks):
        lang, info, body = block.groups()
        match = re.search(r"file=(\S+)", info)
        if lang != "yaml" or not match:
            continue
        following = blocks[index + 1]
        assert following.group(1) == "csv", f"recipe for {match.group(1)} has no csv example after it"
        title = text.rfind("### ", 0, block.start())
        found.append(
            (
                text[title + 4 : text.index("\n", title)],
                match.group(1),
                "new" in info.split(),
                body,
                following.group(3),
            )
        )
    return found


def merge(base: Any, change: Any) -> Any:
    if isinstance(base, dict) and isinstance(change, dict):
        merged = dict(base)
        for key, value in change.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return change


def test_doc_has_recipes() -> None:
    assert len(recipes()) >= 5


@pytest.mark.parametrize(
    ("title", "file", "new", "snippet", "csv_text"), recipes(), ids=[r[0] for r in recipes()]
)
def test_recipe(tmp_path: Path, title: str, file: str, new: bool, snippet: str, csv_text: str) -> None:
    directory = copy_rules(tmp_path)
    export = tmp_path / "export.csv"
    export.write_text(csv_text, encoding="utf-8")
    try:
        before: Any = read_export(export, load_rules(directory)).pupils
    except Exception as exc:  # the unedited rules refuse it, or read it differently
        before = exc
    target = directory / file
    change = yaml.safe_load(snippet)
    data = change if new else merge(yaml.safe_load(target.read_text(encoding="utf-8")), change)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert check_rules(directory)[1] == []
    pupils = read_export(export, load_rules(directory)).pupils
    assert len(pupils) == csv_text.strip().count("\n")
    assert pupils != before
    known_niveaux = set(load_rules(directory).tables["niveaux"]["lookup"].values())
    assert all(p.nom and p.prenom and p.classe_id for p in pupils)
    assert all(p.niveau in known_niveaux for p in pupils if p.niveau)
