"""The parents' part joined to a plan (docs/parents.md): items after the pupils', summary keys, holds,
passwords; a plan of parents alone (a responsables export against the database); the family letters'
credentials rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.plan.items import ITEM_KINDS, SUMMARY_KEYS, Plan

if TYPE_CHECKING:  # annotations only: a plan without parents never imports their planner
    from engine.plan.parents import ParentPlan

#: the private file beside identifiants.csv holding new parents' passwords, for the family letters
PARENT_CREDENTIALS_FILE = "identifiants-parents.csv"


def with_parents(plan: Plan, parents: ParentPlan, source: Mapping[str, Any]) -> Plan:
    """``plan`` with the parents' items (after the pupils'), summary counts, holds, warnings and
    passwords; ``source`` describes the responsables file (meta ``source_parents``)."""
    holds = (*plan.holds, *parents.holds)
    summary = {**plan.summary, **parents.summary}
    summary["held"] = any(not h["allowed"] for h in holds)
    summary["holds"] = [h["message"] for h in holds if not h["allowed"]]
    return replace(
        plan,
        meta={**plan.meta, "source_parents": dict(source)},
        summary=summary,
        items=(*plan.items, *parents.items),
        holds=holds,
        warnings=(*plan.warnings, *parents.warnings),
        stale_decisions=(*plan.stale_decisions, *parents.stale),
        passwords={**plan.passwords, **parents.passwords},
    )


def parents_only_plan(parents: ParentPlan, source: Mapping[str, Any]) -> Plan:
    """A plan of a responsables export alone: no pupil item, every pupils' count 0."""
    summary: dict[str, Any] = {"pupils_in_file": 0}
    summary.update({SUMMARY_KEYS[kind]: 0 for kind in ITEM_KINDS if kind in SUMMARY_KEYS})
    summary.update({"unchanged": 0, "without_class": 0})
    empty = Plan(
        meta={"by_class": {}, "names": {"classes": {}, "groups": {}, "labels": {}}, "without_class": []},
        summary=summary,
        items=(),
        holds=(),
        left_alone={"classes": [], "groups": []},
        stale_decisions=(),
        warnings=(),
    )
    return with_parents(empty, parents, source)


def parent_credentials_rows(plan: Plan) -> list[dict[str, str]]:
    """One row per accepted new parent, for the family letters: civilité, names, login, password
    (plaintext), the children (``NOM Prénom (classe)``, ``|``-separated) and the item id."""
    rows = []
    for item in plan.items:
        if item.kind != "parent_create" or not item.accepted or item.id not in plan.passwords:
            continue
        children = [
            f"{c.get('nom', '')} {c.get('prenom', '')}" + (f" ({c['classe']})" if c.get("classe") else "")
            for c in item.subject.get("children", [])
            if c.get("user_id") is not None or c.get("login")
        ]
        rows.append(
            {
                "famille": item.subject.get("parent_key", ""),
                "civilite": item.subject.get("civilite", ""),
                "nom": item.subject.get("nom", ""),
                "prenom": item.subject.get("prenom", ""),
                "login": item.target["login"],
                "mot_de_passe": plan.passwords[item.id],
                "enfants": " | ".join(children),
                "item": item.id,
            }
        )
    return sorted(rows, key=lambda r: (r["nom"], r["prenom"], r["login"]))
