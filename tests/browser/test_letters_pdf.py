"""The family letters and the report with parents printed by headless Chromium, read back page by page
with pdftotext.

What the secretary gets on paper: one letter per page (a family of six children and 50-character names
included), every new parent's login on exactly one page with its password, the letters of one family on
consecutive pages; the director's report shows the parents by class and holds no password. Chromium or
poppler missing: skipped locally, FAILED when CI=true (tests/support/browser.py).
"""

from __future__ import annotations

import csv
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from support.browser import EXAMPLES, example_report_plan, pdf_pages, require_chromium, require_poppler
from support.parent_items import child, credentials_rows, new_family, write_credentials

from engine.pipeline import make_plan
from engine.render.letters import LETTERS_FILE, render_letters
from engine.render.report import print_pdf, render_reports

pytestmark = pytest.mark.browser

LONG = "DE LA ROCHE-AUX-MOINES-SAINT-JEAN-DU-GRAND-VAL-D'OR"  # 50 characters, SACoche's widest name


@pytest.fixture(scope="module")
def chromium() -> str:
    require_poppler()
    return require_chromium()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def school() -> list[dict[str, Any]]:
    """Five new parents in four families: two parents sharing children, six siblings with long names.
    Families go in their first child's class order: the six siblings (PS), PETIT (GS), LAVANDIER (CP),
    ROUSSEAU (CM2)."""
    noe = child("LAVANDIER", "Noé", "CE1 Mme Pivoine", 41, "nlavandier")
    lea = child("LAVANDIER", "Léa", "CP M. Chêne", None, "llavandier")
    six = [
        child(LONG, f"Marie-{p}", c, 100 + n, f"m{n}delaroche")
        for n, (p, c) in enumerate(
            zip(
                ("Anne", "Bérénice", "Claire", "Delphine", "Éléonore", "Françoise"),
                ("PS Mme A", "MS Mme B", "GS M. C", "CP M. Chêne", "CE2 Mme D", "CM2 Mme Rose"),
                strict=True,
            )
        )
    ]
    address = ("Résidence des Tilleuls, escalier C", "12 rue des Lilas", "", "", "69001", "LYON", "FRANCE")
    return [
        *new_family("F", "LAVANDIER", "Solène", [noe, lea], "slavandier", address=address),
        *new_family("M", "DURAND", "Marc", [noe, lea], "mdurand", line=4),
        *new_family("F", LONG, "Anne-Charlotte-Marie-Béatrice", six, "adelaroche", address=address, line=7),
        *new_family("I", "ROUSSEAU", "Camille", [child("ROUSSEAU", "Tom", "CM2 Mme Rose", 77)], "crousseau"),
        *new_family("M", "PETIT", "Jean", [child("PETIT", "Lou", "GS M. C", 78)], "jpetit", line=12),
    ]


