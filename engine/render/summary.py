"""The one-line summary of a plan document (what is accepted, what is not, what is to decide).

Computed from the items alone; printed by ``plan``, ``review`` and ``show``. Kept apart from
:mod:`engine.review` so that :mod:`engine.pipeline` uses it without an import cycle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from engine.plan import ITEM_KINDS

__all__ = ["SUMMARY_ORDER", "summary_counts", "summary_text"]

#: terminal order of the kinds in the summary line
SUMMARY_ORDER = tuple(k for k in ITEM_KINDS if k != "decide")


def summary_counts(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Accepted and unchecked items by kind, open and answered questions: from the items alone."""
    items = doc.get("items") or []
    accepted = Counter(i.get("kind") for i in items if i.get("kind") != "decide" and i.get("accepted"))
    unchecked = Counter(i.get("kind") for i in items if i.get("kind") != "decide" and not i.get("accepted"))
    questions = [i for i in items if i.get("kind") == "decide"]
    answered = sum(1 for i in questions if isinstance(i.get("answer"), dict))
    return {
        "accepted": dict(accepted),
        "unchecked": dict(unchecked),
        "decide": len(questions),
        "answered": answered,
        "held": bool(doc.get("held")),
    }


def summary_text(doc: Mapping[str, Any]) -> str:
    """One line: ``accepted: create 3, update 9, …; not accepted: class_retire 1; to decide: 1``."""
    counts = summary_counts(doc)

    def listing(by_kind: Mapping[str, int]) -> str:
        return ", ".join(f"{k} {by_kind[k]}" for k in SUMMARY_ORDER if by_kind.get(k)) or "none"

    parts = [f"accepted: {listing(counts['accepted'])}"]
    if counts["unchecked"]:
        parts.append(f"not accepted: {listing(counts['unchecked'])}")
    if counts["decide"]:
        open_ = counts["decide"] - counts["answered"]
        text = f"to decide: {open_}"
        if counts["answered"]:
            text += f" ({counts['answered']} answered, taken into account by the next `plan`)"
        parts.append(text)
    if counts["held"]:
        parts.append("HELD by a guard")
    return "; ".join(parts)
