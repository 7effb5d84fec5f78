"""Parent keys (docs/parents.md): two parents of the file kept apart but with the same names and children's
names get distinct keys, hence distinct item ids; every other key stays as it always was. Synthetic names."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from helpers import write_csv
from parents_files import add_parent, parent, responsables
from schools import RULES, TODAY, SchoolDB, row

from engine.pipeline import make_plan
from engine.plan.parents import ParentDecisions, plan_parents, planned_pupils
from engine.plan.parents_match import ChildFinder, PlannedPupil, Pupils, group_rows
from engine.read.parents import Child, Parent, read_parents, read_source
from engine.render.loading import load_plan
from engine.state import read_state

CE1, CM2 = "CE1 Mme Ancolie", "CM2 Mme Marjolaine"
LUCIE = "parent:LANFORT|Lucie|LANFORT|Alice"


def lucie(line: int, email: str, classe: str, naissance: str = "") -> Parent:
    return Parent(
        line,
        "F",
        "LANFORT",
        prenom="Lucie",
        email=email,
        children=(Child(1, "LANFORT", "", "Alice", classe, naissance),),
    )


def two_alices() -> ChildFinder:
    return ChildFinder(
        Pupils(
            (
                PlannedPupil(1, "alice.1", "LANFORT", "Alice", "2019-02-03", CE1, "CE1"),
                PlannedPupil(2, "alice.2", "LANFORT", "Alice", "2016-04-05", CM2, "CM2"),
                PlannedPupil(3, "noe", "LAVANDIER", "Noé", "2019-01-01", CE1, "CE1"),
            ),
            frozenset({1, 2, 3}),
        )
    )


def test_homonym_parents_of_homonym_children_get_distinct_stable_keys() -> None:
    noe = Parent(4, "F", "LAVANDIER", prenom="Solène", children=(Child(1, "LAVANDIER", "", "Noé", CE1),))
    rows = [lucie(2, "a@exemple.invalid", CE1), lucie(3, "", CM2), noe]
    parents = group_rows(rows, two_alices())
    assert [p.lines for p in parents] == [[2], [3], [4]]  # two families: kept apart
    keys = [p.key for p in parents]
    assert len(set(keys)) == 3
    assert keys[2] == "parent:LAVANDIER|Solène|LAVANDIER|Noé"  # no collision: the key as it always was
    assert all(k.startswith("parent:LANFORT|Lucie|") and k != LUCIE for k in keys[:2])
    assert CE1 in keys[0] and CM2 in keys[1]  # told apart by the children's classes
    again = group_rows(list(reversed(rows)), two_alices())  # another order: the same keys
    assert sorted(p.key for p in again) == sorted(keys)


def test_keys_still_equal_with_the_childrens_idents_get_a_suffix_by_file_order() -> None:
    finder = ChildFinder(Pupils((), frozenset()))  # children not found: nothing merges the two rows
    rows = [lucie(2, "a@exemple.invalid", CE1), lucie(3, "b@exemple.invalid", CE1)]
    keys = [p.key for p in group_rows(rows, finder)]
    assert len(set(keys)) == 2
    assert keys == [p.key for p in group_rows(rows, finder)]
    assert all(k.startswith(f"parent:LANFORT|Lucie|LANFORT|Alice|{CE1}|") for k in keys)


def test_one_parent_alone_keeps_its_key() -> None:
    parents = group_rows([lucie(2, "", CE1)], two_alices())
    assert [p.key for p in parents] == [LUCIE]


def school(tmp_path: Path) -> tuple[SchoolDB, int, int]:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", CE1)
    db.klass("104520", "CM2", CM2)
    young = db.pupil("LANFORT", "Alice", "2019-02-03", classe="104513_CE1")
    old = db.pupil("LANFORT", "Alice", "2016-04-05", classe="104520_CM2")
    return db, young, old


def two_lucies() -> list[list[str]]:
    return [
        parent("MME", "LANFORT", "Lucie", "lucie@exemple.invalid", [("", "LANFORT", "Alice", CE1)]),
        parent("MME", "LANFORT", "Lucie", "", [("", "LANFORT", "Alice", CM2)]),
    ]


def test_parent_questions_and_answers_of_homonym_parents_are_apart(tmp_path: Path) -> None:
    db, young, old = school(tmp_path)
    add_parent(db, "LANFORT", "Lucie", "lucie.old")  # the same names, no child in common: a question each
    state = read_state(db.url)
    path = responsables(tmp_path / "r.csv", two_lucies(), 1)
    export = read_parents(read_source(path, RULES, None, ("pupils", "parents")), RULES)

    def plan(decisions: ParentDecisions | None = None):  # type: ignore[no-untyped-def]
        return plan_parents(
            export,
            state,
            planned_pupils(state),
            RULES.policy,
            today=TODAY,
            decisions=decisions,
            rng=random.Random(3),
        )

    questions = [i for i in plan().items if i.kind == "parent_decide"]
    assert len(questions) == 2 and len({q.id for q in questions}) == 2
    keys = [q.target["parent_key"] for q in questions]
    assert len(set(keys)) == 2
    answered = plan(ParentDecisions(parents={keys[1]: None}))  # the second is a new account, not the first
    assert [i.target["parent_key"] for i in answered.items if i.kind == "parent_decide"] == [keys[0]]
    created = [i for i in answered.items if i.kind == "parent_create"]
    assert [c.subject["parent_key"] for c in created] == [keys[1]]
    assert [i.target["eleve_id"] for i in answered.items if i.kind == "parent_link"] == [old]
    assert young != old


def test_a_plan_with_homonym_parents_of_homonym_children_is_written(tmp_path: Path) -> None:
    db, _, _ = school(tmp_path)
    pupils = write_csv(
        tmp_path / "eleves.csv",
        [
            row("LANFORT", "Alice", "03/02/2019"),
            row("LANFORT", "Alice", "05/04/2016", niveau="CM2", classe=CM2, classe_id="104520"),
        ],
    )
    parents = responsables(tmp_path / "r.csv", two_lucies(), 1)
    ids = []
    for n in (1, 2):  # planned twice: the same ids
        make_plan(
            pupils,
            db.url,
            tmp_path / "plan",
            today=date(2026, 11, 29),
            force=True,
            rng=random.Random(n),
            parents_path=parents,
        )
        doc = load_plan(tmp_path / "plan").doc
        items = [i for i in doc["items"] if i["kind"].startswith("parent_")]
        ids.append([i["id"] for i in items])
        creates = [i for i in items if i["kind"] == "parent_create"]
        assert len(creates) == 2 and len({c["subject"]["parent_key"] for c in creates}) == 2
        assert len([i for i in items if i["kind"] == "parent_address"]) == 2
    assert ids[0] == ids[1] and len(set(ids[0])) == len(ids[0])
    assert (tmp_path / "plan" / "lettres-familles.html").is_file()
