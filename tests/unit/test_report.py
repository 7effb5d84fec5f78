"""The director's report and the login sheet, rendered from plan dicts built in code (invented names).

Covers every item kind, the French summary wording, per-class grouping, stable ids and their state,
autoescaping, the absence of passwords from the report, the login sheet's filter and file mode, and a
golden copy of the bundled example's report (the browser tests print the same report).
"""

from __future__ import annotations

import csv
import html as htmllib
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO
from support.browser import example_report_plan

from engine.plan import ITEM_KINDS
from engine.plan.parents import PARENT_KINDS
from engine.render.french import long_date_fr
from engine.render.report import build_view, render_reports
from engine.render.report_fr import why_fr
from engine.render.report_model import structure_phrases, summary_line

GOLDEN = REPO / "tests" / "golden" / "report"

CP, CE1 = "[CP] CP Mme Alpha", "[CE1] CE1 M. Beta"
CE2_OLD, CE2_NEW = "[CE2] CE2 M. Ancien", "[CE2] CE2 Mme Neuve"
MEMBERSHIP_TABLE = "sacoche_jointure_user_groupe"


# --- a synthetic plan with every kind -------------------------------------------------------------------


def item(kind: str, suffix: str, *, accepted: bool = True, **parts: Any) -> dict[str, Any]:
    return {
        "id": f"{kind}-{suffix}",
        "kind": kind,
        "accepted": accepted,
        "subject": parts.get("subject", {}),
        "target": parts.get("target", {}),
        "changes": parts.get("changes", {}),
        "reason": parts.get("reason", {}),
    }


def person(nom: str, prenom: str, naissance: str = "2019-01-02", ine: str = "", line: int = 2) -> dict:
    return {"nom": nom, "prenom": prenom, "naissance": naissance, "ine": ine, "line": line}


def create(suffix: str, nom: str, prenom: str, classe: str, login: str, ref: str, **kw: Any) -> dict:
    return item(
        "create",
        suffix,
        subject={**person(nom, prenom, line=kw.pop("line", 3)), "classe": classe},
        target={"table": "sacoche_user", "login": login},
        changes={
            "user_nom": {"old": None, "new": nom},
            "user_genre": {"old": None, "new": "F"},
            "user_login": {"old": None, "new": login},
            "user_password": {"old": None, "new": "0" * 32},
            "eleve_classe_id": {"old": None, "new": ref},
        },
        reason={"tier": None, "line": 3, "situation": "new"},
        **kw,
    )


