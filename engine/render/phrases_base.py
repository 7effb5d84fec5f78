"""The building blocks of the SQL phrases (:mod:`~engine.render.sqlphrases`): text comparisons, row
identities, lookups by ref, the lists of an INSERT or UPDATE, and the dispatch of a guard's condition.

Each family of phrases (:mod:`~engine.render.phrases_groups`, :mod:`~engine.render.phrases_accounts`,
:mod:`~engine.render.phrases_archive`) subclasses :class:`PhraseBase` and names the conditions it spells in
its ``CONDITIONS`` (check name → method name); a new family of items adds such a module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, ClassVar

# Facts (engine.render.views.Fact: col, type, value), views of items (engine.render.views.Create,
# UserChange, …) and checks (engine.render.check.Check: check, subject) are read by attribute.


class PhraseBase:
    """Phrases common to both dialects and families; the dialects say how text is compared and what is
    true/false."""

    FALSE = "FALSE"
    INSERT_IGNORE = "INSERT IGNORE"
    #: the mysql templates add each statement's ROW_COUNT() to a session variable; SQLite has none
    counted = ""
    #: the conditions this class spells: check name → name of the method (taking the check)
    CONDITIONS: ClassVar[dict[str, str]] = {"never": "_never"}

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
        self._conditions = _spellers(type(self))

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
        same = self.same
        return " AND ".join([same(alias, p) for p in preds])

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
        lit = self.lit
        return ", ".join([lit(i) for i in ids])

    @staticmethod
    def column_list(facts: Iterable[Any]) -> str:
        """``a, b, c``: the columns of an INSERT."""
        return ", ".join([f.col for f in facts])

    def selected_values(self, facts: Iterable[Any], class_id: str) -> str:
        """The values of an ``INSERT … SELECT``; a class ref is the selected ``class_id`` expression."""
        lit = self.lit
        return ", ".join([class_id if f.type == "class" else lit(f.value) for f in facts])

    def assignments(self, facts: Iterable[Any]) -> str:
        """``col = value, …`` of an UPDATE; class refs resolved in SQL."""
        value = self.value
        return ", ".join([f"{f.col} = {value(f)}" for f in facts])

    # conditions: TRUE when the guard passes / the check holds -----------------------------------------
    def condition(self, g: Any) -> str:
        if g.check == "always":
            return "1 = 1"
        spell = self._conditions.get(g.check)
        if spell is None:
            raise ValueError(f"unknown check {g.check}")
        return spell(self, g)

    def either(self, g: Any) -> str:
        """A revert guard's other way to pass: the item's own apply guards (never applied), or ``1 = 0``."""
        alternatives = getattr(g, "either", None) or []
        condition = self.condition
        return " AND ".join([f"({condition(o)})" for o in alternatives]) or "1 = 0"

    def _never(self, g: Any) -> str:
        return self.FALSE


@cache
def _spellers(cls: type[PhraseBase]) -> dict[str, Callable[[Any, Any], str]]:
    """Check name → the function spelling it, gathered from every class's CONDITIONS (a subclass's
    override of a method is the one called); functions, not bound methods: phrases holding their own
    methods would be a cycle, which only the cyclic collector (paused while a plan is made) frees."""
    spellers = {}
    for klass in reversed(cls.__mro__):
        for check, method in vars(klass).get("CONDITIONS", {}).items():
            spellers[check] = getattr(cls, method)
    return spellers
