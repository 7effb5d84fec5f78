"""The family letters (lettres-familles.html) from plans written by hand as docs/parents.md describes them.

Who gets a letter (accepted new parents with a password in the private file, nobody else), how families
are grouped and ordered, what a letter says (civilité, children and classes, login, password, SACoche's
address or a line to fill), escaping, and the privacy rules of the pupils' sheet (0600, stale file
removed). Invented names.
"""

from __future__ import annotations

import html as htmllib
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from support.parent_items import (
    child,
    credentials_rows,
    new_family,
    parent_address,
    parent_create,
    parent_decide_child,
    parent_link,
    parent_update,
    write_credentials,
)

from engine.render.letters import (
    LETTERS_FILE,
    family_letters,
    missing_letters,
    read_parent_credentials,
    render_letters,
    sacoche_address,
)

NOE = child("LAVANDIER", "Noé", "CE1 Mme Pivoine", 41, "nlavandier")
LEA = child("LAVANDIER", "Léa", "CP M. Chêne", None, "llavandier")  # a new pupil of the same plan
TOM = child("ROUSSEAU", "Tom", "CM2 Mme Rose", 77, "trousseau")
ADDRESS = ("12 rue des Lilas", "Bâtiment B", "", "", "69001", "LYON", "FRANCE")


def passwords(items: list[dict[str, Any]]) -> dict[str, str]:
    return {
        i["target"]["login"]: f"pw{n:02d}xk7q" for n, i in enumerate(items) if i["kind"] == "parent_create"
    }


def planned(out: Path, items: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    """A plan of ``items`` with identifiants-parents.csv in ``out`` for its accepted new parents."""
    out.mkdir(exist_ok=True)
    rows = credentials_rows(items, passwords(items))
    if rows:
        write_credentials(out, rows)
    return {"today": "2026-09-01", "items": items, **plan}


def text_of(html: str) -> str:
    inline = re.sub(r"</?(?:strong|span|b)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", inline)))


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="lettre">(.*?)</section>', html, re.S)


def two_parents_and_one() -> list[dict[str, Any]]:
    return [
        *new_family("F", "LAVANDIER", "Solène", [NOE, LEA], "slavandier", address=ADDRESS),
        *new_family("M", "DURAND", "Marc", [NOE], "mdurand", line=5),
        *new_family("I", "ROUSSEAU", "Camille", [TOM], "crousseau", line=9),
    ]


def test_one_letter_per_accepted_new_parent_with_its_own_login_and_password(tmp_path: Path) -> None:
    items = two_parents_and_one()
    items.append(parent_create("M", "BLANC", "Paul", [TOM], "pblanc", line=12, accepted=False))
    items.append(parent_update(812, "jnoir", "M", "NOIR", "Jean", [TOM], {"user_email": ("", "j@x.fr")}))
    plan = planned(tmp_path, items)
    path = render_letters(plan, tmp_path)
    assert path == tmp_path / LETTERS_FILE
    letters = sections(path.read_text(encoding="utf-8"))
    assert len(letters) == 3
    for login, password in passwords(items).items():
        hits = [t for t in letters if login in text_of(t).split()]
        if login in ("pblanc",):  # unchecked creation: no account, no letter
            assert not hits
            continue
        assert len(hits) == 1, login
        assert password in text_of(hits[0])
    assert "jnoir" not in path.read_text(encoding="utf-8")  # an existing parent keeps its password


def test_parents_sharing_a_child_are_one_family_printed_together(tmp_path: Path) -> None:
    plan = planned(tmp_path, two_parents_and_one())
    letters = family_letters(plan, read_parent_credentials(tmp_path))
    assert [(x["login"], x["family"], x["position"], x["of"]) for x in letters] == [
        ("mdurand", 1, 1, 2),  # Noé's and Léa's family first: Léa is in CP
        ("slavandier", 1, 2, 2),
        ("crousseau", 2, 1, 1),
    ]
    # each letter goes home with its own first child
    assert letters[0]["via"] == "Noé LAVANDIER" and letters[0]["via_classe"] == "CE1 Mme Pivoine"
    assert letters[1]["via"] == "Léa LAVANDIER" and letters[1]["via_classe"] == "CP M. Chêne"
    html = render_letters(plan, tmp_path).read_text(encoding="utf-8")
    first = text_of(sections(html)[0])
    assert "Famille 1 sur 2" in first and "lettre 1 sur 2 pour cette famille" in first
    assert "LAVANDIER Solène" not in first and "Solène" not in first  # the other parent is not named
    assert "lettre 1 sur" not in text_of(sections(html)[2])


