"""The plan's values: the item kinds, :class:`Item`, :class:`Plan`, :class:`Decisions` and stable ids.

``ITEM_KINDS`` is the one list of kinds, in the order the plan sorts its items and the summary counts
them (the renderers import it too): a new kind of item is added to it, with its summary key in
``SUMMARY_KEYS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

ITEM_KINDS = (
    "create",
    "update",
    "deactivate",
    "reactivate",
    "class_create",
    "class_rename",
    "class_retire",
    "group_create",
    "group_retire",
    "membership_add",
    "membership_remove",
    "archive",
    "decide",
    # parents (docs/parents.md, engine.plan.parents), after the pupils' items; their summary keys are
    # engine.plan.parents_rules.SUMMARY_KEYS, only in a plan made with a responsables export
    "parent_create",
    "parent_update",
    "parent_reactivate",
    "parent_address",
    "parent_link",
    "parent_unlink",
    "parent_deactivate",
    "parent_decide",
)
SUMMARY_KEYS = {
    "create": "create",
    "update": "update",
    "deactivate": "deactivate",
    "reactivate": "reactivate",
    "decide": "needs_decision",
    "class_create": "classes_create",
    "class_rename": "classes_rename",
    "class_retire": "classes_retire",
    "group_create": "groups_create",
    "group_retire": "groups_retire",
    "membership_add": "memberships_add",
    "membership_remove": "memberships_remove",
    "archive": "archive",
}
GUARDS = (
    "coverage",
    "other_school",
    "class_missing",
    "niveau_missing",
    "deactivations",
    "parents_coverage",  # the parents' guards (engine.plan.parents_rules)
    "children_unresolved",
)


@dataclass(frozen=True, slots=True, init=False)
class Item:
    """One reviewable change."""

    id: str
    kind: str
    target: dict[str, Any]
    changes: dict[str, dict[str, Any]]
    reason: dict[str, Any]
    accepted: bool
    subject: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        id: str,
        kind: str,
        target: dict[str, Any],
        changes: dict[str, dict[str, Any]],
        reason: dict[str, Any],
        accepted: bool,
        subject: dict[str, Any] | None = None,
    ) -> None:
        # the slots' own setters: a frozen dataclass's __init__ goes through object.__setattr__ once per
        # field, a quarter of the cost of making an item (hundreds of thousands in a big school's plan)
        _SET_ID(self, id)
        _SET_KIND(self, kind)
        _SET_TARGET(self, target)
        _SET_CHANGES(self, changes)
        _SET_REASON(self, reason)
        _SET_ACCEPTED(self, accepted)
        _SET_SUBJECT(self, {} if subject is None else subject)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "accepted": self.accepted,
            "subject": self.subject,
            "target": self.target,
            "changes": self.changes,
            "reason": self.reason,
        }


_SET_ID, _SET_KIND, _SET_TARGET, _SET_CHANGES, _SET_REASON, _SET_ACCEPTED, _SET_SUBJECT = (
    getattr(Item, name).__set__
    for name in ("id", "kind", "target", "changes", "reason", "accepted", "subject")
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the renderers need; ``passwords`` (item id → plaintext) never goes into plan.json."""

    meta: dict[str, Any]
    summary: dict[str, Any]
    items: tuple[Item, ...]
    holds: tuple[dict[str, Any], ...]
    left_alone: dict[str, list[dict[str, Any]]]
    stale_decisions: tuple[str, ...]
    warnings: tuple[str, ...]
    passwords: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def held(self) -> bool:
        return any(not h.get("allowed") for h in self.holds)

    @property
    def has_changes(self) -> bool:
        return any(i.accepted and i.kind != "decide" for i in self.items)

    def to_dict(self, *, items: bool = True) -> dict[str, Any]:
        """The plan as plan.json holds it; ``items=False`` leaves ``"items": []`` in place, for a writer
        that streams the items one by one instead of building them all at once."""
        return {
            "summary": self.summary,
            **self.meta,
            "held": self.held,
            "holds": list(self.holds),
            "items": [i.to_dict() for i in self.items] if items else [],
            "left_alone": self.left_alone,
            "stale_decisions": list(self.stale_decisions),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class Decisions:
    """Accept/reject answers for item ids (pairing answers go to the matcher)."""

    accept: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()


#: json.dumps(..., sort_keys=True, ensure_ascii=False, default=str) without building an encoder per call
_ID_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
#: the same as the C encoder json builds inside every ``encode`` call, built once (no circular check: an
#: id's parts are plain values); None where json has no C speedups
_ID_CHUNKS = (
    c_make_encoder(None, str, encode_basestring, None, ": ", ", ", True, False, True)
    if c_make_encoder is not None
    else None
)


def _id_payload(parts: Any) -> str:
    """``_ID_ENCODER.encode(parts)``."""
    if _ID_CHUNKS is None:  # pragma: no cover - CPython has the C encoder
        return _ID_ENCODER.encode(parts)
    return "".join(_ID_CHUNKS(parts, 0))


def stable_id(kind: str, *parts: Any) -> str:
    """``kind-<10 hex>`` from what the item changes: the same change gets the same id on every run."""
    return _hashed(kind, _id_payload([kind, *parts]))


def _hashed(kind: str, payload: str) -> str:
    return f"{kind}-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:10]}"


def id_entry(key: str, value: Any) -> str:
    """The ``"key": value`` entry of a dict as :func:`stable_id` writes it, for
    :func:`stable_id_of_entries`."""
    return _id_payload({key: value})[1:-1]


def stable_id_of_entries(kind: str, number: int, entries: Mapping[str, str]) -> str:
    """``stable_id(kind, number, {key: value, …})`` from each entry's :func:`id_entry` (key → entry).

    An update's changes are mostly a class move many pupils share: its entry is written once, not once
    per item (encoding the whole changes dict was a fifth of the cost of planning a big school).
    """
    assert type(number) is int  # json writes an int as int.__repr__ does (not a bool, not a float)
    body = ", ".join([entries[key] for key in sorted(entries)])  # json's sort_keys: by key
    return _hashed(kind, f"[{encode_basestring(kind)}, {int.__repr__(number)}, {{{body}}}]")
