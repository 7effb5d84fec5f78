"""The rows of rapport.html's pupil tables (and of its structure table), built as HTML in Python: the
report's hot loops.

A changed-heavy plan's report has tens of thousands of rows. Each used to be a dict, then a template
loop over its cells (most of the report's time went to Jinja's per-cell work). Here a *fill* function
makes each item's row: it appends the text of the row's cells (not escaped) to a table's list of values
and gives the row's *shape*, its HTML with a ``{}`` where each value goes (the ``*_SHAPE`` constants
below, the template's own markup; rows alike share one shape). A whole table is then made at once by
:func:`rows_html` (:func:`~engine.render.documents.filled`): its values escaped with markupsafe's
``escape`` in one call, put into the shapes of its rows with one ``str.format``. A class's tables are
:class:`Table` objects, made into HTML only when the template prints them. The page itself (sections,
headings, table heads) stays in ``templates/report/rapport.html``, and the output is byte for byte that
of the template loops these functions replace (values are escaped as the template's autoescape did).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from engine.render.documents import filled
from engine.render.french import date_fr
from engine.render.report_rows import FIELD_LABELS, TIER_TEXT, Names, value_fr

__all__ = ["TABLES", "Table", "loose_members_html", "membership_key", "structure_html"]

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
#: a tier's shape, by the tier itself (its text is :data:`HOW_SHAPE`'s key)
TIER_SHAPE = {tier: HOW_SHAPE[text] for tier, text in TIER_TEXT.items()}
#: one change (label, old, new) in a row's list of changes
CHANGE_SHAPE = '<li>{} : {}<span class="fleche">→</span>{}</li>'


#: a row's HTML with a ``{}`` per value; the values are appended to the list it is given
Fill = Callable[[Mapping[str, Any], Names, list[Any]], str]
#: a table's order: a row's sort key (stable for equal keys)
Key = Callable[[Mapping[str, Any], Names], tuple[Any, ...]]


def rows_html(items: Iterable[Mapping[str, Any]], names: Names, fill: Fill) -> Markup:
    """The rows of ``items`` in this order, one a line, each value escaped (the template prints them
    inside ``<tbody>``)."""
    shapes: list[str] = []
    values: list[Any] = []
    for item in items:
        shapes.append(fill(item, names, values))
    return filled("\n".join(shapes), values) if shapes else Markup()


class Table:
    """A class's table of one kind of item (its items in plan order): true when it has rows; its HTML
    (the rows sorted by the table's key) is made when the template prints it and not kept, so that a
    large report holds one table's rows at a time, not every class's (the report's peak memory)."""

    __slots__ = ("items", "kind", "names")

    def __init__(self, kind: str, items: Sequence[Mapping[str, Any]], names: Names) -> None:
        self.kind, self.items, self.names = kind, items, names

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __html__(self) -> str:
        fill, key = TABLES[self.kind]
        names = self.names
        return rows_html(sorted(self.items, key=lambda item: key(item, names)), names, fill)

    __str__ = __html__


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


@lru_cache(maxsize=64)
def _changes_shape(count: int) -> str:
    """The cell of a row's other changes: a list of ``count`` changes, or ``—`` when there is none."""
    return f'<td><ul class="changements">{CHANGE_SHAPE * count}</ul></td>' if count else "<td>—</td>"


@lru_cache(maxsize=256)
def _pupil_shape(accepted: bool, line: bool, how_shape: str, cells: str, count: int) -> str:
    """A return's or an update's row (one shape for all rows alike: a large table's rows share it)."""
    pupil = STATUS_SHAPE[accepted] + PUPIL_CELL_SHAPE[line] + how_shape + "</span></td>"
    return pupil + cells + _changes_shape(count) + "</tr>"


def _pupil_fill(
    item: Mapping[str, Any], names: Names, values: list[Any], cells: str, extra: tuple[Any, ...], skip: str
) -> str:
    """A return or an update: status, the pupil cell, ``cells`` with their values ``extra``, then the
    changes but ``skip``'s (before → after)."""
    subject, reason = item.get("subject", {}), item.get("reason", {})
    line = names.line(reason.get("line"))
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        item.get("target", {}).get("login") or "—",
    )
    if line:
        values.append(_text(line))
    tier = reason.get("tier")
    how_shape = (TIER_SHAPE.get(tier) or "") if tier else ""
    if tier and not how_shape:  # a tier of a later version: its text is a value
        how_shape = ", {}"
        values.append(f"reconnu par la règle {tier}")
    values += extra
    count = 0
    shown = names.shown
    for column, change in item.get("changes", {}).items():
        if column != skip:
            values += (
                FIELD_LABELS.get(column, column),
                shown(column, change.get("old")),
                shown(column, change.get("new")),
            )
            count += 1
    return _pupil_shape(bool(item.get("accepted")), bool(line), how_shape, cells, count)


#: the rows of the Arrivées and Départs tables, by whether the item is accepted
CREATE_ROW = {accepted: shape + CREATE_SHAPE for accepted, shape in STATUS_SHAPE.items()}
DEACTIVATE_ROW = {accepted: shape + DEACTIVATE_SHAPE for accepted, shape in STATUS_SHAPE.items()}
MEMBERSHIP_ROW = {accepted: shape + MEMBERSHIP_SHAPE for accepted, shape in STATUS_SHAPE.items()}


def create_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Arrivées: status, then :data:`CREATE_SHAPE`'s cells."""
    subject = item.get("subject", {})
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        value_fr("user_genre", item.get("changes", {}).get("user_genre", {}).get("new"), names),
        subject.get("ine") or "—",
        item.get("target", {}).get("login") or "—",
        _text(names.line(item.get("reason", {}).get("line"))),
    )
    return CREATE_ROW[bool(item.get("accepted"))]