def full_plan() -> dict[str, Any]:
    """Two classes with pupils, one renamed class with a leaver, class/group items, a decision, holds."""
    items = [
        create("a000000001", "ARBRE", "Alice", CP, "ali.arbre", "100_CP"),
        create("a000000002", "BOULEAU", "Bruno", CP, "bru.bouleau", "100_CP", accepted=False),
        item(
            "update",
            "b000000001",
            subject={**person("CEDRE", "Chloé", ine="123456789AB"), "classe": CP, "account": {}},
            target={"table": "sacoche_user", "user_id": 11, "login": "chl.cedre"},
            changes={"user_prenom": {"old": "Chloe", "new": "Chloé"}},
            reason={"tier": "ine", "line": 4, "situation": "matched_changed"},
        ),
        item(
            "update",
            "b000000002",
            subject={**person("DATTIER", "David"), "classe": CP, "account": {}},
            target={"table": "sacoche_user", "user_id": 12, "login": "dav.dattier"},
            changes={
                "user_naissance_date": {"old": "2019-01-03", "new": "2019-01-02"},
                "eleve_classe_id": {"old": "200_CE1", "new": "100_CP", "old_id": 5},
            },
            reason={"tier": "nom_prenom_naissance", "line": 5, "situation": "matched_changed"},
        ),
        item(
            "deactivate",
            "c000000001",
            subject={"nom": "ERABLE", "prenom": "Emma", "naissance": "2018-03-04", "classe": CE1},
            target={"table": "sacoche_user", "user_id": 13, "login": "emm.erable"},
            changes={"user_sortie_date": {"old": "9999-12-31", "new": "2026-09-01"}},
            reason={"tier": None, "line": None, "situation": "missing_active"},
        ),
        item(
            "deactivate",
            "c000000002",
            subject={"nom": "FRENE", "prenom": "Félix", "naissance": "2017-05-06", "classe": CE2_OLD},
            target={"table": "sacoche_user", "user_id": 14, "login": "fel.frene"},
            changes={"user_sortie_date": {"old": "9999-12-31", "new": "2026-09-01"}},
            reason={"tier": None, "line": None, "situation": "missing_active"},
        ),
        item(
            "reactivate",
            "d000000001",
            subject={**person("GENEVRIER", "Gaston", line=7), "classe": CE1, "account": {}},
            target={"table": "sacoche_user", "user_id": 15, "login": "gas.genevrie"},
            changes={
                "user_sortie_date": {"old": "2025-07-04", "new": "9999-12-31"},
                "eleve_classe_id": {"old": "", "new": "200_CE1", "old_id": 0},
            },
            reason={"tier": "ine", "line": 7, "situation": "reappeared"},
        ),
        item(
            "class_create",
            "e000000001",
            subject={"classe": CP, "onde_classe_id": "100", "niveau": "CP"},
            target={"table": "sacoche_groupe", "groupe_ref": "100_CP"},
            changes={"groupe_nom": {"old": None, "new": CP}},
            reason={"rule": "classes.ref", "line": 3, "situation": "class_new"},
        ),
        item(
            "class_rename",
            "e000000002",
            subject={"classe": CE2_NEW, "onde_classe_id": "300", "niveau": "CE2"},
            target={"table": "sacoche_groupe", "groupe_ref": "300_CE2", "groupe_id": 7},
            changes={"groupe_nom": {"old": CE2_OLD, "new": CE2_NEW}},
            reason={"rule": "classes.ref", "line": 9, "situation": "class_label_changed"},
        ),
        item(
            "class_retire",
            "e000000003",
            accepted=False,
            subject={"classe": "[CM2] CM2 M. Parti"},
            target={"table": "sacoche_groupe", "groupe_ref": "400_CM2", "groupe_id": 8},
            reason={"rule": "classes.owned_ref", "situation": "class_absent_from_file", "active_pupils": 0},
        ),
        item(
            "group_create",
            "e000000004",
            subject={"groupe": "Chorale"},
            target={"table": "sacoche_groupe", "groupe_ref": "RG_CHORALE"},
            reason={"rule": "groups.ref_prefix", "line": 4, "situation": "group_new"},
        ),
        item(
            "group_retire",
            "e000000005",
            accepted=False,
            subject={"groupe": "Théâtre"},
            target={"table": "sacoche_groupe", "groupe_ref": "RG_THEATRE", "groupe_id": 9},
            reason={"rule": "groups.owned_ref", "situation": "group_absent_from_file"},
        ),
        item(
            "archive",
            "e000000006",
            subject={"file": "onde.csv"},
            target={"table": "sacoche_siecle_import", "siecle_import_objet": "Onde", "row_exists": True},
            changes={
                "siecle_import_date": {"old": None, "new": "2026-11-29"},
                "siecle_import_annee": {"old": None, "new": "2026"},
                "siecle_import_contenu": {"old": "", "new": '[["Nom \\u00e9l\\u00e8ve"]]'},
            },
            reason={"rule": "archive", "situation": "archive_import", "bytes": 22},
        ),
        # with its class in the subject
        item(
            "membership_add",
            "f000000001",
            subject={**person("ARBRE", "Alice"), "groupe": "RG_CHORALE", "classe": CP},
            target={"table": MEMBERSHIP_TABLE, "login": "ali.arbre", "groupe_ref": "RG_CHORALE"},
        ),
        # no class in the subject: the same pupil's update gives it
        item(
            "membership_remove",
            "f000000002",
            subject={**person("CEDRE", "Chloé"), "groupe": "RG_THEATRE"},
            target={"table": MEMBERSHIP_TABLE, "user_id": 11, "groupe_ref": "RG_THEATRE"},
        ),
        # no class anywhere in the plan: listed under « Classes et groupes »
        item(
            "membership_add",
            "f000000003",
            subject={**person("HETRE", "Hugo"), "groupe": "RG_CHORALE"},
            target={"table": MEMBERSHIP_TABLE, "user_id": 16, "groupe_ref": "RG_CHORALE"},
        ),
        item(
            "decide",
            "g000000001",
            accepted=False,
            subject={
                **person("IFFE", "Inès", ine="987654321ZZ", line=8),
                "classe_ref": "200_CE1",
                "candidates": [
                    {
                        "user_id": 17,
                        "nom": "IFFA",
                        "prenom": "Inès",
                        "naissance": "2019-01-02",
                        "ine": "",
                        "login": "ine.iffa",
                        "sortie_date": "9999-12-31",
                        "classe": CE1,
                    },
                    {
                        "user_id": 18,
                        "nom": "IFFE",
                        "prenom": "Ines",
                        "naissance": "2019-01-02",
                        "ine": "",
                        "login": "ine.iffe",
                        "sortie_date": "2024-07-05",
                        "classe": "",
                    },
                ],
            },
            target={"pupil": "ine:987654321ZZ", "accounts": [17, 18]},
            reason={
                "rule": "fuzzy_typo",
                "line": 8,
                "situation": "ambiguous",
                "why": "names differ by at most 1 letter(s), same birth date; "
                "same names except case, accents, hyphens or spaces, same birth date",
            },
        ),
    ]
    return {
        "format_version": 1,
        "tool": "onde-sacoche 0.1.0",
        "generated_at": "2026-09-01T08:00:00+00:00",
        "today": "2026-09-01",
        "source": {"file": "export-test.csv", "format": "onde2-eleves", "format_confirmed": True},
        "rules": {"name": "test rules", "version": "1.0"},
        "state": {"url": "mysql://sacoche:s3cr3tDB@localhost/sacoche", "dialect": "mysql"},
        "summary": {"pupils_in_file": 40, "unchanged": 33},
        "held": True,
        "holds": [
            {
                "guard": "deactivations",
                "message": "12 pupils would be deactivated, 30% of the 40 active pupils",
                "figures": {"leaving": 12, "active": 40, "percent": 30, "max_count": 10, "max_percent": 15},
                "allow": "--allow deactivations",
                "allowed": False,
            },
            {
                "guard": "coverage",
                "message": "the file holds 40 pupils, 75% of the 53 active pupils",
                "figures": {"in_file": 40, "active": 53, "percent": 75, "min_percent": 80},
                "allow": "--allow coverage",
                "allowed": True,
            },
        ],
        "items": items,
        "left_alone": {
            "classes": [{"groupe_id": 20, "ref": "", "nom": "Classe faite main"}],
            "groups": [{"groupe_id": 21, "ref": "", "nom": "Soutien lecture"}],
        },
        "stale_decisions": ["reject: update-ffffffffff (no such item in this plan)"],
        "warnings": ["a group named 'Chorale' was made by hand in SACoche"],
    }


