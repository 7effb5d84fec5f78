"""rapport.html's tables and the login sheet's cards, built as HTML in Python (engine.render.report_tables,
engine.render.sheets.cards_html): each row is what the template loop it replaced printed, byte for byte,
its values escaped as Jinja's autoescape escapes them, whatever the values hold (markup, quotes, the
separator of the one-call escape, numbers, None). Invented names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from engine.render.documents import environment, escape_all, filled
from engine.render.report import render_reports
from engine.render.report_parents_rows import PARENT_TABLES
from engine.render.sheets import cards_html

STATUS = (
    '<tr{% if not r.accepted %} class="non-coche"{% endif %}>'
    '<td class="etat"><span class="id">n° {{ r.id }}</span>'
    '{% if r.accepted %}<span class="coche">coché</span>{% else %}<span class="non-coche">non coché</span>'
    "{% endif %}</td>"
)
PUPIL = (
    '<td><b>{{ r.nom }}</b> {{ r.prenom }}<br><span class="discret">né(e) le {{ r.naissance }} · identifiant '
    "{{ r.login }}{% if r.line %} · ligne {{ r.line }}{% endif %}{% if r.how %}, {{ r.how }}{% endif %}"
    "</span></td>"
)
CHANGES = (
    '<td>{% if r.changes %}<ul class="changements">{% for ch in r.changes %}<li>{{ ch.label }} : {{ ch.old }}'
    '<span class="fleche">→</span>{{ ch.new }}</li>{% endfor %}</ul>{% else %}—{% endif %}</td>'
)
#: the rows of the template loops the Python rows replaced (templates/report/rapport.html before)
TEMPLATE_ROWS = {
    "create": STATUS
    + "<td>{{ r.nom }}</td><td>{{ r.prenom }}</td><td>{{ r.naissance }}</td><td>{{ r.genre }}"
    "</td><td>{{ r.ine }}</td><td>{{ r.login }}</td><td>{{ r.line }}</td></tr>",
    "deactivate": STATUS
    + "<td>{{ r.nom }}</td><td>{{ r.prenom }}</td><td>{{ r.naissance }}</td><td>{{ r.login }}"
    "</td><td>{{ r.leaves_on }}</td></tr>",
    "reactivate": STATUS + PUPIL + "<td>{{ r.left_on }}</td>" + CHANGES + "</tr>",
    "update": STATUS + PUPIL + CHANGES + "</tr>",
    "membership": STATUS
    + '<td><b>{{ r.nom }}</b> {{ r.prenom }}<br><span class="discret">identifiant {{ r.login }}'
    "</span></td><td>{{ r.groupe }}</td><td>{{ r.action }}</td></tr>",
}
CLASSE = "[CP] CP A&B"
ODD = "O'B <i>&\"\x00"  # markup, both quotes and the separator of the one-call escape


def template_row(kind: str, **row: Any) -> str:
    return environment().from_string(TEMPLATE_ROWS[kind]).render(r=row)


def item(kind: str, suffix: str, accepted: bool = True, **parts: Any) -> dict[str, Any]:
    return {"id": f"{kind}-{suffix}", "kind": kind, "accepted": accepted, **parts}


def odd_plan() -> dict[str, Any]:
    pupil = {"nom": ODD, "prenom": "Zoé & Léa", "naissance": "2019-01-02", "classe": CLASSE}
    return {
        "today": "2026-09-01",
        "items": [
            item(
                "create",
                "a1",
                accepted=False,
                subject={**pupil, "ine": ""},
                target={"login": "zoe<"},
                changes={"user_genre": {"new": "I"}},
                reason={"line": None},
            ),
            item(
                "update",
                "b1",
                subject=pupil,
                target={"login": ODD},
                changes={
                    "user_nom": {"old": "A&B", "new": ODD},
                    "eleve_classe_id": {"old": "9_X&Y", "new": "1_CP"},
                },
                reason={"line": 12, "tier": "tier_of_later<version>"},
            ),
            item(
                "update",
                "b2",
                subject={**pupil, "nom": "PLAIN"},
                target={},
                changes={},
                reason={"line": "7", "tier": "ine"},
            ),
            item(
                "reactivate",
                "c1",
                subject=pupil,
                target={"login": "zl"},
                changes={"user_sortie_date": {"old": "2025-07-04", "new": "9999-12-31"}},
                reason={"line": 0},
            ),
            item(
                "deactivate",
                "d1",
                subject=pupil,
                target={"login": "z'l"},
                changes={"user_sortie_date": {"new": "2026-09-01"}},
                reason={"situation": "active_without_class"},
            ),
            item(
                "membership_add",
                "e1",
                subject={**pupil, "groupe": "Jardin d'école"},
                target={"login": None},
            ),
        ],
    }


@pytest.fixture
def report(tmp_path: Path) -> str:
    render_reports(odd_plan(), tmp_path)
    return (tmp_path / "rapport.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "values",
    [
        [],
        ["plain", "text"],
        ["O'B", '<i a="1">', "&amp;", ""],
        [ODD, "x"],  # the separator inside a value: one value at a time
        [12, None, True, 1.5, "é"],  # not text: str() first, as the template printed them
    ],
)
def test_escape_all_is_markupsafe_one_value_at_a_time(values: list[Any]) -> None:
    assert escape_all(values) == [str(escape(v)) for v in values]
    assert filled("{}|" * len(values), values) == "".join(f"{escape(v)}|" for v in values)


def test_each_row_is_the_template_loop_s_row(report: str) -> None:
    pupil = {"nom": ODD, "prenom": "Zoé & Léa", "naissance": "02/01/2019"}
    rows = [
        template_row(
            "create",
            id="create-a1",
            accepted=False,
            **pupil,
            genre="non précisé",
            ine="—",
            login="zoe<",
            line=None,
        ),
        template_row(
            "update",
            id="update-b1",
            accepted=True,
            **pupil,
            login=ODD,
            line=12,
            how="reconnu par la règle tier_of_later<version>",
            changes=[
                {"label": "Nom", "old": "A&B", "new": ODD},
                {"label": "Classe", "old": "réf. 9_X&Y", "new": CLASSE},  # named by its pupil
            ],
        ),
        template_row(
            "update",
            id="update-b2",
            accepted=True,
            **pupil | {"nom": "PLAIN"},
            login="—",
            line="7",
            how="reconnu par l'INE",
            changes=[],
        ),
        template_row(
            "reactivate",
            id="reactivate-c1",
            accepted=True,
            **pupil,
            login="zl",
            line=0,
            how="",
            left_on="04/07/2025",
            changes=[],
        ),
        template_row(
            "deactivate",
            id="deactivate-d1",
            accepted=True,
            **pupil,
            login="z'l",
            leaves_on="01/09/2026 (dans le fichier, mais sans classe)",
        ),
        template_row(
            "membership",
            id="membership_add-e1",
            accepted=True,
            nom=ODD,
            prenom="Zoé & Léa",
            login="—",
            groupe="Jardin d'école",
            action="ajout",
        ),
    ]
    for row in rows:  # a line of its table each (the two updates share theirs)
        assert f"\n{row}\n" in report
    assert "\x00" in report and "<i>" not in report  # the value kept, its markup escaped


def test_rows_of_a_table_are_one_a_line_in_order(tmp_path: Path) -> None:
    plan = odd_plan()
    plan["items"] = [
        item("deactivate", s, subject={"nom": nom, "prenom": "P", "classe": CLASSE}, target={}, changes={})
        for s, nom in (("1", "ZED"), ("2", "ABE"), ("3", "ABE"))
    ]
    render_reports(plan, tmp_path)
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    body = html.split("<tbody>\n")[1].split("\n</tbody>")[0].split("\n")
    assert [line.split("n° ")[1].split("<")[0] for line in body] == [
        "deactivate-2",
        "deactivate-3",
        "deactivate-1",
    ]


def test_cards_are_the_template_loop_s_cards() -> None:
    card = """<div class="carte">
