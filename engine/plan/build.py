"""Fourth stage: turn the matching into a reviewable plan of items, as the YAML policy says.

Pure: a function of the export, the state, the matching, the policy and the date; no file or database.
Every item has a stable id derived from what it changes (the same change gets the same id on a re-run),
a kind, its target, old → new values, the reason (tier, rule, source line) and an ``accepted`` flag with
SACoche-like defaults. Guards that detect a partial export put holds on the plan; a held plan is still
written, for review, but nothing should be applied from it.

:func:`build_plan` runs the concerns of ``STEPS`` in order over one
:class:`~engine.plan.context.PlanContext`, then the guards of ``GUARD_STEPS``, then sorts the items and
sums them up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from random import SystemRandom  # as secrets.SystemRandom, without importing hmac and base64
from typing import Any

from engine.match import Matching, ref_key
from engine.plan.classes import plan_archive, plan_classes
from engine.plan.context import PlanContext
from engine.plan.groups import plan_groups
from engine.plan.guards import check_allow, guards
from engine.plan.items import ITEM_KINDS, SUMMARY_KEYS, Decisions, Plan
from engine.plan.pupils import plan_pupils
from engine.read import Export, paused_gc
from engine.rules import RuleSet
from engine.state import State

#: the planning concerns, in the order they run: classes first (every later concern places pupils in
#: ``ctx.wanted``), the archive last; a new kind of account adds its step here
STEPS: tuple[Callable[[PlanContext], None], ...] = (plan_classes, plan_groups, plan_pupils, plan_archive)
#: the guards, run once every item is made, each giving its holds (engine.plan.guards.make_hold)
GUARD_STEPS: tuple[Callable[[PlanContext], list[dict[str, Any]]], ...] = (guards,)


def build_plan(
    export: Export,
    state: State,
    matching: Matching,
    rules: RuleSet,
    *,
    today: str,
    allow: Iterable[str] = (),
    decisions: Decisions | None = None,
    rng: Any = None,
) -> Plan:
    """The plan for this export and state; ``rng`` only for deterministic tests (default: secrets)."""
    check_allow(allow)
    ctx = PlanContext(
        export, state, matching, rules, today, allow, decisions or Decisions(), rng or SystemRandom()
    )
    with paused_gc():
        for step in STEPS:
            step(ctx)
        return _assemble(ctx, [hold for check in GUARD_STEPS for hold in check(ctx)])


def _assemble(ctx: PlanContext, holds: list[dict[str, Any]]) -> Plan:
    """The :class:`Plan`: items sorted by kind, line and id; the summary; per-class counts and names."""
    counts = Counter(i.kind for i in ctx.items)
    summary: dict[str, Any] = {"pupils_in_file": len(ctx.export.pupils)}
    for kind in ITEM_KINDS:
        if kind in SUMMARY_KEYS:  # the pupils' kinds (the parents' are counted by engine.plan.parents)
            summary[SUMMARY_KEYS[kind]] = counts.get(kind, 0)
    summary["unchanged"] = ctx.unchanged
    summary["without_class"] = len(ctx.without_class)  # what became of each: meta["without_class"]
    summary["held"] = any(not h["allowed"] for h in holds)
    summary["holds"] = [h["message"] for h in holds if not h["allowed"]]
    order = {kind: i for i, kind in enumerate(ITEM_KINDS)}
    items = sorted(ctx.items, key=lambda i: (order[i.kind], i.reason.get("line") or 0, i.id))
    in_file: Counter[str] = Counter()
    for key, count in Counter([(p.classe_id, p.niveau, p.classe_label) for p in ctx.classed]).items():
        in_file[ctx.wanted[ref_key(ctx.class_of.by_key(key)[0])].name] += count
    by_class = {
        name: {"pupils_in_file": count, "unchanged": ctx.unchanged_by_class.get(name, 0)}
        for name, count in sorted(in_file.items())
    }
    wanted = ctx.wanted.values()
    names = {
        "classes": {g.ref.upper(): g.nom for g in ctx.state.groups if g.type == "classe" and g.ref},
        "groups": {g.ref.upper(): g.nom for g in ctx.state.groups if g.type == "groupe" and g.ref},
    }
    names["classes"].update({cls.ref.upper(): cls.name for cls in wanted})
    names["labels"] = {cls.name: cls.label for cls in wanted if cls.label}  # the full ONDE label
    for item in ctx.items:
        if item.kind == "group_create":
            names["groups"][item.target["groupe_ref"]] = item.subject["groupe"]
    return Plan(
        meta={"by_class": by_class, "names": names, "without_class": ctx.without_class},
        summary=summary,
        items=tuple(items),
        holds=tuple(holds),
        left_alone=ctx.left_alone,
        stale_decisions=(),
        warnings=tuple(ctx.warnings),
        passwords=dict(ctx.passwords),
    )
