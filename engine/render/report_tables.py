"""The rows of rapport.html's pupil tables (and of its structure table), built as HTML in Python: the
report's hot loops.

A changed-heavy plan's report has tens of thousands of rows. Each used to be a dict, then a template
loop over its cells (most of the report's time went to Jinja's per-cell work). Here each item becomes a
:class:`Row`: its values (the text of its cells, not escaped) and its *shape*, the row's HTML with a
``{}`` where each value goes (the ``*_SHAPE`` constants below, the template's own markup). A whole
table is then made at once by :func:`table_html` (:func:`~engine.render.documents.filled`): its values
escaped with markupsafe's ``escape`` in one call, put into the shapes of its rows with one
``str.format``. The page itself (sections, headings, table heads) stays in
``templates/report/rapport.html``, and the output is byte for byte that of the template loops these
functions replace (values are escaped as the template's autoescape did).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from engine.render.documents import filled
from engine.render.french import date_fr
from engine.render.report_rows import FIELD_LABELS, TIER_TEXT, Names, value_fr

__all__ = ["ROW_BUILDERS", "Row", "membership_row", "structure_html", "table_html"]

#: the opening of every row and its number-and-state cell, for an accepted item and for the others
STATUS_SHAPE = {
    True: '<tr><td class="etat"><span class="id">n° {}</span><span class="coche">coché</span></td>',
    False: '<tr class="non-coche"><td class="etat"><span class="id">n° {}</span>'
    '<span class="non-coche">non coché</span></td>',
}
#: Arrivées: nom, prénom, naissance, sexe, INE, identifiant, ligne
CREATE_SHAPE = "<td>{}</td>" * 7 + "</tr>"
#: Départs: nom, prénom, naissance, identifiant, date de sortie
DEACTIVATE_SHAPE = "<td>{}</td>" * 5 + "</tr>"
#: Groupes: the pupil (nom, prénom, identifiant), the group, ajout or retrait
MEMBERSHIP_SHAPE = (
    '<td><b>{}</b> {}<br><span class="discret">identifiant {}</span></td><td>{}</td><td>{}</td></tr>'
)
#: the structure table: what, detail
STRUCTURE_SHAPE = "<td>{}</td><td>{}</td></tr>"
#: the pupil cell of the returns and updates (nom, prénom, naissance, identifiant[, ligne]), up to how the
#: pupil was recognised, by whether the row has a line
PUPIL_CELL_SHAPE = {
    line: '<td><b>{}</b> {}<br><span class="discret">né(e) le {} · identifiant {}'
    + (" · ligne {}" if line else "")
    for line in (False, True)
}
#: how the pupil was recognised, a known tier's text already in the shape (escaped), else a value
HOW_SHAPE = {
    text: ", " + str(escape(text)).replace("{", "{{").replace("}", "}}") for text in TIER_TEXT.values()
}
#: one change (label, old, new) in a row's list of changes
CHANGE_SHAPE = '<li>{} : {}<span class="fleche">→</span>{}</li>'


class Row(NamedTuple):
    """One row of a table: its sort key, whether its item is accepted, its shape (HTML with a ``{}`` per
    value, no newline) and values (not escaped), whether an update moves the pupil to another class, and
    a membership's ``ajout`` or ``retrait`` (what the class's summary line counts)."""

    key: tuple[Any, ...]  # a class's tables: nom, prénom, item id (homonyms in a stable order)
    accepted: bool
    shape: str
    values: tuple[Any, ...]
    moves: bool = False
    action: str = ""


def table_html(rows: Iterable[Row]) -> Markup:
    """A table's rows, one a line, each value escaped (the template prints them inside ``<tbody>``)."""
    rows = list(rows)
    if not rows:
        return Markup()
    return filled("\n".join(row.shape for row in rows), [value for row in rows for value in row.values])


def _how(reason: Mapping[str, Any]) -> str:
    """How the pupil was recognised (its tier in French), or ``""``."""
    tier = reason.get("tier")
    return TIER_TEXT.get(tier or "", f"reconnu par la règle {tier}") if tier else ""


@lru_cache(maxsize=64)
def _changes_shape(count: int) -> str:
    """The cell of a row's other changes: a list of ``count`` changes, or ``—`` when there is none."""
    return f'<td><ul class="changements">{CHANGE_SHAPE * count}</ul></td>' if count else "<td>—</td>"


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


