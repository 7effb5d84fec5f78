"""The data blocks of the set-based MySQL scripts: the plan's pupil rows as temporary tables.

On MySQL / MariaDB the pupils' families (account updates, reactivations and deactivations, new pupils,
group memberships) are not written one statement per item: each script loads the plan's rows into a
few temporary tables — one multi-row ``INSERT`` per :data:`ROWS_PER_INSERT` rows — and guards and
writes them with a handful of set statements (:mod:`~engine.render.phrases_sets`). A temporary table
belongs to the session (it needs no ``LOCK TABLES`` and vanishes with the client) and is loaded before
the lock is taken, so a running SACoche waits only for the guards and the writes.

Every value still goes through the dialect's one literal filter; column names come from
:mod:`~engine.render.columns`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from operator import attrgetter
from typing import Any

from engine.render.columns import CLASS, CREATE_COLUMNS, DATE, INT, TEXT, USER_COLUMNS

#: rows per INSERT of a data block, and its bytes at most (a row more may pass them): each statement
#: stays far below the smallest max_allowed_packet (1 MiB)
ROWS_PER_INSERT = 2000
BYTES_PER_INSERT = 256 * 1024
#: the temporary tables (their names; the statements of phrases_sets read them)
CHANGES, NEW, MEMBERS = "onde_sacoche_pupil_change", "onde_sacoche_pupil_new", "onde_sacoche_membership"
REFS = "onde_sacoche_ref_needed"
TABLE_OPTIONS = "ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci"
ITEM = ("item", "VARCHAR(40) CHARACTER SET ascii NOT NULL")
_LONG_TEXT = {"user_param_menu", "user_param_favori"}


def _is_default(value: Any, default: Any) -> bool:
    """``value`` is the column's default (None: NULL), as the same literal would be written."""
    if default is None:
        return value is None
    return type(value) is type(default) and value == default


def sql_type(column: str, ctype: str) -> str:
    """The type of a temporary column holding one of sacoche_user's values (or a class ref)."""
    if ctype == DATE:
        return "DATETIME" if column == "user_connexion_date" else "DATE"
    if ctype == INT:
        return "INT"
    if ctype == TEXT and column in _LONG_TEXT:
        return "TEXT"
    return "VARCHAR(255)"


@cache
def _wrapped(text: str) -> list[str]:
    """A block's comment lines (the same few texts for every script)."""
    return textwrap.wrap(text, 100)


#: characters of data statements a model keeps for its next scripts (apply, revert and verify load the
#: same rows); past that budget (a plan of hundreds of thousands of pupils) each script renders them again
MEMO_CHARS = 64 * 1024 * 1024


class Memo:
    """The rendered INSERTs of a model's data blocks, by table, within :data:`MEMO_CHARS` characters."""

    def __init__(self, budget: int = MEMO_CHARS) -> None:
        self.kept: dict[str, list[str]] = {}
        self.left = budget

    def keep(self, table: str, statements: list[str], chars: int) -> None:
        if chars <= self.left:
            self.kept[table] = statements
            self.left -= chars


def view_rows(
    views: Sequence[Any], literal: Callable[[Any], str], *fields: str
) -> Callable[[], Iterator[str]]:
    """A :class:`DataBlock`'s rows: each view numbered from 1 (column ``n``), then its ``fields`` (two or
    more attribute names) as literals, in the views' order."""
    values = attrgetter(*fields)

    def rows() -> Iterator[str]:
        for n, view in enumerate(views, 1):
            yield f"({n}, " + ", ".join(map(literal, values(view))) + ")"

    return rows


