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

A plan that plans parents (``parent_*`` items, docs/parents.md) covers the parents' tables too
(engine.state.PARENT_READ_COLUMNS: links and addresses), their touched rows left out the same way.

The rows the plan touches are left out (so that a second run after an interruption, which finds some of
them already written, still sees the same read set): accounts of its updates and of its new logins,
renamed, created and retired classes and groups, the memberships it adds or removes and those of the
groups it retires — for every item of the plan but ``decide`` ones, accepted or not (the reviewer flips
``accepted`` after the read set is sealed). Each touched row is guarded one by one instead, in its old
or its new state. ``plan`` sums the server's per-row terms in Python, leaving out those rows by key;
apply.sql puts the same keys, resolved in SQL, into a temporary table and sums the rest on the server.
The keys of the touched rows are gathered by engine.readset_touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.read.normalise import paused_gc
from engine.readset_touched import Touched, item_field, touched
from engine.state import CHUNK_BY, ORDER_BY, READ_COLUMNS, TABLE_COLUMNS
from engine.state_rows import read_rows

#: a key of the guard table is at most 64 ASCII characters
_KEY = "GUARD READ {table}: table moved"


#: the read set's entry holding each touched account's own term (engine.readset.masked_term_sql)
TOUCHED_USERS = "touched_accounts"

#: the temporary table apply.sql fills with the keys of the rows the plan touches
TOUCHED = "onde_sacoche_touched"

#: table → the condition, on a row of the table, that it is not a touched row (apply.sql)
EXCLUDED_SQL = {
    "sacoche_user": f"user_id NOT IN (SELECT a FROM {TOUCHED} WHERE what = 'u')",
    "sacoche_groupe": f"groupe_id NOT IN (SELECT a FROM {TOUCHED} WHERE what = 'g')",
    # two primary-key lookups (one OR between them made the server scan the touched keys for every
    # membership: 8 s for 20,000 pupils); each temporary table is read once in the statement
    "sacoche_jointure_user_groupe": (
        f"NOT EXISTS (SELECT 1 FROM {TOUCHED} t WHERE t.what = 'j' AND t.a = "
        "sacoche_jointure_user_groupe.user_id AND t.b = sacoche_jointure_user_groupe.groupe_id) AND "
        f"groupe_id NOT IN (SELECT groupe_id FROM {TOUCHED}_retired)"
    ),
    "sacoche_jointure_parent_eleve": (
        f"NOT EXISTS (SELECT 1 FROM {TOUCHED} t WHERE t.what = 'l' AND t.a = "
        "sacoche_jointure_parent_eleve.parent_id AND t.b = sacoche_jointure_parent_eleve.eleve_id)"
    ),
    "sacoche_parent_adresse": f"parent_id NOT IN (SELECT a FROM {TOUCHED} WHERE what = 'd')",
}

#: the tables whose read-set guard apply.sql runs: every one must be in its LOCK TABLES. The parents'
#: tables are (engine/render/templates/sql/mysql/parents_lock.sql.j2 locks them in a plan with parent
#: items, the only plans whose read set records them)
GUARDED_IN_SQL: tuple[str, ...] = tuple(TABLE_COLUMNS)


def term_sql(table: str) -> str:
    """One row's 60-bit term (an unsigned integer)."""
    columns = ", ".join(f"IFNULL({c}, '')" for c in TABLE_COLUMNS[table])
    return f"CAST(CONV(SUBSTR(SHA1(CONCAT_WS(0x1f, {columns})), 1, 15), 16, 10) AS UNSIGNED)"


def masked_term_sql(written: Iterable[str], alias: str = "") -> str:
    """A touched account's own term: its read columns but those the plan writes (checked by the item's
    guards, in the old or the new state), as text; ``alias`` names sacoche_user in the statement."""
    masked, a = set(written), f"{alias}." if alias else ""
    columns = ", ".join("''" if c in masked else f"IFNULL({a}{c}, '')" for c in READ_COLUMNS["sacoche_user"])
    return f"CAST(CONV(SUBSTR(SHA1(CONCAT_WS(0x1f, {columns})), 1, 15), 16, 10) AS CHAR)"


def checksum_sql(table: str) -> tuple[str, str]:
    """(COUNT expression, checksum expression) over ``table``'s read columns, for ``SELECT … FROM table``."""
    return "COUNT(*)", f"CAST(COALESCE(SUM({term_sql(table)}), 0) AS CHAR)"


