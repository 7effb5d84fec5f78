"""Stage 3 of the pipeline, planning: matched pupils + SACoche's state → a :class:`Plan` of items.

A reader starts at :func:`build_plan` (:mod:`~engine.plan.build`): it runs the planning concerns in
order over one shared :class:`~engine.plan.context.PlanContext` — :mod:`~engine.plan.classes` (classes
and the archive), :mod:`~engine.plan.groups` (groups and memberships), :mod:`~engine.plan.pupils`
(pupils' accounts, with :mod:`~engine.plan.fields`) — then :mod:`~engine.plan.guards`. The values are in
:mod:`~engine.plan.items`, refs and names in :mod:`~engine.plan.refs`. Beside them:
:mod:`~engine.plan.logins` (new accounts' logins and passwords), :mod:`~engine.plan.planio` (writing and
reading the plan files, on disk through :mod:`~engine.plan.privatefiles`) and :mod:`~engine.plan.seal`
(the digests that seal plan.json). Nothing here imports the render stage.
"""

from __future__ import annotations

from engine.plan.build import build_plan
from engine.plan.items import GUARDS, ITEM_KINDS, Decisions, Item, Plan, stable_id
from engine.plan.refs import class_of, group_ref

__all__ = [
    "GUARDS",
    "ITEM_KINDS",
    "Decisions",
    "Item",
    "Plan",
    "build_plan",
    "class_of",
    "group_ref",
    "stable_id",
]
