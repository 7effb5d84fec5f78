"""Guards and checks about pupils' accounts (``sacoche_user``): new accounts and changed ones."""

from __future__ import annotations

from engine.render.check import Check, GuardContext, SetCheck, each, verify_rows

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
NEW_STATES = {"user": "user_new"}


def apply_created(ctx: GuardContext) -> list[Check]:
    """Each new pupil's login is free (or, after an interrupted run on MySQL, the account is there)."""
    if ctx.sets:
        for c in ctx.model.creates:
            ctx.refs_needed.setdefault(("classe", c.class_ref), c.id)
        text = "the login of this new pupil is taken (case and accents ignored) by an account that is not "
        text += "the one this script creates"
        guards = _set(ctx, ctx.model.creates, "create", "login taken", text, "set_created")
        # the planner never makes two (engine.plan.logins.login_key), but the set INSERT would stop
        # midway on UNIQUE(user_login): refused before any write instead
        text = "two new pupils have logins SACoche holds for one (utf8_unicode_ci ignores case and accents)"
        return guards + _set(ctx, ctx.model.creates, "create", "logins alike", text, "set_logins_alike")
    guards = []
    for c in ctx.model.creates:
        text = f"login {c.login} of the new pupil is taken (case and accents ignored)"
        free = Check(c.id, "login taken", text, "login_free", c.login)
        if ctx.new_states:  # or created by this plan already
            free.either = [Check(c.id, "", "", "created_all", c)]
        guards.append(free)
        ctx.refs_needed.setdefault(("classe", c.class_ref), c.id)
    return guards


def apply_changed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # the first change needing each class, as the loop below finds it
        for ref, item in ctx.model.pupil_sets.new_classes.items():
            ctx.refs_needed.setdefault(("classe", ref), item)
        text = "this account no longer holds the values the plan saw (nor those this script writes)"
        return _set(ctx, ctx.model.user_changes, "update", "row changed", text, "set_changes")
    guards = []
    for u in ctx.model.user_changes:
        text = f"user_id {u.user_id} no longer holds the values the plan saw"
        guards.append(Check(u.id, "row changed", text, "user", u))
        for ref in u.new_class_refs:
            ctx.refs_needed.setdefault(("classe", ref), u.id)
    return guards


def revert_changed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:
        text = "this account holds neither the values apply.sql wrote nor those the plan saw"
        return _set(ctx, ctx.model.user_changes, "update", "row changed", text, "set_changes")
    return each(
        ctx.model.user_changes,
        "row changed",
        "user_new",
        lambda u: f"user_id {u.user_id} no longer holds the values apply.sql wrote",
    )


def revert_created(ctx: GuardContext) -> list[Check]:
    text = "the new pupil's account is gone or was changed since apply.sql"
    if ctx.model.deletes_created:
        text = "the new pupil's account changed or was used since apply.sql: not deleted"
    if ctx.sets:
        text = "the login is held by an account that is not the one apply.sql created" + (
            ", or it was used since: not deleted" if ctx.model.deletes_created else ""
        )
        return _set(ctx, ctx.model.creates, "create", "account changed", text, "set_created_revert")
    return each(ctx.model.creates, "account changed", "created", text)


def verify_created(ctx: GuardContext) -> list[Check]:
    if ctx.sets:
        return verify_rows(ctx, ctx.model.creates, "set_v_created")
    return each(
        ctx.model.creates, "", "created_all", lambda c: f"account {c.login} exists with the plan's values"
    )


def verify_changed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:
        return verify_rows(ctx, ctx.model.user_changes, "set_v_changed")
    return each(ctx.model.user_changes, "", "user_new", lambda u: f"user_id {u.user_id} holds the new values")


def _set(ctx: GuardContext, views: list, family: str, short: str, text: str, check: str) -> list[Check]:
    """One guard over the whole temporary table of a family (MySQL), none when the plan has no row."""
    what = f"{text}; the first such row of the plan is named: make the plan again"
    return [SetCheck(family, short, what, check, ctx.model.pupil_sets)] if views else []
