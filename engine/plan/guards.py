"""The plan's guards (``GUARDS``): figures that point at a partial export or the wrong database put a hold
on the plan; a held plan is still written, for review, but nothing should be applied from it until the
reviewer passes ``--allow <guard>``. Limits come from ``guards`` in the policy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from engine.errors import OndeError
from engine.plan.context import PlanContext
from engine.plan.items import GUARDS


def check_allow(allow: Iterable[str]) -> None:
    """Refuse an ``--allow`` naming no guard."""
    unknown = set(allow) - set(GUARDS)
    if unknown:
        raise OndeError(
            f"unknown guard(s) for --allow: {', '.join(sorted(unknown))}",
            hint=f"use one of: {', '.join(GUARDS)}",
        )


def make_hold(ctx: PlanContext, guard: str, message: str, **figures: Any) -> dict[str, Any]:
    """One hold as plan.json holds it: the guard, why (no pupil data), its figures, how to override it,
    and whether ``--allow`` did."""
    return {
        "guard": guard,
        "message": message,
        "figures": figures,
        "allow": f"--allow {guard}",
        "allowed": guard in ctx.allow,
    }


def guards(ctx: PlanContext) -> list[dict[str, Any]]:
    """The holds on the plan: one per guard whose figures look like a partial export or the wrong
    database (each with ``allowed`` when ``--allow`` names it); run once every item is made."""
    policy = ctx.policy.get("guards", {})
    holds: list[dict[str, Any]] = []
    active = ctx.active_accounts
    # pupils without a class count as absent: they leave their class like leavers do (comprehensions:
    # their attribute reads are specialised bytecode, faster than attrgetter's over map)
    classed_pairs = [pair for pair in ctx.matching.pairs if pair.pupil.classe_id]
    present = {pair.account.user_id for pair in classed_pairs}
    present |= {a.user_id for amb in ctx.matching.ambiguities for a in amb.candidates}
    file_count = len(ctx.classed)
    active_by_class = Counter([account.classe_id for account in active])

    def hold(guard: str, message: str, **figures: Any) -> None:
        holds.append(make_hold(ctx, guard, message, **figures))

    coverage = policy.get("coverage", {})
    if active and "min_percent" in coverage:
        share = 100.0 * file_count / len(active)
        if share < float(coverage["min_percent"]):
            hold(
                "coverage",
                f"the file holds {file_count} pupils, {share:.0f}% of the {len(active)} active "
                f"pupils in SACoche (at least {coverage['min_percent']}% expected): is the export "
                "filtered by niveau, class, dispositif or regroupement?",
                in_file=file_count,
                active=len(active),
                percent=round(share),
                min_percent=coverage["min_percent"],
            )
    if policy.get("class_missing", True):
        # classes with an active pupil in the file
        found = {a.classe_id for a in active if a.user_id in present}
        for classe_id, count in sorted(active_by_class.items()):
            group = ctx.groups_by_id.get(classe_id)
            if group is None or group.type != "classe":
                continue
            if classe_id not in found:
                hold(
                    "class_missing",
                    f"class {group.nom} ({group.ref}) has {count} active pupils in "
                    "SACoche and none of them is in the file: they would all be deactivated",
                    classe=group.nom,
                    ref=group.ref,
                    active=count,
                )
    if policy.get("niveau_missing", True):
        niveau_refs = {n.niveau_id: n.ref for n in ctx.state.niveaux}
        file_niveaux = {ctx.niveau_id(niveau) for niveau in {p.niveau for p in ctx.classed} if niveau}
        active_niveaux: Counter[int] = Counter()
        for classe_id, count in active_by_class.items():
            group = ctx.groups_by_id.get(classe_id)
            if group and group.niveau_id:
                active_niveaux[group.niveau_id] += count
        for niveau_id, count in sorted(active_niveaux.items()):
            if niveau_id not in file_niveaux:
                hold(
                    "niveau_missing",
                    f"niveau {niveau_refs.get(niveau_id, niveau_id)} has {count} active "
                    "pupils in SACoche and no pupil in the file",
                    niveau=niveau_refs.get(niveau_id, str(niveau_id)),
                    active=count,
                )
    known = policy.get("other_school", {})
    if active and file_count and "min_known_percent" in known:
        recognised = len(classed_pairs)
        recognised += sum(1 for a in ctx.matching.ambiguities if a.pupil.classe_id)
        share = 100.0 * recognised / file_count
        if share < float(known["min_known_percent"]):
            hold(
                "other_school",
                f"only {recognised} of the file's {file_count} pupils ({share:.0f}%) have an account in "
                f"SACoche (at least {known['min_known_percent']}% expected): is this the export of "
                "another school, or the database of another school?",
                known=recognised,
                in_file=file_count,
                percent=round(share),
                min_percent=known["min_known_percent"],
            )
    limits = policy.get("deactivations", {})
    leaving = sum(1 for i in ctx.items if i.kind == "deactivate" and i.accepted)
    if active and limits:
        share = 100.0 * leaving / len(active)
        if leaving > int(limits.get("max_count", 0)) and share > float(limits.get("max_percent", 0)):
            hold(
                "deactivations",
                f"{leaving} pupils would be deactivated, {share:.0f}% of the {len(active)} "
                f"active pupils (limits: more than {limits.get('max_count')} and more than "
                f"{limits.get('max_percent')}%)",
                leaving=leaving,
                active=len(active),
                percent=round(share),
                max_count=limits.get("max_count"),
                max_percent=limits.get("max_percent"),
            )
    return holds
