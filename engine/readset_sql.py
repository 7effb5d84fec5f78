"""The read set's side in apply.sql: the statements that load the plan's touched keys into temporary
tables and the guards that recompute each table's checksum on the server (engine.readset computes the
same sums at plan time, in Python, from the server's per-row terms).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.readset import (
    _KEY,
    EXCLUDED_SQL,
    GUARDED_IN_SQL,
    TOUCHED,
    TOUCHED_USERS,
    _parent_touched_sql,
    checksum_sql,
    masked_term_sql,
    touched,
)

#: the temporary table apply.sql loads the plan's touched logins and refs into, to resolve them by joins
TOUCHED_KEYS = "onde_sacoche_touched_key"

#: the kinds whose accepted items apply.sql (MySQL) has loaded into its data blocks before the guards
#: (engine.render.sets_data): their touched keys are read from those tables, not loaded a second time
IN_DATA_BLOCKS = frozenset(
    {"update", "reactivate", "deactivate", "create", "membership_add", "membership_remove"}
)
#: the data blocks' tables and the class and group id map (engine.render.sets_data, phrases_sets: a
#: later stage, so spelled again here; tests/unit/test_readset_sql.py checks they agree)
CHANGES, NEW, MEMBERS, GROUP_IDS = (
    "onde_sacoche_pupil_change",
    "onde_sacoche_pupil_new",
    "onde_sacoche_membership",
    "onde_sacoche_group_id",
)


#: table → its rows left out of the read set, besides EXCLUDED_SQL's, when apply.sql has them in a data
#: block: the accounts to change, looked up there by user_id (a key lookup per row, instead of copying
#: their ids into the touched table)
BLOCK_EXCLUDED = {
    "sacoche_user": f"NOT EXISTS (SELECT 1 FROM {CHANGES} t WHERE t.user_id = sacoche_user.user_id)",
}


def blocks_of(items: Iterable[Any]) -> set[str]:
    """The tables of BLOCK_EXCLUDED whose rows apply.sql finds in a data block: sacoche_user when it
    has an accepted update, reactivation or deactivation."""
    changes = ("update", "reactivate", "deactivate")
    # any(): stops at the first such item (a plan of hundreds of thousands has one among its first)
    return {"sacoche_user"} if any(_kind(i) in changes and _accepted(i) for i in items) else set()


def _kind(item: Any) -> str:
    # a plan.json dict first: the ABC check of Mapping costs more than the lookup
    return str(item["kind"] if type(item) is dict or isinstance(item, Mapping) else item.kind)


def _accepted(item: Any) -> bool:
    if type(item) is dict or isinstance(item, Mapping):
        return bool(item.get("accepted"))
    return bool(getattr(item, "accepted", False))


def touched_sql(
    items: Iterable[Any],
    literal: Any,
    batch: int = 2000,
    *,
    parents: bool | None = None,
    data_blocks: bool = True,
) -> list[str]:
    """The statements of apply.sql that fill the temporary table of touched keys (``what``: u account,
    g class or group, j membership (user_id, groupe_id), r memberships of a retired group), resolving
    logins and refs in SQL as :func:`read_set_without` resolves them in Python: ids as multi-row INSERTs,
    logins and refs loaded into :data:`TOUCHED_KEYS` (multi-row INSERTs too) and resolved by four joins.
    The number of statements grows with the bytes of the keys, a few thousand rows per INSERT.

    With ``data_blocks`` (apply.sql: the pupils' data blocks and the class and group id map exist
    when the guards run) the accepted items of :data:`IN_DATA_BLOCKS` are not loaded again: their keys
    are read from those tables by :func:`block_touched_sql`, a statement per family."""
    covered: set[str] = set()  # the kinds of the items left to their data blocks
    rest = []
    for i in items:
        kind = _kind(i)
        if data_blocks and kind in IN_DATA_BLOCKS and _accepted(i):
            covered.add(kind)
        else:
            rest.append(i)
    t = touched(rest)
    into = f"INSERT IGNORE INTO {TOUCHED} (what, a, b)"
    found: list[str] = block_touched_sql(covered, into)
    for what, ids in (("u", t.user_ids), ("g", t.groupe_ids), ("r", t.retired_ids)):
        ordered = sorted(ids)
        for start in range(0, len(ordered), batch):
            values = ", ".join(f"('{what}', {literal(i)}, 0)" for i in ordered[start : start + batch])
            found.append(f"{into} VALUES {values}")
    # the retired groups again, in a table of their own (read beside the touched keys by the
    # memberships' read guard)
    retired = f"{TOUCHED}_retired"
    found.append(f"DROP TEMPORARY TABLE IF EXISTS {retired}")
    found.append(f"CREATE TEMPORARY TABLE {retired} (groupe_id INT UNSIGNED NOT NULL PRIMARY KEY)")
    if t.retired_ids:
        ids = ", ".join(f"({literal(i)})" for i in sorted(t.retired_ids))
        found.append(f"INSERT INTO {retired} (groupe_id) VALUES {ids}")
    keys = [f"('n', NULL, {literal(login)}, '', '')" for login in sorted(t.logins)]
    keys += [f"('g', NULL, '', {literal(kind)}, {literal(ref)})" for kind, ref in sorted(t.group_refs)]
    for user_id, login, ref in sorted(t.members, key=lambda m: (str(m[0]), m[1], m[2])):
        keys.append(f"('m', {literal(user_id)}, {literal(login)}, 'groupe', {literal(ref)})")
    if keys:
        found += _touched_keys_sql(keys, into, batch)
    if parents if parents is not None else "sacoche_jointure_parent_eleve" in GUARDED_IN_SQL:
        found += _parent_touched_sql(t, into, literal)
    return found


def block_touched_sql(kinds: set[str], into: str) -> list[str]:
    """The touched keys of the accepted items already in apply.sql's data blocks, one statement per
    family, resolved as :func:`read_set_without` resolves them (logins by the UNIQUE index, a group's
    ref through the id map: sacoche_groupe has no index on its ref). The accounts to change are not
    copied: the user table's read guard looks them up in their block (:data:`BLOCK_EXCLUDED`)."""
    found = []
    member = f"JOIN {GROUP_IDS} c ON c.groupe_type = 'groupe' AND c.groupe_ref = t.ref"
    if "create" in kinds:
        found.append(
            f"{into} SELECT 'u', u.user_id, 0 FROM {NEW} t JOIN sacoche_user u ON u.user_login = t.user_login"
        )
    if kinds & {"membership_add", "membership_remove"}:
        found.append(
            f"{into} SELECT 'j', t.user_id, c.groupe_id FROM {MEMBERS} t {member} WHERE t.user_id IS NOT NULL"
        )
        found.append(
            f"{into} SELECT 'j', u.user_id, c.groupe_id FROM {MEMBERS} t "
            f"JOIN sacoche_user u ON u.user_login = t.login {member} WHERE t.user_id IS NULL"
        )
    return found


