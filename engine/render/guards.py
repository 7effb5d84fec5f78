"""The guards of apply.sql and revert.sql (what must hold before the first write, MyISAM having no
rollback) and the checks of verify.sql, made step by step from the model's families of items.

Each guard is a :class:`~engine.render.check.Check` whose condition :mod:`~engine.render.sqlphrases`
spells; their order is their number in the scripts, so each script's steps are listed here in order.
A family's steps live in its module (``guards_groups``, ``guards_accounts``, ``guards_memberships``,
``guards_archive``); a new family adds a module and its steps to these lists.
"""

from __future__ import annotations

from typing import Any

from engine.render import guards_accounts as accounts
from engine.render import guards_archive as archive
from engine.render import guards_groups as groups
from engine.render import guards_memberships as memberships
from engine.render import guards_parents as parents
from engine.render.check import OWN_ROW_GUARDS, Check, GuardContext, Step, numbered
from engine.render.model import SqlModel


def _held(ctx: GuardContext) -> list[Check]:
    """A plan held by one of the planner's guards (and not allowed) stops apply.sql before anything."""
    guards = []
    for hold in ctx.model.doc.get("holds") or []:
        if isinstance(hold, dict) and not hold.get("allowed"):
            text = f"the plan is held by guard {hold.get('guard')}; re-plan with {hold.get('allow')}"
            guards.append(Check("plan", "plan is held", text, "never"))
    return guards


APPLY_STEPS: tuple[Step, ...] = (
    _held,
    groups.apply_created,
    groups.apply_renamed,
    accounts.apply_created,
    accounts.apply_changed,
    memberships.apply_users,
    memberships.apply_removed,
    groups.apply_retired,
    archive.apply,
    parents.apply,
)
#: after the new states are accepted: guards about other items' rows, which no write of this plan makes
APPLY_LAST_STEPS: tuple[Step, ...] = (groups.apply_refs_single,)
REVERT_STEPS: tuple[Step, ...] = (
    parents.revert,
    groups.revert_retired,
    memberships.revert_removed,
    memberships.revert_added,
    accounts.revert_changed,
    accounts.revert_created,
    groups.revert_renamed,
    archive.revert,
    groups.revert_created,
)
VERIFY_STEPS: tuple[Step, ...] = (
    groups.verify_created,
    groups.verify_renamed,
    accounts.verify_created,
    accounts.verify_changed,
    memberships.verify_added,
    memberships.verify_removed,
    groups.verify_retired,
    archive.verify,
    parents.verify,
    groups.verify_left_alone,
)
#: apply guard on an item's own row → the condition saying the row is already in the plan's new state
NEW_STATES = {
    **groups.NEW_STATES,
    **accounts.NEW_STATES,
    **memberships.NEW_STATES,
    **archive.NEW_STATES,
    **parents.NEW_STATES,
}
#: the apply guards on an item's own row (verify's NOT DONE, revert's "never applied")
OWN_ROWS = OWN_ROW_GUARDS | parents.OWN_ROW_GUARDS


def _run(steps: tuple[Step, ...], ctx: GuardContext) -> list[Check]:
    return [check for step in steps for check in step(ctx)]


def apply_guards(model: SqlModel, *, new_states: bool = False, sets: bool = False) -> list[Check]:
    """Everything that must hold before the first write, each with the message it stops with; with
    ``new_states`` (MySQL: no transaction) each guard on an item's own row also passes when the row
    is already as apply.sql leaves it (a run that was interrupted); with ``sets`` (MySQL) the pupils'
    families are guarded by one set check each (old or new state) over their temporary table."""
    ctx = GuardContext(model, new_states=new_states, sets=sets)
    guards = _run(APPLY_STEPS, ctx)
    if new_states:
        _accept_new_states(guards)
    return numbered(guards + _run(APPLY_LAST_STEPS, ctx))


def _accept_new_states(guards: list[Check]) -> None:
    """After an interruption a row may already be in the plan's new state: each guard on an item's
    own row passes then too (and the item's write, conditioned on the old state, moves nothing)."""
    for g in guards:
        if g.check in NEW_STATES:
            g.either = [Check(g.item, "", "", NEW_STATES[g.check], g.subject)]


def revert_guards(model: SqlModel, *, sets: bool = False) -> list[Check]:
    """Everything that must hold before revert.sql writes: rows still hold what apply.sql wrote (with
    ``sets``, the pupils' families as set checks that accept the old state too)."""
    guards = _run(REVERT_STEPS, GuardContext(model, sets=sets))
    # After a partial apply a row may be in the plan's old state: nothing to revert there, and every
    # write of revert.sql is conditioned on the new state, so such a row is left as it is.
    olds = shared_old_states(model, sets=sets)  # verify.sql's too: made once per model
    for g in guards:
        old = olds.get(g.item)
        if isinstance(old, list):
            g.either = old
        elif old == "absent" and g.check == "membership_present":
            g.check = "always"
    return numbered(guards)


def verify_checks(model: SqlModel, *, sets: bool = False) -> list[Check]:
    """What must hold after apply.sql, one check per item (and per hand-made group left alone); with
    ``sets`` (MySQL) the pupils' families are one statement each, giving a row per item still."""
    return numbered(_run(VERIFY_STEPS, GuardContext(model, sets=sets)))


#: the apply steps of the pupils' families, which MySQL guards and checks as sets (SetCheck)
SET_FAMILY_STEPS = frozenset(
    {accounts.apply_created, accounts.apply_changed, memberships.apply_users, memberships.apply_removed}
)


def old_states(model: SqlModel, *, sets: bool = False) -> dict[str, Any]:
    """item id → how verify.sql tells "not done" (the item's row still as the plan found it) from an
    unexpected state: the apply guards about the item's own row, or "absent" (a membership to add:
    not done while absent) or "never" (a hand-made group: only ever done or unexpected).

    With ``sets`` (MySQL) the pupils' items are left out: their revert guards and verify checks are set
    checks, named by their family, which look up no item here (a plan's most items, spared a guard each).
    """
    found: dict[str, list[Check]] = {}
    if sets:
        steps = tuple(step for step in APPLY_STEPS if step not in SET_FAMILY_STEPS)
        guards = _run(steps, GuardContext(model))
    else:
        guards = shared_apply_guards(model)
    for g in guards:
        if g.check in OWN_ROWS:
            found.setdefault(g.item, []).append(g)
    states: dict[str, Any] = {item: checks for item, checks in found.items()}
    if not sets:
        for m in model.memberships_add:
            states.setdefault(m.id, "absent")
    return states


def shared_apply_guards(model: SqlModel) -> list[Check]:
    """:func:`apply_guards` with neither new states nor sets (SQLite's apply.sql), made once per model:
    verify's and revert's old states are those guards too (:func:`old_states`)."""
    return model.shared("apply_guards", apply_guards)


def shared_old_states(model: SqlModel, *, sets: bool = False) -> dict[str, Any]:
    """:func:`old_states`, made once per model for revert.sql and verify.sql (and per ``sets``)."""
    return model.shared(f"old_states/{sets}", lambda m: old_states(m, sets=sets))
