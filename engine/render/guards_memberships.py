"""Guards and checks about memberships of groups (``sacoche_jointure_user_groupe``)."""

from __future__ import annotations

from engine.render.check import Check, GuardContext, each

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
NEW_STATES = {"membership": "membership_absent"}


def apply_users(ctx: GuardContext) -> list[Check]:
    """Each existing pupil a membership names is still there (once per pupil, none for a changed one:
    its own guard reads the row), and each group is needed single."""
    guards = []
    model = ctx.model
    checked = {u.user_id for u in model.user_changes}
    for m in model.memberships_add + model.memberships_remove:
        ctx.refs_needed.setdefault(("groupe", m.ref), m.id)
        if m.user_id is not None and m.user_id not in checked:
            checked.add(m.user_id)
            text = f"user_id {m.user_id} is gone or has another login"
            guards.append(Check(m.id, "user changed", text, "user_exists", m))
    return guards


def apply_removed(ctx: GuardContext) -> list[Check]:
    return each(
        ctx.model.memberships_remove,
        "not a member",
        "membership",
        lambda m: f"user_id {m.user_id} is no longer in group {m.ref}",
    )


def revert_removed(ctx: GuardContext) -> list[Check]:
    guards = []
    for m in ctx.model.memberships_remove:
        text = f"user_id {m.user_id} is gone or has another login"
        guards.append(Check(m.id, "user changed", text, "user_exists", m))
        if ("groupe", m.ref.upper()) not in ctx.model.retired_refs:
            text = f"no single groupe with ref {m.ref}"
            guards.append(Check(m.id, "ref not single", text, "group_unique", ("groupe", m.ref)))
    return guards


def revert_added(ctx: GuardContext) -> list[Check]:
    text = "the membership apply.sql added is not there"
    return each(ctx.model.memberships_add, "member missing", "membership_present", text)


def verify_added(ctx: GuardContext) -> list[Check]:
    return each(ctx.model.memberships_add, "", "membership_present", lambda m: f"{m.describe}: member")


def verify_removed(ctx: GuardContext) -> list[Check]:
    return each(
        ctx.model.memberships_remove,
        "",
        "membership_absent",
        lambda m: f"user_id {m.user_id}, group {m.ref}: not a member",
    )
