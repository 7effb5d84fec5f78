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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from engine.render.documents import filled_rows
from engine.render.french import date_fr
from engine.render.report_rows import FIELD_LABELS, TIER_TEXT, Names, value_fr

__all__ = ["TABLES", "Table", "loose_members_html", "structure_html"]

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
#: the rows of a table in its order (their numbers), from the values of all rows and where each row's start
Order = Callable[[list[Any], list[int]], list[int]]


#: rows per piece of a table's HTML (:meth:`Table.parts`): a 10,000-row table is not one 20 MB string
PART_ROWS = 500


def rows_html(shapes: list[str], values: list[Any], starts: list[int], order: Order | None = None) -> Markup:
    """Rows one a line, each value escaped (the template prints them inside ``<tbody>``): row ``r``'s shape
    ``shapes[r]`` and its values from ``values[starts[r]]`` on, in the order ``order`` gives (else as
    they are)."""
    return Markup("".join(row_parts(shapes, values, starts, order, len(shapes) or 1)))


def row_parts(
    shapes: list[str], values: list[Any], starts: list[int], order: Order | None, size: int = PART_ROWS
) -> Iterator[Markup]:
    """:func:`rows_html` in pieces of ``size`` rows (each but the first starting with its newline)."""
    if not shapes:
        return
    if order is not None and len(shapes) > 1:
        rows: Sequence[int] = order(values, starts)
    else:
        rows = range(len(shapes))
    ends = [*starts[1:], len(values)]
    for first in range(0, len(rows), size):
        part = rows[first : first + size]
        lead = [""] if first else []  # "\n".join: the newline between this piece and the previous one
        yield filled_rows(
            [*lead, *(shapes[row] for row in part)],
            [value for row in part for value in values[starts[row] : ends[row]]],
        )


def by_pupil(values: list[Any], starts: list[int]) -> list[int]:
    """A class's pupil tables: by nom, prénom, item id (a row's first values: id, nom, prénom), then
    plan order."""
    keys = [(values[s + 1], values[s + 2], values[s], row) for row, s in enumerate(starts)]
    keys.sort()
    return [key[-1] for key in keys]


def by_group(values: list[Any], starts: list[int]) -> list[int]:
    """Memberships (:func:`membership_fill`'s values: id, nom, prénom, login, group, action): by group,
    additions first, then by nom, prénom, item id, then plan order."""
    keys = [
        (values[s + 4], values[s + 5], values[s + 1], values[s + 2], values[s], row)
        for row, s in enumerate(starts)
    ]
    keys.sort()
    return [key[-1] for key in keys]


def by_group_then_plan(values: list[Any], starts: list[int]) -> list[int]:
    """The structure page's memberships: by group, action, nom, prénom, then plan order."""
    keys = [(values[s + 4], values[s + 5], values[s + 1], values[s + 2], row) for row, s in enumerate(starts)]
    keys.sort()
    return [key[-1] for key in keys]


class Table:
    """A class's table of one kind of item: its rows' shapes and values, made as its items come (in plan
    order, in :func:`~engine.render.report_model.build_view`'s one pass over the items: each item is
    read once, where its neighbours in the plan are read); true when it has rows. Its HTML (the rows in
    the table's order, their values escaped) is made when the template prints it, and not kept: the
    report never holds every class's HTML at once (its peak memory)."""

    __slots__ = ("fill", "names", "order", "shapes", "starts", "values")

    def __init__(self, kind: str, names: Names) -> None:
        self.fill, self.order = TABLES[kind]
        self.names = names
        self.shapes: list[str] = []
        self.values: list[Any] = []
        self.starts: list[int] = []  # where each row's values start

    def add(self, item: Mapping[str, Any]) -> None:
        """The item's row, last."""
        self.starts.append(len(self.values))
        self.shapes.append(self.fill(item, self.names, self.values))

    def __bool__(self) -> bool:
        return bool(self.shapes)

    def __len__(self) -> int:
        return len(self.shapes)

    def __html__(self) -> str:
        return rows_html(self.shapes, self.values, self.starts, self.order)

    def parts(self) -> Iterator[Markup]:
        """The HTML in pieces of :data:`PART_ROWS` rows (what the template prints, one after the other)."""
        return row_parts(self.shapes, self.values, self.starts, self.order)

    __str__ = __html__


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


@lru_cache(maxsize=64)
def _changes_shape(count: int) -> str:
    """The cell of a row's other changes: a list of ``count`` changes, or ``—`` when there is none."""
    return f'<td><ul class="changements">{CHANGE_SHAPE * count}</ul></td>' if count else "<td>—</td>"


#: a return's or an update's row by (accepted, has a line, how shape, cells, number of changes): rows
#: alike share one shape (a dict, not an lru_cache: its lookup is a row's hot path)
_PUPIL_SHAPES: dict[tuple[bool, bool, str, str, int], str] = {}
#: the default of a missing part of an item (only read: a ``{}`` per call cost an allocation per row)
_NO: Mapping[str, Any] = {}