def _parent_rows(exclude: Touched, user_of: Mapping[str, int]) -> tuple[set[tuple[int, int]], set[int]]:
    """The touched parent links as (parent_id, eleve_id) and addresses as parent_id, logins resolved like
    apply.sql resolves them."""
    links = set()
    for parent_id, parent_login, eleve_id, eleve_login in exclude.parent_links:
        pid = parent_id if parent_id is not None else user_of.get(parent_login)
        eid = eleve_id if eleve_id is not None else user_of.get(eleve_login)
        if pid is not None and eid is not None:
            links.add((int(pid), int(eid)))
    addresses = set()
    for parent_id, parent_login in exclude.parent_addresses:
        pid = parent_id if parent_id is not None else user_of.get(parent_login)
        if pid is not None:
            addresses.add(int(pid))
    return links, addresses


def _parent_touched_sql(t: Touched, into: str, literal: Any) -> list[str]:
    """The statements filling the touched table with the parent links ('l') and addresses ('d')."""
    found = []

    def user(value: Any, login: str, alias: str) -> tuple[str, str]:
        if value is not None:
            return literal(value), ""
        return f"{alias}.user_id", f"sacoche_user {alias} WHERE {alias}.user_login = {literal(login)}"

    for parent_id, parent_login, eleve_id, eleve_login in sorted(t.parent_links, key=str):
        pid, pfrom = user(parent_id, parent_login, "u")  # u and u2: the aliases apply.sql locks
        eid, efrom = user(eleve_id, eleve_login, "u2")
        sources = [s for s in (pfrom, efrom) if s]
        if not sources:
            found.append(f"{into} VALUES ('l', {pid}, {eid})")
            continue
        tables = ", ".join(s.split(" WHERE ")[0] for s in sources)
        where = " AND ".join(s.split(" WHERE ")[1] for s in sources)
        found.append(f"{into} SELECT 'l', {pid}, {eid} FROM {tables} WHERE {where}")
    for parent_id, parent_login in sorted(t.parent_addresses, key=str):
        pid, pfrom = user(parent_id, parent_login, "u")
        found.append(
            f"{into} VALUES ('d', {pid}, 0)" if not pfrom else f"{into} SELECT 'd', {pid}, 0 FROM {pfrom}"
        )
    return found


def read_set_mysql(connection: Any, *, parents: bool = False) -> dict[str, dict[str, Any]]:
    """table → {rows, checksum} of the whole tables, on an open PyMySQL connection (SELECTs only); the
    parents' tables too with ``parents`` (a plan that plans parents, see :func:`guarded_tables`)."""
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for table in TABLE_COLUMNS if parents else READ_COLUMNS:
            count, checksum = checksum_sql(table)
            cursor.execute(f"SELECT {count}, {checksum} FROM {table}")
            rows, total = cursor.fetchone()
            found[table] = {"rows": int(rows), "checksum": str(total)}
    return found


def guarded_tables(items: Iterable[Any]) -> tuple[str, ...]:
    """The tables a plan's read set covers: the pupils' ones, and the parents' when it plans parents (a
    pupils-only plan neither reads nor writes a link or an address)."""
    return tables_read(any(str(item_field(i, "kind")).startswith("parent_") for i in items))


def tables_read(parents: bool) -> tuple[str, ...]:
    """:func:`guarded_tables` once it is known whether the plan has parent items."""
    return tuple(TABLE_COLUMNS) if parents else tuple(READ_COLUMNS)


#: table → the key columns leading each row's term in :func:`read_set_without` (the touched rows are
#: found by them)
_KEYS: dict[str, tuple[str, ...]] = {
    "sacoche_user": ("user_id", "user_login"),
    "sacoche_groupe": ("groupe_id", "groupe_type", "groupe_ref"),
    "sacoche_jointure_user_groupe": ("user_id", "groupe_id"),
    "sacoche_jointure_parent_eleve": ("parent_id", "eleve_id"),
    "sacoche_parent_adresse": ("parent_id",),
}