class DataBlock:
    """One temporary table and its rows: ``CREATE TEMPORARY TABLE``, then the multi-row INSERTs (kept in
    ``memo`` once rendered, when given: the rows of a model never change)."""

    def __init__(
        self,
        table: str,
        what: str,
        columns: Sequence[tuple[str, str]],
        keys: Sequence[str],
        rows: Any,
        memo: Memo | None = None,
        *,
        keyed: bool = False,
    ) -> None:
        self.table, self.columns, self.keys = table, list(columns), list(keys)
        self.what = _wrapped(f"{table}: {what}")
        #: the rows, each its text ``(value, …)``; with ``keyed``, each a pair (the names of the columns
        #: it gives, its text): the INSERTs then name only those columns (the others take their default)
        self.rows: Callable[[], Iterator[Any]] = rows
        self.memo = memo
        self.keyed = keyed

    def statements(self) -> Iterator[str]:
        """The block's statements, each without its ``;`` (the template ends them)."""
        definition = ",\n  ".join(f"{name} {ctype}" for name, ctype in self.columns)
        keys = "".join(f",\n  {key}" for key in self.keys)
        yield f"DROP TEMPORARY TABLE IF EXISTS {self.table}"
        yield f"CREATE TEMPORARY TABLE {self.table} (\n  {definition}{keys}\n) {TABLE_OPTIONS}"
        kept = self.memo.kept.get(self.table) if self.memo is not None else None
        if kept is not None:
            yield from kept
            return
        memo = self.memo
        inserts: list[str] | None = [] if memo is not None else None
        chars = 0
        for statement in self._inserts():
            if inserts is not None:
                chars += len(statement)
                if memo is None or chars > memo.left:
                    inserts = None  # past the budget: the next script renders them again
                else:
                    inserts.append(statement)
            yield statement
        if memo is not None and inserts is not None:
            memo.keep(self.table, inserts, chars)

    def _inserts(self) -> Iterator[str]:
        if self.keyed:
            yield from self._keyed_inserts()
            return
        head = f"INSERT INTO {self.table} ({', '.join(name for name, _ in self.columns)}) VALUES\n"
        batch: list[str] = []
        size = 0
        for row in self.rows():
            batch.append(row)
            size += len(row)
            if len(batch) == ROWS_PER_INSERT or size >= BYTES_PER_INSERT:
                yield head + ",\n".join(batch)
                batch, size = [], 0
        if batch:
            yield head + ",\n".join(batch)

    def _keyed_inserts(self) -> Iterator[str]:
        """One batch per set of columns named (a row's numbering ``n`` keeps the plan's order): the
        server parses a few values per row, not every column of the table."""
        batches: dict[tuple[str, ...], tuple[str, list[str], list[int]]] = {}
        for names, row in self.rows():
            found = batches.get(names)
            if found is None:
                head = f"INSERT INTO {self.table} ({', '.join(names)}) VALUES\n"
                found = batches[names] = (head, [], [0])
            head, batch, size = found
            batch.append(row)
            size[0] += len(row)
            if len(batch) == ROWS_PER_INSERT or size[0] >= BYTES_PER_INSERT:
                yield head + ",\n".join(batch)
                batch.clear()
                size[0] = 0
        for head, batch, _ in batches.values():
            if batch:
                yield head + ",\n".join(batch)


