"""One guard or verify check, as the templates read it: what it is about, its condition's name (spelled
by :mod:`~engine.render.sqlphrases`), its number, key and message; and the context the steps that make
them share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.render.literals import sql_comment
from engine.render.model import SqlModel

# MariaDB shows at most 64 characters of a duplicate key value in its error message.
MAX_GUARD_KEY = 64
MAX_GUARD_MESSAGE = 200


class Check:
    """One guard (must hold before a script writes) or verify check (must hold after apply).

    ``check`` names the condition (spelled by :class:`engine.render.sqlphrases.Phrases`), ``subject`` is
    what it is about (a view, a login, a (kind, ref) pair). Key and message are made when a template
    asks."""

    __slots__ = ("check", "either", "item", "n", "short", "subject", "text", "total")
    #: a guard over a whole temporary table of rows (:class:`SetCheck`), not one item
    rows = False
    #: the numbers it takes (a verify set check: one per row of its table)
    size = 1

    def __init__(self, item: str, short: str, text: str, check: str, subject: Any = None) -> None:
        self.item, self.short, self.text, self.check, self.subject = item, short, text, check, subject
        self.n = self.total = 0
        #: revert.sql: the item's own apply guards, any of which lets the guard pass too (the item was
        #: never applied: its row is still in the plan's old state, there is nothing to revert)
        self.either: list[Check] = []

    @property
    def key(self) -> str:
        """At most 64 characters (what MariaDB shows of a duplicate entry): the guard and its item."""
        return sql_comment(f"GUARD {self.n}/{self.total} {self.item}: {self.short}"[:MAX_GUARD_KEY])

    @property
    def message(self) -> str:
        return self.message_of(self.key)

    def message_of(self, key: str) -> str:
        """:attr:`message`, given :attr:`key` (a script that prints both makes the key once)."""
        text = sql_comment(self.text)[:MAX_GUARD_MESSAGE]
        return f"ONDE-SACOCHE {key}. {text}. Nothing was written."

    # verify checks are named by their item and explained by their text
    @property
    def name(self) -> str:
        return self.item

    @property
    def details(self) -> str:
        return sql_comment(self.text)


class SetCheck(Check):
    """A guard over every row of one of the MySQL scripts' temporary tables (the pupils' families,
    :mod:`~engine.render.sets_data`): ``check`` names the anti-join of
    :mod:`~engine.render.phrases_sets` that finds the first failing row, whose item the message names."""

    __slots__ = ("size",)
    rows = True

    def __init__(
        self, item: str, short: str, text: str, check: str, subject: Any = None, size: int = 1
    ) -> None:
        super().__init__(item, short, text, check, subject)
        self.size = size

    @property
    def key(self) -> str:  # the item is the failing row's, filled in by the statement
        return sql_comment(f"GUARD {self.n}/{self.total} <item>: {self.short}")


#: the apply guards that check an item's own row in the plan's old state (not the ones on other items)
OWN_ROW_GUARDS = frozenset(
    {"group_absent", "rename", "login_free", "user", "membership", "retire", "archive_old"}
)


def numbered(checks: list[Check]) -> list[Check]:
    """Number the checks in order (a verify set check takes one number per row of its table)."""
    n = 1
    for check in checks:
        check.n = n
        n += check.size
    for check in checks:
        check.total = n - 1
    return checks


@dataclass(slots=True)
class GuardContext:
    """What the steps making one script's guards share (:mod:`~engine.render.guards`)."""

    model: SqlModel
    #: apply.sql on MySQL: a guard on an item's own row also passes when the row is in the new state
    new_states: bool = False
    #: MySQL: the pupils' families are guarded and written as sets (rows in temporary tables)
    sets: bool = False
    #: (kind, ref) → the first item needing that class or group to be single (apply.sql)
    refs_needed: dict[tuple[str, str], str] = field(default_factory=dict)


#: one step of a script's guards or checks: those of one family of items, in script order
Step = Callable[[GuardContext], list[Check]]


def each(views: Iterable[Any], short: str, check: str, text: str | Callable[[Any], str]) -> list[Check]:
    """One check per view (about the view's item): ``text`` is the message, or makes it from the view."""
    if isinstance(text, str):
        return [Check(v.id, short, text, check, v) for v in views]
    return [Check(v.id, short, text(v), check, v) for v in views]


def verify_rows(ctx: GuardContext, views: list[Any], check: str) -> list[Check]:
    """verify.sql (MySQL): one statement over a family's temporary table, one row (and number) per item."""
    return [SetCheck("", "", "", check, ctx.model.pupil_sets, size=len(views))] if views else []
