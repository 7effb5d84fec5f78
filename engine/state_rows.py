"""The rows of the state's tables as text, each with the line the fingerprint hashes (engine.state).

A row is read as its values' text (NULL as "", a date as ``yyyy-mm-dd``, a number in decimal), joined
by U+001F into one *line*: the row's part of its table's fingerprint. The database builds that line
itself (MySQL ``CONCAT_WS``, SQLite ``||``) and sends one value per row, which the driver decodes
once instead of once per column (PyMySQL's per-column decoding was most of ``read_state``'s time);
the values are the line split again. When a value itself holds U+001F (the split then gives too many
values) or the database refuses the expression, the table is read again column by column, as before,
and the line joined here: the same lines and values either way.

A sink is fed a batch of rows at a time (a MySQL chunk; up to :data:`CHUNK` rows otherwise, SQLite's
fetched together): their lines joined by U+001E and their values in one flat list, row after row. A
call per row (and a list per row) was most of the time left of reading a big table.

engine.readset reads its per-row keys and terms the same way (a column may be any expression, a
condition may pick the rows, the sink may be any factory).
"""

from __future__ import annotations

import contextlib
import hashlib
import weakref
from collections.abc import Callable, Iterator
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, Protocol

from engine.errors import OndeError

#: joins a row's values into its line (the fingerprint's field separator)
SEP = "\x1f"

#: joins the lines of a chunk of rows (MySQL's GROUP_CONCAT)
ROW_SEP = "\x1e"

#: rows per chunk (MySQL): a few hundred KiB, far below the server's max_allowed_packet; rows per batch
#: fed to a sink otherwise (the user table is streamed, never held whole in memory)
CHUNK = 1_000

#: GROUP_CONCAT's limit for this session: above any chunk's lines (a chunk cut short is read again)
CHUNK_LENGTH = 16 * 2**20


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
    """What one table's rows are fed to, a batch of rows at a time: their lines joined by
    :data:`ROW_SEP` (to hash: a value may hold ROW_SEP, so never split it) and their values, row after
    row, as many a row as columns read."""

    def add_rows(self, lines: str, values: list[str]) -> None: ...


class Fingerprint:
    """Row count and SHA-256 of one table's lines (each followed by U+001E), dialect-independent, fed a
    batch of rows at a time."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.rows = 0

    def add_rows(self, lines: str, rows: int) -> None:
        """``rows`` lines joined by :data:`ROW_SEP` (one update per batch: the same bytes as per line)."""
        if rows:
            self.digest.update((lines + ROW_SEP).encode("utf-8"))
            self.rows += rows

    def result(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.digest.hexdigest()}


class _Batch:
    """Rows fed one by one (the column-by-column read), passed on to a sink :data:`CHUNK` rows at a
    time."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.lines: list[str] = []
        self.values: list[str] = []

    def add(self, line: str, values: list[str]) -> None:
        self.lines.append(line)
        self.values += values
        if len(self.lines) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.sink.add_rows(ROW_SEP.join(self.lines), self.values)
            self.lines, self.values = [], []


class _Retry(Exception):
    """The lines the database built cannot be used for this table: read it column by column."""


class _Unreadable(Exception):
    """The driver failed reading the table column by column."""


def _line(dialect: str, columns: tuple[str, ...]) -> str:
    """The expression of a row's line: the columns' text joined by :data:`SEP`, NULL as ''."""
    values = [f"IFNULL({c}, '')" for c in columns]
    # the separator is a plain literal (the connection's character set, coercible): the columns'
    # character set wins, as when each column is read on its own
    sep = f"'{SEP}'"
    return f"CONCAT_WS({sep}, {', '.join(values)})" if dialect == "mysql" else f" || {sep} || ".join(values)


