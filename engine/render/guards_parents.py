"""Guards and checks about parents (docs/parents.md): their accounts (``sacoche_user``, profile TUT),
their links to their children (``sacoche_jointure_parent_eleve``) and their address
(``sacoche_parent_adresse``).

apply.sql: each new parent's login is free; each changed parent still holds the plan's old values; each
existing account a link or an address names is still there (same login, same profile); an address to
insert is absent, one to update holds its old values; a link to add is absent, one to remove is there
with its ``resp_legal_num``. On MySQL each guard on an item's own row also passes in the new state.
"""

from __future__ import annotations

from engine.render.check import Check, GuardContext, each
from engine.render.columns import PARENT, PUPIL
from engine.render.views_parents import Account

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
NEW_STATES = {
    "parent": "parent_new",
    "address_old": "address_new",
    "link_absent": "link_present",
    "link_present": "link_absent",
}
#: the apply guards on an item's own row in the plan's old state (verify's NOT DONE, revert's other way)
OWN_ROW_GUARDS = frozenset({"parent", "address_old", "link_absent", "link_present"})


def _accounts(ctx: GuardContext) -> list[Check]:
    """Each existing parent and pupil a link or an address names, once (a changed parent's own guard
    reads its row already)."""
    model = ctx.model
    checked = {(u.user_id, PARENT) for u in model.parent_changes}
    guards = []
    for x in model.parent_addresses + model.parent_links + model.parent_unlinks:
        ends = [(x.parent_id, x.login, PARENT)]
        if hasattr(x, "eleve_id"):
            ends.append((x.eleve_id, x.eleve_login, PUPIL))
        for user_id, login, profil in ends:
            if user_id is None or (user_id, profil) in checked:
                continue
            checked.add((user_id, profil))
            who = "parent" if profil == PARENT else "pupil"
            text = f"the {who}'s account user_id {user_id} is gone or has another login"
            guards.append(
                Check(x.id, f"{who} changed", text, "account_exists", Account(x.id, user_id, login, profil))
            )
    return guards


def apply(ctx: GuardContext) -> list[Check]:
    model = ctx.model
    guards = []
    for c in model.parent_creates:
        text = f"login {c.login} of the new parent is taken (case and accents ignored)"
        free = Check(c.id, "login taken", text, "login_free", c.login)
        if ctx.new_states:  # or created by this plan already
            free.either = [Check(c.id, "", "", "created_all", c)]
        guards.append(free)
    guards += each(
        model.parent_changes,
        "row changed",
        "parent",
        lambda u: f"parent user_id {u.user_id} no longer holds the values the plan saw",
    )
    guards += _accounts(ctx)
    guards += each(
        model.parent_addresses,
        "address changed",
        "address_old",
        lambda a: f"the address of {a.login} is no longer as the plan saw it",
    )
    guards += each(
        model.parent_links, "already linked", "link_absent", lambda lk: f"{lk.describe}: already linked"
    )
    guards += each(
        model.parent_unlinks, "not linked", "link_present", lambda lk: f"{lk.describe}: no longer linked"
    )
    return guards


def revert(ctx: GuardContext) -> list[Check]:
    """Rows still hold what apply.sql wrote (or, with the item's own apply guards, were never written)."""
    model = ctx.model
    guards = _accounts(ctx)
    guards += each(
        model.parent_unlinks, "link back", "link_absent", lambda lk: f"{lk.describe}: linked again since"
    )
    guards += each(
        model.parent_links,
        "link changed",
        "link_present",
        lambda lk: f"{lk.describe}: not as apply.sql left it",
    )
    guards += each(
        model.parent_addresses,
        "address changed",
        "address_new",
        lambda a: f"the address of {a.login} no longer holds what apply.sql wrote",
    )
    guards += each(
        model.parent_changes,
        "row changed",
        "parent_new",
        lambda u: f"parent user_id {u.user_id} no longer holds the values apply.sql wrote",
    )
    text = "the new parent's account is gone or was changed since apply.sql"
    if model.deletes_created:
        text = "the new parent's account changed or was used since apply.sql: not deleted"
    guards += each(model.parent_creates, "account changed", "created", text)
    return guards


def verify(ctx: GuardContext) -> list[Check]:
    model = ctx.model
    return (
        each(
            model.parent_creates,
            "",
            "created_all",
            lambda c: f"parent account {c.login} exists with the plan's values",
        )
        + each(
            model.parent_changes,
            "",
            "parent_new",
            lambda u: f"parent user_id {u.user_id} holds the new values",
        )
        + each(model.parent_addresses, "", "address_new", lambda a: f"{a.describe}: holds the plan's values")
        + each(model.parent_links, "", "link_present", lambda lk: f"{lk.describe}: linked")
        + each(model.parent_unlinks, "", "link_absent", lambda lk: f"{lk.describe}: not linked")
    )
