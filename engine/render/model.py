"""The SQL model of one plan: its accepted items sorted by kind into views (:mod:`~engine.render.views`),
one list per family, which the templates loop over (``m.creates``, ``m.retires``…).

The guards and checks over these lists are in :mod:`~engine.render.guards`. A new family of items adds
its views, its list here and its guards there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from engine.errors import OndeError
from engine.plan import ITEM_KINDS
from engine.render.columns import PARENT_USER_KINDS, USER_KINDS
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
from engine.render.views_parents import ParentAddress, ParentChange, ParentCreate, ParentLink

#: the items that are questions: never written, never accepted
QUESTIONS = ("decide", "parent_decide")


class SqlModel:
    """Accepted items turned into the views the scripts write, for one plan."""

    def __init__(self, doc: Mapping[str, Any], *, revert_deletes_created: bool) -> None:
        self.doc = doc
        self.deletes_created = revert_deletes_created
        items: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.decide: list[dict[str, Any]] = []
        by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in ITEM_KINDS}
        kinds = set()
        needed: list[dict[str, Any]] = []  # the creations other items may need, accepted or not
        for item in doc["items"]:  # one pass (a large plan has hundreds of thousands of items)
            kind = item["kind"]
            if kind in QUESTIONS:
                self.decide.append(item)
                continue
            items.append(item)
            kinds.add(kind)
            if kind in NEEDED_KINDS:
                needed.append(item)
            if item["accepted"]:
                self.accepted.append(item)
                by_kind[kind].append(item)
            else:
                self.skipped.append(item)
        self.by_kind = by_kind
        #: the kinds of the plan's items, questions included
        self.kinds = kinds | {item["kind"] for item in self.decide}
        self.today = str(doc.get("today") or "")
        check_dependencies(needed, self.accepted, by_kind["create"], by_kind["membership_add"])
        if any(kind.startswith("parent_") for kind in kinds):  # else nothing to check there
            check_parent_dependencies(items, self.accepted)
        self.group_creates = [GroupCreate.of(i) for i in by_kind["class_create"] + by_kind["group_create"]]
        self.renames = [Rename.of(i) for i in by_kind["class_rename"]]
        self.creates = [Create(i) for i in by_kind["create"]]
        self.user_changes = [UserChange(i) for k in USER_KINDS for i in by_kind[k]]
        self.memberships_add = [Membership(i) for i in by_kind["membership_add"]]
        self.memberships_remove = [Membership(i) for i in by_kind["membership_remove"]]
        self.retires = [Retire.of(i) for i in by_kind["class_retire"] + by_kind["group_retire"]]
        self.archives = [ArchiveWrite(i) for i in by_kind["archive"]]
        self.parent_creates = [ParentCreate(i) for i in by_kind["parent_create"]]
        self.parent_changes = [ParentChange(i) for k in PARENT_USER_KINDS for i in by_kind[k]]
        self.parent_addresses = [ParentAddress(i) for i in by_kind["parent_address"]]
        self.parent_links = [ParentLink(i) for i in by_kind["parent_link"]]
        self.parent_unlinks = [ParentLink(i) for i in by_kind["parent_unlink"]]
        self.left_alone = LeftAlone.all_of(doc)
        self.new_refs = {(g.type, g.ref.upper()) for g in self.group_creates}
        self.retired_refs = {(r.type, r.ref.upper()) for r in self.retires}
        self._shared: dict[str, Any] = {}

    def shared(self, name: str, make: Callable[[SqlModel], Any]) -> Any:
        """``make(self)``, made once for every script rendered from this model (what does not depend on
        the script nor the dialect, as verify's old states of the items)."""
        if name not in self._shared:
            self._shared[name] = make(self)
        return self._shared[name]

    def release(self) -> None:
        """Forget what :meth:`shared` made once every script is rendered: the phrases refer back to the
        model, a cycle that only the cyclic collector (paused while a plan is made) would free."""
        self._shared.clear()
        self.__dict__.pop("pupil_sets", None)  # it refers back to the model too

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
            + self.parent_rows()
        )

    def parent_rows(self) -> int:
        """Rows apply.sql's parents' writes change."""
        return (
            len(self.parent_creates)
            + len(self.parent_changes)
            + len(self.parent_addresses)
            + len(self.parent_links)
            + len(self.parent_unlinks)
        )

    @property
    def parents_locked(self) -> bool:
        """Whether the MySQL scripts lock the parents' tables: the plan has parent items (accepted or not:
        apply.sql's read set then covers those tables, and finds its touched rows under aliases p, e)."""
        return any(str(kind).startswith("parent_") for kind in self.kinds)

    @property
    def parents(self) -> bool:
        """Whether the plan writes anything about parents (the scripts then lock their tables too)."""
        return bool(self.parent_rows())

    @cached_property
    def pupil_sets(self) -> PupilSets:
        """The pupils' families as the temporary tables of the MySQL scripts (set statements)."""
        return PupilSets(self, mysql_literal)

    @property
    def writes(self) -> bool:
        """Whether the scripts write anything (an accepted item)."""
        return bool(self.accepted)


