"""Planning parents (docs/parents.md): children resolved against the planned pupils, parents matched to TUT
accounts, the parent_* items, questions and guards. Synthetic names only."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers import write_csv
from parents_files import add_parent, parent, responsables
from schools import RULES, TODAY, SchoolDB, row

from engine.match import match
from engine.plan import build_plan
from engine.plan.parents import ParentDecisions, ParentPlan, plan_parents, planned_pupils
from engine.read import read_export
from engine.read.parents import read_parents, read_source
from engine.state import ACTIVE, read_state
from engine.widths import fit_export

CE1 = "CE1 Mme Ancolie"
ADDRESS = ("7 impasse des Glycines", "", "", "", "14990", "BOURG-FICTIF", "FRANCE")


def school(tmp_path: Path) -> SchoolDB:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", CE1)
    db.klass("104514", "CE2", "CE2 M. Bouleau")
    return db


def kid(nom: str, prenom: str, classe: str = CE1, *more: str) -> tuple[str, ...]:
    return ("", nom, prenom, classe, *more)


def plan(
    tmp_path: Path,
    db: SchoolDB,
    parent_rows: Sequence[Sequence[str]],
    pupil_rows: Sequence[Sequence[str]] | None = None,
    *,
    groups: int = 3,
    birth: str | None = None,
    allow: Sequence[str] = (),
    decisions: ParentDecisions | None = None,
    policy: dict[str, Any] | None = None,
) -> tuple[ParentPlan, Any]:
    """The parents' plan (and the pupils' plan, or None) for these rows against the school's state."""
    state = read_state(db.url)
    pupils_plan = None
    taken: list[str] = []
    if pupil_rows is not None:
        exp = fit_export(read_export(write_csv(tmp_path / "eleves.csv", pupil_rows), RULES), state.widths)
        matching = match(exp.pupils, state.accounts, RULES.policy["matching"])
        pupils_plan = build_plan(exp, state, matching, RULES, today=TODAY, rng=random.Random(5))
        labels = {p.line: p.classe_label for p in exp.pupils}
        pupils = planned_pupils(state, matching=matching, items=pupils_plan.items, labels=labels)
        taken = [i.target["login"] for i in pupils_plan.items if i.kind == "create"]
    else:
        pupils = planned_pupils(state)
    path = responsables(tmp_path / "responsables.csv", parent_rows, groups, birth=birth)
    export = read_parents(read_source(path, RULES, None, ("pupils", "parents")), RULES)
    result = plan_parents(
        export,
        state,
        pupils,
        policy or RULES.policy,
        today=TODAY,
        allow=allow,
        decisions=decisions,
        taken_logins=taken,
        rng=random.Random(3),
    )
    return result, pupils_plan


def of(result: ParentPlan, kind: str) -> list[Any]:
    return [i for i in result.items if i.kind == kind]


