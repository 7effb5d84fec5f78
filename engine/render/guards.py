"""The guards of apply.sql and revert.sql (what must hold before the first write, MyISAM having no
rollback) and the checks of verify.sql, made from the model's views family by family.

Each guard is a :class:`~engine.render.check.Check` whose condition :mod:`~engine.render.sqlphrases`
spells; their order is their number in the scripts.
"""

from __future__ import annotations

from typing import Any

from engine.render.check import OWN_ROW_GUARDS, Check, numbered
from engine.render.model import SqlModel


def apply_guards(model: SqlModel, *, new_states: bool = False) -> list[Check]:
    """Everything that must hold before the first write, each with the message it stops with; with
    ``new_states`` (MySQL: no transaction) each guard on an item's own row also passes when the row
    is already as apply.sql leaves it (a run that was interrupted)."""
    guards: list[Check] = []
    add = guards.append
    for hold in model.doc.get("holds") or []:
        if isinstance(hold, dict) and not hold.get("allowed"):
            text = f"the plan is held by guard {hold.get('guard')}; re-plan with {hold.get('allow')}"
            add(Check("plan", "plan is held", text, "never"))
    for g in model.group_creates:
        add(Check(g.id, "ref exists", f"a {g.type} with ref {g.ref} exists already", "group_absent", g))
        if g.niveau_id:
            add(
                Check(
                    g.id,
                    "niveau unknown",
                    f"niveau_id {g.niveau_id} is not in sacoche_niveau",
                    "niveau",
                    g,
                )
            )
    refs_needed: dict[tuple[str, str], str] = {}
    for r in model.renames:
        text = f"class groupe_id {r.groupe_id} no longer has the plan's ref and name"
        add(Check(r.id, "class changed", text, "rename", r))
    for c in model.creates:
        text = f"login {c.login} of the new pupil is taken (case and accents ignored)"
        free = Check(c.id, "login taken", text, "login_free", c.login)
        if new_states:  # or created by this plan already
            free.either = [Check(c.id, "", "", "created_all", c)]
        add(free)
        refs_needed.setdefault(("classe", c.class_ref), c.id)
    for u in model.user_changes:
        add(
            Check(
                u.id,
                "row changed",
                f"user_id {u.user_id} no longer holds the values the plan saw",
                "user",
                u,
            )
        )
        for ref in u.new_class_refs:
            refs_needed.setdefault(("classe", ref), u.id)
    checked = {u.user_id for u in model.user_changes}
    for m in model.memberships_add + model.memberships_remove:
        refs_needed.setdefault(("groupe", m.ref), m.id)
        if m.user_id is not None and m.user_id not in checked:
            checked.add(m.user_id)
            text = f"user_id {m.user_id} is gone or has another login"
            add(Check(m.id, "user changed", text, "user_exists", m))
    for m in model.memberships_remove:
        text = f"user_id {m.user_id} is no longer in group {m.ref}"
        add(Check(m.id, "not a member", text, "membership", m))
    for r in model.retires:
        text = f"{r.type} groupe_id {r.groupe_id} changed, or has members, pp or chef the plan did not see"
        add(Check(r.id, "group changed", text, "retire", r))
    for a in model.archives:
        text = "SACoche's import archive changed since the plan"
        add(Check(a.id, "archive changed", text, "archive_old", a))
        size, _ = a.digest("new")
        text = f"the archive ({size} bytes) exceeds the server's max_allowed_packet: raise it or reject"
        add(Check(a.id, "archive too big", text, "archive_fits", a))
    if new_states:
        _accept_new_states(guards)
    for (kind, ref), item_id in sorted(refs_needed.items()):
        if (kind, ref.upper()) not in model.new_refs:
            add(
                Check(
                    item_id,
                    "ref not single",
                    f"no single {kind} with ref {ref}",
                    "group_unique",
                    (kind, ref),
                )
            )
    return numbered(guards)


def _accept_new_states(guards: list[Check]) -> None:
    """After an interruption a row may already be in the plan's new state: each guard on an item's
    own row passes then too (and the item's write, conditioned on the old state, moves nothing)."""
    new_state = {
        "group_absent": "group_created",
        "rename": "renamed",
        "user": "user_new",
        "membership": "membership_absent",
        "retire": "retired_or_half",
    }
    for g in guards:
        if g.check in new_state:
            g.either = [Check(g.item, "", "", new_state[g.check], g.subject)]
        elif g.check == "archive_old":  # written, or cut between its pieces
            g.either = [Check(g.item, "", "", "archive_started", g.subject)]


