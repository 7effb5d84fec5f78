"""The rows a plan touches, as its items name them (engine.readset leaves them out of the read set and
guards each one; engine.readset_sql resolves the same keys in apply.sql)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: parent item kinds that write one sacoche_user row (engine.plan.parents)
PARENT_ACCOUNT_KINDS = ("parent_update", "parent_reactivate", "parent_deactivate")


@dataclass
class Touched:
    """The keys of the rows a plan touches, as the plan knows them (ids, logins, refs)."""

    user_ids: set[int] = field(default_factory=set)
    #: user_id → the columns the plan's items write on it (masked out of the row's own term)
    written: dict[int, set[str]] = field(default_factory=dict)
    logins: set[str] = field(default_factory=set)  # lower-cased
    groupe_ids: set[int] = field(default_factory=set)
    group_refs: set[tuple[str, str]] = field(default_factory=set)  # (type, upper-cased ref)
    retired_ids: set[int] = field(default_factory=set)
    members: set[tuple[Any, str, str]] = field(default_factory=set)  # (user_id or None, lower login, REF)
    #: parent links: (parent_id or None, lower parent login, eleve_id or None, lower pupil login)
    parent_links: set[tuple[Any, str, Any, str]] = field(default_factory=set)
    #: parent addresses: (parent_id or None, lower parent login)
    parent_addresses: set[tuple[Any, str]] = field(default_factory=set)
    #: whether an item is a parent one (the read set then covers the parents' tables: guarded_tables)
    parents: bool = False


#: whether a type of item is a Mapping (plan.json dicts) or not (engine.plan.Item): an ABC check per
#: call was a quarter of plan_read_set
_MAPPING_TYPES: dict[type, bool] = {}


def item_field(item: Any, name: str) -> Any:
    """A field of an item, a plan.json dict or an engine.plan.Item."""
    kind = type(item)
    mapping = _MAPPING_TYPES.get(kind)
    if mapping is None:
        mapping = _MAPPING_TYPES[kind] = isinstance(item, Mapping)
    return item[name] if mapping else getattr(item, name)


#: item kinds that write one pupil account (their target's user_id, their changes' columns)
_ACCOUNT_KINDS = frozenset({"update", "reactivate", "deactivate"})
#: item kinds that touch a group by id: True for those that retire it
_GROUP_KINDS = {"class_rename": False, "class_retire": True, "group_retire": True}
#: item kinds that create a group: the group type
_CREATE_KINDS = {"class_create": "classe", "group_create": "groupe"}


def touched(items: Iterable[Any]) -> Touched:
    """The rows the items (plan.json dicts or engine.plan.Item) touch; ``decide`` items touch nothing."""
    found = Touched()
    written, mapping_types = found.written, _MAPPING_TYPES
    # one pass over a few hundred thousand items: the fields read inline (no item_field call), the most
    # frequent kinds tested first, and user_ids filled from ``written`` at the end (the same ids)
    for item in items:
        mapping = mapping_types.get(type(item))
        if mapping is None:
            mapping = mapping_types[type(item)] = isinstance(item, Mapping)
        kind, target = (item["kind"], item["target"]) if mapping else (item.kind, item.target)
        if kind in _ACCOUNT_KINDS:
            user_id = int(target["user_id"])
            columns = written.get(user_id)
            if columns is None:
                written[user_id] = set(item["changes"] if mapping else item.changes)
            else:
                columns.update(item["changes"] if mapping else item.changes)
        elif kind == "membership_add" or kind == "membership_remove":
            user_id = target.get("user_id")
            found.members.add((user_id, str(target["login"]).lower(), str(target["groupe_ref"]).upper()))
        elif kind == "create":
            found.logins.add(str(target["login"]).lower())
        elif kind in _GROUP_KINDS:
            found.groupe_ids.add(int(target["groupe_id"]))
            if _GROUP_KINDS[kind]:
                found.retired_ids.add(int(target["groupe_id"]))
        elif kind in _CREATE_KINDS:
            found.group_refs.add((_CREATE_KINDS[kind], str(target["groupe_ref"]).upper()))
        elif kind.startswith("parent_"):
            found.parents = True
            _touched_parent(found, kind, target, item["changes"] if mapping else item.changes)
    found.user_ids.update(written)
    return found


def _touched_parent(found: Touched, kind: str, target: Mapping[str, Any], changes: Any) -> None:
    """The rows a parent item touches (docs/parents.md): its account, a link or an address."""
    if kind in PARENT_ACCOUNT_KINDS:
        found.user_ids.add(int(target["user_id"]))
        found.written.setdefault(int(target["user_id"]), set()).update(changes)
    elif kind == "parent_create":
        found.logins.add(str(target["login"]).lower())
    elif kind in ("parent_link", "parent_unlink"):
        found.parent_links.add(
            (
                target.get("parent_id"),
                str(target.get("parent_login") or "").lower(),
                target.get("eleve_id"),
                str(target.get("eleve_login") or "").lower(),
            )
        )
    elif kind == "parent_address":
        found.parent_addresses.add((target.get("parent_id"), str(target.get("parent_login") or "").lower()))
