"""The report and the login sheet printed by headless Chromium, read back with pdftotext.

What a director gets on paper: the summary line on page 1, each class on its own page(s), no password in
the report, one login-sheet page per class with cards that are never cut, table headers repeated when a
class runs over a page. Chromium or poppler missing: skipped locally, FAILED when CI=true
(tests/support/browser.py).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import example_report_plan, page_top, pdf_pages, require_chromium, require_poppler

from engine.report import print_pdf, render_reports

pytestmark = pytest.mark.browser

PUPIL_KINDS = ("create", "update", "reactivate", "membership_add", "membership_remove")
STRUCTURE_KINDS = ("class_create", "class_rename", "class_retire", "group_create", "group_retire")


@pytest.fixture(scope="module")
def chromium() -> str:
    require_poppler()
    return require_chromium()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def expected_classes(plan: dict[str, Any]) -> list[str]:
    """Classes that get a section, computed from the plan: the class in the subject of each pupil item;
    a leaver's class is its old name, which a class_rename item of the same plan may rename."""
    renamed = {
        i["changes"]["groupe_nom"]["old"]: i["changes"]["groupe_nom"]["new"]
        for i in plan["items"]
        if i["kind"] == "class_rename"
    }
    classes = set()
    for i in plan["items"]:
        name = i["subject"].get("classe")
        if i["kind"] in PUPIL_KINDS and name:
            classes.add(name)
        elif i["kind"] == "deactivate":
            classes.add(renamed.get(name or "", name or ""))
    return sorted(classes)


def has_structure_page(plan: dict[str, Any]) -> bool:
    return any(i["kind"] in STRUCTURE_KINDS for i in plan["items"]) or any(plan["left_alone"].values())


