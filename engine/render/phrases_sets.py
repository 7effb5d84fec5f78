"""The set statements of the MySQL / MariaDB scripts for the pupils' families: guards as anti-joins over
the temporary tables of :mod:`~engine.render.sets_data`, writes as ``INSERT … SELECT`` and
``UPDATE … JOIN`` / ``DELETE … JOIN``.

Convergent as the per-item statements were: a guard passes for a row in the plan's old state or in the
state the script leaves it in; a write moves only rows still in the state it starts from (apply.sql: old
values, a free login, a missing membership; revert.sql: the values apply.sql wrote). So a script cut
anywhere — between two statements, or inside one (MyISAM keeps the rows written so far) — finishes
when run again.

Under ``LOCK TABLES`` every real table is named through a locked alias (``u``, ``g``, ``j``; temporary
tables need no lock) and each statement reads a temporary table once (MySQL cannot reopen a temporary
table within one statement).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.render.columns import CLASS, CREATE_COLUMNS, CREATED_IDENTITY, TEXT, USER_COLUMNS
from engine.render.phrases_group_sets import GroupSetPhrases
from engine.render.phrases_rename_sets import RenameSetPhrases
from engine.render.sets_data import CHANGES, MEMBERS, NEW, REFS

#: a pupil this plan changes or whose membership it changes: still the account the plan saw
_PUPIL = (
    "u.user_id = t.user_id AND CAST(u.user_login AS BINARY) = CAST(t.login AS BINARY) "
    "AND u.user_profil_sigle = 'ELV'"
)
#: a pupil this plan creates, found by login: the UNIQUE(user_login) index serves the plain `=`
_BY_LOGIN = "u.user_login = t.login AND CAST(u.user_login AS BINARY) = CAST(t.login AS BINARY)"
#: guards, writes and checks look classes up in GROUP_IDS (by primary key; sacoche_groupe has no index on
#: its ref, and scanning it once per row took seconds at 20,000 pupils)
GROUP_IDS = "onde_sacoche_group_id"
_CLASS_ID_OF_CHANGE = (
    f"LEFT JOIN {GROUP_IDS} c ON c.groupe_type = 'classe' AND c.groupe_ref = t.v_eleve_classe_id"
)
_CLASS_ID_OF_NEW = f"LEFT JOIN {GROUP_IDS} c ON c.groupe_type = 'classe' AND c.groupe_ref = t.class_ref"
_GROUP_OF_MEMBER = "JOIN sacoche_groupe g ON g.groupe_type = 'groupe' AND g.groupe_ref = t.ref"


def _same(column: str, ctype: str, left: str, right: str) -> str:
    """``left`` holds ``right``: text as bytes, NULL equal to NULL."""
    if ctype == TEXT:
        return f"CAST({left} AS BINARY) <=> CAST({right} AS BINARY)"
    return f"{left} <=> {right}"


class SetPhrases(GroupSetPhrases, RenameSetPhrases):
    """Mixed into the MySQL phrases: the pupils' set guards (``set_guard``) and writes (and, through
    :class:`GroupSetPhrases` and :class:`RenameSetPhrases`, the classes and groups to create and the
    classes to rename)."""

    lit: Any

    # guards ----------------------------------------------------------------------------------------
    def set_guard(self, g: Any) -> str:
        """The guard statement of a :class:`~engine.render.check.SetCheck`: the first row of its table
        that fails, if any, inserted twice into the guard table (the client stops on the duplicate key)."""
        head = f"GUARD {g.n}/{g.total} "
        tail = f": {g.short}"
        prefix, why = self.lit("ONDE-SACOCHE " + head), self.lit(": " + g.text + ". Nothing was written.")
        select = getattr(self, f"_bad_{g.check}")(g.subject)
        return (
            "INSERT INTO onde_sacoche_guard (failed, explanation)\n"
            f"  SELECT LEFT(CONCAT({self.lit(head)}, bad.item, {self.lit(tail)}), 64),\n"
            f"  LEFT(CONCAT({prefix}, bad.item, {self.lit(tail + '. ')}, bad.detail, {why}), 255)\n"
            f"  FROM ({select}\n    ORDER BY t.n LIMIT 1) AS bad, (SELECT 1 AS n UNION ALL SELECT 2) AS twice"
        )

    def _change_state(self, s: Any, side: str, cls: str = "c") -> str:
        """The account holds the old (``o``) or the new (``v``) value of every column its item changes."""
        parts = []
        for c in s.changed:
            ctype = USER_COLUMNS[c][0]
            if ctype == CLASS:
                same = f"u.{c} <=> {'t.o_' + c if side == 'o' else cls + '.groupe_id'}"
            else:
                same = _same(c, ctype, f"u.{c}", f"t.{side}_{c}")
            parts.append(f"(t.c_{c} = 0 OR {same})")
        return "(" + " AND ".join(parts or ["1 = 1"]) + ")"

    def _class_join(self, s: Any, indent: str = "    ", join: str = "") -> str:
        return f"\n{indent}{join or _CLASS_ID_OF_CHANGE}" if "eleve_classe_id" in s.changed else ""

    def _bad_set_changes(self, s: Any) -> str:
        return (
            f"SELECT t.item, CONCAT('user_id ', t.user_id) AS detail FROM {CHANGES} t\n"
            f"    LEFT JOIN sacoche_user u ON {_PUPIL}{self._class_join(s)}\n"
            f"    WHERE u.user_id IS NULL OR ({self._change_state(s, 'o')} IS NOT TRUE "
            f"AND {self._change_state(s, 'v')} IS NOT TRUE)"
        )

    def _new_same(self, columns: Iterable[str], cls: str = "c") -> str:
        parts = []
        for c in columns:
            ctype = USER_COLUMNS[c][0]
            parts.append(
                f"u.{c} <=> {cls}.groupe_id" if ctype == CLASS else _same(c, ctype, f"u.{c}", f"t.{c}")
            )
        return "(" + " AND ".join(parts) + ")"

    def _bad_set_created(self, s: Any) -> str:
        """apply.sql: a new pupil's login is held by an account that is not the one this plan creates,
        with every value of the plan (after an interrupted run)."""
        return (
            f"SELECT t.item, CONCAT('login ', t.user_login) AS detail FROM {NEW} t\n"
            f"    JOIN sacoche_user u ON u.user_login = t.user_login\n    {_CLASS_ID_OF_NEW}\n"
            f"    WHERE {self._new_same(USER_COLUMNS)} IS NOT TRUE"
        )

    def _bad_set_logins_alike(self, s: Any) -> str:
        """apply.sql: two new pupils whose logins are one for the UNIQUE(user_login) index (grouped by
        the column's collation, as the index compares them); one item of the first such pair named."""
        return (
            "SELECT t.item, t.detail FROM (SELECT MIN(t.n) AS n, MIN(t.item) AS item, "
            f"CONCAT('login ', MIN(t.user_login)) AS detail\n      FROM {NEW} t GROUP BY t.user_login "
            "HAVING COUNT(*) > 1) AS t"
        )

    def _bad_set_created_revert(self, s: Any) -> str:
        """revert.sql: the login is free (never applied) or holds the account apply.sql created."""
        unused = " AND u.user_connexion_date IS NULL" if self.deletes_created else ""  # type: ignore[attr-defined]
        return (
            f"SELECT t.item, CONCAT('login ', t.user_login) AS detail FROM {NEW} t\n"
            f"    JOIN sacoche_user u ON u.user_login = t.user_login\n    {_CLASS_ID_OF_NEW}\n"
            f"    WHERE ({self._new_same(CREATED_IDENTITY)}{unused}) IS NOT TRUE"
        )

    def _bad_set_members(self, s: Any) -> str:
        return self._bad_members("")

    def _bad_set_members_removed(self, s: Any) -> str:
        return self._bad_members(" AND t.op = 'r'")

    def _bad_members(self, which: str) -> str:
        return (
            f"SELECT t.item, CONCAT('user_id ', t.user_id) AS detail FROM {MEMBERS} t\n"
            f"    LEFT JOIN sacoche_user u ON {_PUPIL}\n"
            f"    WHERE t.user_id IS NOT NULL{which} AND u.user_id IS NULL"
        )

    def _bad_set_refs(self, s: Any) -> str:
        return (
            f"SELECT t.item, CONCAT(t.kind, ' ', t.ref) AS detail FROM {REFS} t\n"
            f"    LEFT JOIN {GROUP_IDS} c ON c.groupe_type = t.kind AND c.groupe_ref = t.ref\n"
            "    WHERE c.n IS NULL OR c.n <> 1"
        )

    def _bad_set_removed_refs(self, s: Any) -> str:
        retired = sorted(ref for kind, ref in s.model.retired_refs if kind == "groupe")
        skip = f" AND t.ref NOT IN ({', '.join(self.lit(r) for r in retired)})" if retired else ""
        return (
            f"SELECT t.item, CONCAT('group ', t.ref) AS detail FROM {MEMBERS} t\n"
            f"    LEFT JOIN {GROUP_IDS} c ON c.groupe_type = 'groupe' AND c.groupe_ref = t.ref\n"
            f"    WHERE t.op = 'r'{skip} AND (c.n IS NULL OR c.n <> 1)"
        )

    # apply.sql ---------------------------------------------------------------------------------------
    def set_group_ids(self) -> list[str]:
        """Every class and group's id and count by (type, ref) — refs grouped by the column's own
        collation, as SACoche compares them —, for the guards and writes to look up by primary key
        (sacoche_groupe has no index on its ref). Made again once the plan's classes and groups exist.

        A MEMORY table: its primary key is a hash, one probe per lookup (a MyISAM key on a utf8 ref is
        prefix-packed and searched row by row: a class lookup per pupil took 10 µs, 0.2 s for 20,000
        pupils). Only classes and groups, the types the plan looks up; its rows are fixed-size (about
        800 bytes), so the session's max_heap_table_size is raised while the script runs (given back at
        the end) lest a school with tens of thousands of refs fill it."""
        return [
            f"DROP TEMPORARY TABLE IF EXISTS {GROUP_IDS}",
            f"CREATE TEMPORARY TABLE {GROUP_IDS} (groupe_type VARCHAR(10) NOT NULL, groupe_ref VARCHAR(255) "
            "NOT NULL, groupe_id INT NOT NULL, n INT NOT NULL, PRIMARY KEY (groupe_type, groupe_ref)) "
            "ENGINE=MEMORY DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
            f"INSERT INTO {GROUP_IDS} (groupe_type, groupe_ref, groupe_id, n)\n"
            "  SELECT g.groupe_type, g.groupe_ref, MIN(g.groupe_id), COUNT(*) FROM sacoche_groupe g\n"
            "  WHERE g.groupe_type IN ('classe', 'groupe') GROUP BY g.groupe_type, g.groupe_ref",
        ]

    def set_create(self, s: Any) -> str:
        columns = ", ".join(c for c, _, _ in CREATE_COLUMNS)
        values = ", ".join("c.groupe_id" if t == CLASS else f"t.{c}" for c, t, _ in CREATE_COLUMNS)
        return (
            f"INSERT INTO sacoche_user ({columns})\n  SELECT {values}\n  FROM {NEW} t\n"
            f"  JOIN {GROUP_IDS} c ON c.groupe_type = 'classe' AND c.groupe_ref = t.class_ref\n"
            "  WHERE NOT EXISTS (SELECT 1 FROM sacoche_user u WHERE u.user_login = t.user_login)\n"
            "  ORDER BY t.n"
        )

    def set_change(self, s: Any, to: str) -> str:
        """Every account of the table moved to the new (``v``) or back to the old (``o``) values, only
        where it holds all the other side's."""
        sets = []
        for c in s.changed:
            value = "c.groupe_id" if USER_COLUMNS[c][0] == CLASS and to == "v" else f"t.{to}_{c}"
            sets.append(f"u.{c} = IF(t.c_{c} = 1, {value}, u.{c})")
        where = self._change_state(s, "o" if to == "v" else "v", "c")
        return (
            f"UPDATE sacoche_user u JOIN {CHANGES} t ON {_PUPIL}"
            f"{self._class_join(s, '  ', _CLASS_ID_OF_CHANGE)}\n"
            f"  SET " + ",\n    ".join(sets) + f"\n  WHERE {where}"
        )

    def set_members_add(self, s: Any, op: str = "a") -> list[str]:
        """The memberships of the table's ``op`` rows inserted (``INSERT IGNORE``: the primary key
        (user_id, groupe_id) makes a second run a no-op): existing pupils by user_id, new ones by login."""
        head = (
            "INSERT IGNORE INTO sacoche_jointure_user_groupe (user_id, groupe_id, jointure_pp)\n"
            f"  SELECT u.user_id, g.groupe_id, 0 FROM {MEMBERS} t\n"
        )
        found = [
            f"{head}  JOIN sacoche_user u ON {_PUPIL}\n  {_GROUP_OF_MEMBER}\n  WHERE t.op = '{op}' "
            "AND t.user_id IS NOT NULL ORDER BY t.n"
        ]
        if op == "a" and any(x.user_id is None for x in s.model.memberships_add):
            found.append(
                f"{head}  JOIN sacoche_user u ON {_BY_LOGIN}\n  {_GROUP_OF_MEMBER}\n"
                "  WHERE t.op = 'a' AND t.user_id IS NULL ORDER BY t.n"
            )
        return found

    def set_members_remove(self, s: Any) -> str:
        """The memberships of the table's ``op = 'r'`` rows deleted, read from the table (its pupils, then
        their memberships by primary key): left to itself the server scanned every membership and
        probed the table for each, twice the time at 200,000 pupils."""
        return (
            f"DELETE j FROM {MEMBERS} t\n"
            f"  STRAIGHT_JOIN sacoche_user u ON {_PUPIL}\n"
            "  STRAIGHT_JOIN sacoche_jointure_user_groupe j ON j.user_id = t.user_id AND j.jointure_pp = 0\n"
            "  STRAIGHT_JOIN sacoche_groupe g ON g.groupe_id = j.groupe_id AND g.groupe_type = 'groupe' "
            "AND g.groupe_ref = t.ref\n  WHERE t.op = 'r'"
        )

    # revert.sql --------------------------------------------------------------------------------------
    def set_members_unadd(self, s: Any) -> list[str]:
        """The memberships apply.sql added, deleted (the membership row only)."""
        tail = (
            "  JOIN sacoche_jointure_user_groupe j ON j.user_id = u.user_id\n"
            "  JOIN sacoche_groupe g ON g.groupe_id = j.groupe_id AND g.groupe_type = 'groupe' "
            "AND g.groupe_ref = t.ref\n"
        )
        found = [
            f"DELETE j FROM {MEMBERS} t\n  JOIN sacoche_user u ON {_PUPIL}\n{tail}"
            "  WHERE t.op = 'a' AND t.user_id IS NOT NULL"
        ]
        if any(x.user_id is None for x in s.model.memberships_add):
            found.append(
                f"DELETE j FROM {MEMBERS} t\n  JOIN sacoche_user u ON {_BY_LOGIN}\n{tail}"
                "  WHERE t.op = 'a' AND t.user_id IS NULL"
            )
        return found

    def set_created_back(self, s: Any, today: str) -> list[str]:
        """The accounts apply.sql created: deactivated, or (``--revert-deletes-created``) deleted with
        their memberships while nobody ever logged in with them."""
        join = f"JOIN sacoche_user u ON u.user_login = t.user_login\n  {_CLASS_ID_OF_NEW}"
        identity = self._new_same(CREATED_IDENTITY, "c")
        if not self.deletes_created:  # type: ignore[attr-defined]
            return [
                f"UPDATE {NEW} t\n  {join}\n  SET u.user_sortie_date = {self.lit(today)}\n  WHERE {identity}"
            ]
        where = f"WHERE {identity} AND u.user_connexion_date IS NULL"
        return [
            f"DELETE j FROM {NEW} t\n  {join}\n"
            f"  JOIN sacoche_jointure_user_groupe j ON j.user_id = u.user_id\n  {where}",
            f"DELETE u FROM {NEW} t\n  {join}\n  {where}",
        ]

    # verify.sql ----------------------------------------------------------------------------------------
    def set_verify(self, c: Any) -> list[str]:
        """One row of onde_sacoche_verify per row of the family's table, numbered from ``c.n`` on: ok
        when the row is as planned, else NOT DONE (as the plan found it) or UNEXPECTED."""
        s, first = c.subject, c.n
        if c.check == "set_v_renamed":
            return [self.rename_verify(c)]
        if c.check == "set_v_changed":
            return [
                self._verify(
                    first - 1,
                    "CONCAT('user_id ', t.user_id, ' holds the new values')",
                    f"u.user_id IS NOT NULL AND {self._change_state(s, 'v')}",
                    f"u.user_id IS NOT NULL AND {self._change_state(s, 'o')}",
                    f"{CHANGES} t\n    LEFT JOIN sacoche_user u ON {_PUPIL}{self._class_join(s)}",
                    found=self._found_change(s),
                )
            ]
        if c.check == "set_v_created":
            return [
                self._verify(
                    first - 1,
                    "CONCAT('account ', t.user_login, ' exists with the plan''s values')",
                    f"u.user_id IS NOT NULL AND {self._new_same(USER_COLUMNS)}",
                    "u.user_id IS NULL",
                    f"{NEW} t\n    LEFT JOIN sacoche_user u ON u.user_login = t.user_login"
                    f"\n    {_CLASS_ID_OF_NEW}",
                    found=self._found_new(),
                )
            ]
        m = s.model
        if c.check == "set_v_added":
            found = []
            for by_id, pupil, who in (
                (True, _PUPIL, "CONCAT('user_id ', t.user_id, ' (', t.login, ')')"),
                (False, _BY_LOGIN, "CONCAT('new pupil ', t.login)"),
            ):
                if by_id or any(x.user_id is None for x in m.memberships_add):
                    member = self._member(pupil)
                    null = "NOT NULL" if by_id else "NULL"
                    found.append(
                        self._verify(
                            first - 1,
                            f"CONCAT({who}, ', group ', t.ref, ': member')",
                            member,
                            f"NOT {member}",
                            f"{MEMBERS} t",
                            f"t.op = 'a' AND t.user_id IS {null}",
                        )
                    )
            return found
        member = self._member(_PUPIL)
        was = (
            "EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe j JOIN sacoche_groupe g ON g.groupe_id = "
            "j.groupe_id WHERE j.user_id = t.user_id AND j.jointure_pp = 0 AND g.groupe_type = 'groupe' "
            "AND g.groupe_ref = t.ref)"
        )
        return [
            self._verify(
                first - 1 - len(m.memberships_add),
                "CONCAT('user_id ', t.user_id, ', group ', t.ref, ': not a member')",
                f"NOT {member}",
                was,
                f"{MEMBERS} t",
                "t.op = 'r'",
            )
        ]

    @staticmethod
    def _member(pupil: str) -> str:
        """The pupil of the row is a member of the row's group."""
        return (
            "EXISTS (SELECT 1 FROM sacoche_user u JOIN sacoche_jointure_user_groupe j ON j.user_id = "
            "u.user_id JOIN sacoche_groupe g ON g.groupe_id = j.groupe_id WHERE "
            f"{pupil} AND g.groupe_type = 'groupe' AND g.groupe_ref = t.ref)"
        )

    def _found_change(self, s: Any) -> str:
        """What an UNEXPECTED account holds, by column names only (never a value: they are pupil data)."""
        columns = []
        for c in s.changed:
            ctype = USER_COLUMNS[c][0]
            if ctype == CLASS:
                new, old = "u.eleve_classe_id <=> c.groupe_id", f"u.{c} <=> t.o_{c}"
            else:
                new, old = _same(c, ctype, f"u.{c}", f"t.v_{c}"), _same(c, ctype, f"u.{c}", f"t.o_{c}")
            columns.append(
                f"IF(t.c_{c} = 0, NULL, CASE WHEN {new} THEN {self.lit(c + ' as planned')} WHEN {old} THEN "
                f"{self.lit(c + ' as the plan found it')} ELSE "
                f"{self.lit(c + ' neither as the plan found it nor as planned')} END)"
            )
        return (
            "IF(u.user_id IS NULL, CONCAT('; found: no ELV account user_id ', t.user_id, ' with login ', "
            "t.login), CONCAT('; found: user_id ', t.user_id, ' with ', CONCAT_WS(', ', "
            + ", ".join(columns)
            + ")))"
        )

    def _found_new(self) -> str:
        """What an UNEXPECTED new account holds: the columns not as planned, by name only."""
        names = [c for c, _, _ in CREATE_COLUMNS if c in USER_COLUMNS and c != "user_login"]
        columns = [f"IF({self._new_same([c])}, NULL, {self.lit(c)})" for c in names]
        return (
            "IF(u.user_id IS NULL, CONCAT('; found: no account ', t.user_login), CONCAT('; found: account ', "
            f"t.user_login, ' with ', CONCAT_WS(', ', {', '.join(columns)}), ' not as planned'))"
        )

    def _verify(
        self, offset: int, details: str, ok: str, was: str, source: str, where: str = "", found: str = "''"
    ) -> str:
        not_done = self.lit("NOT DONE (still as the plan found it), expected: ")
        unexpected = self.lit("UNEXPECTED (neither as the plan found it nor as planned), expected: ")
        return (
            "INSERT INTO onde_sacoche_verify (n, check_name, ok, details)\n"
            f"  SELECT d.n, d.item, d.ok, CASE WHEN d.ok THEN d.details WHEN d.was THEN CONCAT({not_done}, "
            f"d.details)\n    ELSE CONCAT({unexpected}, d.details, d.found) END\n"
            f"  FROM (SELECT {offset} + t.n AS n, t.item, {details} AS details, {found} AS found,\n"
            f"    ({ok}) IS TRUE AS ok,\n    ({was}) IS TRUE AS was\n"
            f"    FROM {source}{' WHERE ' + where if where else ''}) AS d"
        )
