"""Parents' items (docs/parents.md): a responsables export + the pupils as planned + SACoche's state →
``parent_*`` items with stable ids, reasons and SACoche-like defaults, plus the parents' guards.

A separate module taking what it needs as arguments (the planned pupils, the state, the policy), so the
pupils' planner does not grow: :func:`planned_pupils` derives the pupils from a pupils plan (or from the
state alone), :func:`plan_parents` plans the parents against them. Matching lives in
:mod:`engine.plan.parents_match`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from random import SystemRandom  # as secrets.SystemRandom, without importing hmac and base64
from typing import Any

from engine.plan.items import Item, stable_id
from engine.plan.logins import LoginAllocator
from engine.plan.parents_accounts import AccountItems, shown_account
from engine.plan.parents_match import (
    ChildFinder,
    FileParent,
    PlannedPupil,
    Pupils,
    Resolution,
    child_ident,
    child_key,
    group_rows,
    homonym_parents,
    legal_numbers,
    match_parents,
)
from engine.plan.parents_pupils import planned_pupils
from engine.plan.parents_rules import (
    PARENT_GUARDS,
    PARENT_KINDS,
    SITUATIONS,
    SUMMARY_KEYS,
    ParentDecisions,
    parent_guards,
    parents_policy,
)
from engine.read.parents import ParentsExport
from engine.state import ParentAccount, State
from engine.widths import DEFAULT_WIDTHS

__all__ = [
    "PARENT_GUARDS",
    "PARENT_KINDS",
    "SITUATIONS",
    "ParentDecisions",
    "ParentPlan",
    "PlannedPupil",
    "Pupils",
    "plan_parents",
    "planned_pupils",
]


@dataclass(frozen=True, slots=True)
class ParentPlan:
    """The parents' part of a plan; ``passwords`` (item id → plaintext) never goes into plan.json."""

    items: tuple[Item, ...]
    holds: tuple[dict[str, Any], ...]
    summary: dict[str, Any]
    warnings: tuple[str, ...] = ()
    passwords: Mapping[str, str] = field(default_factory=dict, repr=False)
    stale: tuple[str, ...] = ()


