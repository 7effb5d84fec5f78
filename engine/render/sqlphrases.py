"""The SQL phrases the script templates share: lookups, row identities and the condition of every guard
and check, spelled once per dialect.

The templates in ``engine/render/templates/sql/<dialect>/`` lay out each script (order, comments, statements);
they call these phrases as ``q.user_is(…)``, ``q.condition(g)`` and so on. The phrases are Python rather
than Jinja macros for speed only: a macro call costs microseconds, and a plan of a million pupils makes
millions of them (they took about 70 % of the rendering time). Every literal still goes through the one
filter of the dialect (:func:`engine.render.mysql_literal` / :func:`engine.render.sqlite_literal`);
identifiers come from the renderer's whitelists, never from plan.json.

MySQL / MariaDB: text facts compare as bytes (``CAST … AS BINARY``): utf8_unicode_ci would say
'Noe' = 'Noé'. Lookups of refs and free logins compare column-to-literal, so the column's collation
(utf8_unicode_ci) decides, as SACoche's UNIQUE(user_login) does.
SQLite: text compares byte for byte (BINARY collation); refs compare upper-cased and logins lower-cased,
as the planner does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# Facts (engine.render.Fact: col, type, value), views of items (engine.render.Create, UserChange, …) and
# checks (engine.render.Check: check, subject) are read by attribute.


class Phrases:
    """Phrases common to both dialects; subclasses say how text is compared and what is true/false."""

    FALSE = "FALSE"
    INSERT_IGNORE = "INSERT IGNORE"
    #: the mysql templates add each statement's ROW_COUNT() to a session variable; SQLite has none
    counted = ""

    def __init__(
        self,
        literal: Callable[[Any], str],
        *,
        deletes_created: bool,
        big: Callable[[Any], str] | None = None,
    ) -> None:
        self.lit = literal
        #: the same literal filter, unmemoised, for the archive's big texts
        self.big = big or literal
        self.deletes_created = deletes_created
        self._conditions: dict[str, Callable[[Any], str]] = {
            "never": lambda g: self.FALSE,
            "group_absent": self._group_absent,
            "niveau": self._niveau,
            "rename": lambda g: self._group_row_exists(g.subject, g.subject.old),
            "renamed": lambda g: self._group_row_exists(g.subject, g.subject.new),
            "login_free": self._login_free,
            "user": lambda g: self._user_with(g.subject, g.subject.olds),
            "user_new": lambda g: self._user_with(g.subject, g.subject.news),
            "user_exists": self._user_exists,
            "membership": self._membership,
            "membership_present": lambda g: self.membership_exists(g.subject),
            "membership_absent": lambda g: "NOT " + self.membership_exists(g.subject),
            "group_unique": self._group_unique,
            "retire": self._retire,
            "retired_absent": self._retired_absent,
            "retired": self._retired,
            "retired_or_half": self._retired_or_half,
            "retired_absent_or_half": self._retired_absent_or_half,
            "created": self._created,
            "created_all": self._created_all,
            "group_created": self._group_created,
            "created_group": self._created_group,
            "left_alone": self._left_alone,
            "archive_old": lambda g: self._archive_is(g.subject, "old", g.subject.row_exists),
            "archive_new": lambda g: self._archive_is(g.subject, "new", True),
            "archive_started": self._archive_started,
            "archive_reverting": self._archive_reverting,
            "archive_fits": self._archive_fits,
        }

    # text comparisons: what differs between dialects --------------------------------------------------
    def text_compare(self, column: str, operator: str, value: Any) -> str:
        """``column`` compared with this text, character for character (``=`` or ``<>``)."""
        raise NotImplementedError

    def text_is(self, column: str, value: Any) -> str:
        """``column`` holds exactly this text."""
        return self.text_compare(column, "=", value)

    def text_is_not(self, column: str, value: Any) -> str:
        return self.text_compare(column, "<>", value)

    def ref_is(self, column: str, ref: Any) -> str:
        """A group ref lookup, as SACoche compares refs."""
        raise NotImplementedError

    def login_taken(self, login: Any) -> str:
        """An account holds this login, as SACoche's UNIQUE(user_login) compares logins."""
        raise NotImplementedError

    # building blocks -----------------------------------------------------------------------------------
    @staticmethod
    def col(alias: str, name: str) -> str:
        return f"{alias}.{name}" if alias else name

    def value(self, p: Any) -> str:
        return self.class_id(p.value) if p.type == "class" else self.lit(p.value)

    def same(self, alias: str, p: Any) -> str:
        column = self.col(alias, p.col)
        if p.value is None:
            return f"{column} IS NULL"
        if p.type == "text":
            return self.text_is(column, p.value)
        if p.type == "class":
            return f"{column} = {self.class_id(p.value)}"
        return f"{column} = {self.lit(p.value)}"

    def all_same(self, alias: str, preds: Iterable[Any]) -> str:
        return " AND ".join(self.same(alias, p) for p in preds)

    def group_id(self, kind: str, ref: Any, alias: str = "") -> str:
        """The groupe_id of a ref; ``alias`` when the statement already reads sacoche_groupe (under LOCK
        TABLES a statement must name each reference of a table differently)."""
        a, named = (f"{alias}.", f" {alias}") if alias else ("", "")
        return (
            f"(SELECT {a}groupe_id FROM sacoche_groupe{named} WHERE {a}groupe_type = {self.lit(kind)} "
            f"AND {self.ref_is(a + 'groupe_ref', ref)})"
        )

    def class_id(self, ref: Any) -> str:
        return self.group_id("classe", ref)

    def group_is(self, alias: str, kind: str, ref: Any) -> str:
        kind_is = f"{self.col(alias, 'groupe_type')} = {self.lit(kind)}"
        return f"{kind_is} AND {self.ref_is(self.col(alias, 'groupe_ref'), ref)}"

    def user_is(self, alias: str, user_id: Any, login: Any) -> str:
        return (
            f"{self.col(alias, 'user_id')} = {self.lit(user_id)} AND "
            f"{self.text_is(self.col(alias, 'user_login'), login)} AND "
            f"{self.col(alias, 'user_profil_sigle')} = {self.lit('ELV')}"
        )

    def member_is(self, alias: str, m: Any) -> str:
        if m.user_id is not None:
            return self.user_is(alias, m.user_id, m.login)
        return self.text_is(self.col(alias, "user_login"), m.login)

    def membership_exists(self, m: Any) -> str:
        return (
            "EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe j JOIN sacoche_groupe g ON g.groupe_id = "
            "j.groupe_id JOIN sacoche_user u ON u.user_id = j.user_id WHERE "
            f"{self.member_is('u', m)} AND {self.group_is('g', 'groupe', m.ref)})"
        )

    def group_row(self, alias: str, kind: str, groupe_id: Any, ref: Any, nom: Any) -> str:
        return (
            f"{self.col(alias, 'groupe_id')} = {self.lit(groupe_id)} AND "
            f"{self.col(alias, 'groupe_type')} = {self.lit(kind)} AND "
            f"{self.text_is(self.col(alias, 'groupe_ref'), ref)} AND "
            f"{self.text_is(self.col(alias, 'groupe_nom'), nom)}"
        )

    def id_list(self, ids: Iterable[Any]) -> str:
        return ", ".join(self.lit(i) for i in ids)

    @staticmethod
    def column_list(facts: Iterable[Any]) -> str:
        """``a, b, c``: the columns of an INSERT."""
        return ", ".join(f.col for f in facts)

    def selected_values(self, facts: Iterable[Any], class_id: str) -> str:
        """The values of an ``INSERT … SELECT``; a class ref is the selected ``class_id`` expression."""
        return ", ".join(class_id if f.type == "class" else self.lit(f.value) for f in facts)

    def assignments(self, facts: Iterable[Any]) -> str:
        """``col = value, …`` of an UPDATE; class refs resolved in SQL."""
        return ", ".join(f"{f.col} = {self.value(f)}" for f in facts)

    # conditions: TRUE when the guard passes / the check holds -----------------------------------------
    def condition(self, g: Any) -> str:
        if g.check == "always":
            return "1 = 1"
        spell = self._conditions.get(g.check)
        if spell is None:
            raise ValueError(f"unknown check {g.check}")
        return spell(g)

    def either(self, g: Any) -> str:
        """A revert guard's other way to pass: the item's own apply guards (never applied), or ``1 = 0``."""
        alternatives = getattr(g, "either", None) or []
        return " AND ".join(f"({self.condition(o)})" for o in alternatives) or "1 = 0"

    def _group_absent(self, g: Any) -> str:
        group = g.subject
        return f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)})"

    def _niveau(self, g: Any) -> str:
        return f"EXISTS (SELECT 1 FROM sacoche_niveau WHERE niveau_id = {self.lit(g.subject.niveau_id)})"

    def _group_row_exists(self, r: Any, nom: Any) -> str:
        row = self.group_row("", "classe", r.groupe_id, r.ref, nom)
        return f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE {row})"

    def _login_free(self, g: Any) -> str:
        return f"NOT EXISTS (SELECT 1 FROM sacoche_user WHERE {self.login_taken(g.subject)})"

    def login_free_as(self, alias: str, login: Any) -> str:
        """No account holds this login (``alias`` names sacoche_user: the INSERT writes the table too)."""
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_user {alias} WHERE "
            f"{self.login_taken(login).replace('user_login', alias + '.user_login')})"
        )

    def group_absent_as(self, alias: str, kind: str, ref: Any) -> str:
        return f"NOT EXISTS (SELECT 1 FROM sacoche_groupe {alias} WHERE {self.group_is(alias, kind, ref)})"

    def _user_with(self, u: Any, preds: Iterable[Any]) -> str:
        return (
            f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.user_is('', u.user_id, u.login)} "
            f"AND {self.all_same('', preds)})"
        )

    def _user_exists(self, g: Any) -> str:
        m = g.subject
        return f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.user_is('', m.user_id, m.login)})"

    def _membership(self, g: Any) -> str:
        m = g.subject
        return (
            "EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe j JOIN sacoche_groupe g ON g.groupe_id = "
            f"j.groupe_id WHERE j.user_id = {self.lit(m.user_id)} AND j.jointure_pp = 0 AND "
            f"{self.group_is('g', 'groupe', m.ref)})"
        )

    def _group_unique(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', *g.subject)}) = 1"

    def _retire(self, g: Any) -> str:
        r = g.subject
        groupe_id, members = self.lit(r.groupe_id), r.members
        text = (
            f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE "
            f"{self.group_row('', r.type, r.groupe_id, r.ref, r.nom)} AND niveau_id = "
            f"{self.lit(r.niveau_id)} AND groupe_chef_id = 0) AND (SELECT COUNT(*) FROM "
            f"sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) = {len(members)}"
        )
        if members:
            text += (
                " AND (SELECT COUNT(*) FROM sacoche_jointure_user_groupe j2 WHERE "
                f"j2.groupe_id = {groupe_id} AND j2.jointure_pp = 0 "
                f"AND j2.user_id IN ({self.id_list(members)})) = {len(members)}"
            )
        return text

    def _retired_absent(self, g: Any) -> str:
        r = g.subject
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {self.lit(r.groupe_id)} "
            f"OR ({self.group_is('', r.type, r.ref)}))"
        )

    def _retired(self, g: Any) -> str:
        groupe_id = self.lit(g.subject.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {groupe_id}) AND NOT EXISTS "
            f"(SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id})"
        )

    def _retired_or_half(self, g: Any) -> str:
        """Retired, or cut between its two writes: memberships gone, the group row still as planned."""
        r = g.subject
        groupe_id = self.lit(r.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) AND "
            f"(NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {groupe_id}) OR "
            f"{self._group_row_as_planned(r)})"
        )

    def _retired_absent_or_half(self, g: Any) -> str:
        """revert.sql: retired with its id and ref free, or cut between its two writes."""
        r = g.subject
        groupe_id = self.lit(r.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) "
            f"AND ({self._retired_absent(g)} OR {self._group_row_as_planned(r)})"
        )

    def _group_row_as_planned(self, r: Any) -> str:
        """The retired group's row still there exactly as the plan read it (no head teacher)."""
        row = self.group_row("g", r.type, r.groupe_id, r.ref, r.nom)
        return (
            f"EXISTS (SELECT 1 FROM sacoche_groupe g WHERE {row} AND g.niveau_id = {self.lit(r.niveau_id)} "
            "AND g.groupe_chef_id = 0)"
        )

    def _created(self, g: Any) -> str:
        unused = " AND user_connexion_date IS NULL" if self.deletes_created else ""
        return (
            f"(SELECT COUNT(*) FROM sacoche_user WHERE {self.all_same('', g.subject.identity)}{unused}) = 1"
        )

    def _created_all(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_user WHERE {self.all_same('', g.subject.all)}) = 1"

    def _group_created(self, g: Any) -> str:
        group = g.subject
        return (
            f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)} "
            f"AND {self.text_is('groupe_nom', group.nom)} AND niveau_id = {self.lit(group.niveau_id)}) = 1"
        )

    def _created_group(self, g: Any) -> str:
        group = g.subject
        own, own2 = self.group_id(group.type, group.ref, "g3"), self.group_id(group.type, group.ref, "g4")
        users = "".join(f" AND {self.text_is_not('u.user_login', login)}" for login in group.created_logins)
        if group.moved_users:
            users += f" AND u.user_id NOT IN ({self.id_list(group.moved_users)})"
        members = "".join(f" AND {self.text_is_not('u.user_login', login)}" for login in group.added_logins)
        if group.added_ids:
            members += f" AND u.user_id NOT IN ({self.id_list(group.added_ids)})"
        return (
            f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)} "
            f"AND {self.text_is('groupe_nom', group.nom)}) = 1 AND NOT EXISTS (SELECT 1 FROM sacoche_user u "
            f"WHERE u.eleve_classe_id = {own}{users}) AND NOT EXISTS (SELECT 1 FROM "
            "sacoche_jointure_user_groupe j JOIN sacoche_user u2 ON u2.user_id = j.user_id WHERE "
            f"j.groupe_id = {own2}{members.replace('u.user_', 'u2.user_')})"
        )

    # SACoche's import archive (sacoche_siecle_import, one row per objet) ------------------------------
    ARCHIVE_WHERE = "siecle_import_objet = 'Onde'"

    def null_safe_is(self, column: str, value: Any) -> str:
        raise NotImplementedError

    def content_is(self, a: Any, side: str) -> str:
        """The row's content is this side's content."""
        raise NotImplementedError

    def concat(self, column: str, piece: str) -> str:
        raise NotImplementedError

    def _archive_is(self, a: Any, side: str, exists: bool) -> str:
        if not exists:
            return f"NOT EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE})"
        day, year, _ = a.side(side)
        return (
            f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND "
            f"{self.null_safe_is('siecle_import_date', day)} AND "
            f"{self.null_safe_is('siecle_import_annee', year)} AND {self.content_is(a, side)})"
        )

    def _archive_fits(self, g: Any) -> str:
        return "1 = 1"

    def prefix_is(self, size: int, digest: str) -> str:
        """The row's content is the first ``size`` bytes of a side (the pieces written so far)."""
        raise NotImplementedError

    def _archive_part(self, a: Any, side: str, whole: bool) -> str:
        """The row holds one side's date and year, and a prefix of its content at a piece boundary (or,
        ``whole``, all of it)."""
        day, year, _ = a.side(side)
        states = [f"({self.prefix_is(size, digest)})" for size, digest in a.prefixes(side)]
        prefixes = " OR ".join([*states, *([f"({self.content_is(a, side)})"] if whole else [])])
        return (
            f"{self.null_safe_is('siecle_import_date', day)} AND "
            f"{self.null_safe_is('siecle_import_annee', year)} AND ({prefixes})"
        )

    def _archive_started(self, g: Any) -> str:
        """apply.sql wrote the archive, or was cut between its pieces: the new date and year, and the
        new content or a prefix of it at a piece boundary."""
        part = self._archive_part(g.subject, "new", True)
        return f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND {part})"

    def _archive_reverting(self, g: Any) -> str:
        """What revert.sql may meet: apply's archive whole or cut between its pieces, or revert.sql's own
        run cut between the old content's pieces (one statement: one reference to the table)."""
        parts = [f"({self._archive_part(g.subject, 'new', True)})"]
        if g.subject.prefixes("old"):
            parts.append(f"({self._archive_part(g.subject, 'old', False)})")
        states = " OR ".join(parts)
        return f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND ({states}))"

    def archive_statements(self, a: Any, side: str) -> list[str]:
        """The statements that make the row hold one side: the first sets date, year and the first piece
        of the content (UPDATE, or INSERT when the row is missing), each next one appends a piece
        (statements stay small whatever the content's size)."""
        big = self.big
        if side == "old" and not a.row_exists:
            return [f"DELETE FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE}"]
        day, year, _ = a.side(side)
        first, *rest = a.chunks(side)
        if side == "new" and not a.row_exists:
            head = (
                f"{self.INSERT_IGNORE} INTO sacoche_siecle_import (siecle_import_objet, siecle_import_date, "
                f"siecle_import_annee, siecle_import_contenu) VALUES ('Onde', {self.lit(day)}, "
                f"{self.lit(year)}, {big(first)})"
            )
        else:
            other = "new" if side == "old" else "old"
            where = self.content_is(a, other)
            if side == "old" and (cuts := a.prefixes("new")):  # revert after apply cut between pieces
                where = " OR ".join([f"({where})", *(f"({self.prefix_is(n, d)})" for n, d in cuts)])
                where = f"({where})"
            head = (
                f"UPDATE sacoche_siecle_import SET siecle_import_date = {self.lit(day)}, "
                f"siecle_import_annee = {self.lit(year)}, siecle_import_contenu = {big(first)} "
                f"WHERE {self.ARCHIVE_WHERE} AND {where}"
            )
        # each piece is appended only onto the pieces before it: a cut between pieces can be finished
        tail = [
            f"UPDATE sacoche_siecle_import SET siecle_import_contenu = "
            f"{self.concat('siecle_import_contenu', big(piece))} WHERE {self.ARCHIVE_WHERE} AND "
            f"{self.prefix_is(size, digest)}"
            for piece, (size, digest) in zip(rest, a.prefixes(side), strict=False)
        ]
        return [head, *tail]

    def _left_alone(self, g: Any) -> str:
        e = g.subject
        row = self.group_row("", e.type, e.groupe_id, e.ref, e.nom)
        return f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE {row})"


class MySQLPhrases(Phrases):
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


class SQLitePhrases(Phrases):
    FALSE = "0"
    INSERT_IGNORE = "INSERT OR IGNORE"

    def text_compare(self, column: str, operator: str, value: Any) -> str:
        return f"{column} {operator} {self.lit(value)}"

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


PHRASES: dict[str, type[Phrases]] = {"mysql": MySQLPhrases, "sqlite": SQLitePhrases}