def _lines_sql(
    dialect: str, table: str, columns: tuple[str, ...], order_by: str, chunk_by: str | None, where: str = ""
) -> str:
    """SQLite: one line per row. MySQL: (row count, their lines' length, the lines joined by
    :data:`ROW_SEP`) per chunk of :data:`CHUNK` rows (``chunk_by``: an integer column, its values DIV
    CHUNK; "" for one chunk). GROUP_CONCAT cuts silently at the session's length: the length says so.
    ``where``: the rows' condition, "" for all."""
    line = _line(dialect, columns)
    table = f"{table} WHERE {where}" if where else table
    if dialect != "mysql":
        return f"SELECT {line} FROM {table} ORDER BY {order_by}"
    lines = f"GROUP_CONCAT({line} ORDER BY {order_by} SEPARATOR '{ROW_SEP}')"
    by = f" GROUP BY {chunk_by} DIV {CHUNK} ORDER BY {chunk_by} DIV {CHUNK}" if chunk_by else ""
    return f"SELECT COUNT(*), SUM(CHAR_LENGTH({line})), {lines} FROM {table}{by}"


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


def _chunks(conn: Any, sql: str) -> Iterator[list[str]]:
    """SQLite: the one-value rows of ``sql`` as text, :data:`CHUNK` rows at a time (``fetchmany``); a
    driver's error raised as :class:`_Retry`."""
    try:
        cur = conn.execute(sql)
    except Exception as exc:  # sqlite3's error classes
        raise _Retry(str(exc)) from exc
    try:
        while True:
            try:
                rows = cur.fetchmany(CHUNK)
            except Exception as exc:  # sqlite3's error classes
                raise _Retry(str(exc)) from exc
            if not rows:
                return
            lines = list(map(_FIRST, rows))
            if not all(map(isinstance, lines, repeat(str))):
                lines = list(map(text, lines))
            yield lines
    finally:
        cur.close()


_FIRST = itemgetter(0)


#: the GROUP_CONCAT length each open MySQL connection's session was given (set once per connection and
#: length, not once per table read)
_CHUNK_LENGTHS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _set_chunk_length(conn: Any) -> None:
    if _CHUNK_LENGTHS.get(conn) == CHUNK_LENGTH:
        return
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SET SESSION group_concat_max_len = {CHUNK_LENGTH}")
    except Exception as exc:  # driver-specific error classes
        raise _Retry from exc
    _CHUNK_LENGTHS[conn] = CHUNK_LENGTH


def read_rows(
    conn: Any,
    dialect: str,
    table: str,
    columns: tuple[str, ...],
    order_by: str,
    sink: Callable[[], Sink],
    chunk_by: str = "",
    where: str = "",
) -> Sink:
    """A new ``sink()`` fed every row of ``table`` in ``order_by`` order (see the module's docstring);
    ``chunk_by`` (MySQL): the integer column leading ``order_by``, "" when it is not one (a small table,
    read in one chunk); ``where``: the rows' condition, "" for every row. A column may be any
    expression of the row."""
    fed, width, chunked = sink(), len(columns), dialect == "mysql"
    sql = _lines_sql(dialect, table, columns, order_by, chunk_by, where)
    # SQLite: the lines a chunk at a time (fetchmany), each chunk split and fed in C
    rows = _streamed(conn, dialect, sql, _Retry) if chunked else _chunks(conn, sql)
    try:
        if chunked:
            _set_chunk_length(conn)
            for count, length, chunk in rows:
                if not count:
                    continue  # an empty table's one row
                chunk = chunk if type(chunk) is str else text(chunk)
                if len(chunk) != int(length) + count - 1:  # cut at the session's GROUP_CONCAT length
                    raise _Retry
                # every line has width - 1 separators: a value holding either separator adds values
                values = chunk.replace(ROW_SEP, SEP).split(SEP)
                if len(values) != count * width:
                    raise _Retry
                fed.add_rows(chunk, values)
            return fed
        for lines in rows:
            values = SEP.join(lines).split(SEP)
            if len(values) != len(lines) * width:  # a value holds the separator
                raise _Retry
            fed.add_rows(ROW_SEP.join(lines), values)
        return fed
    except _Retry:
        with contextlib.suppress(_Retry):  # the table is read again below, which says any error
            rows.close()
    fed = sink()  # what the first reading fed is dropped
    batch = _Batch(fed)
    condition = f" WHERE {where}" if where else ""
    sql = f"SELECT {', '.join(columns)} FROM {table}{condition} ORDER BY {order_by}"
    try:
        for row in _streamed(conn, dialect, sql, _Unreadable):
            values = [v if type(v) is str else text(v) for v in row]
            batch.add(SEP.join(values), values)
    except _Unreadable as exc:
        raise OndeError(
            f"cannot read table {table}: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc.__cause__
    batch.flush()
    return fed
