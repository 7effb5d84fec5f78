"""rapport.html, resume.md and lettres-familles.html written by render_reports for a plan with parents
(hand-written items, docs/parents.md), a golden copy of that report, and the report of a plan without
parents unchanged. Invented names."""

from __future__ import annotations

import html as htmllib
import os
import re
import stat
from pathlib import Path
from typing import Any

from helpers import REPO
from support.browser import example_report_plan
from support.parent_items import credentials_rows, write_credentials
from test_report_parents import school_plan

from engine.render.letters import LETTERS_FILE
from engine.render.report import build_view, render_reports

GOLDEN = REPO / "tests" / "golden" / "report"
PASSWORDS = {"slavandier": "k7q2m9xz", "mdurand": "ab23cd45"}


def with_parents(out: Path) -> dict[str, Any]:
    """The bundled example's plan (written in ``out``) with the items of ``school_plan`` after the pupils'
    (the parents' and Lou's update, user 78, not an example account), and identifiants-parents.csv for its
    new parents."""
    plan = example_report_plan(out)
    parents = school_plan()
    assert all(i["target"].get("user_id") != 78 for i in plan["items"])
    plan["items"] = [*plan["items"], *parents["items"]]
    plan["summary"] = {**plan["summary"], **parents["summary"]}
    write_credentials(out, credentials_rows(plan["items"], PASSWORDS))
    return plan


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_plan_without_parents_has_no_parents_part(tmp_path: Path) -> None:
    plan = example_report_plan(tmp_path)
    assert build_view(plan)["parents"] is None
    written = render_reports(plan, tmp_path)
    assert [p.name for p in written] == ["rapport.html", "resume.md", "identifiants.html"]
    for name in ("rapport.html", "resume.md"):
        assert "esponsable" not in (tmp_path / name).read_text(encoding="utf-8"), name