#: the kinds of items others may need (a class, a group, a pupil created by the plan)
NEEDED_KINDS = frozenset({"class_create", "group_create", "create"})


def check_dependencies(
    needed: Sequence[Mapping[str, Any]],
    accepted: Sequence[Mapping[str, Any]],
    created: Sequence[Mapping[str, Any]],
    members: Sequence[Mapping[str, Any]],
) -> None:
    """An accepted item may not need an item the reviewer rejected (the script would stop anyway), and
    two accepted create items may not make the same login. ``needed``: the plan's items of
    :data:`NEEDED_KINDS`, accepted or not, in order; ``accepted``: its accepted items, ``created`` and
    ``members`` those of them that create a pupil or add a membership."""
    creations = {
        ("classe" if i["kind"] == "class_create" else "groupe", i["target"]["groupe_ref"].upper()): i
        for i in needed
        if i["kind"] in ("class_create", "group_create")
    }
    # only a rejected creation makes a problem of an item needing it (need()): most plans have none,
    # and then only the memberships to add are looked at (hundreds of thousands of items spared)
    creations = {key: i for key, i in creations.items() if not i["accepted"]}
    logins = {i["target"]["login"].lower(): i for i in needed if i["kind"] == "create"}
    problems = []

    def need(item: Mapping[str, Any], other: Mapping[str, Any] | None, what: str) -> None:
        if other is not None and not other["accepted"]:
            problems.append(
                f"{item['id']} is accepted but needs {what}, whose item {other['id']} is not accepted"
            )

    for item in accepted if creations else members:
        changes = item["changes"]
        if creations and "eleve_classe_id" in changes:
            ref = str(changes["eleve_classe_id"]["new"]).upper()
            other = creations.get(("classe", ref))
            if other is not None:
                need(item, other, f"class {ref}")
        if item["kind"] == "membership_add":
            target = item["target"]
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


def check_parent_dependencies(
    items: Sequence[Mapping[str, Any]], accepted: Sequence[Mapping[str, Any]]
) -> None:
    """A parent's address or link naming an account this plan creates needs that account's item accepted
    (a new parent's, or a new pupil's); no two accepted items create the same login."""
    parents = {i["target"]["login"].lower(): i for i in items if i["kind"] == "parent_create"}
    pupils = {i["target"]["login"].lower(): i for i in items if i["kind"] == "create"}
    problems = []

    def need(
        item: Mapping[str, Any], creates: Mapping[str, Mapping[str, Any]], login: str, what: str
    ) -> None:
        other = creates.get(login.lower())
        if other is None:
            problems.append(f"{item['id']}: no create item for {what} login {login!r}")
        elif not other["accepted"]:
            problems.append(
                f"{item['id']} is accepted but needs {what}, whose item {other['id']} is not accepted"
            )

    for item in accepted:
        kind, target = item["kind"], item["target"]
        if kind in ("parent_address", "parent_link", "parent_unlink") and target.get("parent_id") is None:
            need(item, parents, target["parent_login"], "its new parent")
        if kind == "parent_link" and target.get("eleve_id") is None:
            need(item, pupils, target["eleve_login"], "its new pupil")
    for item in accepted:
        if item["kind"] == "parent_create" and item["target"]["login"].lower() in pupils:
            other = pupils[item["target"]["login"].lower()]
            if other["accepted"]:
                problems.append(f"{item['id']} and {other['id']} create the same login")
    seen: dict[str, str] = {}
    for item in accepted:
        if item["kind"] == "parent_create":
            key = item["target"]["login"].lower()
            if key in seen:
                problems.append(f"{item['id']} and {seen[key]} create the same login")
            seen[key] = item["id"]
    if problems:
        raise OndeError(
            "; ".join(problems),
            hint="accept both items or neither (edit `accepted` in plan.json), then render again",
        )