PASSWORDS = {"create-a000000001": "qz7kx9", "create-a000000002": "vb4np8"}


def cred(create_item: dict[str, Any], password: str) -> dict[str, str]:
    """An identifiants.csv row for a create item, as engine/planio.py writes it."""
    subject = create_item["subject"]
    return {
        "classe": subject["classe"],
        "nom": subject["nom"],
        "prenom": subject["prenom"],
        "login": create_item["target"]["login"],
        "mot_de_passe": password,
        "item": create_item["id"],
    }


def write_credentials(out: Path, plan: dict[str, Any], rows: list[dict[str, str]] | None = None) -> Path:
    if rows is None:
        rows = [cred(i, PASSWORDS[i["id"]]) for i in plan["items"] if i["kind"] == "create"]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "identifiants.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        fields = ["classe", "nom", "prenom", "login", "mot_de_passe", "item"]
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[dict[str, Any], Path, list[Path]]:
    plan = full_plan()
    write_credentials(tmp_path, plan)
    return plan, tmp_path, render_reports(plan, tmp_path)


def sections(html: str) -> dict[str, str]:
    """Class sections of rapport.html by heading, plus 'front' and 'structure'."""
    front, _, rest = html.partition('<section class="structure">')
    structure, _, rest = rest.partition("</section>")
    out = {"front": front, "structure": structure}
    for part in rest.split('<section class="classe">')[1:]:
        heading = re.search(r"<h2>Classe (.*?)</h2>", part)
        assert heading
        out[heading[1]] = part
    return out


