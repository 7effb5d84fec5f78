"""Stage 3 of the pipeline, planning: matched pupils + SACoche's state → a :class:`Plan` of items.

A reader starts at :func:`build_plan` (:mod:`~engine.plan.core`). Beside it: :mod:`~engine.plan.logins`
(new accounts' logins and passwords), :mod:`~engine.plan.planio` (writing and reading the plan files)
and :mod:`~engine.plan.seal` (the digests that seal plan.json). Nothing here imports the render stage.
"""

from __future__ import annotations

from engine.plan.core import (
    GUARDS,
    ITEM_KINDS,
    Decisions,
    Item,
    Plan,
    build_plan,
    class_of,
    group_ref,
    stable_id,
)

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