def test_the_letter_names_the_parent_the_children_and_their_classes(tmp_path: Path) -> None:
    html = render_letters(planned(tmp_path, two_parents_and_one()), tmp_path).read_text(encoding="utf-8")
    durand, lavandier, rousseau = (text_of(s) for s in sections(html))
    assert "M. Marc DURAND" in durand and "Monsieur," in durand and "de votre enfant" in durand
    assert "Noé LAVANDIER classe CE1 Mme Pivoine" in durand and "Léa LAVANDIER classe" not in durand
    assert "Mme Solène LAVANDIER" in lavandier and "Madame," in lavandier and "de vos enfants" in lavandier
    assert lavandier.index("Léa LAVANDIER classe CP M. Chêne") < lavandier.index("Noé LAVANDIER classe")
    assert "Madame, Monsieur," in rousseau and " Camille ROUSSEAU " in rousseau
    assert "M. Camille" not in rousseau and "Mme Camille" not in rousseau
    assert "Le 1er septembre 2026" in durand
    assert "perdez ce courrier ou oubliez votre mot de passe" in durand


def test_the_address_printed_is_the_planned_one(tmp_path: Path) -> None:
    html = render_letters(planned(tmp_path, two_parents_and_one()), tmp_path).read_text(encoding="utf-8")
    lavandier = sections(html)[1]
    block = re.search(r'<div class="destinataire">(.*?)</div>\n</div>', lavandier, re.S)[1]
    # lines 3 and 4 empty: left out; France too, as on a letter sent within France
    assert text_of(block).strip() == "Mme Solène LAVANDIER 12 rue des Lilas Bâtiment B 69001 LYON"
    items = two_parents_and_one()
    for item in items:
        if item["kind"] == "parent_address":
            item["accepted"] = False
    html = render_letters(planned(tmp_path, items), tmp_path).read_text(encoding="utf-8")
    assert "rue des Lilas" not in html


def test_a_child_whose_link_is_unchecked_or_who_is_unresolved_is_not_on_the_letter(tmp_path: Path) -> None:
    unknown = child("LAVANDIER", "Zoé", "CM1 M. If")
    unknown = (unknown[0], unknown[1], unknown[2], None, "")  # not found among the pupils
    kids = [NOE, LEA, unknown]
    items = [
        parent_create("F", "LAVANDIER", "Solène", kids, "slavandier"),
        parent_link(None, "slavandier", "F", "LAVANDIER", "Solène", kids, NOE, 1),
        parent_link(None, "slavandier", "F", "LAVANDIER", "Solène", kids, LEA, 1, accepted=False),
        parent_decide_child(
            "F",
            "LAVANDIER",
            "Solène",
            kids,
            {"nom": "LAVANDIER", "prenom": "Zoé", "line": 2},
            [],
            "child_not_found",
        ),
    ]
    letters = family_letters(planned(tmp_path, items), read_parent_credentials(tmp_path))
    assert [c["prenom"] for c in letters[0]["children"]] == ["Noé"]


def test_a_parent_without_its_password_row_gets_no_letter_and_is_said_missing(tmp_path: Path) -> None:
    items = two_parents_and_one()
    plan = planned(tmp_path, items)
    rows = read_parent_credentials(tmp_path)
    wrong = [r | {"item": "parent_create-0000000000"} if r["login"] == "mdurand" else r for r in rows]
    assert [x["login"] for x in family_letters(plan, wrong)] == ["slavandier", "crousseau"]
    durand = next(
        i["id"] for i in items if i["kind"] == "parent_create" and i["target"]["login"] == "mdurand"
    )
    assert missing_letters(plan, wrong) == [durand]
    assert missing_letters(plan, rows) == []
    other_login = [r | {"login": "mdurand2"} if r["login"] == "mdurand" else r for r in rows]
    assert missing_letters(plan, other_login) == [durand]


