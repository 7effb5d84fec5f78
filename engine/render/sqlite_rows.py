"""The per-item sections of the SQLite scripts for the pupils' families, their guards and verify's checks:
one statement per item, laid out here rather than by the templates (``{{ q.creates_text(m.creates) }}``).

The SQLite scripts write one statement per item; laid out by a template, each piece of each statement
was a Jinja step (an attribute lookup, a context call, a generator resume: a third of a small plan's
SQLite rendering). Each section is one format string per item here, filled with the same phrases
(:mod:`~engine.render.phrases_base`), and the pieces an item's statements, guards and check share
(its columns, its account, its old and new values) are spelled once per model for the three scripts.
The templates keep the order of the sections, their headings and everything said once per script.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.render.columns import CREATED_IDENTITY, USER_COLUMNS
from engine.render.literals import sql_comment
from engine.render.phrases_accounts import AccountPhrases

#: verify.sql: what a check's details begin with when it is not done, or in an unexpected state
NOT_DONE = "NOT DONE (still as the plan found it), expected: "
UNEXPECTED = "UNEXPECTED (neither as the plan found it nor as planned), expected: "


class SQLiteRows(AccountPhrases):
    """The SQLite scripts' per-item sections (mixed into the SQLite phrases)."""

    #: id(new account) → (the account, its columns' facts): made once for the three scripts
    _columns: dict[int, tuple[Any, list[Any]]]
    #: id(new account) → (the account, :meth:`all_of`)
    _accounts: dict[int, tuple[Any, tuple[list[Any], list[str], dict[str, str]]]]
    #: id(account change) → (the change, :meth:`change_of`)
    _changes: dict[int, tuple[Any, tuple[Any, ...]]]

    # pieces shared by the three scripts -------------------------------------------------------------
    def columns_of(self, c: Any) -> list[Any]:
        """A new account's ``columns``, made once per model (the view keeps only the last account's, and
        each script asks for every account's in turn: apply its columns, revert its identity, verify all)."""
        known = self._columns.get(id(c))
        if known is not None and known[0] is c:
            return known[1]
        facts = c.columns
        self._columns[id(c)] = (c, facts)
        return facts

    def all_of(self, c: Any) -> tuple[list[Any], list[str], dict[str, str]]:
        """A new account's facts of every column the plan may set (the view's ``all``, from
        :meth:`columns_of`), each one's ``same`` and those by column, made once per model: verify's
        check and what it found, and revert's identity of the account (:meth:`created_is`) use them."""
        known = self._accounts.get(id(c))
        if known is not None and known[0] is c:
            return known[1]
        facts = [f for f in self.columns_of(c) if f.col in USER_COLUMNS]
        same = self.same
        sames = [same("", f) for f in facts]
        spelled = (facts, sames, {f.col: text for f, text in zip(facts, sames, strict=True)})
        self._accounts[id(c)] = (c, spelled)
        return spelled

    def change_of(self, u: Any) -> tuple[Any, ...]:
        """An account change's old and new facts, its account (``user_is``) and the conditions "holds the
        old values" and "holds the new ones", made once per model: its write in apply.sql and revert.sql,
        its guard in each and its check in verify.sql spell them all."""
        known = self._changes.get(id(u))
        if known is not None and known[0] is u:
            return known[1]
        olds, news = u.olds, u.news
        all_same = self.all_same
        spelled = (olds, news, self.user_is("", u.user_id, u.login), all_same("", olds), all_same("", news))
        self._changes[id(u)] = (u, spelled)
        return spelled

    def _user_old(self, g: Any) -> str:
        _, _, user_is, olds, _ = self.change_of(g.subject)
        return f"EXISTS (SELECT 1 FROM sacoche_user WHERE {user_is} AND {olds})"

    def _user_new(self, g: Any) -> str:
        _, _, user_is, _, news = self.change_of(g.subject)
        return f"EXISTS (SELECT 1 FROM sacoche_user WHERE {user_is} AND {news})"

    def created_is(self, c: Any) -> str:
        """The columns a re-created account is recognised by (the view's ``identity``: every one is a
        column the plan may set, :meth:`all_of`)."""
        by_column = self.all_of(c)[2]
        return " AND ".join([by_column[column] for column in CREATED_IDENTITY])

    def _created_all(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_user WHERE {' AND '.join(self.all_of(g.subject)[1])}) = 1"

    # apply.sql ----------------------------------------------------------------------------------------
    def creates_text(self, creates: Iterable[Any]) -> str:
        """Each new pupil's INSERT (its class looked up by ref, its login still free)."""
        column_list, selected_values, group_is, login_free_as = (
            self.column_list,
            self.selected_values,
            self.group_is,
            self.login_free_as,
        )
        parts = []
        for c in creates:
            columns = self.columns_of(c)
            parts.append(
                f"-- {c.id}: {sql_comment(c.describe)}\n"
                f"INSERT INTO sacoche_user ({column_list(columns)})\n"
                f"  SELECT {selected_values(columns, 'g.groupe_id')}\n"
                f"  FROM sacoche_groupe g WHERE {group_is('g', 'classe', c.class_ref)}\n"
                f"  AND {login_free_as('u', c.login)};\n"
            )
        return "".join(parts)

    def changes_text(self, changes: Iterable[Any], *, back: bool = False) -> str:
        """Each account change's UPDATE while the account holds the values before it: the new values over
        the old (apply.sql), or ``back`` (revert.sql)."""
        change_of, assignments = self.change_of, self.assignments
        parts = []
        for u in changes:
            olds, news, user_is, old_values, new_values = change_of(u)
            if back:
                parts.append(
                    f"-- {u.id}: back from {sql_comment(u.describe)}\n"
                    f"UPDATE sacoche_user SET {assignments(olds)}\n"
                    f"  WHERE {user_is} AND {new_values};\n"
                )
            else:
                parts.append(
                    f"-- {u.id}: {sql_comment(u.describe)}\n"
                    f"UPDATE sacoche_user SET {assignments(news)}\n"
                    f"  WHERE {user_is} AND {old_values};\n"
                )
        return "".join(parts)

    def memberships_insert_text(self, memberships: Iterable[Any]) -> str:
        """Each membership's INSERT OR IGNORE (apply.sql: those to add; revert.sql: those removed)."""
        member_is, group_is = self.member_is, self.group_is
        return "".join(
            [
                f"-- {mm.id}: {sql_comment(mm.describe)}\n"
                "INSERT OR IGNORE INTO sacoche_jointure_user_groupe (user_id, groupe_id, jointure_pp)\n"
                "  SELECT u.user_id, g.groupe_id, 0 FROM sacoche_user u, sacoche_groupe g\n"
                f"  WHERE {member_is('u', mm)} AND {group_is('g', 'groupe', mm.ref)};\n"
                for mm in memberships
            ]
        )

    def removals_text(self, memberships: Iterable[Any]) -> str:
        """apply.sql: each membership to remove, its row only (never the account)."""
        lit, user_is, group_is = self.lit, self.user_is, self.group_is
        return "".join(
            [
                f"-- {mm.id}: {sql_comment(mm.describe)}\n"
                "DELETE FROM sacoche_jointure_user_groupe\n"
                f"  WHERE user_id = {lit(mm.user_id)} AND jointure_pp = 0\n"
                "  AND user_id IN (SELECT user_id FROM sacoche_user WHERE "
                f"{user_is('', mm.user_id, mm.login)})\n"
                "  AND groupe_id IN (SELECT groupe_id FROM sacoche_groupe WHERE "
                f"{group_is('', 'groupe', mm.ref)});\n"
                for mm in memberships
            ]
        )

    # revert.sql ---------------------------------------------------------------------------------------
    def memberships_delete_text(self, memberships: Iterable[Any]) -> str:
        """revert.sql: each added membership deleted (the membership row only)."""
        member_is, group_is = self.member_is, self.group_is
        return "".join(
            [
                f"-- {mm.id}: {sql_comment(mm.describe)}\n"
                "DELETE FROM sacoche_jointure_user_groupe\n"
                f"  WHERE user_id IN (SELECT user_id FROM sacoche_user WHERE {member_is('', mm)})\n"
                "  AND groupe_id IN (SELECT groupe_id FROM sacoche_groupe WHERE "
                f"{group_is('', 'groupe', mm.ref)});\n"
                for mm in memberships
            ]
        )

    def created_text(self, creates: Iterable[Any], today: Any) -> str:
        """revert.sql: each new pupil DELETED with its memberships (``deletes_created``, while nobody ever
        logged in with it) or deactivated on ``today`` (the plan's date)."""
        created_is, parts = self.created_is, []
        if self.deletes_created:
            for c in creates:
                account = created_is(c)
                parts.append(
                    f"-- {c.id}: {sql_comment(c.describe)}\n"
                    "DELETE FROM sacoche_jointure_user_groupe\n"
                    "  WHERE user_id IN (SELECT user_id FROM sacoche_user WHERE "
                    f"{account} AND user_connexion_date IS NULL);\n"
                    f"DELETE FROM sacoche_user WHERE {account} AND user_connexion_date IS NULL;\n"
                )
        else:
            day = self.lit(today)
            for c in creates:
                parts.append(
                    f"-- {c.id}: {sql_comment(c.describe)}\n"
                    f"UPDATE sacoche_user SET user_sortie_date = {day}\n"
                    f"  WHERE {created_is(c)};\n"
                )
        return "".join(parts)