<span class="ciseaux">✂</span>
<div class="titre">SACoche — {{ c.prenom }} {{ c.nom }}</div>
<table>
<tr><th>Nom</th><td>{{ c.nom }}</td></tr>
<tr><th>Prénom</th><td>{{ c.prenom }}</td></tr>
<tr><th>Classe</th><td>{{ c.classe }}</td></tr>
<tr><th>Identifiant</th><td class="secret">{{ c.login }}</td></tr>
<tr><th>Mot de passe</th><td class="secret">{{ c.password }}</td></tr>
</table>
<p class="adresse">Se connecter à l'adresse de votre SACoche : ______________________________</p>
</div>
"""
    cards = [
        {"nom": ODD, "prenom": "Zoé", "classe": CLASSE, "login": "z<", "password": "p'\"&"},
        {"nom": "B", "prenom": "C", "classe": CLASSE, "login": "bc", "password": "{}"},
    ]
    loop = environment().from_string("{% for c in cards %}" + card + "{% endfor %}").render(cards=cards)
    assert cards_html(cards) + "\n" == loop


#: the former macros of templates/report/rapport_parents.html and its four row loops' rows
PARENT_MACROS = (
    '{% macro etat_p(r) %}<td class="etat"><span class="id">n° {{ r.id }}</span>'
    '{% if r.accepted %}<span class="coche">coché</span>{% else %}<span class="non-coche">'
    "non coché</span>{% endif %}</td>{% endmacro %}{% macro responsable(r) %}<b>{{ r.name }}</b>"
    '<br><span class="discret">{% if r.new_account %}nouveau compte, {% endif %}'
    "identifiant {{ r.login }}{% if r.line %} · ligne {{ r.line }}{% endif %}{% if r.how %}"
    ", {{ r.how }}{% endif %}</span>{% endmacro %}{% macro enfants(children) %}"
    "{% for c in children %}{{ c.prenom }} {{ c.nom }}{% if c.classe %} ({{ c.classe }}"
    '){% endif %}{% if c.new %} <span class="discret">nouvel élève</span>{% endif %}'
    "{% if not loop.last %}<br>{% endif %}{% else %}—{% endfor %}{% endmacro %}"
)
PARENT_TEMPLATE_ROWS = {
    "creates": (
        '<tr{% if not r.accepted %} class="non-coche"{% endif %}>{{ etat_p(r) }}<td><b>{{ r.name }}'
        '</b><br><span class="discret">identifiant {{ r.login }}</span></td><td>'
        "{{ enfants(r.children) }}</td><td>{{ r.email }}</td><td>{{ r.line }}</td></tr>"
    ),
    "links": (
        '<tr{% if not r.accepted %} class="non-coche"{% endif %}>{{ etat_p(r) }}<td>'
        "{{ responsable(r) }}</td><td>{{ r.child.prenom }} {{ r.child.nom }}{% if r.child.classe %}"
        " ({{ r.child.classe }}){% endif %}{% if not r.child.nom and r.child.login %}"
        "identifiant {{ r.child.login }}{% endif %}</td><td>{{ r.action }}</td></tr>"
    ),
    "details": (
        '<tr{% if not r.accepted %} class="non-coche"{% endif %}>{{ etat_p(r) }}<td>'
        '{{ responsable(r) }}</td><td>{% if r.kind == "parent_reactivate" %}'
        "Retour d'un ancien responsable (sorti le {{ r.left_on }}){% if r.changes %}<br>{% endif %}"
        '{% endif %}{% if r.changes %}<ul class="changements">{% for ch in r.changes %}<li>'
        '{{ ch.label }} : {{ ch.old }}<span class="fleche">→</span>{{ ch.new }}</li>{% endfor %}</ul>'
        '{% elif r.kind != "parent_reactivate" %}—{% endif %}</td></tr>'
    ),
    "deactivates": (
        '<tr{% if not r.accepted %} class="non-coche"{% endif %}>{{ etat_p(r) }}<td>'
        "{{ responsable(r) }}</td><td>{{ r.why }}{% if r.active_children %}"
        " : {{ enfants(r.active_children) }}{% elif r.active_count %}"
        ' ({{ r.active_count|plural("enfant", "enfants") }}){% endif %}</td><td>{{ r.leaves_on }}'
        "</td></tr>"
    ),
}


def parent(**row: Any) -> dict[str, Any]:
    base = {"id": "parent-x1", "accepted": True, "kind": "parent_update", "name": ODD, "login": "p<"}
    return base | {"new_account": False, "line": None, "how": "", "changes": []} | row


def test_parents_rows_are_the_template_loops_rows() -> None:
    child = {"nom": ODD, "prenom": "Léa", "classe": CLASSE, "login": "l'a", "new": True}
    plain = {"nom": "", "prenom": "", "classe": "", "login": "x&y", "new": False}
    change = {"label": "Courriel", "old": "(vide)", "new": "a&b@c"}
    tables = {
        "creates": [
            parent(kind="parent_create", accepted=False, children=[child, plain], email="a<b", line=3),
            parent(kind="parent_create", children=[], email="(vide)", line=None),
        ],
        "links": [
            parent(kind="parent_link", child=child, action="rattaché(e)", new_account=True, line=4),
            parent(kind="parent_unlink", child=plain, action="détaché(e)", how="reconnu par son courriel"),
        ],
        "details": [
            parent(changes=[change, change]),
            parent(kind="parent_reactivate", left_on="04/07/2025", changes=[change]),
            parent(kind="parent_reactivate", left_on="04/07/2025"),
            parent(kind="parent_address"),
        ],
        "deactivates": [
            parent(why="plus d'enfant", active_children=[child], active_count=1, leaves_on="—"),
            parent(why="why", active_children=[], active_count=2, leaves_on="01/09/2026"),
            parent(why="why", active_children=[], active_count=0, leaves_on="01/09/2026"),
        ],
    }
    for key, rows in tables.items():
        loop = "{% for r in rows %}" + PARENT_TEMPLATE_ROWS[key] + "\n{% endfor %}"
        expected = environment().from_string(PARENT_MACROS + loop).render(rows=rows)
        assert PARENT_TABLES[key](rows) + "\n" == expected, key
