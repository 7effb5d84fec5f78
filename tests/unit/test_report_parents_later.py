"""The report of a real later import (tests/unit/test_parents_later.py's school, a year on): a family
moving, a parent's new e-mail, a new sibling linked, a parent whose only child left deactivated — each in
its class, before → after, and no letter (nobody new)."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

from schools import SchoolDB, row
from test_parents_later import CE1, CE2, apply, moved, parent, plan_all

from engine.plan.planio import write_plan
from engine.render.letters import LETTERS_FILE
from engine.render.report import render_reports


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_report_of_a_later_import(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", CE1)
    db.klass("104514", "CE2", CE2)
    pupils = [
        row("LAVANDIER", "Noé", "02/01/2018"),
        row("LAVANDIER", "Lou", "03/02/2017", classe=CE2, classe_id="104514", niveau="CE2"),
        row("ROSSIGNOL", "Iris", "04/03/2018"),
        row("KERGOAT", "Yann", "05/04/2018"),
    ]
    noe, lou = ("", "LAVANDIER", "Noé", CE1), ("", "LAVANDIER", "Lou", CE2)
    iris, yann = ("", "ROSSIGNOL", "Iris", CE1), ("", "KERGOAT", "Yann", CE1)
    mother = parent("MME", "LAVANDIER", "Solène", "solene@exemple.invalid", [noe, lou])
    father = parent("M.", "LAVANDIER", "Octave", "", [noe, lou])
    rossignol = parent("MME", "ROSSIGNOL", "Agathe", "agathe@exemple.invalid", [iris])
    kergoat = parent("M.", "KERGOAT", "Erwan", "", [yann])
    apply(db, plan_all(tmp_path, db, pupils, [mother, father, rossignol, kergoat]))
    later_pupils = [
        *pupils[:3],
        row("ROSSIGNOL", "Jade", "06/05/2019", classe=CE2, classe_id="104514", niveau="CE2"),
    ]
    later_parents = [
        moved(mother, "3 rue des Saules"),
        moved(father, "3 rue des Saules"),
        parent(
            "MME",
            "ROSSIGNOL",
            "Agathe",
            "agathe.nouvelle@exemple.invalid",
            [iris, ("", "ROSSIGNOL", "Jade", CE2)],
        ),
    ]
    out = tmp_path / "plan"
    out.mkdir(mode=0o700)
    later = plan_all(tmp_path, db, later_pupils, later_parents)
    write_plan(
        out, later, {"today": "2026-09-01", "source": {"file": "eleves.csv"}, "state": {"url": db.url}}
    )
    (out / LETTERS_FILE).write_text("a previous plan's letters", encoding="utf-8")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    written = [p.name for p in render_reports(plan, out)]
    assert LETTERS_FILE not in written and not (out / LETTERS_FILE).exists()  # nobody new: no letter
    text = text_of((out / "rapport.html").read_text(encoding="utf-8"))
    assert (
        "Responsables : 1 mise à jour, 2 adresses ajoutées ou modifiées, 1 rattachement à un enfant, "
        "1 désactivation" in text
    )
    ce1 = text[text.index("Responsables — classe [CE1]") : text.index("Responsables — classe [CE2]")]
    assert "Courriel : agathe@exemple.invalid → agathe.nouvelle@exemple.invalid" in ce1
    assert ce1.count("→ 3 rue des Saules") == 2  # both Lavandier parents, under Noé's class (CE1 first)
    assert "Jade" not in ce1  # her link is in her own class
    ce2 = text[text.index("Responsables — classe [CE2]") : text.index("Responsables sans classe connue")]
    assert "Mme Agathe ROSSIGNOL" in ce2 and "Jade ROSSIGNOL" in ce2 and "rattaché(e)" in ce2
    gone = text[text.index("Responsables sans classe connue") :]
    assert "M. Erwan KERGOAT" in gone and "plus aucun enfant scolarisé" in gone
