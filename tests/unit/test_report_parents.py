"""The report's parents part (engine/render/report_parents.py) from plans written by hand as docs/parents.md
describes them: counts, which class each parent item is shown in, the questions with both sides, the
responsables file's guards in French. Invented names."""

from __future__ import annotations

from typing import Any

from support.parent_items import (
    child,
    new_family,
    parent_address,
    parent_deactivate,
    parent_decide_child,
    parent_decide_parent,
    parent_unlink,
    parent_update,
)

from engine.render.report_fr import guard_headline_fr, guard_message_fr
from engine.render.report_parents import parents_view

NOE = child("LAVANDIER", "Noé", "CE1 Mme Pivoine", 41, "nlavandier")
LEA = child("LAVANDIER", "Léa", "CP M. Chêne", None, "llavandier")
TOM = child("NOIR", "Tom", "CM2 Mme Rose", 77, "tnoir")
LOU = child("NOIR", "Lou", "CE2 Mme D", 78, "lnoir")
OLD = ("3 impasse du Moulin", "", "", "", "38000", "GRENOBLE", "FRANCE")
NEW = ("12 rue des Lilas", "", "", "", "69001", "LYON", "FRANCE")


def pupil_update(user_id: int, login: str, nom: str, prenom: str, classe: str) -> dict[str, Any]:
    """A pupil's item of the same plan (where a child's class can be read)."""
    return {
        "id": f"update-{user_id:010d}",
        "kind": "update",
        "accepted": True,
        "target": {"table": "sacoche_user", "user_id": user_id, "login": login},
        "changes": {"user_prenom": {"old": prenom.lower(), "new": prenom}},
        "reason": {"situation": "matched", "tier": "ine", "line": 9},
        "subject": {"nom": nom, "prenom": prenom, "classe": classe, "naissance": "2018-05-04", "line": 9},
    }


def school_plan() -> dict[str, Any]:
    unlink = parent_unlink(812, "jnoir", "M", "NOIR", "Jean", [TOM], LOU, 1, line=8)
    del unlink["subject"]["child"]  # the planner names the child only in the target: found by its id
    items = [
        pupil_update(78, "lnoir", "NOIR", "Lou", "CE2 Mme D"),
        *new_family("F", "LAVANDIER", "Solène", [NOE, LEA], "slavandier", address=NEW),
        *new_family("M", "DURAND", "Marc", [NOE], "mdurand", line=5),
        parent_update(
            812, "jnoir", "M", "NOIR", "Jean", [TOM], {"user_email": ("", "jean.noir@example.org")}, line=8
        ),
        parent_update(813, "anoir", "F", "NOIR", "Anne", [TOM], {}, line=9, reactivate_from="2025-07-04"),
        parent_address(812, "jnoir", "M", "NOIR", "Jean", [TOM], NEW, OLD, line=8),
        unlink,
        parent_deactivate(900, "pblanc", "M", "BLANC", "Paul"),
        parent_deactivate(901, "cgris", "F", "GRIS", "Claire", active_children=[41]),
        parent_decide_child(
            "F",
            "ROUX",
            "Inès",
            [child("ROUX", "Emma", "GS", None, "")],
            {
                "nom": "ROUX",
                "prenom": "Emma",
                "classe": "GS",
                "naissance": "2020-02-03",
                "line": 14,
                "group": 1,
            },
            [
                {
                    "user_id": 51,
                    "nom": "ROUX",
                    "prenom": "Emma",
                    "naissance": "2020-02-03",
                    "classe": "GS A",
                    "login": "eroux",
                    "sortie_date": "9999-12-31",
                },
                {
                    "user_id": 52,
                    "nom": "ROUX",
                    "prenom": "Emma",
                    "naissance": "2019-11-30",
                    "classe": "CP B",
                    "login": "eroux2",
                    "sortie_date": "2025-07-04",
                },
            ],
            "child_homonyms",
            line=14,
        ),
        parent_decide_parent(
            "M",
            "VERT",
            "Hugo",
            [TOM],
            [
                {
                    "user_id": 830,
                    "nom": "VERT",
                    "prenom": "Hugo",
                    "login": "hvert",
                    "sortie_date": "9999-12-31",
                }
            ],
            line=16,
        ),
    ]
    summary = {"parents_in_file": 7, "parents_unchanged": 2}
    return {"today": "2026-09-01", "items": items, "summary": summary}


