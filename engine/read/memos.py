"""The normaliser's memos of cell → value, kept from one export to the next in a batch worker.

:mod:`engine.read.normalise` gives each field a memo: every rule step is a pure function of the cell and
the rule set's tables, so equal cells skip the steps. A memo normally lives for one export. Within
:func:`kept_memos` (``onde-sacoche batch``: a worker reads school after school with the same rules), each
field rule's memo is kept for the next export read with that very rule: first names, birth dates,
classes and niveaux recur from school to school. The values are the same either way. A kept memo is
bounded (:data:`KEPT_MAX` cells, then it starts again empty) and given up for a field whose cells nearly
all differ (INE), as the normaliser does within one export.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["KEPT_MAX", "MAX_DISTINCT", "PROBE", "count_rows", "kept_memos", "new_memo"]

Memo = dict[str, tuple[Any, bool]]

#: cells a kept memo holds at most: past that it starts again empty
KEPT_MAX = 20_000  # a family name memo of that size is about 5 MiB
#: rows after which a memo (one export's, or a kept one) is given up if nearly every cell was different
#: (INE): more than MAX_DISTINCT of them distinct
PROBE = 20_000
MAX_DISTINCT = 0.9


class _Kept:
    """One field rule's kept memo (None once given up) and the rows read through it."""

    __slots__ = ("cells", "rows", "rule")

    def __init__(self, rule: Any) -> None:
        self.rule = rule  # held: the key is id(rule), which must not be reused while kept
        self.cells: Memo | None = {}
        self.rows = 0


#: inside kept_memos(): id(field rule) → its kept memo
_kept: dict[int, _Kept] | None = None
_store: dict[int, _Kept] = {}


@contextmanager
def kept_memos() -> Iterator[None]:
    """Within this block (and the next such blocks), a field rule's memo outlives the export read."""
    global _kept
    previous, _kept = _kept, _store
    try:
        yield
    finally:
        _kept = previous


def new_memo(rule: Any) -> Memo:
    """The memo one export's reading of ``rule``'s field starts with: empty, or the one kept."""
    if _kept is None:
        return {}
    kept = _kept.get(id(rule))
    if kept is None or kept.rule is not rule:
        kept = _kept[id(rule)] = _Kept(rule)
    cells = kept.cells
    if cells is None:
        return {}
    if kept.rows >= PROBE and len(cells) > kept.rows * MAX_DISTINCT:
        kept.cells = None  # nearly every cell different: not worth keeping
        return {}
    if len(cells) >= KEPT_MAX:
        cells.clear()
        kept.rows = 0
    return cells


def count_rows(rules: Any, rows: int) -> None:
    """Count an export's rows in the kept memos of its field rules (``rules``: the rules read)."""
    if _kept is not None:
        for rule in rules:
            kept = _kept.get(id(rule))
            if kept is not None and kept.rule is rule:
                kept.rows += rows
