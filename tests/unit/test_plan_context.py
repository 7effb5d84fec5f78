"""The plan's shared context: what one concern leaves for the next (engine.plan.context)."""

from __future__ import annotations

import random
from pathlib import Path

from helpers import write_csv
from schools import RULES, TODAY, SchoolDB, row

from engine.match import match
from engine.plan.build import STEPS
from engine.plan.context import PlanContext
from engine.plan.items import Decisions
from engine.read import read_export
from engine.state import read_state


def _context(tmp_path: Path, db: SchoolDB, rows: list[list[str]]) -> PlanContext:
    export = read_export(write_csv(tmp_path / "export.csv", rows), RULES)
    state = read_state(db.url)
    matching = match(export.pupils, state.accounts, RULES.policy["matching"])
    return PlanContext(export, state, matching, RULES, TODAY, (), Decisions(), random.Random(7))


def test_a_later_concern_gets_logins_unique_against_the_new_pupils(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    ctx = _context(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    for step in STEPS:
        step(ctx)
    (create,) = [i for i in ctx.items if i.kind == "create"]
    login = create.target["login"]
    # another kind of account (parents) planned after the pupils, with the same name and model
    again = ctx.logins().allocate("Noé", "LAVANDIER", ctx.state.profile.model)
    assert again != login and again.startswith(login)


def test_classes_run_first_and_place_every_pupil(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    ctx = _context(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    STEPS[0](ctx)
    (pupil,) = ctx.export.pupils
    assert ctx.wanted_for(pupil).ref == "104513_CE1"
