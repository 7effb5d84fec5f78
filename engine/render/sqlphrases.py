"""The SQL phrases the script templates share: lookups, row identities and the condition of every guard
and check, spelled once per dialect.

The templates in ``engine/render/templates/sql/<dialect>/`` lay out each script (order, comments, statements);
they call these phrases as ``q.user_is(…)``, ``q.condition(g)`` and so on. This module puts together the
families (:mod:`~engine.render.phrases_base`, ``phrases_groups``, ``phrases_accounts``,
``phrases_archive``) and says what differs between the two dialects. The phrases are Python rather
than Jinja macros for speed only: a macro call costs microseconds, and a plan of a million pupils makes
millions of them (they took about 70 % of the rendering time); the SQLite scripts' per-item sections
loop over rows of spelled pieces (:mod:`~engine.render.sqlite_rows`), and a condition spelled for one
script is reused by the next ones (:meth:`SQLitePhrases.condition`). Every literal still goes through the one
filter of the dialect (:func:`engine.render.mysql_literal` / :func:`engine.render.sqlite_literal`);
identifiers come from the renderer's whitelists, never from plan.json.

MySQL / MariaDB: text facts compare as bytes (``CAST … AS BINARY``): utf8_unicode_ci would say
'Noe' = 'Noé'. Lookups of refs and free logins compare column-to-literal, so the column's collation
(utf8_unicode_ci) decides, as SACoche's UNIQUE(user_login) does.
SQLite: text compares byte for byte (BINARY collation); refs compare upper-cased and logins lower-cased,
as the planner does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from engine.render.check import MAX_GUARD_KEY, Check
from engine.render.literals import sql_comment
from engine.render.phrases_accounts import AccountPhrases
from engine.render.phrases_archive import ArchivePhrases
from engine.render.phrases_groups import GroupPhrases
from engine.render.phrases_parents import ParentPhrases
from engine.render.phrases_sets import SetPhrases
from engine.render.sqlite_rows import NOT_DONE, UNEXPECTED, SQLiteRows


class Phrases(GroupPhrases, AccountPhrases, ArchivePhrases, ParentPhrases):
    """Every family's phrases; subclasses say how text is compared and what is true/false."""

    def forget_items(self) -> None:
        """Keep no memo per item for a large model (engine.render.sql.REMEMBERED_ITEMS): these phrases
        keep none; :class:`SQLitePhrases` drops those its three scripts share."""

    def was(self, old_states: dict[str, Any], c: Any) -> str:
        """verify.sql: a check's database is still as the plan found its item (``1 = 0`` for an item with
        no old state to look for)."""
        old = old_states.get(c.item, "never")
        if old == "absent":
            return f"NOT ({self.condition(c)})"
        if old == "never":
            return "1 = 0"
        condition = self.condition
        return " AND ".join([f"({condition(g)})" for g in old])


class MySQLPhrases(SetPhrases, Phrases):
    counted = "SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();"

    # A login compared as bytes only (CAST … AS BINARY) cannot use the UNIQUE(user_login) index: every
    # such lookup would read the whole user table. Where no user_id narrows the row, a plain `=` comes
    # first (collation-insensitive: it can only narrow, through the index); the binary test decides.
    def same(self, alias: str, p: Any) -> str:
        if p.col == "user_login" and p.type == "text" and p.value is not None:
            return f"{self.col(alias, p.col)} = {self.lit(p.value)} AND {super().same(alias, p)}"
        return super().same(alias, p)

    def member_is(self, alias: str, m: Any) -> str:
        if m.user_id is None:
            column = self.col(alias, "user_login")
            return f"{column} = {self.lit(m.login)} AND {self.text_is(column, m.login)}"
        return super().member_is(alias, m)

    def text_compare(self, column: str, operator: str, value: Any) -> str:
        return f"CAST({column} AS BINARY) {operator} CAST({self.lit(value)} AS BINARY)"

    def ref_is(self, column: str, ref: Any) -> str:
        return f"{column} = {self.lit(ref)}"

    def login_taken(self, login: Any) -> str:
        return f"user_login = {self.lit(login)}"

    def null_safe_is(self, column: str, value: Any) -> str:
        return f"{column} <=> {self.lit(value)}"

    def content_is(self, a: Any, side: str) -> str:
        size, digest = a.digest(side)
        return (
            f"LENGTH(siecle_import_contenu) = {self.lit(size)} AND "
            f"SHA2(siecle_import_contenu, 256) = {self.lit(digest)}"
        )

    def concat(self, column: str, piece: str) -> str:
        return f"CONCAT({column}, {piece})"

    def prefix_is(self, size: int, digest: str) -> str:
        return (
            f"LENGTH(siecle_import_contenu) = {self.lit(size)} AND "
            f"SHA2(siecle_import_contenu, 256) = {self.lit(digest)}"
        )

    def _archive_fits(self, g: Any) -> str:
        size, _ = g.subject.digest("new")
        return f"@@max_allowed_packet >= {self.lit(size + 1024)}"


