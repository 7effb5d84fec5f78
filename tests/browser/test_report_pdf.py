"""The report and the login sheet printed by headless Chromium, read back with pdftotext.

What a director gets on paper: the summary line on page 1, each class on its own page(s), no password in
the report, one login-sheet page per class with cards that are never cut, table headers repeated when a
class runs over a page. Chromium or poppler missing: skipped locally, FAILED when CI=true
(tests/support/browser.py).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import (
    EXAMPLES,
    example_report_plan,
    page_top,
    pdf_pages,
    require_chromium,
    require_poppler,
)

from engine.render.printing import print_pdf
from engine.render.report import render_reports

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


def pdf_page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)[1])


def test_example_fits_five_pages_classes_share_them(example: dict[str, Any]) -> None:
    """Classes flow on shared pages (no forced break per class): 55 pupils fit in 5 A4 pages, and the
    login sheet of the 3 new pupils in 1."""
    assert pdf_page_count(example["out"] / "rapport.pdf") <= 5
    assert pdf_page_count(example["out"] / "identifiants.pdf") == 1
    pages = example["report"]
    assert f"page {len(pages)} sur {len(pages)}" in pages[-1]
    text = "\n".join(pages)
    for name in expected_classes(example["plan"]):
        headings = re.findall(rf"^\s*Classe {re.escape(name)}(?: — ONDE : .*)?$", text, re.MULTILINE)
        assert len(headings) == 1, f"{name}: {len(headings)} headings"
    several = [p for p in pages if len(re.findall(r"^\s*Classe \[", p, re.MULTILINE)) > 1]
    assert several, "every class is still alone on its page"
    # the class heading gives the full ONDE label beside the 20-character SACoche name
    assert re.search(r"^\s*Classe \[PS\] PS-MS Mme Pivoi — ONDE : PS-MS Mme Pivoine$", text, re.MULTILINE)


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


def test_login_sheet_every_card_with_its_class(example: dict[str, Any]) -> None:
    accepted = {i["id"] for i in example["plan"]["items"] if i["kind"] == "create" and i["accepted"]}
    (page,) = example["sheet"]
    assert page_top(page) == "Identifiants SACoche des nouveaux élèves"
    for row in example["credentials"]:
        assert row["item"] in accepted
        assert f"Classe {row['classe']} : 1 nouvel élève" in page
        assert row["login"] in page and row["mot_de_passe"] in page and row["nom"] in page
    assert page.count("adresse de votre SACoche") == len(example["credentials"])


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
    start = next(n for n, page in enumerate(pages) if re.search(r"^Classe \[CM1\]", page, re.MULTILINE))
    class_pages = pages[start:]
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
    assert len(pages) == 2, "13 cards: 8 to 10 on the first page, the rest on the second"
    assert 8 <= pages[0].count("SACoche — Élève") <= 10
    for n, item in enumerate(plan["items"]):
        holders = [p for p in pages if f"SACoche — Élève {item['subject']['nom']}" in p]
        assert len(holders) == 1
        assert f"pw{n:02d}k" in holders[0] and item["target"]["login"] in holders[0], "card cut in two"


# --- a held plan, French only, counts that add up --------------------------------------------------------

#: English words of the tool that must never reach the director's text (guards, options, kinds, answers)
ENGLISH = re.compile(
    r"\b(coverage|other_school|class_missing|niveau_missing|deactivations|allow|force|same|different|"
    r"create|update|deactivate|reactivate|class_create|class_rename|class_retire|group_create|"
    r"group_retire|membership_add|membership_remove|decide|default rules)\b|--[a-z]|sqlite:|mysql:",
)
ITEM_REF = re.compile(r"\b[a-z_]+-[0-9a-f]{10}\b")


def english_left(text: str) -> list[str]:
    """English words of the tool in ``text``, item ids (« n° create-3f2a… », references) set aside."""
    return sorted({m[0] for m in ENGLISH.finditer(ITEM_REF.sub("", flat(text)))})


@pytest.fixture(scope="module")
def held(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example school planned from a partial export (its first 6 pupils): held by its guards."""
    from engine.pipeline import make_plan

    out = tmp_path_factory.mktemp("held")
    export = out.parent / "partiel.csv"
    lines = (EXAMPLES / "onde2-ecole-des-tilleuls.csv").read_text(encoding="utf-8-sig").splitlines()
    export.write_text("\n".join(lines[:7]) + "\n", encoding="utf-8")
    result = make_plan(export, f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}", out / "plan")
    assert result.plan.held
    report = print_pdf(out / "plan" / "rapport.html", out / "rapport.pdf", chromium=chromium)
    return {"out": out / "plan", "report": pdf_pages(report)}