def _touched_keys_sql(keys: list[str], into: str, batch: int) -> list[str]:
    """The touched logins and refs loaded into :data:`TOUCHED_KEYS`, then resolved by four joins."""
    found = [f"DROP TEMPORARY TABLE IF EXISTS {TOUCHED_KEYS}"]
    found.append(
        f"CREATE TEMPORARY TABLE {TOUCHED_KEYS} (what CHAR(1) CHARACTER SET ascii NOT NULL, "
        "user_id INT NULL, login VARCHAR(255) NOT NULL, kind VARCHAR(10) NOT NULL, "
        "ref VARCHAR(255) NOT NULL, KEY (login), KEY (kind, ref)) "
        "ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci"
    )
    for start in range(0, len(keys), batch):
        found.append(
            f"INSERT INTO {TOUCHED_KEYS} (what, user_id, login, kind, ref) VALUES\n"
            + ",\n".join(keys[start : start + batch])
        )
    k = TOUCHED_KEYS
    group = "g.groupe_type = k.kind AND g.groupe_ref = k.ref"
    found += [
        f"{into} SELECT 'u', u.user_id, 0 FROM {k} k JOIN sacoche_user u ON u.user_login = k.login "
        "WHERE k.what = 'n'",
        f"{into} SELECT 'g', g.groupe_id, 0 FROM {k} k JOIN sacoche_groupe g ON {group} WHERE k.what = 'g'",
        f"{into} SELECT 'j', k.user_id, g.groupe_id FROM {k} k JOIN sacoche_groupe g ON {group} "
        "WHERE k.what = 'm' AND k.user_id IS NOT NULL",
        f"{into} SELECT 'j', u.user_id, g.groupe_id FROM {k} k JOIN sacoche_user u ON u.user_login = k.login "
        f"JOIN sacoche_groupe g ON {group} WHERE k.what = 'm' AND k.user_id IS NULL",
        f"DROP TEMPORARY TABLE {k}",
    ]
    return found


class ReadGuard:
    """One read-set guard of apply.sql, shaped for guards.sql.j2."""

    setup: tuple[str, ...] = ()
    statement = ""

    def __init__(
        self, table: str, rows: int, checksum: str, literal: Any, *, in_blocks: Iterable[str] = ()
    ) -> None:
        count, total = checksum_sql(table)
        excluded = [EXCLUDED_SQL[table]] if table in EXCLUDED_SQL else []
        if table in in_blocks:
            excluded.append(BLOCK_EXCLUDED[table])
        where = f" WHERE {' AND '.join(excluded)}" if excluded else ""
        self.table = table
        self.key = _KEY.format(table=table)
        self.message = (
            f"ONDE-SACOCHE {self.key}. {table} no longer holds what the plan read ({rows} rows, "
            f"checksum {checksum}): the plan must be made again. Nothing was written."
        )
        self.condition = (
            f"(SELECT {count} = {literal(rows)} AND {total} = {literal(checksum)} FROM {table}{where})"
        )


