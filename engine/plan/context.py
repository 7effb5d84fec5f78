"""The one planning context every concern of the plan reads and writes (:class:`PlanContext`).

It holds the inputs (export, state, matching, rules and policy, date, allowed guards, decisions, rng),
what the concerns build (items, passwords, warnings, classes wanted, left alone, counts of unchanged
pupils) and the small memoised look-ups they share. Each concern (:mod:`~engine.plan.classes`,
:mod:`~engine.plan.groups`, :mod:`~engine.plan.pupils`, …) is a function over it; a new kind of account
adds a module beside them, calling :meth:`PlanContext.add` for its items.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.match import Matching, ref_key
from engine.plan.items import Decisions, Item, stable_id
from engine.plan.logins import LoginAllocator
from engine.plan.refs import ClassOf, WantedClass, group_ref, niveau_id_for
from engine.read import Export, Pupil
from engine.rules import RuleSet
from engine.state import ACTIVE, Account, State
from engine.widths import DEFAULT_WIDTHS


class PlanContext:
    """Inputs, results so far and shared look-ups of one plan being built."""

    def __init__(
        self,
        export: Export,
        state: State,
        matching: Matching,
        rules: RuleSet,
        today: str,
        allow: Iterable[str],
        decisions: Decisions,
        rng: Any,
    ) -> None:
        self.export, self.state, self.matching, self.rules = export, state, matching, rules
        self.policy = rules.policy
        self.today = today
        self.allow = set(allow)
        self.decisions = decisions
        self._decided = bool(decisions.accept or decisions.reject)
        self.rng = rng
        self.defaults: Mapping[str, bool] = self.policy.get("accepted_by_default", {})
        self.situations: Mapping[str, str] = self.policy.get("situations", {})
        # what the concerns build
        self.items: list[Item] = []
        self.passwords: dict[str, str] = {}  # item id → plaintext; never in plan.json
        self.warnings: list[str] = []
        self.left_alone: dict[str, list[dict[str, Any]]] = {"classes": [], "groups": []}
        #: classes of the file by ref key, their ref and name the stored ones when they exist (set by
        #: engine.plan.classes.plan_classes, read by every concern that places a pupil in a class)
        self.wanted: dict[str, WantedClass] = {}
        self.unchanged = 0
        self.unchanged_by_class: Counter[str] = Counter()
        #: pupils of the file without a class (admitted, not yet assigned): situations *_without_class
        self.without_class: list[dict[str, Any]] = []
        # shared look-ups
        self.groups_by_id = state.group_by_id()
        self.class_policy = self.policy.get("classes", {})
        self.group_policy = self.policy.get("groups", {})
        self.owned_class = re.compile(self.class_policy.get("owned_ref", r"^[0-9A-Z]+_\S"))
        self.owned_group = re.compile(self.group_policy.get("owned_ref", r"^RG_"))
        self.class_of = ClassOf(self.class_policy, rules.context)
        self.active_accounts = [a for a in state.accounts if a.sortie_date == ACTIVE]  # Account.active
        self.classed = [p for p in export.pupils if p.classe_id]
        #: a plan only touches what its source format carries: no groups column, no group or membership item
        self.carries_groups = "regroupements" in export.header.columns
        self._group_refs: dict[str, str] = {}
        self._wanted_of: dict[tuple[str, str, str], tuple[WantedClass, str]] = {}
        self._wanted_of_for: dict[str, WantedClass] | None = None
        self._niveau_ids: dict[str, int] = {}
        self._members_by_group: dict[int, list[int]] | None = None
        self._logins: LoginAllocator | None = None

    def add(
        self,
        kind: str,
        target: dict[str, Any],
        changes: dict[str, dict[str, Any]],
        reason: dict[str, Any],
        subject: dict[str, Any],
        id_parts: Sequence[Any],
        default: bool | None = None,
    ) -> Item:
        """Add one item: its id from ``kind`` and ``id_parts``, accepted as the policy's default for its
        kind (or ``default``), then as the reviewer's decisions say."""
        return self.add_with_id(stable_id(kind, *id_parts), kind, target, changes, reason, subject, default)

    def add_with_id(
        self,
        item_id: str,
        kind: str,
        target: dict[str, Any],
        changes: dict[str, dict[str, Any]],
        reason: dict[str, Any],
        subject: dict[str, Any],
        default: bool | None = None,
    ) -> Item:
        """:meth:`add` with the item's id already made (``stable_id(kind, *id_parts)``)."""
        accepted = bool(self.defaults.get(kind, kind != "decide")) if default is None else default
        if self._decided:
            if item_id in self.decisions.accept:
                accepted = True
            if item_id in self.decisions.reject:
                accepted = False
        item = Item(item_id, kind, target, changes, reason, accepted, subject)
        self.items.append(item)
        return item

    def group_ref(self, label: str) -> str:
        """:func:`~engine.plan.refs.group_ref` memoised per label."""
        ref = self._group_refs.get(label)
        if ref is None:
            ref = self._group_refs[label] = group_ref(label, self.group_policy)
        return ref

    def niveau_id(self, niveau: str) -> int:
        """:func:`~engine.plan.refs.niveau_id_for` memoised per niveau."""
        found = self._niveau_ids.get(niveau)
        if found is None:
            found = self._niveau_ids[niveau] = niveau_id_for(niveau, self.state)
        return found

    def wanted_for(self, pupil: Pupil) -> WantedClass:
        """The class a pupil of the file belongs to (its ref the stored one when the class exists)."""
        return self.wanted_with_key(pupil)[0]

    def wanted_with_key(self, pupil: Pupil) -> tuple[WantedClass, str]:
        """:meth:`wanted_for` and the :func:`~engine.match.ref_key` of its ref, memoised per
        (classe_id, niveau, classe_label) for the ``wanted`` classes in place."""
        if self._wanted_of_for is not self.wanted:
            self._wanted_of, self._wanted_of_for = {}, self.wanted
        key = (pupil.classe_id, pupil.niveau, pupil.classe_label)  # engine.plan.refs.class_key
        found = self._wanted_of.get(key)
        if found is None:
            cls = self.wanted[ref_key(self.class_of(pupil)[0])]
            found = self._wanted_of[key] = (cls, ref_key(cls.ref))
        return found

    def class_name(self, account: Account) -> str:
        """The name of an account's SACoche class now ("" when it has none)."""
        group = self.groups_by_id.get(account.classe_id)
        return group.nom if group else ""

    def logins(self) -> LoginAllocator:
        """The plan's one login allocator, made at the first call: every new account's login, whatever
        its profile, is unique against the database and every login this plan hands out."""
        if self._logins is None:
            accounts = self.policy.get("accounts", {})
            self._logins = LoginAllocator(
                self.state.taken_logins, max_length=login_max_length(self.state, accounts)
            )
        return self._logins

    def members_of(self, groupe_id: int) -> list[int]:
        """User ids of a group's members in SACoche now, sorted (one pass over the memberships, at the
        first call, not one per group)."""
        if self._members_by_group is None:
            self._members_by_group = defaultdict(list)
            for uid, gid in self.state.memberships:
                self._members_by_group[gid].append(uid)
        return sorted(self._members_by_group.get(groupe_id, ()))


def login_max_length(state: State, accounts: Mapping[str, Any]) -> int:
    """New logins fit the database's user_login column, or the policy's lower ``login_max_length``."""
    width = int(state.widths.get("user_login", DEFAULT_WIDTHS["user_login"]))
    cap = accounts.get("login_max_length")
    return min(width, int(cap)) if cap else width


def person(pupil: Pupil) -> dict[str, Any]:
    """A pupil of the file as an item's subject shows it."""
    return {
        "nom": pupil.nom,
        "prenom": pupil.prenom,
        "naissance": pupil.naissance,
        "ine": pupil.ine,
        "line": pupil.line,
    }


def account_subject(account: Account) -> dict[str, Any]:
    """A SACoche account as an item's subject shows it."""
    return {
        "user_id": account.user_id,
        "nom": account.nom,
        "prenom": account.prenom,
        "naissance": account.naissance,
        "ine": account.ine,
        "login": account.login,
        "sortie_date": account.sortie_date,
    }