class _Sums:
    """One table's row count and sum of terms, of every row and of the rows not touched; fed the rows'
    keys and term as text (engine.state_rows), the term last, ``width`` values a row. ``touched`` gives
    the terms of a batch's touched rows (from its values and all its terms)."""

    def __init__(self, width: int, touched: _Touching | None = None) -> None:
        self.width, self.touched = width, touched
        self.rows = self.total = self.all_rows = self.all_total = 0

    def add_rows(self, lines: str, values: list[str]) -> None:
        terms = list(map(int, values[self.width - 1 :: self.width]))
        left_out = self.touched(values, terms) if self.touched is not None else []
        whole = sum(terms)
        self.all_rows += len(terms)
        self.all_total += whole
        self.rows += len(terms) - len(left_out)
        self.total += whole - sum(left_out)  # exact integers: the sum of the other rows' terms


#: a batch's flat values and terms → the terms of its touched rows
_Touching = Callable[[list[str], list[int]], list[int]]


def _sink(
    table: str, exclude: Touched, user_of: dict[str, int], group_of: dict[tuple[str, str], int]
) -> Callable[[], _Sums]:
    """The sinks of one table's rows, leaving out its touched rows by key; ``user_of`` (the logins of
    :func:`_looked_up`) and ``group_of`` are filled from the user and group tables (read first; each new
    sink starts them again). A batch's
    keys are read a column at a time (slices of its values: no list, no call per row)."""
    width = len(_KEYS.get(table, ())) + 1
    if table == "sacoche_user":
        user_ids, logins, wanted = exclude.user_ids, exclude.logins, _looked_up(exclude)

        def user(values: list[str], terms: list[int]) -> list[int]:
            ids, folded = list(map(int, values[0::3])), list(map(str.lower, values[1::3]))
            if wanted:  # only the logins resolved later: not a dict of every account
                user_of.update((f, i) for f, i in zip(folded, ids, strict=True) if f in wanted)
            return [t for i, f, t in zip(ids, folded, terms, strict=True) if i in user_ids or f in logins]

        return lambda: (user_of.clear(), _Sums(width, user))[1]
    if table == "sacoche_groupe":
        groupe_ids, refs = exclude.groupe_ids, exclude.group_refs

        def group(values: list[str], terms: list[int]) -> list[int]:
            ids = list(map(int, values[0::4]))
            keys = list(zip(values[1::4], map(str.upper, values[2::4]), strict=True))
            group_of.update(zip(keys, ids, strict=True))
            return [t for i, k, t in zip(ids, keys, terms, strict=True) if i in groupe_ids or k in refs]

        return lambda: (group_of.clear(), _Sums(width, group))[1]
    if table == "sacoche_jointure_user_groupe":
        pairs, retired = _pairs(exclude, user_of, group_of), exclude.retired_ids

        def member(values: list[str], terms: list[int]) -> list[int]:
            both = zip(map(int, values[0::3]), map(int, values[1::3]), terms, strict=True)
            return [t for u, g, t in both if g in retired or (u, g) in pairs]

        return lambda: _Sums(width, member)
    links, addresses = _parent_rows(exclude, user_of)
    if table == "sacoche_jointure_parent_eleve":

        def link(values: list[str], terms: list[int]) -> list[int]:
            both = zip(map(int, values[0::3]), map(int, values[1::3]), terms, strict=True)
            return [t for p, e, t in both if (p, e) in links]

        return lambda: _Sums(width, link)
    if table == "sacoche_parent_adresse":

        def address(values: list[str], terms: list[int]) -> list[int]:
            return [t for p, t in zip(map(int, values[0::2]), terms, strict=True) if p in addresses]

        return lambda: _Sums(width, address)
    return lambda: _Sums(width)


def _looked_up(exclude: Touched) -> set[str]:
    """The (lower-cased) logins :func:`_pairs` and :func:`_parent_rows` resolve: those of the touched
    rows known by login only."""
    found = {login for user_id, login, _ in exclude.members if user_id is None}
    for parent_id, parent_login, eleve_id, eleve_login in exclude.parent_links:
        found.update(
            ([parent_login] if parent_id is None else []) + ([eleve_login] if eleve_id is None else [])
        )
    found.update(login for parent_id, login in exclude.parent_addresses if parent_id is None)
    return found