def test_first_import_new_pupils_and_their_new_parents_together(tmp_path: Path) -> None:
    db = school(tmp_path)
    pupils = [
        row("LAVANDIER", "Noé"),
        row("LAVANDIER", "Lou", "03/02/2016", classe="CE2 M. Bouleau", classe_id="104514", niveau="CE2"),
    ]
    rows = [
        parent(
            "MME",
            "LAVANDIER",
            "Solène",
            "solene@exemple.invalid",
            [kid("LAVANDIER", "Noé"), kid("LAVANDIER", "Lou", "CE2 M. Bouleau")],
        ),
        parent("M.", "LAVANDIER", "Octave", "", [kid("LAVANDIER", "Lou", "CE2 M. Bouleau")]),
        parent("M.", "LAVANDIER", "Octave", "", [kid("LAVANDIER", "Noé")]),  # the same father, second row
    ]
    result, pupils_plan = plan(tmp_path, db, rows, pupils)
    creates = of(result, "parent_create")
    assert [(c.subject["prenom"], c.changes["user_genre"]["new"]) for c in creates] == [
        ("Solène", "F"),
        ("Octave", "M"),
    ]
    assert creates[1].reason["lines"] == [3, 4]  # one account for a parent on two rows
    assert all(c.changes["user_profil_sigle"]["new"] == "TUT" for c in creates)
    assert all(c.changes["user_sortie_date"]["new"] == ACTIVE for c in creates)
    pupil_logins = {i.target["login"] for i in pupils_plan.items if i.kind == "create"}
    parent_logins = {c.target["login"] for c in creates}
    assert len(parent_logins) == 2 and not parent_logins & pupil_logins
    assert set(result.passwords) == {c.id for c in creates}
    assert all(result.passwords[c.id] not in str(c.to_dict()) for c in creates)  # only the hash in the plan
    links = {(i.target["parent_login"], i.target["eleve_login"]): i for i in of(result, "parent_link")}
    assert len(links) == 4
    assert all(i.target["parent_id"] is None and i.target["eleve_id"] is None for i in links.values())
    assert set(i.target["eleve_login"] for i in links.values()) == pupil_logins
    numbers = sorted((i.subject["prenom"], i.changes["resp_legal_num"]["new"]) for i in links.values())
    assert numbers == [("Octave", 2), ("Octave", 2), ("Solène", 1), ("Solène", 1)]
    addresses = of(result, "parent_address")
    assert len(addresses) == 2 and all(a.target["row_exists"] is False for a in addresses)
    assert addresses[0].changes["adresse_ligne1"]["new"] == ADDRESS[0]
    assert addresses[0].changes["adresse_postal_libelle"]["new"] == "BOURG-FICTIF"
    assert not result.holds and result.summary["parents_create"] == 2 and result.summary["parents_link"] == 4


