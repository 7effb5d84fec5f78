"""The script templates lay out their blank lines themselves: no script ever holds a run of blank lines
(nothing squeezes them afterwards), for a plain school, one with SACoche's import archive (an ONDE v1
export) and parents, and a plan of every parent kind; each dialect, with and without
``--revert-deletes-created``, every item accepted or none."""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO
from parent_items import FAMILY_SQL, family_plan

from engine.pipeline import make_plan
from engine.plan.seal import reseal
from engine.render import load_plan, render_scripts

EXAMPLES = REPO / "examples"
EXAMPLE_DB = f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}"


def _plain(out: Path, tmp_path: Path) -> None:
    make_plan(
        EXAMPLES / "onde2-ecole-des-tilleuls.csv",
        EXAMPLE_DB,
        out,
        today=date(2026, 11, 29),
        rng=random.Random(7),
    )


def _archive_and_parents(out: Path, tmp_path: Path) -> None:
    make_plan(
        EXAMPLES / "onde1-ecole-des-tilleuls.csv",
        EXAMPLE_DB,
        out,
        today=date(2026, 11, 29),
        rng=random.Random(7),
        parents_path=EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv",
    )


def _every_parent_kind(out: Path, tmp_path: Path) -> None:
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    with sqlite3.connect(db) as connection:
        for statement in FAMILY_SQL:
            connection.execute(statement)
    connection.close()
    family_plan(out, f"sqlite:///{db}")


def _accept(out: Path, accepted: bool) -> None:
    """Every item accepted (decisions aside) or none, the plan sealed again."""
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["items"]:
        item["accepted"] = accepted and item["kind"] not in ("decide", "parent_decide")
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("accepted", [None, True, False])
@pytest.mark.parametrize("make", [_plain, _archive_and_parents, _every_parent_kind])
def test_no_script_makes_a_blank_run(tmp_path: Path, make: object, accepted: bool | None) -> None:
    out = tmp_path / "plan"
    make(out, tmp_path)  # type: ignore[operator]
    if accepted is not None:
        _accept(out, accepted)
    loaded = load_plan(out)
    kinds = {item["kind"] for item in loaded.doc["items"] if item["accepted"]}
    if make is _archive_and_parents and accepted is not False:
        assert {"archive", "parent_create", "parent_link"} <= kinds
    for dialect in ("mysql", "sqlite"):
        for deletes_created in (False, True):
            scripts = render_scripts(loaded, dialect, revert_deletes_created=deletes_created)
            for name, text in scripts.items():
                assert not re.search(r"\n{3,}", text), f"{dialect}/{name}.sql makes a run of blank lines"