#: the temporary table apply.sql loads each touched account's own term into
ACCOUNT_TERMS = "onde_sacoche_account_term"


class AccountGuard:
    """Every touched account's own term (the columns the plan does not write) is still the plan's: the
    terms loaded into :data:`ACCOUNT_TERMS` (multi-row INSERTs), then one anti-join that stops the
    script on the first account that moved, naming it.

    The first is found by ``ORDER BY t.user_id + 0``: ordered by the bare column, the server read the
    table through its primary key, a row lookup each (a quarter of the statement's time), to sort
    nothing when no account moved."""

    statement_kind = "set"

    def __init__(self, written: Mapping[int, Iterable[str]], terms: Mapping[str, str], literal: Any) -> None:
        """``written``: user_id → the columns the plan writes on it; ``terms``: str(user_id) → the
        account's own term as the plan read it (none: ``-``, which no term equals)."""
        ids = sorted(written)  # the ids alone: sorting (id, columns) pairs took four times as long
        masks = [frozenset(written[user_id]) for user_id in ids]
        number = {columns: n for n, columns in enumerate(sorted(set(masks), key=sorted))}
        rows = [
            f"({literal(user_id)}, {number[columns]}, {literal(term if term is not None else '-')})"
            for user_id, columns, term in zip(ids, masks, map(terms.get, map(str, ids)), strict=True)
        ]
        self.key = "GUARD READ user_id <user_id>: row moved"
        self.message = (
            f"ONDE-SACOCHE {self.key}. The account user_id <user_id> changed since the plan (a column the "
            "plan does not write), or is gone: the plan must be made again. Nothing was written."
        )
        self.setup = [
            f"DROP TEMPORARY TABLE IF EXISTS {ACCOUNT_TERMS}",
            f"CREATE TEMPORARY TABLE {ACCOUNT_TERMS} (user_id INT NOT NULL PRIMARY KEY, mask INT NOT NULL, "
            "term VARCHAR(24) CHARACTER SET ascii NOT NULL) ENGINE=MyISAM",
        ]
        for start in range(0, len(rows), 2000):
            self.setup.append(
                f"INSERT INTO {ACCOUNT_TERMS} (user_id, mask, term) VALUES\n"
                + ",\n".join(rows[start : start + 2000])
            )
        cases = " ".join(f"WHEN {n} THEN {masked_term_sql(columns, 'u')}" for columns, n in number.items())
        head, tail = "GUARD READ user_id ", ": row moved"
        why = (
            ". The account changed since the plan (a column the plan does not write), or is gone: the plan "
            "must be made again. Nothing was written."
        )
        self.statement = (
            "INSERT INTO onde_sacoche_guard (failed, explanation)\n"
            f"  SELECT CONCAT({literal(head)}, bad.user_id, {literal(tail)}),\n"
            f"  CONCAT({literal('ONDE-SACOCHE ' + head)}, bad.user_id, {literal(tail + why)})\n"
            f"  FROM (SELECT t.user_id FROM {ACCOUNT_TERMS} t\n"
            "    LEFT JOIN sacoche_user u ON u.user_id = t.user_id\n"
            f"    WHERE (CASE t.mask {cases} END <=> t.term) IS NOT TRUE\n"
            "    ORDER BY t.user_id + 0 LIMIT 1) AS bad,\n"
            f"  (SELECT 1 AS n UNION ALL SELECT 2) AS twice;\n"
            f"DROP TEMPORARY TABLE {ACCOUNT_TERMS}"
        )


def read_guards(doc: Mapping[str, Any], literal: Any) -> list[Any]:
    """The read-set guards for a plan (none when the plan was made on SQLite, or before read sets)."""
    found = (doc.get("state") or {}).get("read_set") or {}
    blocks = blocks_of(doc["items"])
    guards: list[Any] = [
        ReadGuard(table, int(info["rows"]), str(info["checksum"]), literal, in_blocks=blocks)
        for table, info in found.items()
        if table in GUARDED_IN_SQL and isinstance(info, dict)
    ]
    if guards and isinstance(found.get(TOUCHED_USERS), dict):
        terms = found[TOUCHED_USERS].get("terms") or {}
        written = touched(doc["items"]).written  # decide items touch nothing
        if written:
            guards.append(AccountGuard(written, terms, literal))
    return guards