def rows(view: dict[str, Any], classe: str, group: str) -> list[dict[str, Any]]:
    return next(c for c in view["classes"] if c["name"] == classe)[group]


def test_a_plan_without_parent_items_has_no_parents_part() -> None:
    plan = school_plan()
    plan["items"] = [i for i in plan["items"] if not i["kind"].startswith("parent_")]
    assert parents_view(plan) is None


def test_summary_counts_every_kind_and_the_questions() -> None:
    view = parents_view(school_plan())
    assert view["summary_line"] == (
        "2 nouveaux comptes, 1 retour, 1 mise à jour, 2 adresses ajoutées ou modifiées, "
        "3 rattachements à des enfants, 1 détachement d'un enfant, 1 désactivation, 2 questions"
    )
    assert view["unchecked_parts"] == ["1 désactivation de responsable"] and view["unchecked_count"] == 1
    assert (view["in_file"], view["unchanged"], view["new_parents"]) == (7, 2, 2)


def test_each_item_is_shown_in_the_class_of_its_child() -> None:
    view = parents_view(school_plan())
    assert [c["name"] for c in view["classes"]] == [
        "CP M. Chêne",  # Solène's account and address: her first child in school order is Léa (CP)
        "CE1 Mme Pivoine",
        "CE2 Mme D",
        "CM2 Mme Rose",
        "sans classe connue",
    ]
    cp, ce1 = (next(c for c in view["classes"] if c["name"] == n) for n in ("CP M. Chêne", "CE1 Mme Pivoine"))
    assert [r["login"] for r in cp["creates"]] == ["slavandier"]
    assert [(r["login"], r["child"]["prenom"]) for r in cp["links"]] == [("slavandier", "Léa")]
    assert [r["login"] for r in ce1["creates"]] == ["mdurand"]
    assert [(r["login"], r["child"]["prenom"]) for r in ce1["links"]] == [
        ("mdurand", "Noé"),
        ("slavandier", "Noé"),
    ]
    assert [r["login"] for r in ce1["deactivates"]] == ["cgris"]  # its active child is Noé
    assert ce1["deactivates"][0]["active_children"][0]["prenom"] == "Noé"
    unlinked = rows(view, "CE2 Mme D", "links")
    assert [(r["login"], r["child"]["prenom"], r["action"]) for r in unlinked] == [
        ("jnoir", "Lou", "détaché(e)")
    ]
    assert [r["kind"] for r in rows(view, "CM2 Mme Rose", "details")] == [
        "parent_reactivate",
        "parent_address",
        "parent_update",
    ]
    assert [r["login"] for r in rows(view, "sans classe connue", "deactivates")] == ["pblanc"]
    assert ce1["line"] == "1 nouveau compte, 2 rattachements à des enfants, 1 désactivation"


def test_rows_say_what_changes_in_french() -> None:
    view = parents_view(school_plan())
    create = rows(view, "CP M. Chêne", "creates")[0]
    assert create["name"] == "Mme Solène LAVANDIER" and create["civilite"] == "Mme"
    assert [c["prenom"] for c in create["children"]] == ["Noé", "Léa"] and create["children"][1]["new"]
    details = {r["kind"]: r for r in rows(view, "CM2 Mme Rose", "details")}
    assert details["parent_update"]["changes"] == [
        {"label": "Courriel", "old": "(vide)", "new": "jean.noir@example.org"}
    ]
    assert details["parent_update"]["how"] == "reconnu par ses nom et prénom et un enfant commun"
    assert (
        details["parent_reactivate"]["left_on"] == "04/07/2025"
        and details["parent_reactivate"]["changes"] == []
    )
    # an UPDATE of the address carries the columns that differ (the country is the same)
    assert details["parent_address"]["changes"] == [
        {
            "label": "Adresse",
            "old": "3 impasse du Moulin, 38000 GRENOBLE",
            "new": "12 rue des Lilas, 69001 LYON",
        }
    ]
    link = rows(view, "CP M. Chêne", "links")[0]
    assert link["action"] == "rattaché(e) (responsable n° 1)"
    new_address = rows(view, "CP M. Chêne", "details")[0]
    assert new_address["changes"][0]["old"] == "(aucune)"
    gone = rows(view, "sans classe connue", "deactivates")[0]
    assert gone["why"] == "plus aucun enfant scolarisé" and gone["leaves_on"] == "01/09/2026"
    assert (
        rows(view, "CE1 Mme Pivoine", "deactivates")[0]["why"] == "absent du fichier, enfant encore scolarisé"
    )