def test_names_are_escaped_once_and_never_cut(tmp_path: Path) -> None:
    nom = "DE LA ROCHE-AUX-MOINES-ET-SAINT-JEAN-DU-GRAND-VAL-D'OR <b>&"  # 50+ characters
    kid = child(nom, "Énora-Marie", "CE2 <script>", 90, "edelaroche")
    items = new_family("F", nom, 'Anne-Sophie "Lou"', [kid], "adelaroche")
    html = render_letters(planned(tmp_path, items), tmp_path).read_text(encoding="utf-8")
    assert "<b>" not in html and "<script>" not in html
    assert "&lt;b&gt;&amp;" in html and "CE2 &lt;script&gt;" in html
    assert (
        f"Mme Anne-Sophie &#34;Lou&#34; {htmllib.escape(nom, quote=True).replace('&#x27;', '&#39;')}" in html
    )
    assert "overflow-wrap: anywhere" in html  # long names wrap instead of overflowing the page


def test_sacoche_address_is_printed_when_known_else_a_line_to_fill(tmp_path: Path) -> None:
    items = new_family("M", "DURAND", "Marc", [NOE], "mdurand")
    plan = planned(tmp_path, items)
    blank = render_letters(plan, tmp_path).read_text(encoding="utf-8")
    assert 'navigateur&nbsp;: <span class="a-remplir"></span>' in blank
    url = "https://sacoche.example.fr/ecole?x=1&y=2"
    given = render_letters(plan, tmp_path, address=url).read_text(encoding="utf-8")
    assert '<span class="url">https://sacoche.example.fr/ecole?x=1&amp;y=2</span>' in given
    configured = render_letters(plan | {"letters": {"sacoche_url": url}}, tmp_path).read_text(
        encoding="utf-8"
    )
    assert "sacoche.example.fr" in configured
    assert sacoche_address("javascript:alert(1)") == "" and sacoche_address("http://a b") == ""
    hostile = render_letters(plan, tmp_path, address="javascript:alert(1)").read_text(encoding="utf-8")
    assert "javascript" not in hostile


def test_private_file_and_no_stale_letters(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan = planned(out, two_parents_and_one())
    path = render_letters(plan, out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert render_letters({"today": "2026-09-01", "items": []}, out) is None
    assert not path.exists()  # a plan without new parents leaves no letter of passwords behind


@pytest.mark.parametrize("kind", ["parent_update", "parent_reactivate"])
def test_no_letter_without_a_new_parent(tmp_path: Path, kind: str) -> None:
    item = parent_update(
        812,
        "jnoir",
        "M",
        "NOIR",
        "Jean",
        [TOM],
        {"user_nom": ("NOIRE", "NOIR")},
        reactivate_from="2025-07-04" if kind == "parent_reactivate" else None,
    )
    assert item["kind"] == kind
    write_credentials(
        tmp_path,
        [
            {
                "famille": "",
                "civilite": "M",
                "nom": "NOIR",
                "prenom": "Jean",
                "login": "jnoir",
                "mot_de_passe": "secret99",
                "enfants": "",
                "item": "",
            }
        ],
    )
    assert render_letters({"today": "2026-09-01", "items": [item]}, tmp_path) is None


def test_an_address_item_of_an_existing_parent_does_not_leak_into_a_new_parents_letter(
    tmp_path: Path,
) -> None:
    items = [
        *new_family("M", "DURAND", "Marc", [NOE], "mdurand"),
        parent_address(812, "jnoir", "M", "NOIR", "Jean", [TOM], ADDRESS),
    ]
    html = render_letters(planned(tmp_path, items), tmp_path).read_text(encoding="utf-8")
    assert "rue des Lilas" not in html


def test_a_child_staying_in_a_renamed_class_is_in_its_new_class_on_the_letter(tmp_path: Path) -> None:
    rename = {
        "id": "class_rename-0000000001",
        "kind": "class_rename",
        "accepted": True,
        "target": {"table": "sacoche_groupe", "groupe_ref": "CE1A"},
        "changes": {"groupe_nom": {"old": "CE1 Mme Pivoine", "new": "CE1 Mme Pervenche"}},
        "reason": {},
        "subject": {"classe": "CE1 Mme Pervenche"},
    }
    plan = planned(tmp_path, [rename, *new_family("M", "DURAND", "Marc", [NOE], "mdurand")])
    assert [c["classe"] for c in family_letters(plan, read_parent_credentials(tmp_path))[0]["children"]] == [
        "CE1 Mme Pervenche"
    ]
