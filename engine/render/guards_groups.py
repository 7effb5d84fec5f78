"""Guards and checks about classes and groups (``sacoche_groupe``): created, renamed, retired, left
alone, and the refs other items need to be single."""

from __future__ import annotations

from engine.render.check import Check, GuardContext, SetCheck, each, verify_rows
from engine.render.model import SqlModel

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
NEW_STATES = {"group_absent": "group_created", "rename": "renamed", "retire": "retired_or_half"}


def apply_created(ctx: GuardContext) -> list[Check]:
    creates = ctx.model.group_creates
    if ctx.sets:  # MySQL: two set guards over the block of engine.render.phrases_group_sets
        if not creates:
            return []
        text = "a class or group of this type and ref exists, not the one this script creates; the first "
        text += "such row of the plan is named: make the plan again"
        guards = [SetCheck("group_create", "ref exists", text, "set_groups_new", ctx.model)]
        if any(g.niveau_id for g in creates):
            text = "the niveau_id of this class is not in sacoche_niveau; the first such row is named"
            guards.append(SetCheck("group_create", "niveau unknown", text, "set_groups_niveau", ctx.model))
        return guards
    guards = []
    for g in ctx.model.group_creates:
        guards.append(
            Check(g.id, "ref exists", f"a {g.type} with ref {g.ref} exists already", "group_absent", g)
        )
        if g.niveau_id:
            text = f"niveau_id {g.niveau_id} is not in sacoche_niveau"
            guards.append(Check(g.id, "niveau unknown", text, "niveau", g))
    return guards


def apply_renamed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # MySQL: one set guard over the block of engine.render.phrases_rename_sets
        text = "this class is gone or has neither the plan's ref and name nor the new name; the first such "
        text += "row of the plan is named: make the plan again"
        return [SetCheck("class_rename", "class changed", text, "set_renames")] if ctx.model.renames else []
    return each(
        ctx.model.renames,
        "class changed",
        "rename",
        lambda r: f"class groupe_id {r.groupe_id} no longer has the plan's ref and name",
    )


def apply_retired(ctx: GuardContext) -> list[Check]:
    return each(
        ctx.model.retires,
        "group changed",
        "retire",
        lambda r: (
            f"{r.type} groupe_id {r.groupe_id} changed, or has members, pp or chef the plan did not see"
        ),
    )


def apply_refs_single(ctx: GuardContext) -> list[Check]:
    """Each class or group another item needs (and this plan does not create) exists once (MySQL: one
    set guard over a temporary table of those refs)."""
    if ctx.sets:
        sets = ctx.model.pupil_sets
        sets.refs = [
            (kind, ref, item_id)
            for (kind, ref), item_id in sorted(ctx.refs_needed.items())
            if (kind, ref.upper()) not in ctx.model.new_refs
        ]
        text = "no single class or group with this type and ref; the first such row of the plan is named"
        return [SetCheck("ref", "ref not single", text, "set_refs", sets)] if sets.refs else []
    return [
        Check(item_id, "ref not single", f"no single {kind} with ref {ref}", "group_unique", (kind, ref))
        for (kind, ref), item_id in sorted(ctx.refs_needed.items())
        if (kind, ref.upper()) not in ctx.model.new_refs
    ]


def revert_retired(ctx: GuardContext) -> list[Check]:
    # retired, or cut between deleting its memberships and deleting its row
    return each(
        ctx.model.retires,
        "id or ref in use",
        "retired_absent_or_half",
        lambda r: f"groupe_id {r.groupe_id} or ref {r.ref} is in use again",
    )


def revert_renamed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # MySQL: one set guard over the block of engine.render.phrases_rename_sets
        text = "this class is gone or has neither the name apply.sql wrote nor the plan's old one; the "
        text += "first such row of the plan is named"
        return [SetCheck("class_rename", "class changed", text, "set_renames")] if ctx.model.renames else []
    return each(
        ctx.model.renames,
        "class changed",
        "renamed",
        lambda r: f"class groupe_id {r.groupe_id} no longer has the name apply.sql wrote",
    )


def revert_created(ctx: GuardContext) -> list[Check]:
    """revert.sql deleting what apply.sql created: each created group unchanged and used by nobody else."""
    if not ctx.model.deletes_created:
        return []
    note_created_group_users(ctx.model)
    return each(
        ctx.model.group_creates,
        "group in use",
        "created_group",
        lambda g: f"{g.type} {g.ref} changed or is used by others: not deleted",
    )


def note_created_group_users(model: SqlModel) -> None:
    """Tell each created class/group which accounts and memberships the plan itself put in it (one
    pass over the changes and memberships, not one per created group)."""
    logins_by_class: dict[str, list[str]] = {}
    for c in model.creates:
        logins_by_class.setdefault(c.class_ref.upper(), []).append(c.login)
    moved_to: dict[str, list[int]] = {}
    for u in model.user_changes:
        for ref in dict.fromkeys(str(ref).upper() for ref in u.new_class_refs):
            moved_to.setdefault(ref, []).append(u.user_id)
    added_ids: dict[str, list[int]] = {}
    added_logins: dict[str, list[str]] = {}
    for m in model.memberships_add:
        if m.user_id:
            added_ids.setdefault(m.ref.upper(), []).append(m.user_id)
        else:
            added_logins.setdefault(m.ref.upper(), []).append(m.login)
    for g in model.group_creates:
        ref = g.ref.upper()
        g.created_logins = logins_by_class.get(ref, []) if g.type == "classe" else []
        g.moved_users = list(moved_to.get(ref, [])) if g.type == "classe" else []
        g.added_ids = list(added_ids.get(ref, []))
        g.added_logins = list(added_logins.get(ref, []))


def verify_created(ctx: GuardContext) -> list[Check]:
    return each(
        ctx.model.group_creates, "", "group_created", lambda g: f"one {g.type} {g.ref} with the plan's name"
    )


def verify_renamed(ctx: GuardContext) -> list[Check]:
    if ctx.sets:  # MySQL: one statement over the block of engine.render.phrases_rename_sets
        return verify_rows(ctx, ctx.model.renames, "set_v_renamed")
    return each(ctx.model.renames, "", "renamed", lambda r: f"class groupe_id {r.groupe_id} renamed")


def verify_retired(ctx: GuardContext) -> list[Check]:
    return each(
        ctx.model.retires, "", "retired", lambda r: f"groupe_id {r.groupe_id} and its memberships are gone"
    )


def verify_left_alone(ctx: GuardContext) -> list[Check]:
    return [
        Check(
            f"left_alone-{e.groupe_id}",
            "",
            f"hand-made {e.type} groupe_id {e.groupe_id} untouched",
            "left_alone",
            e,
        )
        for e in ctx.model.left_alone
    ]