def _pairs(
    exclude: Touched, user_of: dict[str, int], group_of: dict[tuple[str, str], int]
) -> set[tuple[int, int]]:
    """The touched memberships as (user_id, groupe_id), resolved like apply.sql resolves them."""
    found = set()
    for user_id, login, ref in exclude.members:
        uid = user_id if user_id is not None else user_of.get(login)
        gid = group_of.get(("groupe", ref))
        if uid is not None and gid is not None:
            found.add((int(uid), gid))
    return found


def read_set_without(
    connection: Any, exclude: Touched, tables: Iterable[str] = tuple(READ_COLUMNS)
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(the read set without the rows the plan touches, the whole tables' read set), from one pass over
    each table: the server computes every row's term with the script's expression and sends it with the
    row's keys, joined into one text per row in chunks of rows (engine.state_rows: PyMySQL's decoding of
    every value was most of the time), summed here as exact integers (the same sum as the server's SUM,
    whose DECIMAL is exact too)."""
    found: dict[str, dict[str, Any]] = {}
    whole: dict[str, dict[str, Any]] = {}
    user_of: dict[str, int] = {}
    group_of: dict[tuple[str, str], int] = {}
    for table in tables:
        columns = (*_KEYS.get(table, ()), term_sql(table))
        sink = _sink(table, exclude, user_of, group_of)
        fed = read_rows(connection, "mysql", table, columns, ORDER_BY[table], sink, CHUNK_BY[table])
        assert isinstance(fed, _Sums)
        found[table] = {"rows": fed.rows, "checksum": str(fed.total)}
        whole[table] = {"rows": fed.all_rows, "checksum": str(fed.all_total)}
    found[TOUCHED_USERS] = _touched_terms(connection, exclude)
    return found, whole


class _Terms(dict[str, str]):
    """The touched accounts' own terms by user_id, fed (user_id, term) as text."""

    def add_rows(self, lines: str, values: list[str]) -> None:
        self.update(zip(values[0::2], values[1::2], strict=True))


def _touched_terms(connection: Any, exclude: Touched) -> dict[str, Any]:
    """The read set's entry of the touched accounts: each one's term without the columns the plan
    writes on it, read by chunks of 1,000 ids (one text per chunk, engine.state_rows)."""
    by_mask: dict[frozenset[str], list[int]] = {}
    for user_id, columns in exclude.written.items():
        by_mask.setdefault(frozenset(columns), []).append(user_id)
    terms: dict[str, str] = {}
    for columns, ids in by_mask.items():
        for start in range(0, len(ids), 1000):
            chunk = ", ".join(map(str, map(int, ids[start : start + 1000])))
            fed = read_rows(
                connection,
                "mysql",
                "sacoche_user",
                ("user_id", masked_term_sql(columns)),
                "user_id",
                _Terms,
                where=f"user_id IN ({chunk})",
            )
            assert isinstance(fed, _Terms)
            terms.update(fed)
    return {"rows": len(terms), "terms": terms}


def read_set(url: str, *, parents: bool = False) -> dict[str, dict[str, Any]] | None:
    """The read set of a MySQL / MariaDB database; None for SQLite (its apply runs in one transaction
    after ``onde-sacoche apply`` compared the fingerprint)."""
    from engine.dburl import connect_mysql, parse_url

    db = parse_url(url)
    if db.dialect != "mysql":
        return None
    connection = connect_mysql(db.resolved())
    try:
        return read_set_mysql(connection, parents=parents)
    finally:
        connection.close()  # type: ignore[attr-defined]


def plan_read_set(url: str, early: Mapping[str, Any], items: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The read set stored in plan.json: computed once the items are known, without the rows they
    touch, in the same pass as the whole tables' sums — which must still equal ``early`` (taken right
    after the state was read), else the database moved while the plan was made."""
    from engine.dburl import connect_mysql, parse_url
    from engine.errors import OndeError

    items = list(items)
    # the touched keys and the rows' texts are acyclic: no collection walking the plan
    with paused_gc():
        connection = connect_mysql(parse_url(url).resolved())
        try:
            exclude = touched(items)
            tables = tables_read(exclude.parents)  # touched() has told whether items are parent ones
            found, whole = read_set_without(connection, exclude, tables)
        finally:
            connection.close()  # type: ignore[attr-defined]
    moved = sorted(t for t in whole if whole[t] != early.get(t))
    if moved:
        raise OndeError(
            f"the database changed while the plan was being made ({', '.join(moved)})",
            hint="make the plan again when nobody is editing SACoche",
        )
    return found
