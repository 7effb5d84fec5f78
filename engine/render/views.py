"""Views over the accepted items of plan.json, as the SQL templates read them: facts (``column = value``)
and one small class per family of items (groups, accounts, memberships, the archive).

They hold a reference to their item (already in memory) and compute lists (columns, old and new values)
when a template asks: a million-pupil plan has hundreds of thousands of items, and materialising every
list up front doubled the memory of rendering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine.archive import OBJET as ARCHIVE_OBJET
from engine.archive import chunks as text_chunks
from engine.render.columns import (
    ARCHIVE_CHUNK,
    ARCHIVE_COLUMNS,
    CLASS,
    CREATE_COLUMNS,
    CREATED_IDENTITY,
    DATE,
    INT,
    USER_COLUMNS,
)
from engine.render.itemcheck import is_int, is_text


class Fact(NamedTuple):
    """One ``column = value`` fact; dates '' mean NULL, class refs are resolved in SQL."""

    col: str
    type: str
    value: Any


def _fact(column: str, ctype: str, value: Any) -> Fact:
    return Fact(column, ctype, None if ctype == DATE and value == "" else value)


def _describe_changes(changes: Mapping[str, Any]) -> str:
    return "; ".join(f"{column} {c.get('old')!r} -> {c.get('new')!r}" for column, c in changes.items())


@dataclass(slots=True)
class GroupCreate:
    """A class or group that apply.sql creates (class_create / group_create)."""

    id: str
    type: str
    ref: str
    nom: str
    niveau_id: int
    # set by revert_guards when revert.sql deletes what apply.sql created
    created_logins: list[str] = field(default_factory=list)
    moved_users: list[int] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)
    added_logins: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> GroupCreate:
        changes = item["changes"]
        return cls(
            item["id"],
            "classe" if item["kind"] == "class_create" else "groupe",
            item["target"]["groupe_ref"],
            changes["groupe_nom"]["new"],
            int(changes.get("niveau_id", {}).get("new") or 0),
        )


@dataclass(frozen=True, slots=True)
class Rename:
    """A class or group whose name apply.sql changes."""

    id: str
    groupe_id: int
    ref: str
    old: str
    new: str

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Rename:
        change = item["changes"]["groupe_nom"]
        target = item["target"]
        return cls(item["id"], target["groupe_id"], target["groupe_ref"], change["old"], change["new"])


@dataclass(frozen=True, slots=True)
class Retire:
    """A class or group that apply.sql retires (class_retire / group_retire), with its members."""

    id: str
    type: str
    groupe_id: int
    ref: str
    nom: str
    niveau_id: int
    members: list[int]

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Retire:
        target = item["target"]
        return cls(
            item["id"],
            "classe" if item["kind"] == "class_retire" else "groupe",
            target["groupe_id"],
            target["groupe_ref"],
            target["groupe_nom"],
            target["niveau_id"],
            sorted(set(target["members"])),
        )


@dataclass(frozen=True, slots=True)
class LeftAlone:
    """A hand-made class or group the plan leaves alone."""

    type: str
    groupe_id: int
    ref: str
    nom: str

    @classmethod
    def all_of(cls, doc: Mapping[str, Any]) -> list[LeftAlone]:
        """The hand-made classes and groups the plan lists as left alone (verify checks them)."""
        result = []
        left = doc.get("left_alone") or {}
        for key, kind in (("classes", "classe"), ("groups", "groupe")):
            for entry in left.get(key) or []:
                if (
                    isinstance(entry, dict)
                    and is_int(entry.get("groupe_id"))
                    and is_text(entry.get("ref"))
                    and is_text(entry.get("nom"))
                ):
                    result.append(cls(kind, entry["groupe_id"], entry["ref"], entry["nom"]))
        return result


#: the last new account whose columns were asked for, and its facts (see NewAccount.columns)
_LAST_COLUMNS: list[Any] = [None, None]


class NewAccount:
    """A new account: every column of sacoche_user, from the item or the column's default; a kind of
    account (pupil, parent) fixes some columns through :meth:`fixed`."""

    __slots__ = ("id", "item", "login")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.login: str = item["target"]["login"]

    def fixed(self, column: str, ctype: str) -> Fact | None:
        """The fact of a column this kind of account sets whatever the item says (None: the item's)."""
        return None

    @property
    def columns(self) -> list[Fact]:
        """Every column's fact, in table order (not to be changed: the last account's are kept, as a
        script asks for them a few times in a row, and each account holding its own would cost memory)."""
        last = _LAST_COLUMNS
        if last[0] is self:
            return last[1]
        facts = self._columns()
        last[0], last[1] = self, facts
        return facts

    def values(self) -> list[Any]:
        """Every column's value (CREATE_COLUMNS order) from the item or the column's default, for a kind
        that fixes nothing (:attr:`columns`' values then; the set rows of new pupils read these)."""
        changes = self.item["changes"]
        values = []
        for column, ctype, default in CREATE_COLUMNS:
            if column in changes:
                value = changes[column]["new"]
            elif column == "user_email_origine":
                value = "admin" if changes.get("user_email", {}).get("new") else ""
            else:
                value = default
            values.append(None if ctype == DATE and value == "" else value)
        return values

    def _columns(self) -> list[Fact]:
        changes = self.item["changes"]
        # NewAccount.fixed fixes nothing: a kind that does not override it skips a call per column
        fixed = None if type(self).fixed is NewAccount.fixed else self.fixed
        facts = []
        for column, ctype, default in CREATE_COLUMNS:
            fact = fixed(column, ctype) if fixed is not None else None
            if fact is None:
                if column in changes:
                    value = changes[column]["new"]
                elif column == "user_email_origine":
                    value = "admin" if changes.get("user_email", {}).get("new") else ""
                else:
                    value = default
                fact = Fact(column, ctype, None if ctype == DATE and value == "" else value)
            facts.append(fact)
        return facts

    @property
    def identity(self) -> list[Fact]:
        """The columns a re-created account is recognised by (revert)."""
        by_column = {f.col: f for f in self.columns}
        return [by_column[column] for column in CREATED_IDENTITY]

    @property
    def all(self) -> list[Fact]:
        """Every column the plan may set (verify)."""
        return [f for f in self.columns if f.col in USER_COLUMNS]


class Create(NewAccount):
    """A new pupil: every column of sacoche_user, from the item or the column's default."""

    __slots__ = ("class_ref",)

    def __init__(self, item: Mapping[str, Any]) -> None:
        super().__init__(item)
        self.class_ref: str = item["changes"]["eleve_classe_id"]["new"]

    @property
    def describe(self) -> str:
        changes = self.item["changes"]
        return (
            f"{changes['user_nom']['new']} {changes['user_prenom']['new']}, login {self.login}, "
            f"class {self.class_ref}"
        )


class UserChange:
    """An update, reactivation or deactivation: old and new values of the changed columns."""

    __slots__ = ("id", "item", "login", "user_id")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.user_id: int = item["target"]["user_id"]
        self.login: str = item["target"]["login"]

    @property
    def kind(self) -> str:
        return self.item["kind"]

    @property
    def olds(self) -> list[Fact]:
        return self._facts(0, INT)  # the old class by its id

    @property
    def news(self) -> list[Fact]:
        return self._facts(1, CLASS)  # the new class by its ref

    def _facts(self, side: int, class_type: str) -> list[Fact]:
        """The changed columns' facts, their values one side of :meth:`pairs`."""
        return [
            Fact(column, class_type if column == "eleve_classe_id" else USER_COLUMNS[column][0], pair[side])
            for column, pair in self.pairs().items()
        ]

    def pairs(self) -> dict[str, tuple[Any, Any]]:
        """column → (old, new) value, as :attr:`olds` and :attr:`news` give them (the set rows read it): the
        old class by its id, the new one by its ref, an empty date as NULL."""
        pairs = {}
        for column, change in self.item["changes"].items():
            if column == "eleve_classe_id":
                pairs[column] = (change["old_id"], change["new"])
            elif USER_COLUMNS[column][0] == DATE:
                old, new = change["old"], change["new"]
                pairs[column] = (None if old == "" else old, None if new == "" else new)
            else:
                pairs[column] = (change["old"], change["new"])
        return pairs

    @property
    def new_class_refs(self) -> list[str]:
        """The class refs among the new values (eleve_classe_id, sacoche_user's only CLASS column)."""
        change = self.item["changes"].get("eleve_classe_id")
        return [] if change is None else [change["new"]]

    @property
    def describe(self) -> str:
        return f"user_id {self.user_id} ({self.login}): {_describe_changes(self.item['changes'])}"


class Membership:
    """A membership to add or remove; ``user_id`` is None for a pupil this plan creates."""

    __slots__ = ("id", "item", "login", "ref", "user_id")

    def __init__(self, item: Mapping[str, Any]) -> None:
        target = item["target"]
        self.item = item
        self.id: str = item["id"]
        self.user_id: int | None = target.get("user_id")
        self.login: str = target["login"]
        self.ref: str = target["groupe_ref"]

    @property
    def describe(self) -> str:
        who = (
            f"user_id {self.user_id} ({self.login})"
            if self.user_id is not None
            else f"new pupil {self.login}"
        )
        return f"{who}, group {self.ref}"


class ArchiveWrite:
    """SACoche's archive of the imported file (row Onde of sacoche_siecle_import): old and new row."""

    __slots__ = ("id", "item", "row_exists")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.row_exists: bool = item["target"]["row_exists"]

    def side(self, side: str) -> tuple[str | None, str | None, str]:
        changes = self.item["changes"]
        return tuple(changes[c][side] for c in ARCHIVE_COLUMNS)  # type: ignore[return-value]

    def chunks(self, side: str) -> list[str]:
        return text_chunks(self.side(side)[2], ARCHIVE_CHUNK)

    def digest(self, side: str) -> tuple[int, str]:
        """(bytes, SHA-256 hex) of one side's content, as MySQL's LENGTH and SHA2(…, 256) give them."""
        data = self.side(side)[2].encode("utf-8")
        return len(data), hashlib.sha256(data).hexdigest()

    def prefixes(self, side: str) -> list[tuple[int, str]]:
        """(bytes, SHA-256 hex) of the content written before each piece after the first."""
        found, data = [], b""
        for piece in self.chunks(side)[:-1]:
            data += piece.encode("utf-8")
            found.append((len(data), hashlib.sha256(data).hexdigest()))
        return found

    @property
    def describe(self) -> str:
        size, _ = self.digest("new")
        return f"archive of the imported ONDE file, row {ARCHIVE_OBJET}, {size} bytes"
