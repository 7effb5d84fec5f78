"""The rows of the parents' tables of rapport.html, built as HTML in Python (as the pupils' rows are,
:mod:`engine.render.report_tables`): a large export of responsables makes tens of thousands of rows,
each of which called three template macros.

Each function takes the row dicts of :func:`~engine.render.report_parents.parents_view` (already sorted)
and gives the Markup the template prints inside the table's ``<tbody>``: the shapes of the former
macros ``etat_p``, ``responsable`` and ``enfants`` of ``templates/report/rapport_parents.html``, with a
``{}`` per value, filled and escaped at once by :func:`~engine.render.documents.filled`. Byte for byte
what the template loops printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from engine.render.documents import filled
from engine.render.french import plural
from engine.render.report_tables import CHANGE_SHAPE, STATUS_SHAPE

__all__ = ["PARENT_TABLES"]

Row = Mapping[str, Any]


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


def _responsable(r: Row, values: list[Any]) -> str:
    """``<b>Name</b><br><span class="discret">[nouveau compte, ]identifiant …[ · ligne N][, how]</span>``."""
    shape = (
        '<b>{}</b><br><span class="discret">'
        + ("nouveau compte, " if r["new_account"] else "")
        + "identifiant {}"
    )
    values += (r["name"], r["login"])
    if r["line"]:
        shape += " · ligne {}"
        values.append(_text(r["line"]))
    if r["how"]:
        shape += ", {}"
        values.append(r["how"])
    return shape + "</span>"


def _children(children: Iterable[Row], values: list[Any]) -> str:
    """``Prénom Nom[ (classe)][ <span class="discret">nouvel élève</span>]``, one a line, or ``—``."""
    parts = []
    for c in children:
        part = "{} {}"
        values += (c["prenom"], c["nom"])
        if c["classe"]:
            part += " ({})"
            values.append(c["classe"])
        if c["new"]:
            part += ' <span class="discret">nouvel élève</span>'
        parts.append(part)
    return "<br>".join(parts) if parts else "—"


def _table(rows: Iterable[Row], row_shape: Any) -> Markup:
    """The rows one a line: ``row_shape(r, values)`` gives a row's cells after its status, appending its
    values to ``values``."""
    shapes: list[str] = []
    values: list[Any] = []
    for r in rows:
        values.append(r["id"])
        status = STATUS_SHAPE[bool(r["accepted"])]
        shapes.append(status + row_shape(r, values) + "</tr>")
    return filled("\n".join(shapes), values) if shapes else Markup()


def _create(r: Row, values: list[Any]) -> str:
    """Nouveaux comptes: the parent and its login, the children, the e-mail, the file's line."""
    values += (r["name"], r["login"])
    cells = '<td><b>{}</b><br><span class="discret">identifiant {}</span></td><td>'
    cells += _children(r["children"], values) + "</td><td>{}</td><td>{}</td>"
    values += (r["email"], _text(r["line"]))
    return cells


def _link(r: Row, values: list[Any]) -> str:
    """Enfants rattachés et détachés: the parent, the child (« identifiant … » when it has no name), what."""
    cells = "<td>" + _responsable(r, values) + "</td><td>{} {}"
    child = r["child"]
    values += (child["prenom"], child["nom"])
    if child["classe"]:
        cells += " ({})"
        values.append(child["classe"])
    if not child["nom"] and child["login"]:
        cells += "identifiant {}"
        values.append(child["login"])
    values.append(r["action"])
    return cells + "</td><td>{}</td>"


def _detail(r: Row, values: list[Any]) -> str:
    """Coordonnées et retours: the parent, then a return's date and the changes (before → after)."""
    cells = "<td>" + _responsable(r, values) + "</td><td>"
    back = r["kind"] == "parent_reactivate"
    if back:
        cells += "Retour d'un ancien responsable (sorti le {})" + ("<br>" if r["changes"] else "")
        values.append(r["left_on"])
    if r["changes"]:
        cells += '<ul class="changements">' + CHANGE_SHAPE * len(r["changes"]) + "</ul>"
        for ch in r["changes"]:
            values += (ch["label"], ch["old"], ch["new"])
    elif not back:
        cells += "—"
    return cells + "</td>"


def _deactivate(r: Row, values: list[Any]) -> str:
    """Comptes désactivés: the parent, why (its active children, or how many), the date of leaving."""
    cells = "<td>" + _responsable(r, values) + "</td><td>{}"
    values.append(r["why"])
    if r["active_children"]:
        cells += " : " + _children(r["active_children"], values)
    elif r["active_count"]:
        cells += " ({})"
        values.append(plural(int(r["active_count"]), "enfant", "enfants"))
    values.append(r["leaves_on"])
    return cells + "</td><td>{}</td>"


#: a class's parent tables (parents_view's groups) → the HTML of their rows
PARENT_TABLES = {
    "creates": lambda rows: _table(rows, _create),
    "links": lambda rows: _table(rows, _link),
    "details": lambda rows: _table(rows, _detail),
    "deactivates": lambda rows: _table(rows, _deactivate),
}
