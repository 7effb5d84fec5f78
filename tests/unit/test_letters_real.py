"""The family letters and the report's parents part from a real plan: the bundled example school's
pupils and responsables planned in one run (engine.pipeline.make_plan, docs/parents.md), rendered as
``plan`` renders them."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLES

from engine.pipeline import make_plan
from engine.plan.parents_build import PARENT_CREDENTIALS_FILE
from engine.render.letters import LETTERS_FILE
from engine.review import set_accepted

PUPILS = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
PARENTS = EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv"


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("real")
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", base / "sacoche.db")
    out = base / "plan"
    make_plan(PUPILS, f"sqlite:///{base / 'sacoche.db'}", out, parents_path=PARENTS, rng=random.Random(7))
    with (out / PARENT_CREDENTIALS_FILE).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return {
        "out": out,
        "plan": json.loads((out / "plan.json").read_text(encoding="utf-8")),
        "rows": rows,
        "letters": (out / LETTERS_FILE).read_text(encoding="utf-8"),
        "report": (out / "rapport.html").read_text(encoding="utf-8"),
        "summary": (out / "resume.md").read_text(encoding="utf-8"),
    }


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="lettre">(.*?)</section>', html, re.S)


def test_one_letter_per_accepted_new_parent(planned: dict[str, Any]) -> None:
    creates = [i for i in planned["plan"]["items"] if i["kind"] == "parent_create" and i["accepted"]]
    letters = sections(planned["letters"])
    assert len(letters) == len(creates) == len(planned["rows"]) > 40
    assert stat.S_IMODE((planned["out"] / LETTERS_FILE).stat().st_mode) == 0o600
    for row in planned["rows"]:
        login = f'<td class="secret">{row["login"]}</td>'
        holding = [letter for letter in letters if login in letter]
        assert len(holding) == 1, row["item"]
        assert f'<td class="secret">{row["mot_de_passe"]}</td>' in holding[0], row["item"]


def test_each_letter_lists_the_children_its_parent_is_linked_to(planned: dict[str, Any]) -> None:
    items = planned["plan"]["items"]
    by_login = {i["target"]["login"]: i for i in items if i["kind"] == "parent_create"}
    links = Counter(
        i["target"]["parent_login"] for i in items if i["kind"] == "parent_link" and i["accepted"]
    )
    for letter in sections(planned["letters"]):
        login = re.search(r'<th>Identifiant</th><td class="secret">([^<]+)</td>', letter)[1]
        assert letter.count('<td class="classe">') == links[login] >= 1, by_login[login]["id"]


def test_the_report_shows_every_parent_item_and_no_password(planned: dict[str, Any]) -> None:
    report, summary = planned["report"], planned["summary"]
    for item in planned["plan"]["items"]:
        if item["kind"].startswith("parent_"):
            assert item["id"] in report, item["id"]
    counts = planned["plan"]["summary"]
    assert f"Responsables : {counts['parents_create']} nouveaux comptes" in report
    assert f"**Responsables : {counts['parents_create']} nouveaux comptes" in summary
    assert "Responsables — classe" in report and LETTERS_FILE in report
    assert "Avertissement (en anglais)" not in report  # the planner's warnings, in French
    for row in planned["rows"]:
        assert row["mot_de_passe"] not in report and row["mot_de_passe"] not in summary, row["item"]


def test_a_new_plan_without_parents_leaves_no_letters_behind(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", tmp_path / "sacoche.db")
    db, out = f"sqlite:///{tmp_path / 'sacoche.db'}", tmp_path / "plan"
    make_plan(PUPILS, db, out, parents_path=PARENTS, rng=random.Random(7))
    assert (out / LETTERS_FILE).is_file()
    make_plan(PUPILS, db, out, rng=random.Random(7))  # the same school, pupils only
    assert not (out / PARENT_CREDENTIALS_FILE).exists()
    assert not (out / LETTERS_FILE).exists()  # no letter of passwords outlives its plan


def test_accepting_an_item_keeps_the_new_parents_passwords_and_letters(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", tmp_path / "sacoche.db")
    out = tmp_path / "plan"
    make_plan(PUPILS, f"sqlite:///{tmp_path / 'sacoche.db'}", out, parents_path=PARENTS, rng=random.Random(7))
    before = (out / PARENT_CREDENTIALS_FILE).read_bytes()
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    unchecked = next(
        i["id"] for i in doc["items"] if not i["accepted"] and i["kind"] not in ("decide", "parent_decide")
    )
    set_accepted(out, [unchecked], True)
    assert (out / PARENT_CREDENTIALS_FILE).read_bytes() == before  # the only copy of the passwords
    assert len(sections((out / LETTERS_FILE).read_text(encoding="utf-8"))) > 40