class _ParentPlanner(AccountItems):
    def __init__(
        self,
        export: ParentsExport,
        state: State,
        pupils: Pupils,
        policy: Mapping[str, Any],
        today: str,
        decisions: ParentDecisions,
        taken_logins: Iterable[str],
        rng: Any,
    ) -> None:
        self.export, self.state, self.pupils, self.today = export, state, pupils, today
        self.policy = policy
        self.parents_policy = parents_policy(policy)
        self.decisions = decisions
        self.rng = rng
        self.items: list[Item] = []
        self.passwords: dict[str, str] = {}
        self.warnings: list[str] = []
        self.stale: list[str] = []
        accounts = policy.get("accounts", {})
        width = int(state.widths.get("user_login", DEFAULT_WIDTHS["user_login"]))
        cap = accounts.get("login_max_length")
        self.allocator = LoginAllocator(
            [*state.taken_logins, *taken_logins], max_length=min(width, int(cap)) if cap else width
        )
        self.children_of: dict[int, set[int]] = defaultdict(set)
        for parent_id, eleve_id in state.parent_links:
            self.children_of[parent_id].add(eleve_id)
        self.unchanged = 0

    def add(
        self,
        kind: str,
        target: dict[str, Any],
        changes: dict[str, Any],
        reason: dict[str, Any],
        subject: dict[str, Any],
        id_parts: Sequence[Any],
        default: bool | None = None,
    ) -> Item:
        item_id = stable_id(kind, *id_parts)
        defaults = self.parents_policy["accepted_by_default"]
        accepted = bool(defaults.get(kind, kind != "parent_decide")) if default is None else default
        if (
            item_id in self.decisions.accept and kind != "parent_decide"
        ):  # a question is answered, never accepted
            accepted = True
        if item_id in self.decisions.reject:
            accepted = False
        item = Item(item_id, kind, target, changes, reason, accepted, subject)
        self.items.append(item)
        return item

    # --- who is who -----------------------------------------------------------------------------------
    def answer_children(self, parents: list[FileParent]) -> None:
        """Recorded answers replace the questions they answer; an answer naming no planned pupil is stale."""
        if not self.decisions.children:
            return
        by_ref: dict[Any, PlannedPupil] = {p.ref: p for p in self.pupils.planned}
        for candidates in self.pupils.undecided.values():  # an answer may name a pupil awaiting its own
            by_ref.update((p.ref, p) for p in candidates if p.user_id in self.pupils.active_after)
        for parent in parents:
            kept: list[Resolution] = []
            for r in parent.children:
                keys = [(parent.key, child_ident(r.child)), (parent.key, child_key(r.child))]
                key = next((k for k in keys if k in self.decisions.children), None)
                if r.pupil is not None or key is None:
                    kept.append(r)
                    continue
                answer = self.decisions.children[key]
                if answer is None:
                    continue  # "not one of ours": the child is left out
                pupil = by_ref.get(answer)
                if pupil is None:
                    self.stale.append(f"child {key[1]} of {key[0]} ↔ {answer}: no such planned pupil")
                    kept.append(r)
                else:
                    kept.append(Resolution(r.child, r.line, pupil))
            parent.children[:] = kept

    # --- items ----------------------------------------------------------------------------------------
    def run(self, allow: Iterable[str]) -> ParentPlan:
        finder = ChildFinder(self.pupils)
        parents = group_rows(self.export.parents, finder)
        self.answer_children(parents)
        for parent in parents:
            if (
                len({(r.adresse, r.code_postal, r.commune, r.pays, r.email, r.civilite) for r in parent.rows})
                > 1
            ):
                self.warnings.append(
                    f"one parent is on lines {', '.join(map(str, parent.lines))} with different details: the "
                    f"first line's are used"
                )
        for lines in homonym_parents(parents):
            self.warnings.append(
                f"parents with the same names on lines {', '.join(map(str, lines))} are planned as different "
                "people (no e-mail, child or address in common): if one person, give them the same e-mail "
                "in ONDE"
            )
        numbers: dict[int, dict[Any, int]] = defaultdict(dict)  # parent index → pupil ref → number
        for (index, ref), number in legal_numbers(parents).items():
            numbers[index][ref] = number
        accounts = match_parents(parents, self.state, self.decisions.parents)
        for index, parent in enumerate(parents):
            numbers_of = numbers.get(index, {})
            for r in parent.unresolved():
                self.question_child(parent, r)
            if index in accounts.questions:
                situation, candidates = accounts.questions[index]
                self.question_parent(parent, situation, candidates)
            elif index in accounts.matched:
                account, tier = accounts.matched[index]
                self.plan_matched(parent, account, tier, numbers_of)
            elif parent.resolved():
                self.plan_new(parent, numbers_of)
        touched = {a.user_id for a, _ in accounts.matched.values()} | accounts.in_question
        self.plan_absent(touched)
        holds = parent_guards(self.parents_policy, self.state, self.pupils, parents, touched, set(allow))
        counts = Counter(i.kind for i in self.items)
        summary: dict[str, Any] = {"parents_in_file": len(parents), "parents_unchanged": self.unchanged}
        summary.update({key: counts.get(kind, 0) for kind, key in SUMMARY_KEYS.items()})
        order = {kind: i for i, kind in enumerate(PARENT_KINDS)}
        items = sorted(self.items, key=lambda i: (order[i.kind], i.reason.get("line") or 0, i.id))
        return ParentPlan(
            tuple(items), tuple(holds), summary, tuple(self.warnings), dict(self.passwords), tuple(self.stale)
        )

    def subject(self, parent: FileParent) -> dict[str, Any]:
        first = parent.first
        children = [
            {**r.pupil.shown(), "nom": r.pupil.nom, "prenom": r.pupil.prenom}
            if r.pupil is not None
            else {
                "nom": r.child.nom,
                "prenom": r.child.prenom,
                "classe": r.child.classe,
                "user_id": None,
                "login": "",
            }
            for r in parent.children
        ]
        return {
            "civilite": first.civilite,
            "nom": first.nom,
            "prenom": first.prenom,
            "parent_key": parent.key,
            "line": first.line,
            "lines": parent.lines,
            "children": children,
        }

    def reason(self, parent: FileParent, situation: str, **more: Any) -> dict[str, Any]:
        return {"situation": situation, "line": parent.first.line, "lines": parent.lines, **more}

    def plan_absent(self, touched: set[int]) -> None:
        for account in self.state.parents:
            if not account.active or account.user_id in touched:
                continue
            active = sorted(self.children_of.get(account.user_id, set()) & self.pupils.active_after)
            situation = "absent_with_active_child" if active else "no_active_child"
            self.add(
                "parent_deactivate",
                {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
                {"user_sortie_date": {"old": account.sortie_date, "new": self.today}},
                {"situation": situation, "line": None, "active_children": active},
                {
                    "civilite": account.genre,
                    "nom": account.nom,
                    "prenom": account.prenom,
                    "account": shown_account(account),
                },
                (account.user_id,),
                default=False if active else None,
            )

    def question_child(self, parent: FileParent, r: Resolution) -> None:
        child = {
            "nom": r.child.nom,
            "prenom": r.child.prenom,
            "classe": r.child.classe,
            "naissance": r.child.naissance,
            "line": r.line,
            "group": r.child.group,
        }
        candidates = [p.shown() for p in r.candidates]
        refs = sorted((p.ref for p in r.candidates), key=str)
        self.add(
            "parent_decide",
            {
                "question": "child",
                "parent_key": parent.key,
                "child": child_key(r.child),
                "child_ident": child_ident(r.child),
                "candidates": refs,
            },
            {},
            {"situation": r.situation, "line": r.line, "lines": parent.lines},
            {**self.subject(parent), "child": child, "candidates": candidates},
            ("child", parent.key, child_ident(r.child), refs),
        )

    def question_parent(
        self, parent: FileParent, situation: str, candidates: Sequence[ParentAccount]
    ) -> None:
        ids = sorted(a.user_id for a in candidates)
        self.add(
            "parent_decide",
            {"question": "parent", "parent_key": parent.key, "candidates": ids},
            {},
            self.reason(parent, situation),
            {**self.subject(parent), "candidates": [shown_account(a) for a in candidates]},
            ("parent", parent.key, ids),
        )

    # --- guards ---------------------------------------------------------------------------------------


def plan_parents(
    export: ParentsExport,
    state: State,
    pupils: Pupils,
    policy: Mapping[str, Any],
    *,
    today: str,
    allow: Iterable[str] = (),
    decisions: ParentDecisions | None = None,
    taken_logins: Iterable[str] = (),
    rng: Any = None,
) -> ParentPlan:
    """The parents' items for this export against the planned ``pupils`` (:func:`planned_pupils`);
    ``taken_logins``: logins the same plan already gives new pupils; ``rng`` only for tests."""
    planner = _ParentPlanner(
        export,
        state,
        pupils,
        policy,
        today,
        decisions or ParentDecisions(),
        taken_logins,
        rng or SystemRandom(),
    )
    return planner.run(allow)