def revert_guards(model: SqlModel) -> list[Check]:
    """Everything that must hold before revert.sql writes: rows still hold what apply.sql wrote."""
    guards: list[Check] = []
    add = guards.append
    for r in model.retires:
        text = f"groupe_id {r.groupe_id} or ref {r.ref} is in use again"
        # retired, or cut between deleting its memberships and deleting its row
        add(Check(r.id, "id or ref in use", text, "retired_absent_or_half", r))
    for m in model.memberships_remove:
        text = f"user_id {m.user_id} is gone or has another login"
        add(Check(m.id, "user changed", text, "user_exists", m))
        if ("groupe", m.ref.upper()) not in model.retired_refs:
            text = f"no single groupe with ref {m.ref}"
            add(Check(m.id, "ref not single", text, "group_unique", ("groupe", m.ref)))
    for m in model.memberships_add:
        text = "the membership apply.sql added is not there"
        add(Check(m.id, "member missing", text, "membership_present", m))
    for u in model.user_changes:
        text = f"user_id {u.user_id} no longer holds the values apply.sql wrote"
        add(Check(u.id, "row changed", text, "user_new", u))
    for c in model.creates:
        text = "the new pupil's account is gone or was changed since apply.sql"
        if model.deletes_created:
            text = "the new pupil's account changed or was used since apply.sql: not deleted"
        add(Check(c.id, "account changed", text, "created", c))
    for r in model.renames:
        text = f"class groupe_id {r.groupe_id} no longer has the name apply.sql wrote"
        add(Check(r.id, "class changed", text, "renamed", r))
    for a in model.archives:
        text = "SACoche's import archive no longer holds what apply.sql wrote"
        add(Check(a.id, "archive changed", text, "archive_new", a))
    if model.deletes_created:
        _note_created_group_users(model)
        for g in model.group_creates:
            text = f"{g.type} {g.ref} changed or is used by others: not deleted"
            add(Check(g.id, "group in use", text, "created_group", g))
    # After a partial apply a row may be in the plan's old state: nothing to revert there, and every
    # write of revert.sql is conditioned on the new state, so such a row is left as it is.
    olds = old_states(model)
    for g in guards:
        old = olds.get(g.item)
        if isinstance(old, list):
            g.either = old
        elif old == "absent" and g.check == "membership_present":
            g.check = "always"
    return numbered(guards)


def _note_created_group_users(model: SqlModel) -> None:
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


def verify_checks(model: SqlModel) -> list[Check]:
    checks: list[Check] = []
    add = checks.append
    for g in model.group_creates:
        add(Check(g.id, "", f"one {g.type} {g.ref} with the plan's name", "group_created", g))
    for r in model.renames:
        add(Check(r.id, "", f"class groupe_id {r.groupe_id} renamed", "renamed", r))
    for c in model.creates:
        add(Check(c.id, "", f"account {c.login} exists with the plan's values", "created_all", c))
    for u in model.user_changes:
        add(Check(u.id, "", f"user_id {u.user_id} holds the new values", "user_new", u))
    for m in model.memberships_add:
        add(Check(m.id, "", f"{m.describe}: member", "membership_present", m))
    for m in model.memberships_remove:
        add(Check(m.id, "", f"user_id {m.user_id}, group {m.ref}: not a member", "membership_absent", m))
    for r in model.retires:
        add(Check(r.id, "", f"groupe_id {r.groupe_id} and its memberships are gone", "retired", r))
    for a in model.archives:
        add(Check(a.id, "", "SACoche's import archive holds the imported file", "archive_new", a))
    for e in model.left_alone:
        text = f"hand-made {e.type} groupe_id {e.groupe_id} untouched"
        add(Check(f"left_alone-{e.groupe_id}", "", text, "left_alone", e))
    return numbered(checks)


def old_states(model: SqlModel) -> dict[str, str]:
    """item id → how verify.sql tells "not done" (the item's row still as the plan found it) from an
    unexpected state: the apply guards about the item's own row, or "absent" (a membership to add:
    not done while absent) or "never" (a hand-made group: only ever done or unexpected)."""
    found: dict[str, list[Check]] = {}
    for g in apply_guards(model):
        if g.check in OWN_ROW_GUARDS:
            found.setdefault(g.item, []).append(g)
    states: dict[str, Any] = {item: checks for item, checks in found.items()}
    for m in model.memberships_add:
        states.setdefault(m.id, "absent")
    return states
