"""Plans that follow SACoche's own import wizard: what a format carries, classes, pupils without a class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import write_csv
from schools import RULES, TODAY, SchoolDB, kinds, plan_for, row

from engine.match import match
from engine.normalise import read_export
from engine.plan import Plan, build_plan
from engine.state import read_state

ONDE1_HEADER = [
    "Nom élève",
    "Nom d'usage élève",
    "Prénom élève",
    "Date naissance",
    "Sexe",
    "INE",
    "Niveau",
    "Libellé classe",
    "Identifiant classe",
]


def onde1_row(
    nom: str,
    prenom: str,
    naissance: str = "2018-05-07",
    *,
    ine: str = "",
    sexe: str = "F",
    niveau: str = "CE1",
    classe: str = "CE1 Mme Ancolie",
    classe_id: str = "104513",
) -> list[str]:
    return [nom, "", prenom, naissance, sexe, ine, niveau, classe, classe_id]


def plan_onde1(tmp_path: Path, db: SchoolDB, rows: Sequence[Sequence[str]], **kwargs: object) -> Plan:
    path = write_csv(tmp_path / "onde1.csv", rows, header=ONDE1_HEADER, encoding="cp1252")
    exp = read_export(path, RULES)
    assert exp.source.id == "onde1-eleves"
    state = read_state(db.url)
    matching = match(exp.pupils, state.accounts, RULES.policy["matching"])
    return build_plan(exp, state, matching, RULES, today=TODAY, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> SchoolDB:
    school = SchoolDB(tmp_path / "sacoche.db")
    school.klass("104513", "CE1", "CE1 Mme Ancolie")
    return school


# --- A. a plan only touches what its source format carries ---------------------------------------


def test_onde1_without_groups_column_leaves_groups_alone(tmp_path: Path, db: SchoolDB) -> None:
    db.group("RG_CHORALE", "Chorale", "groupe")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M", groups=["RG_CHORALE"])
    plan = plan_onde1(tmp_path, db, [onde1_row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    assert kinds(plan, ("membership_add", "membership_remove", "group_create", "group_retire")) == {}
    assert plan.items == ()


def test_onde2_with_groups_column_still_manages_memberships(tmp_path: Path, db: SchoolDB) -> None:
    db.group("RG_CHORALE", "Chorale", "groupe")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M", groups=("RG_CHORALE",))
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    assert kinds(plan, ("membership_remove", "group_retire")) == {"membership_remove": 1, "group_retire": 1}
