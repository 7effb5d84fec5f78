"""Guards and checks about SACoche's import archive (``sacoche_siecle_import``, row Onde)."""

from __future__ import annotations

from engine.render.check import Check, GuardContext, each

#: apply guard on an item's own row → the condition that says the row is already as apply.sql leaves it
#: (written, or cut between its pieces)
NEW_STATES = {"archive_old": "archive_started"}


def apply(ctx: GuardContext) -> list[Check]:
    guards = []
    for a in ctx.model.archives:
        text = "SACoche's import archive changed since the plan"
        guards.append(Check(a.id, "archive changed", text, "archive_old", a))
        size, _ = a.digest("new")
        text = f"the archive ({size} bytes) exceeds the server's max_allowed_packet: raise it or reject"
        guards.append(Check(a.id, "archive too big", text, "archive_fits", a))
    return guards


def revert(ctx: GuardContext) -> list[Check]:
    text = "SACoche's import archive no longer holds what apply.sql wrote"
    guards = []
    for a in ctx.model.archives:
        pieces = a.prefixes("new") or a.prefixes("old")  # or cut between pieces (apply's, its own)
        check = "archive_reverting" if pieces else "archive_new"
        guards.append(Check(a.id, "archive changed", text, check, a))
    return guards


def verify(ctx: GuardContext) -> list[Check]:
    text = "SACoche's import archive holds the imported file"
    return each(ctx.model.archives, "", "archive_new", text)
