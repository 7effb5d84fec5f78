"""SACoche's archive of the imported ONDE file: table ``sacoche_siecle_import``, row ``Onde``.

SACoche's wizard (step 20) keeps the imported ONDE file there: ``siecle_import_date`` (the day),
``siecle_import_annee`` (the school year's first year, as text) and ``siecle_import_contenu``, the PHP
``json_encode`` of the file's lines (header line included) as arrays of cells. Its LSU export reads the class
ids and labels back from it. This module reads that row (tolerating a base without the table), spells the
content exactly as PHP does, and recovers the class names computed from the previous import's labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson

from engine.ops import Context, ValueRejected, fold, run_steps

TABLE = "sacoche_siecle_import"
#: the row SACoche's wizard keeps the ONDE pupils file in
OBJET = "Onde"
#: MEDIUMTEXT holds at most this many bytes
MEDIUMTEXT_BYTES = 16 * 1024 * 1024 - 1


@dataclass(frozen=True, slots=True)
class Archive:
    """The archive row as read: ``None`` fields are SQL NULL; ``contenu`` is the stored text, unparsed."""

    objet: str
    date: str | None
    annee: str | None
    contenu: str
    #: False when the table exists but has no such row (apply.sql then inserts it)
    exists: bool = True

    def lines(self) -> list[list[str]] | None:
        """The archived file's lines (header first), or None when the content is empty or not that shape."""
        if not self.contenu:
            return None
        try:  # orjson first: what it reads as lines of strings, json reads the same (checked in C)
            fast = orjson.loads(self.contenu)
        except orjson.JSONDecodeError:
            fast = None
        if type(fast) is list and fast and set(map(type, fast)) == {list}:
            try:
                "".join(chain.from_iterable(fast))  # a TypeError when a cell is not a string
            except TypeError:
                pass
            else:
                return fast  # type: ignore[no-any-return]
        try:
            data = json.loads(self.contenu)
        except ValueError:
            return None
        if isinstance(data, dict):  # PHP encodes an array with holes as an object
            data = list(data.values())
        if not isinstance(data, list) or not data:
            return None
        lines = []
        for line in data:
            if isinstance(line, dict):
                line = list(line.values())
            if not isinstance(line, list):
                return None
            lines.append(["" if c is None else str(c) for c in line])
        return lines


def php_json(lines: Sequence[Sequence[str]]) -> str:
    """``json_encode`` as PHP 5/7 spells it by default: no spaces, ``\\uXXXX`` escapes, ``/`` as ``\\/``."""
    return json.dumps([list(line) for line in lines], ensure_ascii=True, separators=(",", ":")).replace(
        "/", "\\/"
    )


def file_content(rows: Iterable[Sequence[str]], limit: int = MEDIUMTEXT_BYTES) -> str | None:
    """What SACoche's wizard stores for these lines (header first): :func:`php_json`, built line by line;
    None when it would not fit in ``limit`` bytes (MEDIUMTEXT)."""
    parts: list[str] = []
    size = 1  # "[" and "]", less the comma the first line does not need
    for cells in rows:
        part = php_json([cells])[1:-1]
        size += len(part) + 1
        if size > limit:
            return None
        parts.append(part)
    return "[" + ",".join(parts) + "]"


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters (at least one piece, maybe empty)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def school_year(today: str, first_month: int) -> str:
    """SACoche's ``To::annee_scolaire('siecle')``: the school year's first calendar year, as text."""
    day = date.fromisoformat(today)
    return str(day.year if day.month >= first_month else day.year - 1)


def read_archive(conn: Any, objet: str) -> Archive | None:
    """The archive row for ``objet``; None when the table does not exist (a base older than the archive),
    an Archive with ``exists=False`` when it has no such row. Errors other than a missing table propagate."""
    cursor = conn.cursor()
    try:
        try:
            cursor.execute(
                f"SELECT siecle_import_objet, siecle_import_date, siecle_import_annee, siecle_import_contenu "
                f"FROM {TABLE}"
            )
        except Exception as exc:  # driver-specific "no such table" errors
            if "no such table" in str(exc).lower() or "doesn't exist" in str(exc).lower():
                return None
            raise
        for row_objet, row_date, annee, contenu in cursor.fetchall():
            if str(row_objet).lower().rstrip(" ") == objet.lower():  # the column's collation
                return Archive(
                    objet=str(row_objet),
                    date=None if row_date is None else str(row_date)[:10],
                    annee=None if annee is None else str(annee),
                    contenu=_text(contenu),
                )
        return Archive(objet=objet, date=None, annee=None, contenu="", exists=False)
    finally:
        cursor.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def previous_classes(
    lines: Sequence[Sequence[str]],
    fields: dict[str, Any],
    ctx: Context,
    class_of: Callable[[tuple[str, str, str]], tuple[str, str, str]],
    key: Callable[[str], str],
) -> dict[str, tuple[str, str]]:
    """For each class of the archived file, by ref key: (ONDE label, name computed from it).

    ``fields`` are the source format's field rules (the archived file is read with them, as the file
    itself was); rows without a class id are skipped, like SACoche's wizard skips them.
    """
    header = [fold(c) for c in lines[0]]
    columns: dict[str, int] = {}
    for name in ("classe_id", "niveau", "classe_label"):
        rule = fields.get(name)
        if rule is None:
            return {}
        found = [i for i, cell in enumerate(header) if cell in rule.folded_headers]
        if not found:
            return {}
        columns[name] = found[0]
    found_classes: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, ...]] = set()  # a school has a few hundred triples for thousands of lines
    positions = list(columns.values())
    triple_of, width = itemgetter(*positions), max(positions) + 1
    ran: dict[tuple[str, str], str | None] = {}  # (field, cell) → its value, None when rejected
    for cells in lines[1:]:
        if len(cells) >= width:
            triple = triple_of(cells)
        else:
            triple = tuple(cells[column] if column < len(cells) else "" for column in positions)
        if triple in seen:
            continue  # the rules give it what they gave its first line: nothing new to find
        if not any(c.strip() for c in cells):
            continue  # a blank line
        seen.add(triple)
        values = {}
        for name, cell in zip(columns, triple, strict=True):
            known = (name, cell)
            value = ran[known] if known in ran else ran.setdefault(known, _run(cell, fields[name].steps, ctx))
            if value is None:
                break
            values[name] = value
        else:
            if not values["classe_id"]:
                continue
            ref, class_name, _ = class_of((values["classe_id"], values["niveau"], values["classe_label"]))
            found_classes.setdefault(key(ref), (values["classe_label"], class_name))
    return found_classes


def _run(cell: str, steps: Any, ctx: Context) -> str | None:
    """A cell's value by its field's steps (parts joined by a space), None when they reject it."""
    try:
        value = run_steps(cell, steps, ctx)
    except ValueRejected:
        return None
    return value if isinstance(value, str) else " ".join(value)
