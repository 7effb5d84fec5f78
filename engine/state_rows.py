"""The rows of the state's tables as text, each with the line the fingerprint hashes (engine.state).

A row is read as its values' text (NULL as "", a date as ``yyyy-mm-dd``, a number in decimal), joined
by U+001F into one *line*: the row's part of its table's fingerprint. The database builds that line
itself (MySQL ``CONCAT_WS``, SQLite ``||``) and sends one value per row, which the driver decodes
once instead of once per column (PyMySQL's per-column decoding was most of ``read_state``'s time);
the values are the line split again. When a value itself holds U+001F (the split then gives too many
values) or the database refuses the expression, the table is read again column by column, as before,
and the line joined here: the same lines and values either way.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol

from engine.errors import OndeError

#: joins a row's values into its line (the fingerprint's field separator)
SEP = "\x1f"

#: rows hashed at a time: the user table is streamed, never held whole in memory
FETCH = 20_000


def text(value: Any) -> str:
    """A value as the fingerprint and the state read it (NULL as "", a date's ``yyyy-mm-dd``)."""
    if type(value) is str:  # nearly always: checked first
        return value
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


class Sink(Protocol):
    """What one table's rows are fed to: each row's line and values."""

    def add(self, line: str, values: list[str]) -> None: ...


class Fingerprint:
    """Row count and SHA-256 of one table's lines, dialect-independent, fed line by line."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.pending: list[str] = []
        self.rows = 0

    def add(self, line: str) -> None:
        self.pending.append(line)
        self.rows += 1
        if len(self.pending) >= FETCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.digest.update(("\x1e".join(self.pending) + "\x1e").encode("utf-8"))
            self.pending = []

    def result(self) -> dict[str, Any]:
        self._flush()
        return {"rows": self.rows, "sha256": self.digest.hexdigest()}


class _Retry(Exception):
    """The lines the database built cannot be used for this table: read it column by column."""


class _Unreadable(Exception):
    """The driver failed reading the table column by column."""


def _line_sql(dialect: str, table: str, columns: tuple[str, ...], order_by: str) -> str:
    """One text value per row: the columns' text joined by :data:`SEP`, NULL as ''."""
    values = [f"IFNULL({c}, '')" for c in columns]
    # the separator is a plain literal (the connection's character set, coercible): the columns'
    # character set wins, as when each column is read on its own
    sep = f"'{SEP}'"
    line = f"CONCAT_WS({sep}, {', '.join(values)})" if dialect == "mysql" else f" || {sep} || ".join(values)
    return f"SELECT {line} FROM {table} ORDER BY {order_by}"


def _streamed(conn: Any, dialect: str, sql: str, failed: type[Exception]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` from a cursor (MySQL: unbuffered, rows come as the server sends them); a
    driver's error raised as ``failed`` (what the caller does with a row is not caught)."""
    try:
        if dialect == "mysql":
            import pymysql.cursors

            cur = conn.cursor(pymysql.cursors.SSCursor)
        else:
            cur = conn.cursor()
        cur.execute(sql)
        rows = iter(cur)
    except Exception as exc:  # driver-specific error classes
        raise failed(str(exc)) from exc
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # driver-specific error classes
                raise failed(str(exc)) from exc
            yield row
    finally:
        try:
            cur.close()  # an unbuffered cursor reads what is left of the result first
        except Exception as exc:  # driver-specific error classes
            raise failed(str(exc)) from exc


def read_rows(
    conn: Any, dialect: str, table: str, columns: tuple[str, ...], order_by: str, sink: type[Sink]
) -> Sink:
    """A new ``sink()`` fed every row of ``table`` in ``order_by`` order (see the module's docstring)."""
    fed, width = sink(), len(columns)
    rows = _streamed(conn, dialect, _line_sql(dialect, table, columns, order_by), _Retry)
    try:
        for (line,) in rows:
            if type(line) is not str:
                line = text(line)  # bytes when a column is binary
            values = line.split(SEP)
            if len(values) != width:  # a value holds the separator
                raise _Retry
            fed.add(line, values)
        return fed
    except _Retry:
        with contextlib.suppress(_Retry):  # the table is read again below, which says any error
            rows.close()
    fed = sink()  # what the first reading fed is dropped
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}"
    try:
        for row in _streamed(conn, dialect, sql, _Unreadable):
            values = [v if type(v) is str else text(v) for v in row]
            fed.add(SEP.join(values), values)
    except _Unreadable as exc:
        raise OndeError(
            f"cannot read table {table}: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc.__cause__
    return fed