def deactivate_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Départs: status, then :data:`DEACTIVATE_SHAPE`'s cells (the date of leaving is followed by « (dans
    le fichier, mais sans classe) » for an active account the file lists without a class)."""
    subject = item.get("subject", {})
    leaves_on = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("new"))
    if item.get("reason", {}).get("situation") == "active_without_class":
        leaves_on += " (dans le fichier, mais sans classe)"
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        item.get("target", {}).get("login") or "—",
        leaves_on,
    )
    return DEACTIVATE_ROW[bool(item.get("accepted"))]


def reactivate_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Retours: status, the pupil cell, the date the pupil left, the other changes."""
    left_on = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("old"))
    return _pupil_fill(item, names, values, "<td>{}</td>", (left_on,), "user_sortie_date")


def update_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Mises à jour: status, the pupil cell, the changes (before → after)."""
    return _pupil_fill(item, names, values, "", (), "")


def membership_action(item: Mapping[str, Any]) -> str:
    return "ajout" if item.get("kind") == "membership_add" else "retrait"


def membership_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Groupes (and the structure page's memberships without a class): status, then
    :data:`MEMBERSHIP_SHAPE`'s cells."""
    subject, target = item.get("subject", {}), item.get("target", {})
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        target.get("login") or "—",
        names.groupe(subject.get("groupe") or target.get("groupe_ref")),
        membership_action(item),
    )
    return MEMBERSHIP_ROW[bool(item.get("accepted"))]


def pupil_key(item: Mapping[str, Any], names: Names) -> tuple[Any, ...]:
    """A class's pupil tables: nom, prénom, item id (homonyms in a stable order)."""
    subject = item.get("subject", {})
    return (subject.get("nom", ""), subject.get("prenom", ""), item.get("id", ""))


def membership_key(item: Mapping[str, Any], names: Names) -> tuple[Any, ...]:
    """Memberships: by group, additions first, then by pupil and item id."""
    subject, target = item.get("subject", {}), item.get("target", {})
    groupe = names.groupe(subject.get("groupe") or target.get("groupe_ref"))
    nom, prenom = subject.get("nom", ""), subject.get("prenom", "")
    return (groupe, membership_action(item), nom, prenom, item.get("id", ""))


#: a class section's tables: how a row is made, and the table's order
TABLES: dict[str, tuple[Fill, Key]] = {
    "create": (create_fill, pupil_key),
    "deactivate": (deactivate_fill, pupil_key),
    "reactivate": (reactivate_fill, pupil_key),
    "update": (update_fill, pupil_key),
    "memberships": (membership_fill, membership_key),
}


def loose_members_html(items: Iterable[Mapping[str, Any]], names: Names) -> Markup:
    """The structure page's memberships without a class: by group, action and pupil, then plan order."""
    ordered = sorted(items, key=lambda item: membership_key(item, names)[:4])
    return rows_html(ordered, names, membership_fill)


def structure_html(rows: Iterable[Mapping[str, Any]]) -> Markup:
    """The structure table's rows (:func:`~engine.render.report_rows.structure_row`): status, what, detail."""
    shapes: list[str] = []
    values: list[Any] = []
    for r in rows:
        shapes.append(STATUS_SHAPE[r["accepted"]] + STRUCTURE_SHAPE)
        values += (r["id"], r["what"], r["detail"])
    return filled("\n".join(shapes), values) if shapes else Markup()