def test_questions_show_both_sides_numbered_after_the_pupils() -> None:
    view = parents_view(school_plan(), first_question=3)
    child_q, parent_q = view["questions"]
    assert (child_q["number"], parent_q["number"]) == (3, 4)
    assert child_q["about_child"] and not parent_q["about_child"]
    assert child_q["why"] == "plusieurs élèves portent ces nom et prénom"
    assert child_q["file"] | {"label": ""} == {
        "label": "",
        "nom": "ROUX",
        "prenom": "Emma",
        "naissance": "03/02/2020",
        "classe": "GS",
        "login": "",
    }
    assert child_q["file"]["label"] == "Fichier des responsables, ligne 14"
    first, second = child_q["candidates"]
    assert (first["user_id"], first["differs"], first["status"]) == (51, [], "")
    assert second["differs"] == ["naissance"] and second["status"] == "ancien élève, sorti le 04/07/2025"
    assert parent_q["parent"] == "M. Hugo VERT" and parent_q["why"].startswith("un compte porte ces nom")
    assert parent_q["candidates"][0]["login"] == "hvert" and parent_q["candidates"][0]["differs"] == []


def test_the_responsables_guards_in_french() -> None:
    coverage = {
        "guard": "parents_coverage",
        "figures": {"found": 3, "expected": 40, "percent": 8, "min_percent": 80},
    }
    assert guard_message_fr(coverage).startswith("Le fichier des responsables en reconnaît 3 sur les 40")
    assert (
        guard_headline_fr(coverage)
        == "le fichier des responsables n'en reconnaît que 3 sur 40 — fichier partiel ?"
    )
    children = {
        "guard": "children_unresolved",
        "figures": {"unresolved": 12, "children": 30, "percent": 40, "max_count": 5, "max_percent": 20},
    }
    assert "12 enfants sur les 30" in guard_message_fr(children)
    english = {"guard": "parents_coverage", "figures": {}, "message": "the responsables file lists 3 of 40"}
    assert guard_message_fr(english) == "the responsables file lists 3 of 40"  # figures missing: as it is


def test_a_child_staying_in_a_renamed_class_is_shown_under_its_new_name() -> None:
    plan = school_plan()
    rename = {
        "id": "class_rename-0000000001",
        "kind": "class_rename",
        "accepted": True,
        "target": {"table": "sacoche_groupe", "groupe_ref": "CE1A"},
        "changes": {"groupe_nom": {"old": "CE1 Mme Pivoine", "new": "CE1 Mme Pervenche"}},
        "reason": {"situation": "class_renamed"},
        "subject": {"classe": "CE1 Mme Pervenche"},
    }
    plan["items"].insert(0, rename)
    view = parents_view(plan)
    names = [c["name"] for c in view["classes"]]
    assert "CE1 Mme Pervenche" in names and "CE1 Mme Pivoine" not in names
    create = rows(view, "CP M. Chêne", "creates")[0]
    assert [c["classe"] for c in create["children"]] == ["CE1 Mme Pervenche", "CP M. Chêne"]


def test_the_parents_planners_warnings_in_french() -> None:
    from engine.render.report_fr import warning_fr

    for english, french in (
        (
            "one parent is on lines 9, 10 with different details: the first line's are used",
            "Un même responsable figure aux lignes 9, 10 du fichier des responsables",
        ),
        (
            "parents with the same names on lines 4, 12 are planned as different people (no e-mail, child or "
            "address in common): if one person, give them the same e-mail in ONDE",
            "Les responsables de mêmes nom et prénom des lignes 4, 12",
        ),
    ):
        text, in_french = warning_fr(english)
        assert in_french and french in text, english