def test_the_report_shows_the_parents_and_writes_the_letters(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    written = render_reports(plan, tmp_path, sacoche_url="https://sacoche.example.fr")
    assert [p.name for p in written] == ["rapport.html", "resume.md", "identifiants.html", LETTERS_FILE]
    assert stat.S_IMODE((tmp_path / LETTERS_FILE).stat().st_mode) == 0o600
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    text = text_of(html)
    assert "Responsables : 2 nouveaux comptes, 1 retour, 1 mise à jour" in text
    assert "7 responsables dans le fichier des responsables, dont 2 sans changement." in text
    assert "Lettres aux familles (2 nouveaux comptes de responsables" in text and LETTERS_FILE in text
    assert "1 désactivation de responsable" in text  # in what stays unchecked
    for classe in ("CP M. Chêne", "CE1 Mme Pivoine", "CE2 Mme D", "CM2 Mme Rose"):
        assert f"Responsables — classe {classe}" in text, classe
    assert "Responsables sans classe connue" in text
    # the questions come after the pupils', numbered on, with the file's side and the accounts
    pupils_questions = len(build_view(plan)["decisions"])
    assert f"Question {pupils_questions + 1} — ligne 14 du fichier des responsables" in text
    assert f"Question {pupils_questions + 2} — ligne 16 du fichier des responsables" in text
    assert "Compte SACoche n° 52 ancien élève, sorti le 04/07/2025" in text
    assert "Compte n° 830 : même responsable" in text
    summary = (tmp_path / "resume.md").read_text(encoding="utf-8")
    assert "**Responsables : 2 nouveaux comptes" in summary and "## Responsables par classe" in summary
    assert "| CE1 Mme Pivoine | 1 | 2 | 0 | 1 |" in summary
    assert "ligne 14 du fichier des responsables, plusieurs élèves portent ces nom et prénom" in summary


def test_no_password_in_the_report_or_the_summary(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    render_reports(plan, tmp_path)
    letters = (tmp_path / LETTERS_FILE).read_text(encoding="utf-8")
    for name in ("rapport.html", "resume.md"):
        document = (tmp_path / name).read_text(encoding="utf-8")
        for password in PASSWORDS.values():
            assert password in letters
            assert password not in document, name


def test_a_new_parent_without_a_password_is_said_and_gets_no_letter(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    write_credentials(tmp_path, credentials_rows(plan["items"], PASSWORDS)[:1])
    render_reports(plan, tmp_path)
    text = text_of((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "1 nouveau responsable coché n'a pas de lettre" in text
    assert "Lettres aux familles (1 nouveau compte de responsable" in text
    (tmp_path / "identifiants-parents.csv").unlink()
    render_reports(plan, tmp_path)
    assert not (tmp_path / LETTERS_FILE).exists()  # no stale letters once no password is known


def test_golden_report_with_parents(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    render_reports(plan, tmp_path)
    for name, golden in (("rapport.html", "rapport-parents.html"), ("resume.md", "resume-parents.md")):
        document = (tmp_path / name).read_text(encoding="utf-8")
        path = GOLDEN / golden
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.write_text(document, encoding="utf-8")
        assert path.is_file(), "run once with UPDATE_GOLDEN=1 to create the golden file"
        assert document == path.read_text(encoding="utf-8"), f"{name} changed: check it, then UPDATE_GOLDEN=1"


def test_a_plan_without_parents_removes_the_letters_of_a_previous_plan(tmp_path: Path) -> None:
    render_reports(with_parents(tmp_path), tmp_path)
    assert (tmp_path / LETTERS_FILE).is_file()
    (tmp_path / "identifiants-parents.csv").unlink()
    render_reports(example_report_plan(tmp_path), tmp_path)
    assert not (tmp_path / LETTERS_FILE).exists()


def test_a_responsables_guard_holds_the_report_in_french(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    plan["holds"] = [
        {
            "guard": "parents_coverage",
            "message": "the responsables file lists 3 of the 40 parents",
            "figures": {"found": 3, "expected": 40, "percent": 8, "min_percent": 80},
            "allow": "--allow parents_coverage",
            "allowed": False,
        }
    ]
    render_reports(plan, tmp_path)
    text = text_of((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "Plan bloqué : le fichier des responsables n'en reconnaît que 3 sur 40 — fichier partiel ?" in text
    assert "Fichier des responsables incomplet ?" in text
    assert "en reconnaît 3 sur les 40 que SACoche connaît" in text
    assert "parents_coverage" not in text and "the responsables file" not in text


def test_every_parent_item_shows_its_id_and_state(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    render_reports(plan, tmp_path)
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    parents = [i for i in plan["items"] if i["kind"].startswith("parent_")]
    assert {i["kind"] for i in parents} == {
        "parent_create", "parent_update", "parent_reactivate", "parent_deactivate",
        "parent_address", "parent_link", "parent_unlink", "parent_decide",
    }  # fmt: skip
    for item in parents:
        if item["kind"] == "parent_decide":
            assert f'Réponse à saisir pour le n° <span class="id">{item["id"]}</span>' in html
            continue
        state = '<span class="coche">coché' if item["accepted"] else '<span class="non-coche">non coché'
        assert f'<span class="id">n° {item["id"]}</span>{state}</span>' in html


def test_a_responsables_export_alone_is_the_reports_only_file(tmp_path: Path) -> None:
    parents = school_plan()
    source = {"file": "responsables.csv", "format": "onde2-responsables", "format_confirmed": False}
    plan = {
        "today": "2026-09-01",
        "source": {**source, "pupils": 0},
        "source_parents": {**source, "rows": 9, "child_groups": 2},
        "summary": {"pupils_in_file": 0, "unchanged": 0, **parents["summary"]},
        "items": [i for i in parents["items"] if i["kind"].startswith("parent_")],
    }
    write_credentials(tmp_path, credentials_rows(plan["items"], PASSWORDS))
    render_reports(plan, tmp_path)
    text = text_of((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "Mise à jour des comptes élèves et responsables dans SACoche" in text
    assert "Fichier des responsables responsables.csv (9 lignes)" in text and "Fichier ONDE" not in text
    assert "0 élève du fichier sans changement" not in text
    assert "Aucun élève de SACoche ne porte ces nom et prénom" not in text  # Emma has two candidates
    summary = (tmp_path / "resume.md").read_text(encoding="utf-8")
    assert "0 élève du fichier" not in summary and "0 compte possible" not in summary


def test_a_guessed_responsables_format_is_said_beside_a_pupils_export(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    plan["source_parents"] = {
        "file": "resp.csv",
        "rows": 9,
        "format": "onde2-responsables",
        "format_confirmed": False,
    }
    render_reports(plan, tmp_path)
    text = text_of((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "Fichier ONDE onde2-ecole-des-tilleuls.csv (55 élèves) Fichier des responsables resp.csv" in text
    assert "Le format du fichier des responsables (onde2-responsables) n'a pas encore été vérifié" in text


def test_a_child_found_nowhere_asks_for_its_account(tmp_path: Path) -> None:
    plan = with_parents(tmp_path)
    question = next(
        i for i in plan["items"] if i["kind"] == "parent_decide" and i["target"]["question"] == "child"
    )
    question["subject"]["candidates"], question["target"]["candidates"] = [], []
    question["reason"]["situation"] = "child_not_found"
    render_reports(plan, tmp_path)
    text = text_of((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert "Aucun élève de SACoche ne porte ces nom et prénom" in text and "pas un élève de l'école" in text
    summary = (tmp_path / "resume.md").read_text(encoding="utf-8")
    assert "ligne 14 du fichier des responsables, enfant introuvable parmi les élèves\n" in summary