class PupilSets:
    """The pupils' data blocks of one plan (its model's accepted creates, changes and memberships)."""

    def __init__(self, model: Any, literal: Callable[[Any], str]) -> None:
        self.model, self.lit = model, literal
        changed: set[str] = set()
        #: new class ref → the first account change moving a pupil there (apply.sql's refs needed)
        self.new_classes: dict[str, str] = {}
        new_classes = self.new_classes
        for u in model.user_changes:  # one pass over the changes for both
            changed.update(u.item["changes"])
            for ref in u.new_class_refs:
                new_classes.setdefault(ref, u.id)
        #: the columns any account change of the plan writes, in sacoche_user's order
        self.changed = [c for c in USER_COLUMNS if c in changed]
        #: the columns of a new pupil but its class (resolved by ref), in table order
        self.new_columns = [(c, t) for c, t, _ in CREATE_COLUMNS if t != CLASS]
        #: apply.sql: (kind, ref, first item needing it) of the classes and groups these rows need
        #: single and the plan does not create (set by the guards, guards_groups.apply_refs_single)
        self.refs: list[tuple[str, str, str]] = []
        #: the INSERTs of the blocks every script loads, rendered once for the model's three scripts
        self.memo = Memo()

    # the blocks ----------------------------------------------------------------------------------------
    def blocks(self, script: str = "apply") -> list[DataBlock]:
        found = []
        m = self.model
        if script == "apply" and self.refs:
            found.append(self.refs_block())
        if m.user_changes:
            found.append(self.changes_block())
        if m.creates:
            found.append(self.new_block())
        if m.memberships_add or m.memberships_remove:
            found.append(self.members_block())
        return found

    def changes_block(self) -> DataBlock:
        columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("user_id", "INT NOT NULL")]
        columns.append(("login", "VARCHAR(255) NOT NULL"))
        for c in self.changed:
            ctype = USER_COLUMNS[c][0]
            old = "INT" if ctype == CLASS else sql_type(c, ctype)
            new = "VARCHAR(255)" if ctype == CLASS else sql_type(c, ctype)
            columns += [(f"c_{c}", "TINYINT NOT NULL DEFAULT 0"), (f"o_{c}", old), (f"v_{c}", new)]
        lit = self.lit
        changed = self.changed

        def rows() -> Iterator[tuple[tuple[str, ...], str]]:
            # a row names only the columns its item changes (most change one of several): the others
            # take their defaults, c_<column> 0 and NULL values
            names: dict[tuple[str, ...], tuple[str, ...]] = {}
            for n, u in enumerate(self.model.user_changes, 1):
                pairs = u.pairs()
                mine = tuple(c for c in changed if c in pairs)
                head = names.get(mine)
                if head is None:
                    named = (f"{p}_{c}" for c in mine for p in ("c", "o", "v"))
                    head = names[mine] = ("n", "item", "user_id", "login", *named)
                row = [str(n), lit(u.id), lit(u.user_id), lit(u.login)]
                for c in mine:
                    old, new = pairs[c]
                    row.append(f"1, {lit(old)}, {lit(new)}")
                yield head, "(" + ", ".join(row) + ")"

        what = (
            "accounts to update, reactivate or deactivate: c_<column> = 1 when the item changes that "
            "column, o_<column> its old value, v_<column> its new one (a class by ref); each INSERT names "
            "the columns its rows change, the others are 0 and NULL"
        )
        return DataBlock(CHANGES, what, columns, ["KEY (user_id)"], rows, self.memo, keyed=True)

    def new_block(self) -> DataBlock:
        lit = self.lit
        # each column but the class, with its default (columns.CREATE_COLUMNS) as the temporary column's:
        # a row names only the columns whose value is not their default (most pupils hold a dozen)
        defaults = [d for _, t, d in CREATE_COLUMNS if t != CLASS]
        columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("class_ref", "VARCHAR(255) NOT NULL")]
        for (c, t), d in zip(self.new_columns, defaults, strict=True):
            columns.append((c, sql_type(c, t) + ("" if d is None else f" DEFAULT {lit(d)}")))
        names = [c for c, _ in self.new_columns]

        # a pupil fixes no column: its values are its columns' (CREATE_COLUMNS order), but the class
        class_at = [t for _, t, _ in CREATE_COLUMNS].index(CLASS)

        def rows() -> Iterator[tuple[tuple[str, ...], str]]:
            heads: dict[tuple[int, ...], tuple[str, ...]] = {}
            for n, c in enumerate(self.model.creates, 1):
                values = c.values()
                del values[class_at]
                given = tuple(
                    i for i, (v, d) in enumerate(zip(values, defaults, strict=True)) if not _is_default(v, d)
                )
                head = heads.get(given)
                if head is None:
                    head = heads[given] = ("n", "item", "class_ref", *(names[i] for i in given))
                row = ", ".join([str(n), lit(c.id), lit(c.class_ref), *(lit(values[i]) for i in given)])
                yield head, f"({row})"

        what = (
            "pupils to create: every column of sacoche_user but user_id, the class by ref; each INSERT "
            "names the columns whose values are not the column's default"
        )
        return DataBlock(NEW, what, columns, ["KEY (user_login)"], rows, self.memo, keyed=True)

    def refs_block(self) -> DataBlock:
        columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("kind", "VARCHAR(10) NOT NULL")]
        columns.append(("ref", "VARCHAR(255) NOT NULL"))
        lit = self.lit

        def rows() -> Iterator[str]:
            for n, (kind, ref, item) in enumerate(self.refs, 1):
                yield f"({n}, {lit(item)}, {lit(kind)}, {lit(ref)})"

        what = (
            "classes and groups the rows below need to exist once (by type and ref), and the first item "
            "needing each"
        )
        return DataBlock(REFS, what, columns, [], rows)

    def members_block(self) -> DataBlock:
        columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("op", "CHAR(1) CHARACTER SET ascii NOT NULL")]
        columns += [
            ("user_id", "INT NULL"),
            ("login", "VARCHAR(255) NOT NULL"),
            ("ref", "VARCHAR(255) NOT NULL"),
        ]
        lit = self.lit

        def rows() -> Iterator[str]:
            m = self.model
            ops = [("a", x) for x in m.memberships_add] + [("r", x) for x in m.memberships_remove]
            for n, (op, x) in enumerate(ops, 1):
                yield f"({n}, {lit(x.id)}, '{op}', {lit(x.user_id)}, {lit(x.login)}, {lit(x.ref)})"

        what = (
            "group memberships to add (op a; user_id NULL for a pupil this plan creates, found by login) "
            "or remove (op r)"
        )
        return DataBlock(MEMBERS, what, columns, ["KEY (user_id)"], rows, self.memo)
