"""The plan's read set, guarded inside apply.sql (MySQL / MariaDB).

Everything the plan's decisions rest on — the accounts and their read columns, the login set, classes,
groups, memberships, niveaux and the login model: the columns of engine.state.READ_COLUMNS — gets, per
table, a row count and an order-independent checksum: the SUM over rows of the first 60 bits of
SHA1(CONCAT_WS(0x1f, every read column, NULL as '')). ``plan`` computes it with the very expression the
script uses, on the server, right after reading the state (``onde-sacoche apply`` then compares the
state fingerprint itself, so a change between the two reads is refused too); it is stored in
plan.json (``state.read_set``, sealed) and written into apply.sql, whose first guards recompute it
before the first write and stop the script, naming the table that moved, on any difference.

A SUM (not a XOR) so that two equal rows do not cancel; 60-bit terms summed as exact integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.state import READ_COLUMNS

#: a key of the guard table is at most 64 ASCII characters
_KEY = "GUARD READ {table}: table moved"


def checksum_sql(table: str) -> tuple[str, str]:
    """(COUNT expression, checksum expression) over ``table``'s read columns, for ``SELECT … FROM table``."""
    columns = ", ".join(f"IFNULL({c}, '')" for c in READ_COLUMNS[table])
    term = f"CAST(CONV(SUBSTR(SHA1(CONCAT_WS(0x1f, {columns})), 1, 15), 16, 10) AS UNSIGNED)"
    return "COUNT(*)", f"CAST(COALESCE(SUM({term}), 0) AS CHAR)"


def read_set_mysql(connection: Any) -> dict[str, dict[str, Any]]:
    """table → {rows, checksum} on an open PyMySQL connection (read-only: SELECTs only)."""
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for table in READ_COLUMNS:
            count, checksum = checksum_sql(table)
            cursor.execute(f"SELECT {count}, {checksum} FROM {table}")
            rows, total = cursor.fetchone()
            found[table] = {"rows": int(rows), "checksum": str(total)}
    return found


def read_set(url: str) -> dict[str, dict[str, Any]] | None:
    """The read set of a MySQL / MariaDB database; None for SQLite (its apply runs in one transaction
    after ``onde-sacoche apply`` compared the fingerprint)."""
    from engine.dburl import connect_mysql, parse_url

    db = parse_url(url)
    if db.dialect != "mysql":
        return None
    connection = connect_mysql(db.resolved())
    try:
        return read_set_mysql(connection)
    finally:
        connection.close()  # type: ignore[attr-defined]


class ReadGuard:
    """One read-set guard of apply.sql, shaped for guards.sql.j2."""

    def __init__(self, table: str, rows: int, checksum: str, literal: Any) -> None:
        count, total = checksum_sql(table)
        self.table = table
        self.key = _KEY.format(table=table)
        self.message = (
            f"ONDE-SACOCHE {self.key}. {table} no longer holds what the plan read ({rows} rows, "
            f"checksum {checksum}): the plan must be made again. Nothing was written."
        )
        self.condition = f"(SELECT {count} = {literal(rows)} AND {total} = {literal(checksum)} FROM {table})"


def read_guards(doc: Mapping[str, Any], literal: Any) -> list[ReadGuard]:
    """The read-set guards for a plan (none when the plan was made on SQLite, or before read sets)."""
    found = (doc.get("state") or {}).get("read_set") or {}
    return [
        ReadGuard(table, int(info["rows"]), str(info["checksum"]), literal)
        for table, info in found.items()
        if table in READ_COLUMNS and isinstance(info, dict)
    ]
