"""Column widths of the SACoche database being planned against, and names fitted to them.

SACoche's 2017-10-10 schema widened ``user_nom`` / ``user_prenom`` / ``user_login`` from 25 / 25 / 30 to
50 characters, ``user_email`` from 63 to 100 and ``user_profil_login_modele`` from 20 to 50. Both kinds
of base are in use, so the widths are read from the live database (``information_schema.COLUMNS`` on
MySQL/MariaDB, the declared ``VARCHAR(n)``/``CHAR(n)`` of ``PRAGMA table_info`` on SQLite, else a
``CHECK (length(col) <= n)`` of its DDL) and only fall back to :data:`DEFAULT_WIDTHS` (SACoche's current
DDL) for a column whose width cannot be read. The plan keeps them in plan.json (``state.widths``) and
the SQL renderer checks values against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from operator import attrgetter
from typing import Any

from engine.names import abbreviate

#: width name → (table, column); the names are the column names
COLUMNS: dict[str, tuple[str, str]] = {
    "user_nom": ("sacoche_user", "user_nom"),
    "user_prenom": ("sacoche_user", "user_prenom"),
    "user_login": ("sacoche_user", "user_login"),
    "user_email": ("sacoche_user", "user_email"),
    "groupe_ref": ("sacoche_groupe", "groupe_ref"),
    "groupe_nom": ("sacoche_groupe", "groupe_nom"),
    "user_profil_login_modele": ("sacoche_user_profil", "user_profil_login_modele"),
    **{
        c: ("sacoche_parent_adresse", c)
        for c in (
            "adresse_ligne1",
            "adresse_ligne2",
            "adresse_ligne3",
            "adresse_ligne4",
            "adresse_postal_code",
            "adresse_postal_libelle",
            "adresse_pays_nom",
        )
    },
}
#: SACoche's current DDL (2017-12-22)
DEFAULT_WIDTHS: dict[str, int] = {
    "user_nom": 50,
    "user_prenom": 50,
    "user_login": 50,
    "user_email": 100,
    "groupe_ref": 20,
    "groupe_nom": 20,
    "user_profil_login_modele": 50,
    "adresse_ligne1": 50,
    "adresse_ligne2": 50,
    "adresse_ligne3": 50,
    "adresse_ligne4": 50,
    "adresse_postal_code": 10,
    "adresse_postal_libelle": 45,
    "adresse_pays_nom": 35,
}
#: pupil fields fitted to a column, and that column
FITTED_FIELDS: dict[str, str] = {"nom": "user_nom", "nom_usage": "user_nom", "prenom": "user_prenom"}

_DECLARED = re.compile(r"^\s*(?:national\s+)?(?:var)?char\s*\(\s*(\d+)\s*\)", re.IGNORECASE)


def declared_width(column_type: str | None) -> int | None:
    """``VARCHAR(50)`` / ``char(11)`` / ``NATIONAL VARCHAR(20)`` → the width; anything else → None."""
    found = _DECLARED.match(column_type or "")
    return int(found.group(1)) if found else None


def _check_width(sql: str, column: str) -> int | None:
    found = re.search(rf"length\(\s*{re.escape(column)}\s*\)\s*<=\s*(\d+)", sql or "", re.IGNORECASE)
    return int(found.group(1)) if found else None


def read_widths(conn: Any, dialect: str) -> dict[str, int]:
    """The widths of :data:`COLUMNS` on this connection; defaults where one cannot be read."""
    widths = dict(DEFAULT_WIDTHS)
    tables = sorted({table for table, _ in COLUMNS.values()})
    found: dict[tuple[str, str], int] = {}
    cursor = conn.cursor()
    try:
        if dialect == "mysql":
            cursor.execute(
                "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ("
                + ", ".join(["%s"] * len(tables))
                + ")",
                tables,
            )
            for table, column, length in cursor.fetchall():
                if length is not None:
                    found[str(table).lower(), str(column).lower()] = int(length)
        else:
            wanted = set(COLUMNS.values())  # only these are read: a CHECK search compiles a pattern
            for table in tables:
                cursor.execute(f"PRAGMA table_info({table})")
                rows = cursor.fetchall()
                cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
                ddl_row = cursor.fetchone()
                ddl = str(ddl_row[0]) if ddl_row else ""
                for _cid, column, ctype, *_rest in rows:
                    if (table, str(column).lower()) not in wanted:
                        continue
                    width = declared_width(ctype) or _check_width(ddl, column)
                    if width is not None:
                        found[table, str(column).lower()] = width
    finally:
        cursor.close()
    for name, key in COLUMNS.items():
        if key in found and found[key] > 0:
            widths[name] = found[key]
    return widths


def fit_export(export: Any, widths: Mapping[str, int]) -> Any:
    """The export with its pupils' names fitted (:func:`fit_pupils`): what SACoche would store. When a
    name had to be abbreviated, one warning gives the lines (never the names)."""
    pupils = fit_pupils(export.pupils, widths)
    if pupils is export.pupils:  # every name fits (a frozen export: itself, not a copy)
        return export
    lines = [new.line for old, new in zip(export.pupils, pupils, strict=True) if new is not old]
    if not lines:
        return replace(export, pupils=pupils)
    shown = ", ".join(str(line) for line in lines[:10]) + (" …" if len(lines) > 10 else "")
    warning = (
        f"{len(lines)} name(s) abbreviated as SACoche abbreviates them, to fit the database's columns "
        f"(user_nom {widths.get('user_nom')}, user_prenom {widths.get('user_prenom')} characters): "
        f"line(s) {shown}"
    )
    return replace(export, pupils=pupils, warnings=(*export.warnings, warning))


def fit_pupils(pupils: Iterable[Any], widths: Mapping[str, int]) -> tuple[Any, ...]:
    """Pupils whose names are abbreviated the way SACoche's ``tronquer_chaine`` does (character-wise)
    to fit the database's columns; pupils that already fit are returned as they are (``pupils`` itself,
    when a tuple, if they all fit)."""
    pupils = tuple(pupils)
    limits = {
        field: int(widths.get(column, DEFAULT_WIDTHS[column])) for field, column in FITTED_FIELDS.items()
    }
    # the fields some name overflows, found by map (no Python step per pupil): usually none
    over = {
        field: limit
        for field, limit in limits.items()
        if max(map(len, map(attrgetter(field), pupils)), default=0) > limit
    }
    if not over:
        return pupils
    fitted = []
    for pupil in pupils:
        changes = {
            field: abbreviate(value, limit)
            for field, limit in over.items()
            if len(value := getattr(pupil, field)) > limit
        }
        fitted.append(replace(pupil, **changes) if changes else pupil)
    return tuple(fitted)
