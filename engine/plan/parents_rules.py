"""The parents' vocabulary (docs/parents.md): item kinds, guards, situations and their phrases, the
policy's defaults, the answers to questions, and the guards themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OndeErrorGroup
from engine.plan.items import GUARDS, ITEM_KINDS
from engine.state import State

if TYPE_CHECKING:  # annotations only: a plan without parents never imports their matcher
    from engine.plan.parents_match import FileParent, Pupils

#: the parents' item kinds and guards, in engine.plan.items' order (its ITEM_KINDS and GUARDS hold them)
PARENT_KINDS = tuple(kind for kind in ITEM_KINDS if kind.startswith("parent_"))
PARENT_GUARDS = ("parents_coverage", "children_unresolved")
assert set(PARENT_GUARDS) <= set(GUARDS)
SUMMARY_KEYS = {
    "parent_create": "parents_create",
    "parent_update": "parents_update",
    "parent_reactivate": "parents_reactivate",
    "parent_address": "parents_address",
    "parent_link": "parents_link",
    "parent_unlink": "parents_unlink",
    "parent_deactivate": "parents_deactivate",
    "parent_decide": "parents_decide",
}
#: reason.situation → (English, French) phrase, for the report
SITUATIONS: dict[str, tuple[str, str]] = {
    "parent_new": ("new parent, child(ren) found", "nouveau responsable, enfant(s) trouvé(s)"),
    "parent_changed": ("parent's details changed", "coordonnées du responsable modifiées"),
    "parent_reappeared": ("former parent listed again", "ancien responsable de nouveau présent"),
    "address_new": ("address added", "adresse ajoutée"),
    "address_changed": ("address changed", "adresse modifiée"),
    "child_listed": ("child listed under this parent", "enfant rattaché à ce responsable"),
    "child_not_listed": ("child no longer listed under this parent", "enfant plus rattaché à ce responsable"),
    "no_active_child": ("no active child left", "plus aucun enfant scolarisé"),
    "absent_with_active_child": (
        "absent from the file, child still at school",
        "absent du fichier, enfant encore scolarisé",
    ),
    "child_not_found": ("child not found among the pupils", "enfant introuvable parmi les élèves"),
    "child_homonyms": (
        "several pupils have this child's names",
        "plusieurs élèves portent ces nom et prénom",
    ),
    "child_birth_date_differs": (
        "same names, another birth date",
        "mêmes nom et prénom, autre date de naissance",
    ),
    "child_pupil_undecided": ("the pupil itself awaits a decision", "l'élève lui-même attend une décision"),
    "parent_same_names": (
        "an account has this parent's names, no child in common",
        "un compte porte ces nom et prénom, sans enfant commun",
    ),
    "parent_ambiguous": (
        "several accounts could be this parent",
        "plusieurs comptes pourraient être ce responsable",
    ),
}
#: defaults of the policy's ``parents`` section (rules/policy/plan.yaml)
DEFAULT_POLICY: dict[str, Any] = {
    "fields": {
        "user_genre": {"from": "civilite", "policy": "overwrite_if_present", "absent": ["I"]},
        "user_nom": {"from": "nom", "policy": "overwrite"},
        "user_prenom": {"from": "prenom", "policy": "overwrite"},
        "user_email": {
            "from": "email",
            "policy": "overwrite_if_present",
            "protect_if": {"user_email_origine": "user"},
        },
    },
    "accepted_by_default": {"parent_decide": False},
    "guards": {
        "parents_coverage": {"min_percent": 80},
        "children_unresolved": {"max_count": 5, "max_percent": 20},
    },
}
ACCOUNT_ATTR = {"user_genre": "genre", "user_nom": "nom", "user_prenom": "prenom", "user_email": "email"}


@dataclass(frozen=True, slots=True)
class ParentDecisions:
    """Answers to ``parent_decide`` questions and accept/reject of item ids.

    ``children``: (parent_key, child ``NOM|Prénom``) → a pupil's user_id, ``login:<new login>``, or None
    (ignore that child); ``parents``: parent_key → a TUT account's user_id, or None (a new account)."""

    children: Mapping[tuple[str, str], int | str | None] = field(default_factory=dict)
    parents: Mapping[str, int | None] = field(default_factory=dict)
    accept: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()


def parents_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    section = dict(policy.get("parents") or {})
    merged = {key: {**value, **section.get(key, {})} for key, value in DEFAULT_POLICY.items()}
    return {**section, **merged}


