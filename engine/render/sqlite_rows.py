"""The rows the SQLite templates loop over for the pupils' families: one tuple of spelled pieces per item,
which the template lays out (``{% for id, describe, … in q.change_rows(m.user_changes) %}``).

The SQLite scripts write one statement per item; spelled by the template, each piece of each statement
was a Jinja attribute lookup and a context call (a tenth of a small plan's rendering). The pieces are
the same phrases (:mod:`~engine.render.phrases_base`), asked for once per item here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine.render.columns import CREATED_IDENTITY, USER_COLUMNS
from engine.render.literals import sql_comment
from engine.render.phrases_accounts import AccountPhrases


class SQLiteRows(AccountPhrases):
    """The rows of the SQLite scripts' per-item sections (mixed into the SQLite phrases)."""

    #: id(new account) → (the account, its columns' facts): made once for the three scripts
    _columns: dict[int, tuple[Any, list[Any]]]

    def columns_of(self, c: Any) -> list[Any]:
        """A new account's ``columns``, made once per model (the view keeps only the last account's, and
        each script asks for every account's in turn: apply its columns, revert its identity, verify all)."""
        known = self._columns.get(id(c))
        if known is not None and known[0] is c:
            return known[1]
        facts = c.columns
        self._columns[id(c)] = (c, facts)
        return facts

    def identity_of(self, c: Any) -> list[Any]:
        """The view's ``identity`` (the columns a re-created account is recognised by), from
        :meth:`columns_of`."""
        by_column = {f.col: f for f in self.columns_of(c)}
        return [by_column[column] for column in CREATED_IDENTITY]

    def all_of(self, c: Any) -> list[Any]:
        """The view's ``all`` (every column the plan may set), from :meth:`columns_of`."""
        return [f for f in self.columns_of(c) if f.col in USER_COLUMNS]

    #: id(account change) → (the change, :meth:`change_of`)
    _changes: dict[int, tuple[Any, tuple[Any, ...]]]

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
        return self.all_same("", self.identity_of(c))

    def _created_all(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_user WHERE {self.all_same('', self.all_of(g.subject))}) = 1"

    def create_rows(self, creates: Iterable[Any]) -> Iterator[tuple[str, ...]]:
        """apply.sql: each new pupil's id, description (a comment), columns, values, class and free
        login conditions."""
        for c in creates:
            columns = self.columns_of(c)
            yield (
                c.id,
                sql_comment(c.describe),
                self.column_list(columns),
                self.selected_values(columns, "g.groupe_id"),
                self.group_is("g", "classe", c.class_ref),
                self.login_free_as("u", c.login),
            )

    def created_rows(self, creates: Iterable[Any]) -> Iterator[tuple[str, ...]]:
        """revert.sql: each new pupil's id, description (a comment) and identity (:meth:`created_is`)."""
        for c in creates:
            yield c.id, sql_comment(c.describe), self.created_is(c)

    def change_rows(self, changes: Iterable[Any], *, back: bool = False) -> Iterator[tuple[str, ...]]:
        """Each account change's id, description (a comment), assignments, account and values it holds
        before the write: the new values over the old (apply.sql), or ``back`` (revert.sql)."""
        change_of, assignments = self.change_of, self.assignments
        for u in changes:
            olds, news, user_is, old_values, new_values = change_of(u)
            if back:
                yield u.id, sql_comment(u.describe), assignments(olds), user_is, new_values
            else:
                yield u.id, sql_comment(u.describe), assignments(news), user_is, old_values

    def membership_rows(self, memberships: Iterable[Any], user: str, group: str) -> Iterator[tuple[str, ...]]:
        """Each membership's id, description (a comment), pupil (``user`` aliases sacoche_user) and group
        (``group`` aliases sacoche_groupe)."""
        member_is, group_is = self.member_is, self.group_is
        for mm in memberships:
            yield mm.id, sql_comment(mm.describe), member_is(user, mm), group_is(group, "groupe", mm.ref)

    def removal_rows(self, memberships: Iterable[Any]) -> Iterator[tuple[str, ...]]:
        """apply.sql: each membership to remove: id, description (a comment), user_id, pupil, group."""
        lit, user_is, group_is = self.lit, self.user_is, self.group_is
        for mm in memberships:
            yield (
                mm.id,
                sql_comment(mm.describe),
                lit(mm.user_id),
                user_is("", mm.user_id, mm.login),
                group_is("", "groupe", mm.ref),
            )