def test_held_plan_first_line_says_blocked_with_figures(held: dict[str, Any]) -> None:
    first = flat(held["report"][0])
    assert page_top(held["report"][0]).startswith("Plan bloqué : le fichier ne contient que 6 élèves sur")
    assert "export partiel ?" in first
    # the would-be changes come after the explanation, under « Si l'on passait outre »
    assert first.index("Rien ne doit être appliqué") < first.index("Si l'on passait outre")
    assert first.index("Si l'on passait outre") < first.index("1 nouvel élève, 48 départs")
    md = (held["out"] / "resume.md").read_text(encoding="utf-8")
    assert md.startswith("**Plan bloqué : le fichier ne contient que 6 élèves sur")


def test_no_english_guard_option_or_kind_in_the_french_text(
    held: dict[str, Any], example: dict[str, Any]
) -> None:
    for pages in (held["report"], example["report"], example["sheet"]):
        assert english_left("\n".join(pages)) == []
    assert english_left((held["out"] / "resume.md").read_text(encoding="utf-8")) == []
    assert english_left((example["out"] / "resume.md").read_text(encoding="utf-8")) == []
    # the ids are still there, as references
    assert "n° deactivate-" in flat("\n".join(held["report"]))


KIND_WORDS = {
    "create": r"(\d+) nouve(?:l|aux) élèves?",
    "update": r"(\d+) mises? à jour",
    "reactivate": r"(\d+) retours?\b",
    "deactivate": r"(\d+) départs?\b",
    "membership_add": r"(\d+) inscriptions? dans (?:un|des) groupes?",
    "membership_remove": r"(\d+) retraits? d(?:'un|e) groupes?",
}


def class_sections(pages: list[str]) -> dict[str, str]:
    """Each class section's text (from its heading to the next one), page footers left out."""
    text = "\n".join(line for page in pages for line in page.splitlines() if "page " not in line)
    parts = re.split(r"^\s*Classe (\[[^\n]*?)\s*$", text, flags=re.MULTILINE)
    return {parts[n].split(" — ONDE")[0]: parts[n + 1] for n in range(1, len(parts), 2)}


def ids_of(kind: str, text: str) -> int:
    """How many different items of ``kind`` are listed in ``text``."""
    return len(set(re.findall(rf"\b{kind}-[0-9a-f]{{10}}\b", text)))


def said(text: str, kind: str) -> int:
    return sum(int(m[1]) for m in re.finditer(KIND_WORDS[kind], flat(text)))


def test_every_count_equals_the_sum_of_its_lines(example: dict[str, Any], held: dict[str, Any]) -> None:
    for plan, pages in ((example["plan"], example["report"]), (None, held["report"])):
        plan = plan or json.loads((held["out"] / "plan.json").read_text(encoding="utf-8"))
        sections = class_sections(pages)
        assert sections
        for name, body in sections.items():
            counts_line = flat(body).split(" · classe ")[0]  # up to the first table's title
            for kind in KIND_WORDS:
                lines = ids_of(kind, body)
                assert said(counts_line, kind) == lines, (name, kind, counts_line)
            m = re.search(r"(\d+) élèves? dans le fichier : (.*?)\.", counts_line)
            assert m or "dans le fichier" not in counts_line, (name, counts_line)
            if m:
                parts = re.findall(r"(?:^|, )(\d+) (?!changements? de classe)", m[2])
                assert int(m[1]) == sum(int(n) for n in parts), (name, m[0])
        # the front page: checked + unchecked = the lines of every class, and unchanged pupils add up
        front = re.split("Identifiants et mots de passe|Chaque changement porte", flat(pages[0]))[0]
        for kind in ("create", "update", "reactivate", "deactivate"):
            total = sum(1 for i in plan["items"] if i["kind"] == kind)
            in_classes = sum(ids_of(kind, b) for b in sections.values())
            assert said(front, kind) == total == in_classes, kind
        unchanged = re.search(r"(\d+) élèves? du fichier sans changement", front)
        per_class = [int(n) for n in re.findall(r"(\d+) sans changement", flat("\n".join(sections.values())))]
        assert unchanged and int(unchanged[1]) == sum(per_class)