@pytest.fixture(scope="module")
def printed(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("letters")
    out.chmod(0o700)
    items = school()
    passwords = {
        i["target"]["login"]: f"k{n}q7m2xz" for n, i in enumerate(items) if i["kind"] == "parent_create"
    }
    write_credentials(out, credentials_rows(items, passwords))
    html = render_letters({"today": "2026-09-01", "items": items}, out)
    assert html == out / LETTERS_FILE
    pdf = print_pdf(html, out / "lettres.pdf", chromium=chromium)
    raw = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    yield {"pages": pdf_pages(pdf), "reading": raw.stdout.split("\f"), "passwords": passwords}


def test_one_letter_per_page(printed: dict[str, Any]) -> None:
    pages = printed["pages"]
    assert len(pages) == len(printed["passwords"]) == 5
    for number, page in enumerate(pages, 1):
        text = flat(page)
        assert text.count("Objet : votre compte SACoche") == 1, number
        assert "La direction de l'école" in text, number  # the end of the letter is on the same page
        assert "Document confidentiel" in text, number


def test_every_new_parents_login_is_on_exactly_one_page_with_its_password(printed: dict[str, Any]) -> None:
    pages = [flat(p).split() for p in printed["pages"]]
    for login, password in printed["passwords"].items():
        on = [n for n, words in enumerate(pages) if login in words]
        assert len(on) == 1, login
        assert pages[on[0]].count(login) == 1 and password in pages[on[0]], login
        others = [n for n, words in enumerate(pages) if password in words]
        assert others == on, login


def test_the_six_children_and_the_long_names_are_all_printed(printed: dict[str, Any]) -> None:
    page = next(p for p in printed["reading"] if "adelaroche" in p.split())  # in reading order
    text = re.sub(r"-\s+", "-", flat(page))  # a name wrapped at a hyphen reads back as one
    for prenom in ("Anne", "Bérénice", "Claire", "Delphine", "Éléonore", "Françoise"):
        assert f"Marie-{prenom} {LONG}" in text, prenom
    assert f"Mme Anne-Charlotte-Marie-Béatrice {LONG}" in text
    assert "Résidence des Tilleuls, escalier C" in text


def test_a_familys_letters_are_consecutive_and_say_so(printed: dict[str, Any]) -> None:
    tops = [flat(p) for p in printed["pages"]]
    family = [n for n, t in enumerate(tops) if "slavandier" in t.split() or "mdurand" in t.split()]
    assert family == [family[0], family[0] + 1]
    assert "lettre 1 sur 2 pour cette famille" in tops[family[0]]
    assert "lettre 2 sur 2 pour cette famille" in tops[family[1]]
    assert [re.search(r"Famille (\d+) sur 4", t)[1] for t in tops] == ["1", "2", "3", "3", "4"]


@pytest.fixture(scope="module")
def report(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The bundled example's plan with the same parents, rendered by render_reports and printed."""
    out = tmp_path_factory.mktemp("report")
    plan = example_report_plan(out)
    plan["items"] += school()
    passwords = {
        i["target"]["login"]: f"k{n}q7m2xz"
        for n, i in enumerate(plan["items"])
        if i["kind"] == "parent_create"
    }
    write_credentials(out, credentials_rows(plan["items"], passwords))
    written = {p.name for p in render_reports(plan, out)}
    assert {"rapport.html", LETTERS_FILE} <= written
    yield {
        "html": (out / "rapport.html").read_text(encoding="utf-8"),
        "pages": pdf_pages(print_pdf(out / "rapport.html", out / "rapport.pdf", chromium=chromium)),
        "letters": pdf_pages(print_pdf(out / LETTERS_FILE, out / "lettres.pdf", chromium=chromium)),
        "passwords": passwords,
    }


def test_the_report_holds_no_password_and_the_letters_all_of_them(report: dict[str, Any]) -> None:
    words = {w for page in report["pages"] for w in page.split()}
    letters = [set(p.split()) for p in report["letters"]]
    assert len(letters) == len(report["passwords"])
    for login, password in report["passwords"].items():
        assert password not in report["html"] and password not in words, login
        assert sum(password in page for page in letters) == 1, login


def test_the_report_shows_the_parents_by_class(report: dict[str, Any]) -> None:
    text = flat(" ".join(report["pages"]))
    assert "Responsables : 5 nouveaux comptes, 2 adresses ajoutées ou modifiées, 12 rattachements" in text
    for classe in ("PS Mme A", "CP M. Chêne", "CE1 Mme Pivoine", "CM2 Mme Rose"):
        assert f"Responsables — classe {classe}" in text, classe
    assert "Lettres aux familles (5 nouveaux comptes de responsables" in text


@pytest.fixture(scope="module")
def example_school(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled example school's pupils and responsables planned in one run, as ``plan`` does."""
    base = tmp_path_factory.mktemp("school")
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", base / "sacoche.db")
    out = base / "plan"
    make_plan(
        EXAMPLES / "onde1-ecole-des-tilleuls.csv",
        f"sqlite:///{base / 'sacoche.db'}",
        out,
        parents_path=EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv",
        rng=random.Random(7),
    )
    with (out / "identifiants-parents.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return {
        "rows": rows,
        "letters": pdf_pages(print_pdf(out / LETTERS_FILE, out / "lettres.pdf", chromium=chromium)),
        "report": flat(
            " ".join(pdf_pages(print_pdf(out / "rapport.html", out / "rapport.pdf", chromium=chromium)))
        ),
    }


def test_the_example_schools_letters_one_per_page(example_school: dict[str, Any]) -> None:
    pages = [set(p.split()) for p in example_school["letters"]]
    assert len(pages) == len(example_school["rows"]) > 40
    for row in example_school["rows"]:
        on = [n for n, words in enumerate(pages) if row["login"] in words]
        assert len(on) == 1 and row["mot_de_passe"] in pages[on[0]], row["item"]
        assert row["mot_de_passe"] not in example_school["report"], row["item"]