def _pupil_shape(key: tuple[bool, bool, str, str, int]) -> str:
    accepted, line, how_shape, cells, count = key
    pupil = STATUS_SHAPE[accepted] + PUPIL_CELL_SHAPE[line] + how_shape + "</span></td>"
    shape = _PUPIL_SHAPES[key] = pupil + cells + _changes_shape(count) + "</tr>"
    return shape


def _pupil_fill(
    item: Mapping[str, Any], names: Names, values: list[Any], cells: str, extra: tuple[Any, ...], skip: str
) -> str:
    """A return or an update: status, the pupil cell, ``cells`` with their values ``extra``, then the
    changes but ``skip``'s (before → after)."""
    subject, reason = item.get("subject", _NO), item.get("reason", _NO)
    line = reason.get("line")
    if names.sheeted:
        line = names.line(line)
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        item.get("target", _NO).get("login") or "—",
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
    for column, change in item.get("changes", _NO).items():
        if column != skip:
            values += (
                FIELD_LABELS.get(column, column),
                shown(column, change.get("old")),
                shown(column, change.get("new")),
            )
            count += 1
    key = (bool(item.get("accepted")), bool(line), how_shape, cells, count)
    return _PUPIL_SHAPES.get(key) or _pupil_shape(key)


#: the rows of the Arrivées and Départs tables, by whether the item is accepted
CREATE_ROW = {accepted: shape + CREATE_SHAPE for accepted, shape in STATUS_SHAPE.items()}
DEACTIVATE_ROW = {accepted: shape + DEACTIVATE_SHAPE for accepted, shape in STATUS_SHAPE.items()}
MEMBERSHIP_ROW = {accepted: shape + MEMBERSHIP_SHAPE for accepted, shape in STATUS_SHAPE.items()}


def create_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Arrivées: status, then :data:`CREATE_SHAPE`'s cells."""
    subject = item.get("subject", _NO)
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        value_fr("user_genre", item.get("changes", _NO).get("user_genre", _NO).get("new"), names),
        subject.get("ine") or "—",
        item.get("target", _NO).get("login") or "—",
        _text(names.line(item.get("reason", _NO).get("line"))),
    )
    return CREATE_ROW[bool(item.get("accepted"))]


def deactivate_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Départs: status, then :data:`DEACTIVATE_SHAPE`'s cells (the date of leaving is followed by « (dans
    le fichier, mais sans classe) » for an active account the file lists without a class)."""
    subject = item.get("subject", _NO)
    leaves_on = date_fr(item.get("changes", _NO).get("user_sortie_date", _NO).get("new"))
    if item.get("reason", _NO).get("situation") == "active_without_class":
        leaves_on += " (dans le fichier, mais sans classe)"
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        date_fr(subject.get("naissance")),
        item.get("target", _NO).get("login") or "—",
        leaves_on,
    )
    return DEACTIVATE_ROW[bool(item.get("accepted"))]


def reactivate_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Retours: status, the pupil cell, the date the pupil left, the other changes."""
    left_on = date_fr(item.get("changes", _NO).get("user_sortie_date", _NO).get("old"))
    return _pupil_fill(item, names, values, "<td>{}</td>", (left_on,), "user_sortie_date")


def update_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Mises à jour: status, the pupil cell, the changes (before → after)."""
    return _pupil_fill(item, names, values, "", (), "")


def membership_action(item: Mapping[str, Any]) -> str:
    return "ajout" if item.get("kind") == "membership_add" else "retrait"


def membership_fill(item: Mapping[str, Any], names: Names, values: list[Any]) -> str:
    """Groupes (and the structure page's memberships without a class): status, then
    :data:`MEMBERSHIP_SHAPE`'s cells."""
    subject, target = item.get("subject", _NO), item.get("target", _NO)
    values += (
        item.get("id", ""),
        subject.get("nom", ""),
        subject.get("prenom", ""),
        target.get("login") or "—",
        names.groupe(subject.get("groupe") or target.get("groupe_ref")),
        membership_action(item),
    )
    return MEMBERSHIP_ROW[bool(item.get("accepted"))]


#: a class section's tables: how a row is made, and the table's order
TABLES: dict[str, tuple[Fill, Order]] = {
    "create": (create_fill, by_pupil),
    "deactivate": (deactivate_fill, by_pupil),
    "reactivate": (reactivate_fill, by_pupil),
    "update": (update_fill, by_pupil),
    "memberships": (membership_fill, by_group),
    "loose_members": (membership_fill, by_group_then_plan),
}


def loose_members_html(items: Iterable[Mapping[str, Any]], names: Names) -> Markup:
    """The structure page's memberships without a class: by group, action and pupil, then plan order."""
    table = Table("loose_members", names)
    for item in items:
        table.add(item)
    return Markup(table.__html__())


def structure_html(rows: Iterable[Mapping[str, Any]]) -> Markup:
    """The structure table's rows (:func:`~engine.render.report_rows.structure_row`): status, what, detail."""
    shapes: list[str] = []
    values: list[Any] = []
    for r in rows:
        shapes.append(STATUS_SHAPE[r["accepted"]] + STRUCTURE_SHAPE)
        values += (r["id"], r["what"], r["detail"])
    return filled_rows(shapes, values) if shapes else Markup()