#: items per piece of a SQLite section (:meth:`SQLitePhrases.chunks`): a few KiB, as Jinja's pieces are,
#: since engine.render.sql._blocks joins BLOCK_PIECES pieces at a time whatever their size
CHUNK = 16


class _Forgetful(dict[Any, Any]):
    """A memo that keeps nothing: every lookup misses, so the value is made again each time."""

    __slots__ = ()

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class SQLitePhrases(SQLiteRows, Phrases):
    FALSE = "0"
    INSERT_IGNORE = "INSERT OR IGNORE"

    def __init__(
        self,
        literal: Callable[[Any], str],
        *,
        deletes_created: bool,
        big: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(literal, deletes_created=deletes_created, big=big)
        self._elv = literal("ELV")
        #: (check, id(subject)) → (subject, condition): a script's conditions are spelled again by the
        #: next ones (revert's "never applied", verify's "not done"); the subject is kept, so its id is
        #: never another's while the memo lives (the phrases live as long as their model)
        self._spelled: dict[tuple[str, int], tuple[Any, str]] = {}
        self._columns, self._accounts, self._changes = {}, {}, {}
        #: id(list of checks) → (the list, :meth:`all_hold`)
        self._all_hold: dict[int, tuple[list[Any], str]] = {}
        #: found()'s literal pieces by column (the same for every account)
        self._pieces: dict[str, str] = {}
        #: group_is's and class_id's texts by their arguments (a few classes and groups, many lookups)
        self._groups: dict[tuple[str, str, str], str] = {}
        self._class_ids: dict[str, str] = {}

    def forget_items(self) -> None:
        """Remember nothing per item beyond what each condition needs (``_spelled``, as ever): the memos
        of accounts' facts and of lists of checks are kept for every item of the model's three scripts,
        which a plan of a million pupils cannot afford (engine.render.sql.REMEMBERED_ITEMS)."""
        self._columns, self._accounts, self._changes = _Forgetful(), _Forgetful(), _Forgetful()
        self._all_hold = _Forgetful()

    def condition(self, g: Any) -> str:
        """:meth:`PhraseBase.condition`, spelled once per condition and subject (see ``_spelled``)."""
        subject = g.subject
        key = (g.check, id(subject))
        spelled = self._spelled.get(key)
        if spelled is not None and spelled[0] is subject:
            return spelled[1]
        text = super().condition(g)
        self._spelled[key] = (subject, text)
        return text

    def either(self, g: Any) -> str:
        """:meth:`PhraseBase.either`, through :meth:`all_hold`."""
        return self.all_hold(getattr(g, "either", None) or []) or "1 = 0"

    def was(self, old_states: dict[str, Any], c: Any) -> str:
        """:meth:`Phrases.was`, through :meth:`all_hold`."""
        old = old_states.get(c.item, "never")
        if old == "absent":
            return f"NOT ({self.condition(c)})"
        if old == "never":
            return "1 = 0"
        return self.all_hold(old)

    def all_hold(self, checks: list[Any]) -> str:
        """``(condition) AND (condition) …`` of a list of checks, spelled once per list: an item's old
        state is revert's "never applied" (:meth:`either`) and verify's "not done" (:meth:`was`)."""
        known = self._all_hold.get(id(checks))
        if known is not None and known[0] is checks:
            return known[1]
        condition = self.condition
        text = " AND ".join([f"({condition(g)})" for g in checks])
        self._all_hold[id(checks)] = (checks, text)
        return text

    def created_is(self, c: Any) -> str:
        """:meth:`AccountPhrases.created_is`, spelled once per account (revert's guard and write)."""
        key = ("created_is", id(c))
        spelled = self._spelled.get(key)
        if spelled is not None and spelled[0] is c:
            return spelled[1]
        text = super().created_is(c)
        self._spelled[key] = (c, text)
        return text

    # SQLite compares text as any other value (column = literal): the building blocks most spelled,
    # without the steps of the generic ones (same output)
    def text_compare(self, column: str, operator: str, value: Any) -> str:
        return f"{column} {operator} {self.lit(value)}"

    def text_is(self, column: str, value: Any) -> str:
        return f"{column} = {self.lit(value)}"

    def same(self, alias: str, p: Any) -> str:
        column = f"{alias}.{p.col}" if alias else p.col
        value = p.value
        if value is None:
            return f"{column} IS NULL"
        if p.type == "class":
            return f"{column} = {self.class_id(value)}"
        return f"{column} = {self.lit(value)}"

    def all_same(self, alias: str, preds: Iterable[Any]) -> str:
        same = self.same
        return " AND ".join([same(alias, p) for p in preds])

    def group_is(self, alias: str, kind: str, ref: Any) -> str:
        key = (alias, kind, ref)
        text = self._groups.get(key)
        if text is None:
            text = self._groups[key] = super().group_is(alias, kind, ref)
        return text

    def class_id(self, ref: Any) -> str:
        text = self._class_ids.get(ref)
        if text is None:
            text = self._class_ids[ref] = super().class_id(ref)
        return text

    def user_is(self, alias: str, user_id: Any, login: Any) -> str:
        a, lit = (alias + "." if alias else ""), self.lit
        return (
            f"{a}user_id = {lit(user_id)} AND {a}user_login = {lit(login)} AND "
            f"{a}user_profil_sigle = {self._elv}"
        )

    def ref_is(self, column: str, ref: Any) -> str:
        return f"upper({column}) = upper({self.lit(ref)})"

    def login_taken(self, login: Any) -> str:
        return f"lower(user_login) = lower({self.lit(login)})"

    def null_safe_is(self, column: str, value: Any) -> str:
        return f"{column} IS {self.lit(value)}"

    def content_is(self, a: Any, side: str) -> str:
        size, _ = a.digest(side)
        content = a.side(side)[2]
        return (
            f"length(CAST(siecle_import_contenu AS BLOB)) = {self.lit(size)} AND "
            f"siecle_import_contenu = {self.big(content)}"
        )

    def concat(self, column: str, piece: str) -> str:
        return f"{column} || {piece}"

    def prefix_is(self, size: int, digest: str) -> str:
        # the SQLite script runs in one transaction: a cut between pieces is rolled back
        return f"length(CAST(siecle_import_contenu AS BLOB)) = {self.lit(size)}"

    def guard(self, g: Any) -> str:
        """apply.sql / revert.sql: one guard, its own trigger armed around the INSERT that fails it (see
        guards.sql.j2)::

            -- guard N: KEY
            CREATE TEMP TRIGGER onde_sacoche_guard_fail … RAISE(ABORT, 'MESSAGE'); END;
            INSERT INTO onde_sacoche_guard (n) SELECT N WHERE (CONDITION) IS NOT 1 [AND (EITHER) IS NOT 1];
            DROP TRIGGER onde_sacoche_guard_fail;
        """
        n = self.lit(g.n)
        if type(g) is Check:  # Check.key, inline (SQLite's guards are never set checks)
            key = f"GUARD {g.n}/{g.total} {g.item}: {g.short}"[:MAX_GUARD_KEY]
            if not (key.isascii() and key.isprintable()):
                key = sql_comment(key)
        else:
            key = g.key  # comment-safe already
        either = f" AND ({self.either(g)}) IS NOT 1" if g.either else ""
        return (
            f"\n-- guard {g.n}: {key}\n"
            "CREATE TEMP TRIGGER onde_sacoche_guard_fail BEFORE INSERT ON onde_sacoche_guard BEGIN SELECT "
            f"RAISE(ABORT, {self.big(g.message_of(key))}); END;\n"  # unremembered: each message is its own
            f"INSERT INTO onde_sacoche_guard (n) SELECT {n} WHERE ({self.condition(g)}) IS NOT 1{either};\n"
            "DROP TRIGGER onde_sacoche_guard_fail;\n"
        )

    def chunks(
        self, text: Callable[..., str], items: Iterable[Any], *args: Any, **kwargs: Any
    ) -> Iterator[str]:
        """``text(items, …)`` (a ``*_text`` method: its items' texts one after the other) made
        :data:`CHUNK` items at a time, so that a large plan's sections are streamed like the rest of the
        script rather than held whole (the pieces make the same text)."""
        items = iter(items)
        while batch := list(islice(items, CHUNK)):
            yield text(batch, *args, **kwargs)

    def guards_text(self, guards: Iterable[Any]) -> str:
        """:meth:`guard` of each guard, one after the other (guards.sql.j2 prints them)."""
        guard = self.guard
        return "".join([guard(g) for g in guards])

    def verify_text(self, checks: Iterable[Any], old_states: dict[str, Any]) -> str:
        """verify.sql: each check's INSERT of its row (its number, its name, whether it holds, its details:
        :meth:`found` when neither as the plan found it (:meth:`was`) nor as planned)."""
        lit, found, condition, was = self.lit, self.found, self.condition, self.was
        not_done, unexpected = lit(NOT_DONE), lit(UNEXPECTED)
        parts = []
        for c in checks:
            n, name = c.n, c.name
            details = lit(c.details)
            parts.append(
                f"\n-- check {n}: {sql_comment(name)}\n"
                "INSERT INTO onde_sacoche_verify (n, check_name, ok, details)\n"
                f"  SELECT {n}, {lit(name)}, d.ok, CASE WHEN d.ok THEN {details}\n"
                f"    WHEN d.was THEN {not_done} || {details}\n"
                f"    ELSE {unexpected} || {details}{found(c)} END\n"
                f"  FROM (SELECT (({condition(c)}) IS 1) AS ok, ({was(old_states, c)}) IS 1 AS was) AS d;\n"
            )
        return "".join(parts)

    def found(self, c: Any) -> str:
        """verify.sql: what an UNEXPECTED row holds, appended to the check's details (`` || …``, or
        nothing): by column names only, never a value (they are pupil data)."""
        lit, same, u = self.lit, self.same, c.subject
        if c.check == "user_new":
            olds, news, user_is, _, _ = self.change_of(u)
            cases = " || ', '".join(
                f" || CASE WHEN {same('', p)} THEN {lit(p.col + ' as planned')} "
                f"WHEN {same('', olds[i])} THEN {lit(p.col + ' as the plan found it')} "
                f"ELSE {lit(p.col + ' neither as the plan found it nor as planned')} END"
                for i, p in enumerate(news)
            )
            return (
                f" || coalesce((SELECT {lit(f'; found: user_id {u.user_id} with ')}{cases} FROM sacoche_user "
                f"WHERE {user_is}), "
                f"{lit(f'; found: no ELV account user_id {u.user_id} with login {u.login}')})"
            )
        if c.check == "created_all":
            facts, sames, _ = self.all_of(u)
            pieces, each, login = self._pieces, [], ""
            for p, spelled in zip(facts, sames, strict=True):
                if p.col == "user_login":
                    login += spelled
                    continue
                otherwise = pieces.get(p.col)
                if otherwise is None:
                    otherwise = pieces[p.col] = f" ELSE {lit(p.col + ', ')} END"
                each.append(f" || CASE WHEN {spelled} THEN ''{otherwise}")
            cases = "".join(each)
            return (
                f" || coalesce((SELECT {lit(f'; found: account {u.login} with ')} || rtrim(''{cases}, ', ') "
                f"|| {lit(' not as planned')} FROM sacoche_user WHERE {login} LIMIT 1), "
                f"{lit(f'; found: no account {u.login}')})"
            )
        if c.check == "archive_new":
            return (
                f" || coalesce((SELECT {lit('; found: row Onde, ')} || "
                f"length(CAST(siecle_import_contenu AS BLOB)) || {lit(' bytes')} "
                f"FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE}), "
                f"{lit('; found: no row Onde')})"
            )
        return ""


PHRASES: dict[str, type[Phrases]] = {"mysql": MySQLPhrases, "sqlite": SQLitePhrases}
