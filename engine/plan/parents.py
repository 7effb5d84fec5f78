"""Parents' items (docs/parents.md): a responsables export + the pupils as planned + SACoche's state →
``parent_*`` items with stable ids, reasons and SACoche-like defaults, plus the parents' guards.

A separate module taking what it needs as arguments (the planned pupils, the state, the policy), so the
pupils' planner does not grow: :func:`planned_pupils` derives the pupils from a pupils plan (or from the
state alone), :func:`plan_parents` plans the parents against them. Matching lives in
:mod:`engine.plan.parents_match`.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.ops import abbreviate
from engine.plan.items import Item, stable_id
from engine.plan.logins import LoginAllocator, make_password, new_password_length, password_hash
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
    planned_pupils,
)
from engine.plan.parents_rules import (
    ACCOUNT_ATTR,
    PARENT_GUARDS,
    PARENT_KINDS,
    SITUATIONS,
    SUMMARY_KEYS,
    ParentDecisions,
    parent_guards,
    parents_policy,
)
from engine.read.parents import ParentsExport
from engine.state import ACTIVE, ADDRESS_COLUMNS, ParentAccount, State
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


class _ParentPlanner:
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

    def values(self, parent: FileParent) -> dict[str, str]:
        """The parent's columns of sacoche_user, fitted to the database's widths as SACoche abbreviates."""
        first = parent.first
        widths = self.state.widths
        return {
            "civilite": first.civilite or "I",
            "nom": abbreviate(first.nom, int(widths.get("user_nom", 50))),
            "prenom": abbreviate(first.prenom, int(widths.get("user_prenom", 50))),
            "email": first.email[: int(widths.get("user_email", 100))],
        }

    def address(self, parent: FileParent) -> tuple[str, ...] | None:
        first = parent.first
        cells = (first.adresse, "", "", "", first.code_postal, first.commune, first.pays)
        if not any(cells):
            return None
        widths = self.state.widths
        return tuple(
            v[: int(widths.get(c, DEFAULT_WIDTHS[c]))] for c, v in zip(ADDRESS_COLUMNS, cells, strict=True)
        )

    def field_changes(self, values: Mapping[str, str], account: ParentAccount) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        for column, spec in self.parents_policy["fields"].items():
            policy = spec.get("policy", "overwrite")
            if policy == "never":
                continue
            if any(
                getattr(account, c.removeprefix("user_"), None) == v
                for c, v in spec.get("protect_if", {}).items()
            ):
                continue
            new, old = values[spec["from"]], getattr(account, ACCOUNT_ATTR[column])
            absent = {"", *spec.get("absent", ())}
            if new == old or (policy == "overwrite_if_present" and new in absent):
                continue
            if policy == "fill_if_empty" and old not in absent:
                continue
            changes[column] = {"old": old, "new": new}
        return changes

    def plan_address(self, parent: FileParent, parent_id: int | None, login: str, id_part: Any) -> None:
        new = self.address(parent)
        if new is None:
            return
        old = self.state.parent_addresses.get(parent_id) if parent_id is not None else None
        if old == new:
            return
        if old is None:
            changes = {c: {"old": None, "new": v} for c, v in zip(ADDRESS_COLUMNS, new, strict=True)}
        else:
            changes = {
                c: {"old": o, "new": v} for c, o, v in zip(ADDRESS_COLUMNS, old, new, strict=True) if o != v
            }
        self.add(
            "parent_address",
            {
                "table": "sacoche_parent_adresse",
                "parent_id": parent_id,
                "parent_login": login,
                "row_exists": old is not None,
            },
            changes,
            self.reason(parent, "address_new" if old is None else "address_changed"),
            self.subject(parent),
            (id_part, changes),
        )

    def plan_links(
        self, parent: FileParent, parent_id: int | None, login: str, id_part: Any, numbers: Mapping[Any, int]
    ) -> None:
        linked = self.children_of.get(parent_id, set()) if parent_id is not None else set()
        for pupil in parent.resolved():
            if pupil.user_id is not None and pupil.user_id in linked:
                continue
            self.add(
                "parent_link",
                {
                    "table": "sacoche_jointure_parent_eleve",
                    "parent_id": parent_id,
                    "parent_login": login,
                    "eleve_id": pupil.user_id,
                    "eleve_login": pupil.login,
                },
                {"resp_legal_num": {"old": None, "new": numbers.get(pupil.ref, 1)}},
                self.reason(parent, "child_listed"),
                {**self.subject(parent), "child": pupil.shown()},
                (id_part, pupil.ref),
            )

    def plan_new(self, parent: FileParent, numbers: Mapping[Any, int]) -> None:
        accounts = self.policy.get("accounts", {})
        values = self.values(parent)
        profile = self.state.parent_profile
        login = self.allocator.allocate(values["prenom"], values["nom"], profile.model)
        password = make_password(
            min_length=new_password_length(profile.password_min_length, accounts.get("password_min_length")),
            alphabet=accounts.get("password_alphabet", "23456789abcdfghknpqrstuvxyz"),
            rng=self.rng,
        )
        columns = {
            "user_profil_sigle": "TUT",
            "user_genre": values["civilite"],
            "user_nom": values["nom"],
            "user_prenom": values["prenom"],
            "user_email": values["email"],
            "user_login": login,
            "user_password": password_hash(password, accounts.get("password_salt", "grain_de_sel")),
            "user_sortie_date": ACTIVE,
        }
        item = self.add(
            "parent_create",
            {"table": "sacoche_user", "login": login},
            {c: {"old": None, "new": v} for c, v in columns.items()},
            self.reason(parent, "parent_new", tier=None),
            self.subject(parent),
            (parent.key,),
        )
        self.passwords[item.id] = password
        self.plan_address(parent, None, login, parent.key)
        self.plan_links(parent, None, login, parent.key, numbers)

    def plan_matched(
        self, parent: FileParent, account: ParentAccount, tier: str, numbers: Mapping[Any, int]
    ) -> None:
        if not parent.resolved():
            return  # every child awaits an answer: nothing else until then
        changes = self.field_changes(self.values(parent), account)
        target = {"table": "sacoche_user", "user_id": account.user_id, "login": account.login}
        subject = {**self.subject(parent), "account": _shown(account)}
        before = len(self.items)
        if not account.active:
            changes["user_sortie_date"] = {"old": account.sortie_date, "new": ACTIVE}
            self.add(
                "parent_reactivate",
                target,
                changes,
                self.reason(parent, "parent_reappeared", tier=tier),
                subject,
                (account.user_id, changes),
            )
        elif changes:
            self.add(
                "parent_update",
                target,
                changes,
                self.reason(parent, "parent_changed", tier=tier),
                subject,
                (account.user_id, changes),
            )
        self.plan_address(parent, account.user_id, account.login, account.user_id)
        self.plan_links(parent, account.user_id, account.login, account.user_id, numbers)
        if not parent.unresolved():
            listed = {p.user_id for p in parent.resolved()}
            for eleve_id in sorted(self.children_of.get(account.user_id, set())):
                if eleve_id in listed or eleve_id not in self.pupils.active_after:
                    continue
                number = self.state.parent_links.get((account.user_id, eleve_id), 1)
                self.add(
                    "parent_unlink",
                    {
                        "table": "sacoche_jointure_parent_eleve",
                        "parent_id": account.user_id,
                        "parent_login": account.login,
                        "eleve_id": eleve_id,
                        "eleve_login": self._login_of(eleve_id),
                        "resp_legal_num": number,
                    },
                    {},
                    self.reason(parent, "child_not_listed", tier=tier),
                    subject,
                    (account.user_id, eleve_id),
                )
        if len(self.items) == before:
            self.unchanged += 1

    def _login_of(self, user_id: int) -> str:
        if not hasattr(self, "_logins"):
            self._logins = {a.user_id: a.login for a in self.state.accounts}
        return self._logins.get(user_id, "")

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
                    "account": _shown(account),
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
            {**self.subject(parent), "candidates": [_shown(a) for a in candidates]},
            ("parent", parent.key, ids),
        )

    # --- guards ---------------------------------------------------------------------------------------


def _shown(account: ParentAccount) -> dict[str, Any]:
    return {
        "user_id": account.user_id,
        "nom": account.nom,
        "prenom": account.prenom,
        "login": account.login,
        "sortie_date": account.sortie_date,
    }


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
        rng or secrets.SystemRandom(),
    )
    return planner.run(allow)
