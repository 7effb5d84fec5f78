"""Views over the accepted parent items of plan.json (docs/parents.md), as the SQL templates read them.

A parent is an account of profile ``TUT`` in ``sacoche_user``; its links to its children are rows of
``sacoche_jointure_parent_eleve`` and its address the row of ``sacoche_parent_adresse``. A parent or a
child the plan creates has no ``user_id`` yet: the scripts find it by its login (and profile), as a new
pupil's membership is found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.render.columns import (
    ADDRESS_COLUMN_TYPES,
    INT,
    PARENT,
    TEXT,
)
from engine.render.views import Fact, NewAccount, UserChange, _fact


class ParentCreate(NewAccount):
    """A new parent: every column of sacoche_user, from the item or the column's default (no class)."""

    __slots__ = ()

    def fixed(self, column: str, ctype: str) -> Fact | None:
        if column == "eleve_classe_id":  # a parent is in no class
            return Fact(column, INT, 0)
        if column == "user_profil_sigle":
            return _fact(column, ctype, PARENT)
        return None

    @property
    def describe(self) -> str:
        changes = self.item["changes"]
        return f"parent {changes['user_nom']['new']} {changes['user_prenom']['new']}, login {self.login}"


class ParentChange(UserChange):
    """A parent's update, reactivation or deactivation (an existing TUT account)."""

    __slots__ = ()

    @property
    def describe(self) -> str:
        return "parent " + super().describe


class ParentAddress:
    """A parent's address: inserted when it had none (``row_exists`` false), else updated."""

    __slots__ = ("id", "item", "login", "parent_id", "row_exists")

    def __init__(self, item: Mapping[str, Any]) -> None:
        target = item["target"]
        self.item = item
        self.id: str = item["id"]
        self.parent_id: int | None = target.get("parent_id")
        self.login: str = target["parent_login"]
        self.row_exists: bool = target["row_exists"]

    @property
    def olds(self) -> list[Fact]:
        """The changed columns' old values (an UPDATE's condition)."""
        return [Fact(c, TEXT, ch["old"]) for c, ch in self.item["changes"].items()]

    @property
    def news(self) -> list[Fact]:
        """The changed columns' new values (an UPDATE's assignments)."""
        return [Fact(c, TEXT, ch["new"]) for c, ch in self.item["changes"].items()]

    @property
    def columns(self) -> list[Fact]:
        """The seven columns of a new row (a column the item does not set is '', SACoche's default)."""
        changes = self.item["changes"]
        return [Fact(c, TEXT, changes[c]["new"] if c in changes else "") for c in ADDRESS_COLUMN_TYPES]

    @property
    def state(self) -> list[Fact]:
        """What the row holds once written: every column for an insert, the changed ones for an update."""
        return self.news if self.row_exists else self.columns

    @property
    def describe(self) -> str:
        who = f"parent_id {self.parent_id}" if self.parent_id is not None else "new parent"
        what = "changed" if self.row_exists else "added"
        return f"address of {who} ({self.login}) {what}"


class ParentLink:
    """A link between a parent and a child (added or removed); ids are None for accounts this plan
    creates."""

    __slots__ = ("eleve_id", "eleve_login", "id", "item", "login", "num", "parent_id")

    def __init__(self, item: Mapping[str, Any]) -> None:
        target = item["target"]
        self.item = item
        self.id: str = item["id"]
        self.parent_id: int | None = target.get("parent_id")
        self.login: str = target["parent_login"]
        self.eleve_id: int | None = target.get("eleve_id")
        self.eleve_login: str = target["eleve_login"]
        if item["kind"] == "parent_link":
            self.num: int = item["changes"]["resp_legal_num"]["new"]
        else:
            self.num = target["resp_legal_num"]

    @property
    def describe(self) -> str:
        parent = f"parent_id {self.parent_id}" if self.parent_id is not None else "new parent"
        child = f"pupil user_id {self.eleve_id}" if self.eleve_id is not None else "new pupil"
        return f"{parent} ({self.login}) - {child} ({self.eleve_login}), resp_legal_num {self.num}"


class Account:
    """An existing account an item names (a parent or a pupil), checked once before the writes."""

    __slots__ = ("id", "login", "profil", "user_id")

    def __init__(self, item_id: str, user_id: int, login: str, profil: str) -> None:
        self.id, self.user_id, self.login, self.profil = item_id, user_id, login, profil