def parent_guards(
    policy: Mapping[str, Any],
    state: State,
    pupils: Pupils,
    parents: Sequence[FileParent],
    known: set[int],
    allow: set[str],
) -> list[dict[str, Any]]:
    """The holds of docs/parents.md (a partial responsables file): ``known`` are the accounts matched or in a
    question; ``policy`` the merged ``parents`` policy."""
    policy = policy["guards"]
    holds: list[dict[str, Any]] = []

    def hold(guard: str, message: str, **figures: Any) -> None:
        holds.append(
            {
                "guard": guard,
                "message": message,
                "figures": figures,
                "allow": f"--allow {guard}",
                "allowed": guard in allow,
            }
        )

    children_of: dict[int, set[int]] = defaultdict(set)
    for parent_id, eleve_id in state.parent_links:
        children_of[parent_id].add(eleve_id)
    expected = [
        a for a in state.parents if a.active and children_of.get(a.user_id, set()) & pupils.active_after
    ]
    coverage = policy.get("parents_coverage") or {}
    if expected and "min_percent" in coverage:
        found = sum(1 for a in expected if a.user_id in known)
        share = 100.0 * found / len(expected)
        if share < float(coverage["min_percent"]):
            hold(
                "parents_coverage",
                f"the responsables file lists {found} of the {len(expected)} parents SACoche has for pupils "
                f"still at school ({share:.0f}%, at least {coverage['min_percent']}% expected): is the file "
                "filtered by class, or another school's?",
                found=found,
                expected=len(expected),
                percent=round(share),
                min_percent=coverage["min_percent"],
            )
    limits = policy.get("children_unresolved") or {}
    total = sum(len(p.children) for p in parents)
    missing = sum(len(p.unresolved()) for p in parents)
    if total and limits:
        share = 100.0 * missing / total
        if missing > int(limits.get("max_count", 0)) and share > float(limits.get("max_percent", 0)):
            hold(
                "children_unresolved",
                f"{missing} of the {total} children listed in the responsables file ({share:.0f}%) are not "
                "found among the pupils, or found twice: is the pupils export filtered, or the responsables "
                "file another school's?",
                unresolved=missing,
                children=total,
                percent=round(share),
                max_count=limits.get("max_count"),
                max_percent=limits.get("max_percent"),
            )
    return holds


def load_parent_answers(path: Path) -> ParentDecisions:
    """The ``children:`` and ``parents:`` answers of a decisions file (docs/parents.md); a mistake is
    reported as file:line:column. The file's other keys are read by engine.plan.planio."""
    from engine.yamlpos import load_located  # a plan without decisions reads no YAML (engine.rules)

    doc = load_located(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    errors = []
    children: dict[tuple[str, str], int | str | None] = {}
    for index, entry in enumerate(data.get("children") or []):
        account = entry.get("account", False) if isinstance(entry, dict) else False
        if (
            not isinstance(entry, dict)
            or set(entry) != {"parent", "child", "account"}
            or not all(isinstance(entry[k], str) for k in ("parent", "child"))
            or not (
                account is None
                or (isinstance(account, int) and not isinstance(account, bool))
                or (isinstance(account, str) and account.startswith("login:"))
            )
        ):
            errors.append(
                doc.error(
                    ("children", index),
                    "each 'children' entry is {parent: PARENT_KEY, child: 'NOM|Prénom', account: USER_ID, "
                    "'login:LOGIN' or null}",
                )
            )
            continue
        children[entry["parent"], entry["child"]] = account
    parents: dict[str, int | None] = {}
    for index, entry in enumerate(data.get("parents") or []):
        account = entry.get("account", False) if isinstance(entry, dict) else False
        if (
            not isinstance(entry, dict)
            or set(entry) != {"parent", "account"}
            or not isinstance(entry["parent"], str)
            or not (account is None or (isinstance(account, int) and not isinstance(account, bool)))
        ):
            errors.append(
                doc.error(
                    ("parents", index),
                    "each 'parents' entry is {parent: PARENT_KEY, account: USER_ID or null}",
                )
            )
            continue
        parents[entry["parent"]] = account
    if errors:
        raise OndeErrorGroup(errors)
    return ParentDecisions(children=children, parents=parents)


def describe(item: Mapping[str, Any]) -> str:
    """One line for ``onde-sacoche show``: who, and what the parent item changes (plan.json's dict)."""
    kind, target, subject = item.get("kind"), item.get("target") or {}, item.get("subject") or {}
    changes = item.get("changes") or {}
    who = f"{subject.get('nom', '')} {subject.get('prenom', '')}".strip()
    user = f"user {target['user_id']} " if target.get("user_id") is not None else ""
    if kind == "parent_create":
        count = sum(
            1 for c in subject.get("children") or [] if c.get("user_id") is not None or c.get("login")
        )
        return f"{who}, login {target.get('login')}, {count} child(ren)"
    if kind in ("parent_update", "parent_reactivate", "parent_deactivate"):
        shown = "; ".join(f"{c} {v.get('old')} → {v.get('new')}" for c, v in changes.items())
        return f"{user}{who}: {shown}"
    parent = target.get("parent_id") if target.get("parent_id") is not None else target.get("parent_login")
    if kind == "parent_address":
        return f"parent {parent} {who}: address {'changed' if target.get('row_exists') else 'added'}"
    if kind in ("parent_link", "parent_unlink"):
        child = target.get("eleve_id") if target.get("eleve_id") is not None else target.get("eleve_login")
        sign = "+" if kind == "parent_link" else "−"
        return f"parent {parent} {who} {sign} child {child}"
    if kind == "parent_decide":
        answer = item.get("answer") if isinstance(item.get("answer"), dict) else None
        what = (item.get("reason") or {}).get("situation", "")
        about = f"child {target.get('child')}" if target.get("question") == "child" else "parent"
        if answer:
            return f"{who}: {about}: answered {answer.get('decision')} {answer.get('account')} (next plan)"
        candidates = ", ".join(map(str, target.get("candidates") or [])) or "none"
        return f"{who}: {about}: {SITUATIONS.get(what, (what,))[0]} (candidates: {candidates}): decide"
    return ""