def state_of(html: str, item_id: str) -> str:
    m = re.search(rf'<span class="id">n° {re.escape(item_id)}</span><span class="([a-z-]+)">', html)
    assert m, f"{item_id} not shown with its state"
    return m[1]


# --- wording ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "moved", "decisions", "expected"),
    [
        (
            {"create": 3, "deactivate": 2, "reactivate": 1, "update": 9},
            7,
            1,
            "3 nouveaux élèves, 2 départs, 1 retour, 9 mises à jour (dont 7 changements de classe), "
            "1 décision à prendre",
        ),
        ({"create": 1}, 0, 0, "1 nouvel élève"),
        ({"deactivate": 1, "reactivate": 2}, 0, 2, "1 départ, 2 retours, 2 décisions à prendre"),
        ({"update": 1}, 1, 0, "1 mise à jour (dont 1 changement de classe)"),
        ({"update": 4, "create": 0}, 0, 0, "4 mises à jour"),
        ({"create": 0, "update": 0}, 0, 0, "Aucun changement pour les élèves"),
        ({}, 0, 1, "1 décision à prendre"),
    ],
)
def test_summary_line_wording(counts: dict, moved: int, decisions: int, expected: str) -> None:
    assert summary_line(counts, moved, decisions) == expected


def test_structure_phrases_plural_and_zero() -> None:
    assert structure_phrases({"class_create": 1, "class_rename": 0, "group_create": 2}) == [
        "1 classe à créer",
        "2 groupes à créer",
    ]
    assert structure_phrases({"class_rename": 2, "membership_add": 1, "membership_remove": 3}) == [
        "2 classes renommées",
        "1 inscription dans un groupe",
        "3 retraits de groupes",
    ]
    assert structure_phrases({}) == []


def test_french_helpers() -> None:
    assert long_date_fr("2026-09-01") == "1er septembre 2026"
    assert long_date_fr("2026-11-29") == "29 novembre 2026"
    assert why_fr("names differ by at most 1 letter(s), same birth date") == (
        "les noms diffèrent d'au plus 1 lettre, même date de naissance"
    )
    assert why_fr("2 accounts have the same nom + prenom + naissance") == (
        "2 comptes ont les mêmes nom + prénom + date de naissance"
    )
    assert why_fr("something new") == "something new"


def test_view_counts_accepted_items_and_lists_unchecked_ones() -> None:
    view = build_view(full_plan())
    assert view["summary_line"] == (
        "1 nouvel élève, 2 départs, 1 retour, 2 mises à jour (dont 1 changement de classe), "
        "1 décision à prendre"
    )
    assert view["structure_line"] == (
        "1 classe à créer, 1 classe renommée, 1 groupe à créer, 2 inscriptions dans des groupes, "
        "1 retrait d'un groupe"
    )
    assert view["unchecked_line"] == "1 nouvel élève, 1 classe à retirer, 1 groupe à retirer"


# --- rapport.html -------------------------------------------------------------------------------------


def test_files_written_and_modes(rendered: tuple) -> None:
    _, out, written = rendered
    assert [p.name for p in written] == ["rapport.html", "resume.md", "identifiants.html"]
    assert stat.S_IMODE((out / "identifiants.html").stat().st_mode) == 0o600
    assert not (out / "rapport.html").read_text(encoding="utf-8").count("\ufffd")


