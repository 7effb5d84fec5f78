"""The SQL model of one plan: its accepted items sorted by kind into views (:mod:`~engine.render.views`),
one list per family, which the templates loop over (``m.creates``, ``m.retires``…).

The guards and checks over these lists are in :mod:`~engine.render.guards`. A new family of items adds
its views, its list here and its guards there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from engine.errors import OndeError
from engine.plan import ITEM_KINDS
from engine.render.columns import USER_KINDS
from engine.render.literals import mysql_literal
from engine.render.sets_data import PupilSets
from engine.render.views import (
    ArchiveWrite,
    Create,
    GroupCreate,
    LeftAlone,
    Membership,
    Rename,
    Retire,
    UserChange,
)


class SqlModel:
    """Accepted items turned into the views the scripts write, for one plan."""

    def __init__(self, doc: Mapping[str, Any], *, revert_deletes_created: bool) -> None:
        self.doc = doc
        self.deletes_created = revert_deletes_created
        items = [i for i in doc["items"] if i["kind"] != "decide"]
        self.accepted = [i for i in items if i["accepted"]]
        self.skipped = [i for i in items if not i["accepted"]]
        self.decide = [i for i in doc["items"] if i["kind"] == "decide"]
        by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in ITEM_KINDS}
        for item in self.accepted:
            by_kind[item["kind"]].append(item)
        self.by_kind = by_kind
        self.today = str(doc.get("today") or "")
        check_dependencies(items, self.accepted, by_kind["create"])
        self.group_creates = [GroupCreate.of(i) for i in by_kind["class_create"] + by_kind["group_create"]]
        self.renames = [Rename.of(i) for i in by_kind["class_rename"]]
        self.creates = [Create(i) for i in by_kind["create"]]
        self.user_changes = [UserChange(i) for k in USER_KINDS for i in by_kind[k]]
        self.memberships_add = [Membership(i) for i in by_kind["membership_add"]]
        self.memberships_remove = [Membership(i) for i in by_kind["membership_remove"]]
        self.retires = [Retire.of(i) for i in by_kind["class_retire"] + by_kind["group_retire"]]
        self.archives = [ArchiveWrite(i) for i in by_kind["archive"]]
        self.left_alone = LeftAlone.all_of(doc)
        self.new_refs = {(g.type, g.ref.upper()) for g in self.group_creates}
        self.retired_refs = {(r.type, r.ref.upper()) for r in self.retires}

    def expected_rows(self) -> int:
        """Rows apply.sql changes when every write lands (printed at the end of the MySQL script)."""
        return (
            len(self.group_creates)
            + len(self.renames)
            + len(self.creates)
            + len(self.user_changes)
            + len(self.memberships_add)
            + len(self.memberships_remove)
            + sum(1 + len(r.members) for r in self.retires)
            + sum(len(a.chunks("new")) for a in self.archives)
        )

    @cached_property
    def pupil_sets(self) -> PupilSets:
        """The pupils' families as the temporary tables of the MySQL scripts (set statements)."""
        return PupilSets(self, mysql_literal)

    @property
    def writes(self) -> bool:
        """Whether the scripts write anything (an accepted item)."""
        return bool(self.accepted)


def check_dependencies(
    items: Sequence[Mapping[str, Any]],
    accepted: Sequence[Mapping[str, Any]],
    created: Sequence[Mapping[str, Any]],
) -> None:
    """An accepted item may not need an item the reviewer rejected (the script would stop anyway), and
    two accepted create items may not make the same login."""
    creations = {
        ("classe" if i["kind"] == "class_create" else "groupe", i["target"]["groupe_ref"].upper()): i
        for i in items
        if i["kind"] in ("class_create", "group_create")
    }
    logins = {i["target"]["login"].lower(): i for i in items if i["kind"] == "create"}
    problems = []

    def need(item: Mapping[str, Any], other: Mapping[str, Any] | None, what: str) -> None:
        if other is not None and not other["accepted"]:
            problems.append(
                f"{item['id']} is accepted but needs {what}, whose item {other['id']} is not accepted"
            )

    for item in accepted:
        changes, target = item["changes"], item["target"]
        if "eleve_classe_id" in changes:
            ref = str(changes["eleve_classe_id"]["new"]).upper()
            need(item, creations.get(("classe", ref)), f"class {ref}")
        if item["kind"] == "membership_add":
            need(item, creations.get(("groupe", target["groupe_ref"].upper())), "its group")
            if "user_id" not in target:
                need(item, logins.get(target["login"].lower()), "its new pupil")
                if target["login"].lower() not in logins:
                    problems.append(f"{item['id']}: no create item for login {target['login']!r}")
    seen: dict[str, str] = {}
    for item in created:
        key = item["target"]["login"].lower()
        if key in seen:
            problems.append(f"{item['id']} and {seen[key]} create the same login")
        seen[key] = item["id"]
    if problems:
        raise OndeError(
            "; ".join(problems),
            hint="accept both items or neither (edit `accepted` in plan.json), then render again",
        )