def _pupil_row(
    item: Mapping[str, Any], names: Names, cells: str, extra: tuple[Any, ...], skip: str, moves: bool = False
) -> Row:
    """A return or an update: status, the pupil cell, ``cells`` with their values ``extra``, then the
    changes but ``skip``'s (before → after)."""
    subject, reason, accepted = item.get("subject", {}), item.get("reason", {}), bool(item.get("accepted"))
    line, how = names.line(reason.get("line")), _how(reason)
    key = (subject.get("nom", ""), subject.get("prenom", ""), item.get("id", ""))
    values = [
        key[2],
        key[0],
        key[1],
        date_fr(subject.get("naissance")),
        item.get("target", {}).get("login") or "—",
    ]
    if line:
        values.append(_text(line))
    how_shape = HOW_SHAPE.get(how) if how else ""
    if how_shape is None:  # a tier of a later version: its text is a value
        how_shape = ", {}"
        values.append(how)
    values += extra
    changes = item.get("changes", {})
    count = 0
    for column, change in changes.items():
        if column != skip:
            label = FIELD_LABELS.get(column, column)
            values += (
                label,
                value_fr(column, change.get("old"), names),
                value_fr(column, change.get("new"), names),
            )
            count += 1
    shape = STATUS_SHAPE[accepted] + PUPIL_CELL_SHAPE[bool(line)] + how_shape + "</span></td>" + cells
    shape += _changes_shape(count)
    return Row(key, accepted, shape + "</tr>", tuple(values), moves)


def create_row(item: Mapping[str, Any], names: Names) -> Row:
    """Arrivées: status, then :data:`CREATE_SHAPE`'s cells."""
    subject, accepted = item.get("subject", {}), bool(item.get("accepted"))
    key = (subject.get("nom", ""), subject.get("prenom", ""), item.get("id", ""))
    values = (
        key[2],
        key[0],
        key[1],
        date_fr(subject.get("naissance")),
        value_fr("user_genre", item.get("changes", {}).get("user_genre", {}).get("new"), names),
        subject.get("ine") or "—",
        item.get("target", {}).get("login") or "—",
        _text(names.line(item.get("reason", {}).get("line"))),
    )
    return Row(key, accepted, STATUS_SHAPE[accepted] + CREATE_SHAPE, values)


def deactivate_row(item: Mapping[str, Any], names: Names) -> Row:
    """Départs: status, then :data:`DEACTIVATE_SHAPE`'s cells (the date of leaving is followed by « (dans
    le fichier, mais sans classe) » for an active account the file lists without a class)."""
    subject, accepted = item.get("subject", {}), bool(item.get("accepted"))
    leaves_on = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("new"))
    if item.get("reason", {}).get("situation") == "active_without_class":
        leaves_on += " (dans le fichier, mais sans classe)"
    key = (subject.get("nom", ""), subject.get("prenom", ""), item.get("id", ""))
    values = (
        key[2],
        key[0],
        key[1],
        date_fr(subject.get("naissance")),
        item.get("target", {}).get("login") or "—",
        leaves_on,
    )
    return Row(key, accepted, STATUS_SHAPE[accepted] + DEACTIVATE_SHAPE, values)


def reactivate_row(item: Mapping[str, Any], names: Names) -> Row:
    """Retours: status, the pupil cell, the date the pupil left, the other changes."""
    left_on = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("old"))
    return _pupil_row(item, names, "<td>{}</td>", (left_on,), "user_sortie_date")


def update_row(item: Mapping[str, Any], names: Names) -> Row:
    """Mises à jour: status, the pupil cell, the changes (before → after); ``moves`` when one is the class."""
    return _pupil_row(item, names, "", (), "", "eleve_classe_id" in item.get("changes", {}))


def membership_row(item: Mapping[str, Any], names: Names) -> Row:
    """Groupes (and the structure page's memberships without a class): status, then
    :data:`MEMBERSHIP_SHAPE`'s cells; sorted by group, additions first, then by pupil."""
    subject, target, accepted = item.get("subject", {}), item.get("target", {}), bool(item.get("accepted"))
    groupe = names.groupe(subject.get("groupe") or target.get("groupe_ref"))
    action = "ajout" if item.get("kind") == "membership_add" else "retrait"
    nom, prenom = subject.get("nom", ""), subject.get("prenom", "")
    values = (item.get("id", ""), nom, prenom, target.get("login") or "—", groupe, action)
    key = (groupe, action, nom, prenom, item.get("id", ""))
    return Row(key, accepted, STATUS_SHAPE[accepted] + MEMBERSHIP_SHAPE, values, action=action)


#: a class section's pupil tables (memberships apart: their class is looked up)
ROW_BUILDERS = {
    "create": create_row,
    "deactivate": deactivate_row,
    "reactivate": reactivate_row,
    "update": update_row,
}


def structure_html(rows: Iterable[Mapping[str, Any]]) -> Markup:
    """The structure table's rows (:func:`~engine.render.report_rows.structure_row`): status, what, detail."""
    return table_html(
        Row(
            (),
            r["accepted"],
            STATUS_SHAPE[r["accepted"]] + STRUCTURE_SHAPE,
            (r["id"], r["what"], r["detail"]),
        )
        for r in rows
    )
