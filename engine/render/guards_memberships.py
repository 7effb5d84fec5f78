"""Guards and checks about memberships of groups (``sacoche_jointure_user_groupe``)."""

from __future__ import annotations

from engine.render.check import Check, GuardContext, SetCheck, each, verify_rows

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
NEW_STATES = {"membership": "membership_absent"}


def apply_users(ctx: GuardContext) -> list[Check]:
    """Each existing pupil a membership names is still there (once per pupil, none for a changed one:
    its own guard reads the row), and each group is needed single."""
    guards: list[Check] = []
    model = ctx.model
    if ctx.sets:
        for m in model.memberships_add + model.memberships_remove:
            ctx.refs_needed.setdefault(("groupe", m.ref), m.id)
        if model.memberships_add or model.memberships_remove:
            text = "this pupil is gone or has another login; the first such row of the plan is named: "
            text += "make the plan again"
            guards.append(SetCheck("membership", "user changed", text, "set_members", model.pupil_sets))
        return guards
    checked = {u.user_id for u in model.user_changes}
    for m in model.memberships_add + model.memberships_remove:
        ctx.refs_needed.setdefault(("groupe", m.ref), m.id)
        if m.user_id is not None and m.user_id not in checked:
            checked.add(m.user_id)
            text = f"user_id {m.user_id} is gone or has another login"
            guards.append(Check(m.id, "user changed", text, "user_exists", m))
    return guards


def apply_removed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # a membership to remove is present (old state) or gone (new state): nothing to guard
        return []
    return each(
        ctx.model.memberships_remove,
        "not a member",
        "membership",
        lambda m: f"user_id {m.user_id} is no longer in group {m.ref}",
    )


def revert_removed(ctx: GuardContext) -> list[Check]:
    guards: list[Check] = []
    if ctx.sets:
        if ctx.model.memberships_remove:
            sets, end = ctx.model.pupil_sets, "; the first such row of the plan is named"
            text = "this pupil is gone or has another login" + end
            guards.append(SetCheck("membership", "user changed", text, "set_members_removed", sets))
            text = "no single groupe with this ref" + end
            guards.append(SetCheck("membership", "ref not single", text, "set_removed_refs", sets))
        return guards
    for m in ctx.model.memberships_remove:
        text = f"user_id {m.user_id} is gone or has another login"
        guards.append(Check(m.id, "user changed", text, "user_exists", m))
        if ("groupe", m.ref.upper()) not in ctx.model.retired_refs:
            text = f"no single groupe with ref {m.ref}"
            guards.append(Check(m.id, "ref not single", text, "group_unique", ("groupe", m.ref)))
    return guards


def revert_added(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # present (apply.sql added it) or absent (never applied): nothing to guard
        return []
    text = "the membership apply.sql added is not there"
    return each(ctx.model.memberships_add, "member missing", "membership_present", text)


def verify_added(ctx: GuardContext) -> list[Check]:
    if ctx.sets:
        return verify_rows(ctx, ctx.model.memberships_add, "set_v_added")
    return each(ctx.model.memberships_add, "", "membership_present", lambda m: f"{m.describe}: member")


def verify_removed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:
        return verify_rows(ctx, ctx.model.memberships_remove, "set_v_removed")
    return each(
        ctx.model.memberships_remove,
        "",
        "membership_absent",
        lambda m: f"user_id {m.user_id}, group {m.ref}: not a member",
    )