def test_report_sections_and_summary_first(rendered: tuple) -> None:
    _, out, _ = rendered
    html = (out / "rapport.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert '<html lang="fr">' in html
    assert "export-test.csv" in text and "1er septembre 2026" in text
    order = [
        '<p class="resume">1 nouvel élève, 2 départs, 1 retour, 2 mises à jour '
        "(dont 1 changement de classe), 1 décision à prendre</p>",
        "<h2>À décider</h2>",
        "<h2>Points d'attention</h2>",
        "<h2>Classes et groupes</h2>",
        "<h3>Laissés tels quels</h3>",
        f"<h2>Classe {CP}</h2>",
    ]
    positions = [html.index(s) for s in order]
    assert positions == sorted(positions)
    assert "Non cochés, ne seront pas appliqués sans votre accord" in text
    assert "Plan bloqué" in text


def test_every_item_shows_its_id_and_state(rendered: tuple) -> None:
    plan, out, _ = rendered
    html = (out / "rapport.html").read_text(encoding="utf-8")
    # every pupils' kind (the parents' section of the report is another increment: docs/parents.md)
    assert {i["kind"] for i in plan["items"]} == set(ITEM_KINDS) - set(PARENT_KINDS)
    for it in plan["items"]:
        if it["kind"] == "decide":
            assert f'Réponse à saisir pour le n° <span class="id">{it["id"]}</span>' in html
            continue
        assert state_of(html, it["id"]) == ("coche" if it["accepted"] else "non-coche"), it["id"]
    assert "non coché" in html and "coché" in html


def test_per_class_grouping(rendered: tuple) -> None:
    _, out, _ = rendered
    parts = sections((out / "rapport.html").read_text(encoding="utf-8"))
    # school order (CP before CE1 before CE2), one section per class with pupil items
    assert [k for k in parts if k not in ("front", "structure")] == [CP, CE1, CE2_NEW]
    where = {
        "create-a000000001": CP,
        "create-a000000002": CP,
        "update-b000000001": CP,
        "update-b000000002": CP,
        "membership_add-f000000001": CP,  # subject.classe
        "membership_remove-f000000002": CP,  # the same pupil's update
        "deactivate-c000000001": CE1,
        "reactivate-d000000001": CE1,
        "deactivate-c000000002": CE2_NEW,  # old class name, renamed by the plan
        "membership_add-f000000003": "structure",  # no class known
        "class_create-e000000001": "structure",
        "class_rename-e000000002": "structure",
        "class_retire-e000000003": "structure",
        "archive-e000000006": "structure",
        "group_create-e000000004": "structure",
        "group_retire-e000000005": "structure",
        "decide-g000000001": "front",
    }
    for item_id, section in where.items():
        holders = [name for name, body in parts.items() if item_id in body]
        assert holders == [section], item_id
    cp = parts[CP]
    # each table's title (repeated with the header on every page it spans) names the class
    for title in ("Arrivées", "Mises à jour", "Groupes"):
        assert f'">{title} <span class="suite">· classe {CP}</span></th></tr>' in cp
    assert '">Départs <span' not in cp and '">Retours <span' not in cp
    assert "Prénom : Chloe<span" in cp and "Chloé" in cp
    assert "Date de naissance : 03/01/2019" in cp
    assert f"Classe : {CE1}<span" in cp  # the old class's name, known from another item
    assert "Anciennement « [CE2] CE2 M. Ancien »" in parts[CE2_NEW]
    assert "Retours" in parts[CE1] and "04/07/2025" in parts[CE1]
    assert "Soutien lecture" in parts["structure"] and "Classe faite main" in parts["structure"]


def test_decisions_side_by_side_and_holds_in_french(rendered: tuple) -> None:
    _, out, _ = rendered
    front = htmllib.unescape(sections((out / "rapport.html").read_text(encoding="utf-8"))["front"])
    assert "Compte SACoche n° 17" in front and "Compte SACoche n° 18" in front
    assert "ine.iffa" in front and "ine.iffe" in front
    assert "ancien élève, sorti le 05/07/2024" in front
    assert '<td class="diff">IFFA</td>' in front and '<td class="diff">Ines</td>' in front
    assert "les noms diffèrent d'au plus 1 lettre, même date de naissance ; mêmes noms aux" in front
    assert "Trop de départs" in front and "--allow" not in front and "deactivations" not in front
    assert "12 élèves seraient désactivés, soit 30 % des 40 élèves actifs" in front
    # the allowed guard is a point of attention, not a decision
    attention = front.split("Points d'attention")[1]
    assert "Export incomplet ?" in attention and "coverage" not in attention
    assert "update-ffffffffff" in attention and "made by hand" in attention


def test_no_password_and_no_db_secret_in_report(rendered: tuple) -> None:
    _, out, _ = rendered
    for name in ("rapport.html", "resume.md"):
        text = (out / name).read_text(encoding="utf-8")
        for password in PASSWORDS.values():
            assert password not in text, name
        assert "s3cr3tDB" not in text
    assert "identifiants.html" in (out / "rapport.html").read_text(encoding="utf-8")


def test_print_css_and_no_script_or_external_resource(rendered: tuple) -> None:
    _, out, _ = rendered
    for name in ("rapport.html", "identifiants.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert "<script" not in html.lower() and "<link" not in html.lower()
        assert not re.search(r"\b(src|href)\s*=|url\(|@import", html, re.IGNORECASE), name
        assert "@page { size: A4;" in html and "thead { display: table-header-group; }" in html
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert "section.classe, section.structure { break-inside: avoid;" in report  # classes share pages
    assert "break-before: page" not in report
    assert "break-inside: avoid" in (out / "identifiants.html").read_text(encoding="utf-8")


def test_autoescape(tmp_path: Path) -> None:
    plan = full_plan()
    evil = create("a000000009", "<script>alert(1)</script>", "Paul & Léa", CP, "pau.script", "100_CP")
    plan["items"].append(evil)
    plan["source"]["file"] = "export <b>.csv"
    write_credentials(tmp_path, plan, [cred(evil, "<i>x&y")])
    render_reports(plan, tmp_path)
    for name in ("rapport.html", "identifiants.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
        assert "Paul &amp; Léa" in html and "Paul & Léa" not in html, name
    assert "export &lt;b&gt;.csv" in (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert "&lt;i&gt;x&amp;y" in (tmp_path / "identifiants.html").read_text(encoding="utf-8")


# --- identifiants.html ----------------------------------------------------------------------------------


def test_sheet_lists_only_accepted_creates(tmp_path: Path) -> None:
    plan = full_plan()
    plan["items"].append(create("a000000003", "CHARME", "Cali", CE1, "cal.charme", "200_CE1"))
    plan["items"].append(create("a000000004", "DOUGLAS", "Dan", CE1, "dan.douglas", "200_CE1"))
    by_id = {i["id"]: i for i in plan["items"]}
    rows = [
        cred(by_id["create-a000000001"], "qz7kx9"),
        cred(by_id["create-a000000002"], "vb4np8"),  # unchecked by a reviewer
        cred(by_id["create-a000000001"], "hh3hh3") | {"item": "create-0"},  # no such item any more
        # its login is not the plan's: its password belongs to another account
        cred(by_id["create-a000000003"], "kk5kk5") | {"login": "cal.charm2"},
    ]
    write_credentials(tmp_path, plan, rows)
    written = render_reports(plan, tmp_path)
    sheet = (tmp_path / "identifiants.html").read_text(encoding="utf-8")
    assert stat.S_IMODE((tmp_path / "identifiants.html").stat().st_mode) == 0o600
    assert tmp_path / "identifiants.html" in written
    assert "qz7kx9" in sheet and "ali.arbre" in sheet
    for absent in ("vb4np8", "BOULEAU", "hh3hh3", "kk5kk5", "cal.charm2"):
        assert absent not in sheet
    assert sheet.count('<div class="carte">') == 1
    assert "adresse de votre SACoche" in sheet and f"Classe {CP}" in sheet
    # the report names the accepted new pupils that have no card
    report = htmllib.unescape((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    attention = report.split("Points d'attention")[1]
    assert "2 nouveaux élèves cochés n'ont pas d'identifiants" in attention
    assert "create-a000000003" in attention and "create-a000000004" in attention


def test_sheet_grouped_by_class_with_page_breaks(tmp_path: Path) -> None:
    plan = full_plan()
    extra = [
        create("a000000005", "ZAN", "Zoé", CE1, "zoe.zan", "200_CE1"),
        create("a000000006", "YEUSE", "Yann", CE1, "yan.yeuse", "200_CE1"),
    ]
    plan["items"] += extra
    rows = [cred(i, f"pw{n}xx") for n, i in enumerate([plan["items"][0], *extra])]
    write_credentials(tmp_path, plan, rows)
    render_reports(plan, tmp_path)
    sheet = (tmp_path / "identifiants.html").read_text(encoding="utf-8")
    pages = sheet.split('<section class="classe-cartes">')[1:]
    assert [re.search(r"<h2>Classe (.*?) :", p)[1] for p in pages] == [CP, CE1]
    assert pages[1].count('<div class="carte">') == 2
    assert pages[1].index("YEUSE") < pages[1].index("ZAN")
    assert "break-before: page" not in sheet  # classes share pages, cards are never cut


def test_no_sheet_without_accepted_creates_and_stale_sheet_removed(tmp_path: Path) -> None:
    plan = full_plan()
    write_credentials(tmp_path, plan)
    render_reports(plan, tmp_path)
    assert (tmp_path / "identifiants.html").exists()
    for it in plan["items"]:
        if it["kind"] == "create":
            it["accepted"] = False
    written = render_reports(plan, tmp_path)
    assert [p.name for p in written] == ["rapport.html", "resume.md"]
    assert not (tmp_path / "identifiants.html").exists()
    assert "identifiants.html" not in (tmp_path / "rapport.html").read_text(encoding="utf-8")


def test_no_credentials_file_no_sheet(tmp_path: Path) -> None:
    written = render_reports(full_plan(), tmp_path)
    assert [p.name for p in written] == ["rapport.html", "resume.md"]
    assert (
        "create-a000000001"
        in (tmp_path / "rapport.html").read_text(encoding="utf-8").split("Points d'attention")[1]
    )


# --- resume.md ------------------------------------------------------------------------------------------


def test_resume_md_has_counts_and_classes_but_no_names(rendered: tuple) -> None:
    plan, out, _ = rendered
    md = (out / "resume.md").read_text(encoding="utf-8")
    assert md.startswith("**Plan bloqué : 12 départs pour 40 élèves — trop de départs ?**\n\n# Mise à jour")
    assert (
        "**1 nouvel élève, 2 départs, 1 retour, 2 mises à jour (dont 1 changement de classe), "
        "1 décision à prendre**"
    ) in md
    assert "Classes et groupes : 1 classe à créer, 1 classe renommée" in md
    assert "33 élèves du fichier sans changement." in md
    assert "Trop de départs" in md and "--allow" not in md
    assert "`decide-g000000001` : ligne 8 du fichier, noms presque identiques, 2 comptes possibles" in md
    assert f"| {CP} | 2 | 0 | 0 | 2 | 2 |" in md
    assert f"| {CE2_NEW} | 0 | 1 | 0 | 0 | 0 |" in md
    assert "Identifiants du nouvel élève : identifiants.html" in md
    names = set()
    for it in plan["items"]:
        names |= {it["subject"].get("nom"), it["subject"].get("prenom")}
        names |= {c["nom"] for c in it["subject"].get("candidates", [])}
        names |= {it["target"].get("login")}
    for name in names - {None, ""}:
        assert name not in md, name
    assert "<" not in md.replace("\\<", "")


def test_per_class_stats_when_the_plan_has_them(tmp_path: Path) -> None:
    plan = full_plan()
    plan["summary"]["by_class"] = {CP: {"pupils_in_file": 21, "unchanged": 17}}
    render_reports(plan, tmp_path)
    cp = sections((tmp_path / "rapport.html").read_text(encoding="utf-8"))[CP]
    assert (
        "21 élèves dans le fichier : 2 nouveaux élèves (dont 1 non coché), 2 mises à jour, "
        "1 changement de classe compris, 17 sans changement." in cp
    )


def test_empty_plan(tmp_path: Path) -> None:
    plan = {
        "today": "2026-09-01",
        "source": {"file": "x.csv"},
        "state": {"url": "sqlite:///x.db"},
        "summary": {"unchanged": 12},
        "items": [],
        "holds": [],
        "left_alone": {"classes": [], "groups": []},
    }
    render_reports(plan, tmp_path)
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert "Aucun changement pour les élèves" in html and "Rien à décider." in html
    assert '<section class="structure">' not in html and '<section class="classe">' not in html
    assert "Classes et groupes : aucun changement" in (tmp_path / "resume.md").read_text(encoding="utf-8")


# --- golden: the bundled example ----------------------------------------------------------------------


def test_golden_example_report(tmp_path: Path) -> None:
    plan = example_report_plan(tmp_path)
    render_reports(plan, tmp_path)
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    golden = GOLDEN / "rapport-exemple.html"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(html, encoding="utf-8")
    assert golden.is_file(), "run once with UPDATE_GOLDEN=1 to create the golden file"
    assert html == golden.read_text(encoding="utf-8"), (
        "rapport.html changed: check it (tests/browser prints it), then UPDATE_GOLDEN=1"
    )
    with (tmp_path / "identifiants.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            assert row["mot_de_passe"] not in html