def test_the_same_file_gives_the_same_ids(tmp_path: Path) -> None:
    db = school(tmp_path)
    db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    rows = [parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Noé")])]
    first, _ = plan(tmp_path, db, rows)
    second, _ = plan(tmp_path, db, rows)
    assert [i.id for i in first.items] == [i.id for i in second.items]
    assert {i.kind for i in first.items} == {"parent_create", "parent_address", "parent_link"}


def test_one_to_six_children_are_all_linked(tmp_path: Path) -> None:
    db = school(tmp_path)
    names = ["Noé", "Lou", "Iris", "Élie", "Maël", "Zoé"]
    ids = {n: db.pupil("TISSERAND", n, f"2017-0{i + 1}-01", classe="104513_CE1") for i, n in enumerate(names)}
    rows = [parent("MME", "TISSERAND", "Anaïs", "", [kid("TISSERAND", n) for n in names[:k]]) for k in (1,)]
    rows.append(parent("M.", "TISSERAND", "Hugo", "", [kid("TISSERAND", n) for n in names]))
    result, _ = plan(tmp_path, db, rows, groups=6)
    links = of(result, "parent_link")
    hugo = sorted(i.target["eleve_id"] for i in links if i.subject["prenom"] == "Hugo")
    assert hugo == sorted(ids.values())
    assert [i.changes["resp_legal_num"]["new"] for i in links if i.target["eleve_id"] == ids["Noé"]] == [1, 2]


def test_homonym_children_split_by_class_then_asked(tmp_path: Path) -> None:
    db = school(tmp_path)
    ce1 = db.pupil("MARTIN", "Léa", "2018-01-02", classe="104513_CE1")
    db.pupil("MARTIN", "Léa", "2017-03-04", classe="104514_CE2")
    pupils = [
        row("MARTIN", "Léa", "02/01/2018"),
        row("MARTIN", "Léa", "04/03/2017", classe="CE2 M. Bouleau", classe_id="104514", niveau="CE2"),
    ]
    by_class = [parent("MME", "MARTIN", "Rose", "", [kid("MARTIN", "Léa", CE1)])]
    result, _ = plan(tmp_path, db, by_class, pupils)
    assert [i.target["eleve_id"] for i in of(result, "parent_link")] == [ce1]
    no_class = [parent("MME", "MARTIN", "Rose", "", [kid("MARTIN", "Léa", "")])]
    result, _ = plan(tmp_path, db, no_class, pupils)
    (question,) = of(result, "parent_decide")
    assert question.reason["situation"] == "child_homonyms" and not question.accepted
    assert len(question.subject["candidates"]) == 2 and question.target["question"] == "child"
    assert not of(result, "parent_create")  # never a guess: the parent waits with its only child


def test_homonym_children_split_by_birth_date(tmp_path: Path) -> None:
    db = school(tmp_path)
    db.pupil("MARTIN", "Léa", "2018-01-02", classe="104513_CE1")
    second = db.pupil("MARTIN", "Léa", "2017-03-04", classe="104513_CE1")
    rows = [parent("MME", "MARTIN", "Rose", "", [kid("MARTIN", "Léa", CE1, "04/03/2017")])]
    result, _ = plan(tmp_path, db, rows, birth="Date de naissance élève")
    assert [i.target["eleve_id"] for i in of(result, "parent_link")] == [second]


def test_a_child_not_found_is_a_question_and_the_others_are_linked(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    rows = [
        parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Noé"), kid("LAVANDIER", "Inconnu")]),
        parent("MME", "PERVENCHE", "Agathe", "", [kid("PERVENCHE", "Personne")]),
    ]
    result, _ = plan(tmp_path, db, rows)
    questions = of(result, "parent_decide")
    assert sorted(q.target["child"] for q in questions) == ["LAVANDIER|Inconnu", "PERVENCHE|Personne"]
    assert {q.reason["situation"] for q in questions} == {"child_not_found"}
    assert [c.subject["prenom"] for c in of(result, "parent_create")] == ["Solène"]  # Agathe: no child found
    assert [i.target["eleve_id"] for i in of(result, "parent_link")] == [noe]
    # an answer replaces the question: "this child is that pupil"
    key = questions[0].target["parent_key"]
    answered, _ = plan(
        tmp_path, db, rows, decisions=ParentDecisions(children={(key, "LAVANDIER|Inconnu"): None})
    )
    assert [q.target["child"] for q in of(answered, "parent_decide")] == ["PERVENCHE|Personne"]


def test_existing_parent_matched_by_a_shared_child_gets_updates_links_and_unlinks(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    lou = db.pupil("LAVANDIER", "Lou", classe="104513_CE1")
    iris = db.pupil("LAVANDIER", "Iris", classe="104513_CE1")
    mother = add_parent(
        db,
        "LAVANDIER",
        "Solène",
        "slavandier",
        children=[(noe, 1), (iris, 1)],
        address=ADDRESS,
        email="old@exemple.invalid",
    )
    moved = [
        "MME",
        "",
        "LAVANDIER",
        "Solène",
        "3 rue des Saules",
        "14990",
        "BOURG-FICTIF",
        "FRANCE",
        "new@exemple.invalid",
    ]
    rows = [[*moved, "", "", "", "", *kid("LAVANDIER", "Noé"), *kid("LAVANDIER", "Lou")]]
    result, _ = plan(tmp_path, db, rows)
    assert not of(result, "parent_create")
    (update,) = of(result, "parent_update")
    assert update.target["user_id"] == mother and update.reason["tier"] == "nom_prenom_child"
    assert update.changes == {"user_email": {"old": "old@exemple.invalid", "new": "new@exemple.invalid"}}
    (address,) = of(result, "parent_address")
    assert address.target["row_exists"] and address.changes == {
        "adresse_ligne1": {"old": ADDRESS[0], "new": "3 rue des Saules"}
    }
    assert [i.target["eleve_id"] for i in of(result, "parent_link")] == [lou]
    (unlink,) = of(result, "parent_unlink")
    assert (unlink.target["eleve_id"], unlink.target["resp_legal_num"]) == (iris, 1)


def test_an_email_the_user_set_is_never_overwritten(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    add_parent(
        db,
        "LAVANDIER",
        "Solène",
        "sl",
        children=[(noe, 1)],
        email="mine@exemple.invalid",
        email_origine="user",
    )
    rows = [parent("MME", "LAVANDIER", "Solène", "onde@exemple.invalid", [kid("LAVANDIER", "Noé")])]
    result, _ = plan(tmp_path, db, rows)
    assert not of(result, "parent_update")


def test_email_match_with_the_same_prenom_after_a_change_of_name(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("ROSSIGNOL", "Noé", classe="104513_CE1")
    account = add_parent(db, "LAVANDIER", "Solène", "sl", email="solene@exemple.invalid")
    rows = [parent("MME", "ROSSIGNOL", "Solène", "Solene@exemple.invalid", [kid("ROSSIGNOL", "Noé")])]
    result, _ = plan(tmp_path, db, rows)
    (update,) = of(result, "parent_update")
    assert update.target["user_id"] == account and update.reason["tier"] == "email"
    assert update.changes["user_nom"] == {"old": "LAVANDIER", "new": "ROSSIGNOL"}
    assert [i.target["eleve_id"] for i in of(result, "parent_link")] == [noe]
    shared = [parent("M.", "ROSSIGNOL", "Octave", "solene@exemple.invalid", [kid("ROSSIGNOL", "Noé")])]
    other, _ = plan(tmp_path, db, shared)  # a family's shared e-mail, another prénom: not the same person
    assert of(other, "parent_create") and not of(other, "parent_update")


def test_same_names_without_a_shared_child_is_asked_then_answered(tmp_path: Path) -> None:
    db = school(tmp_path)
    left = db.pupil("LAVANDIER", "Aîné", classe="104513_CE1", sortie="2026-07-04")
    db.pupil("LAVANDIER", "Cadet", classe="104513_CE1")
    account = add_parent(db, "LAVANDIER", "Solène", "sl", children=[(left, 1)])
    rows = [parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Cadet")])]
    result, _ = plan(tmp_path, db, rows)
    (question,) = of(result, "parent_decide")
    assert question.reason["situation"] == "parent_same_names" and question.target["candidates"] == [account]
    assert not of(result, "parent_create") and not of(result, "parent_deactivate")
    key = question.target["parent_key"]
    same, _ = plan(tmp_path, db, rows, decisions=ParentDecisions(parents={key: account}))
    assert [i.target["parent_id"] for i in of(same, "parent_link")] == [account] and not of(
        same, "parent_decide"
    )
    new, _ = plan(tmp_path, db, rows, decisions=ParentDecisions(parents={key: None}))
    assert of(new, "parent_create") and of(new, "parent_deactivate")  # the old account: no active child


def test_parents_without_an_active_child_are_deactivated_others_proposed(tmp_path: Path) -> None:
    db = school(tmp_path)
    leaver = db.pupil("OUEDRAOGO", "Awa", classe="104513_CE1")
    stays = db.pupil("KERGOAT", "Yann", classe="104513_CE1")
    old = add_parent(db, "OUEDRAOGO", "Binta", "bo", children=[(leaver, 1)])
    custody = add_parent(db, "KERGOAT", "Erwan", "ek", children=[(stays, 2)])
    add_parent(db, "FORMER", "Parent", "fp", sortie="2024-07-01")
    rows = [parent("MME", "KERGOAT", "Maïwenn", "", [kid("KERGOAT", "Yann")])]
    result, _ = plan(tmp_path, db, rows, [row("KERGOAT", "Yann")], allow=("parents_coverage",))
    deactivations = {i.target["user_id"]: i for i in of(result, "parent_deactivate")}
    assert set(deactivations) == {old, custody}  # the former account: nothing
    assert deactivations[old].reason["situation"] == "no_active_child" and deactivations[old].accepted
    assert deactivations[custody].reason["situation"] == "absent_with_active_child"
    assert not deactivations[custody].accepted
    assert deactivations[old].changes == {"user_sortie_date": {"old": ACTIVE, "new": TODAY}}


def test_a_former_parent_listed_again_is_reactivated(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    account = add_parent(
        db, "LAVANDIER", "Solène", "sl", children=[(noe, 1)], address=ADDRESS, sortie="2025-07-04"
    )
    rows = [parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Noé")])]
    result, _ = plan(tmp_path, db, rows)
    (back,) = of(result, "parent_reactivate")
    assert back.target["user_id"] == account and back.changes == {
        "user_sortie_date": {"old": "2025-07-04", "new": ACTIVE}
    }
    assert (
        not of(result, "parent_link") and not of(result, "parent_address") and not of(result, "parent_create")
    )


def test_a_partial_responsables_file_holds_the_plan(tmp_path: Path) -> None:
    db = school(tmp_path)
    for n in range(10):
        child = db.pupil("FAMILLE", f"Enfant{chr(65 + n)}", classe="104513_CE1")
        add_parent(db, "FAMILLE", f"Parent{chr(65 + n)}", f"p{n}", children=[(child, 1)])
    rows = [parent("MME", "FAMILLE", "Parenta", "", [kid("FAMILLE", "Enfanta")])]
    result, _ = plan(tmp_path, db, rows)
    assert [h["guard"] for h in result.holds] == ["parents_coverage"] and not result.holds[0]["allowed"]
    assert result.holds[0]["figures"] == {"found": 1, "expected": 10, "percent": 10, "min_percent": 80}
    allowed, _ = plan(tmp_path, db, rows, allow=("parents_coverage",))
    assert allowed.holds[0]["allowed"]


def test_children_mostly_unresolved_hold_the_plan(tmp_path: Path) -> None:
    db = school(tmp_path)
    db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    rows = [parent("MME", "AUTRE", f"Mère{n}", "", [kid("AUTRE", f"Enfant{n}")]) for n in range(6)]
    rows.append(parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Noé")]))
    result, _ = plan(tmp_path, db, rows)
    assert [h["guard"] for h in result.holds] == ["children_unresolved"]
    assert result.holds[0]["figures"]["unresolved"] == 6


def test_a_pupil_awaiting_its_own_decision_is_not_a_child_yet(tmp_path: Path) -> None:
    db = school(tmp_path)
    db.pupil("MARTIN", "Léa", "2018-01-02", classe="104513_CE1")
    db.pupil("MARTIN", "Léa", "2018-01-02", classe="104514_CE2")  # two accounts for one row: decide
    rows = [parent("MME", "MARTIN", "Rose", "", [kid("MARTIN", "Léa")])]
    result, pupils_plan = plan(tmp_path, db, rows, [row("MARTIN", "Léa", "02/01/2018")])
    assert any(i.kind == "decide" for i in pupils_plan.items)
    (question,) = of(result, "parent_decide")
    assert question.reason["situation"] == "child_pupil_undecided"
    assert len(question.subject["candidates"]) == 2  # both accounts the row might be, shown


def test_the_policy_section_sets_defaults_and_guards(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    iris = db.pupil("LAVANDIER", "Iris", classe="104513_CE1")
    add_parent(db, "LAVANDIER", "Solène", "sl", children=[(noe, 1), (iris, 1)])
    rows = [parent("MME", "LAVANDIER", "Solène", "", [kid("LAVANDIER", "Noé")])]
    shipped, _ = plan(tmp_path, db, rows)
    assert [i.accepted for i in of(shipped, "parent_unlink")] == [True]
    policy = {**RULES.policy, "parents": {"accepted_by_default": {"parent_unlink": False}}}
    changed, _ = plan(tmp_path, db, rows, policy=policy)
    assert [i.accepted for i in of(changed, "parent_unlink")] == [False]
    assert RULES.policy["parents"]["guards"]["parents_coverage"]["min_percent"] == 80


def test_two_children_with_the_same_names_on_one_row_are_two_children(tmp_path: Path) -> None:
    """Found on the example school: one row listing two homonym pupils (other classes) gave two questions
    with the same id; now each is its own child, resolved by its class, even against SACoche's class
    names (a label cut to 20 characters) when no pupils export tells the ONDE label."""
    db = school(tmp_path)
    ce1 = db.pupil("NGUYEN-CHARME", "Salomé", "2018-01-02", classe="104513_CE1")
    ce2 = db.pupil("NGUYEN-CHARME", "Salomé", "2017-03-04", classe="104514_CE2")
    both = [kid("NGUYEN-CHARME", "Salomé", CE1), kid("NGUYEN-CHARME", "Salomé", "CE2 M. Bouleau")]
    result, _ = plan(tmp_path, db, [parent("MME", "NGUYEN-CHARME", "Zoé", "", both)])
    assert sorted(i.target["eleve_id"] for i in of(result, "parent_link")) == sorted([ce1, ce2])
    unknown = [kid("NGUYEN-CHARME", "Salomé", "CM2 Mme X"), kid("NGUYEN-CHARME", "Salomé", "CM1 M. Y")]
    asked, _ = plan(tmp_path, db, [parent("MME", "NGUYEN-CHARME", "Zoé", "", unknown)])
    ids = [i.id for i in of(asked, "parent_decide")]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_answers_to_two_children_of_one_parent_both_apply(tmp_path: Path) -> None:
    """Leaving one child out must not change the parent's key the other answer names."""
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    children = [kid("LAVANDIER", "Noé"), kid("LAVANDIER", "Absent"), kid("LAVANDIER", "Parti")]
    rows = [parent("MME", "LAVANDIER", "Solène", "", children)]
    asked, _ = plan(tmp_path, db, rows)
    key = of(asked, "parent_decide")[0].target["parent_key"]
    answers = {(key, "LAVANDIER|Absent"): None, (key, "LAVANDIER|Parti"): None}
    answered, _ = plan(tmp_path, db, rows, decisions=ParentDecisions(children=answers))
    assert not of(answered, "parent_decide")
    assert [i.target["eleve_id"] for i in of(answered, "parent_link")] == [noe]
    assert of(answered, "parent_create")[0].subject["parent_key"] == key  # the same parent, the same ids


def test_homonym_parents_of_two_families_are_two_accounts(tmp_path: Path) -> None:
    """Two mothers with the same names, no e-mail, other children and addresses: two accounts (one
    login for both would show each one's child to the other), with a warning naming the lines; the same
    names at the same address are one parent on two rows."""
    db = school(tmp_path)
    db.pupil("MARTIN", "Léa", classe="104513_CE1")
    db.pupil("DUPONT", "Hugo", classe="104513_CE1")
    one = parent("MME", "MARTIN", "Marie", "", [kid("MARTIN", "Léa")])
    other = [*parent("MME", "MARTIN", "Marie", "", [kid("DUPONT", "Hugo")])]
    other[4] = "12 rue Ailleurs"
    result, _ = plan(tmp_path, db, [one, other])
    assert len(of(result, "parent_create")) == 2
    assert any("same names on lines 2, 3" in w for w in result.warnings)
    same_home = parent("MME", "MARTIN", "Marie", "", [kid("DUPONT", "Hugo")])
    merged, _ = plan(tmp_path, db, [one, same_home])
    (create,) = of(merged, "parent_create")
    assert create.reason["lines"] == [2, 3] and len(of(merged, "parent_link")) == 2


def test_a_new_parent_does_not_take_a_number_another_parent_holds(tmp_path: Path) -> None:
    db = school(tmp_path)
    noe = db.pupil("LAVANDIER", "Noé", classe="104513_CE1")
    add_parent(db, "LAVANDIER", "Octave", "ol", genre="M", children=[(noe, 1)])
    rows = [
        parent("MME", "ROSSIGNOL", "Agathe", "", [kid("LAVANDIER", "Noé")]),  # listed first: 1 in file order
        parent("M.", "LAVANDIER", "Octave", "", [kid("LAVANDIER", "Noé")]),
    ]
    result, _ = plan(tmp_path, db, rows)
    (link,) = of(result, "parent_link")
    assert link.subject["prenom"] == "Agathe" and link.changes["resp_legal_num"]["new"] == 2