@pytest.fixture(scope="module")
def example(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The bundled example, planned (fixed date), rendered and printed once for the whole module."""
    out = tmp_path_factory.mktemp("example")
    plan = example_report_plan(out)
    render_reports(plan, out)
    report = print_pdf(out / "rapport.html", out / "rapport.pdf", chromium=chromium)
    sheet = print_pdf(out / "identifiants.html", out / "identifiants.pdf", chromium=chromium)
    with (out / "identifiants.csv").open(encoding="utf-8-sig", newline="") as handle:
        credentials = list(csv.DictReader(handle, delimiter=";"))
    yield {
        "plan": plan,
        "out": out,
        "report": pdf_pages(report),
        "sheet": pdf_pages(sheet),
        "credentials": credentials,
    }


def test_summary_line_on_page_one(example: dict[str, Any]) -> None:
    first = flat(example["report"][0])
    assert page_top(example["report"][0]) == "Mise à jour des comptes élèves dans SACoche"
    assert (
        "3 nouveaux élèves, 2 départs, 1 retour, 9 mises à jour (dont 7 changements de classe), "
        "1 décision à prendre"
    ) in first
    assert "À décider" in first and "identifiants.html" in first


def test_each_class_starts_its_own_page(example: dict[str, Any]) -> None:
    tops = [page_top(page) for page in example["report"]]
    classes = expected_classes(example["plan"])
    assert len(classes) >= 5
    for name in classes:
        assert f"Classe {name}" in tops, f"{name} does not start a page: {tops}"
    # each class heading appears exactly once, at the top of its page
    for number, page in enumerate(example["report"]):
        headings = re.findall(r"^\s*Classe \[", page, re.MULTILINE)
        assert len(headings) == (1 if tops[number].startswith("Classe [") else 0), number
    assert tops[1] == "Classes et groupes"


def test_page_count_follows_from_the_plan(example: dict[str, Any]) -> None:
    """1 page (title, summary, decisions, points of attention) + 1 « Classes et groupes » page when the
    plan has class/group items or hand-made ones left alone + 1 page per class with pupil items."""
    plan = example["plan"]
    expected = 1 + int(has_structure_page(plan)) + len(expected_classes(plan))
    assert len(example["report"]) == expected
    assert f"page {expected} sur {expected}" in example["report"][-1]


def test_every_item_id_printed_with_its_state(example: dict[str, Any]) -> None:
    text = flat("\n".join(example["report"]))
    for item in example["plan"]["items"]:
        assert item["id"] in text, item["id"]
    assert "non coché" in text


def test_no_password_in_report_but_on_the_sheet(example: dict[str, Any]) -> None:
    report = "\n".join(example["report"])
    sheet = "\n".join(example["sheet"])
    assert example["credentials"]
    for row in example["credentials"]:
        assert row["mot_de_passe"] not in report
        assert row["mot_de_passe"] in sheet and row["login"] in sheet


def test_login_sheet_one_page_per_class(example: dict[str, Any]) -> None:
    accepted = {i["id"] for i in example["plan"]["items"] if i["kind"] == "create" and i["accepted"]}
    classes = sorted({r["classe"] for r in example["credentials"] if r["item"] in accepted})
    pages = example["sheet"]
    assert len(pages) == len(classes)
    tops = [page_top(p) for p in pages]
    assert sorted(tops) == sorted(f"Classe {c} : identifiants SACoche" for c in classes)
    for row in example["credentials"]:
        page = next(p for p in pages if page_top(p) == f"Classe {row['classe']} : identifiants SACoche")
        assert row["login"] in page and row["mot_de_passe"] in page and row["nom"] in page
        assert "adresse de votre SACoche" in page


# --- long classes: repeated headers, rows and cards never cut -------------------------------------------


def _long_plan(updates: int, creates: int) -> dict[str, Any]:
    classe = "[CM1] CM1 Mme Longue"
    items = []
    for n in range(updates):
        items.append(
            {
                "id": f"update-{n:010d}",
                "kind": "update",
                "accepted": True,
                "subject": {
                    "nom": f"NOM{n:02d}",
                    "prenom": "Prénom",
                    "naissance": "2016-01-01",
                    "classe": classe,
                },
                "target": {"table": "sacoche_user", "user_id": 100 + n, "login": f"pre.nom{n:02d}"},
                "changes": {
                    "user_prenom": {"old": "Prenom", "new": "Prénom"},
                    "user_naissance_date": {"old": "2016-01-02", "new": "2016-01-01"},
                },
                "reason": {"tier": "ine", "line": n + 2},
            }
        )
    for n in range(creates):
        items.append(
            {
                "id": f"create-{n:010d}",
                "kind": "create",
                "accepted": True,
                "subject": {
                    "nom": f"NOUVEAU{n:02d}",
                    "prenom": "Élève",
                    "naissance": "2016-02-02",
                    "classe": classe,
                },
                "target": {"table": "sacoche_user", "login": f"ele.nouveau{n:02d}"},
                "changes": {"user_genre": {"old": None, "new": "M"}},
                "reason": {"line": 100 + n},
            }
        )
    return {
        "today": "2026-09-01",
        "source": {"file": "long.csv"},
        "state": {"url": "sqlite:///long.db"},
        "summary": {"unchanged": 0},
        "items": items,
        "holds": [],
        "left_alone": {"classes": [], "groups": []},
    }


def test_long_class_repeats_table_headers_and_keeps_rows_whole(chromium: str, tmp_path: Path) -> None:
    plan = _long_plan(updates=45, creates=0)
    render_reports(plan, tmp_path)
    pages = pdf_pages(print_pdf(tmp_path / "rapport.html", tmp_path / "rapport.pdf", chromium=chromium))
    class_pages = pages[1:]
    assert page_top(class_pages[0]) == "Classe [CM1] CM1 Mme Longue"
    assert len(class_pages) >= 2, "45 updates should need more than one page"
    for page in class_pages:
        assert "Changements (avant →" in page, "the table header is not repeated on every page"
        assert "Mises à jour · classe [CM1] CM1 Mme Longue" in page
    for item in plan["items"]:
        on = [n for n, page in enumerate(class_pages) if item["id"] in page]
        login = item["target"]["login"]
        assert on == [n for n, page in enumerate(class_pages) if login in page], f"{item['id']} is cut"


def test_cards_never_cut_across_pages(chromium: str, tmp_path: Path) -> None:
    plan = _long_plan(updates=0, creates=13)
    with (tmp_path / "identifiants.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["classe", "nom", "prenom", "login", "mot_de_passe", "item"])
        for n, item in enumerate(plan["items"]):
            subject = item["subject"]
            writer.writerow(
                [
                    subject["classe"],
                    subject["nom"],
                    subject["prenom"],
                    item["target"]["login"],
                    f"pw{n:02d}k",
                    item["id"],
                ]
            )
    render_reports(plan, tmp_path)
    pages = pdf_pages(
        print_pdf(tmp_path / "identifiants.html", tmp_path / "identifiants.pdf", chromium=chromium)
    )
    assert len(pages) >= 2, "13 cards should need more than one page"
    for n, item in enumerate(plan["items"]):
        holders = [p for p in pages if f"SACoche — Élève {item['subject']['nom']}" in p]
        assert len(holders) == 1
        assert f"pw{n:02d}k" in holders[0] and item["target"]["login"] in holders[0], "card cut in two"
