"""An update's id from its changes' entries (engine.plan.items.stable_id_of_entries) is stable_id's."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.plan.items import id_entry, stable_id, stable_id_of_entries
from engine.plan.pupils import move_head, move_tail

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
CHANGE = st.dictionaries(st.sampled_from(["old", "new", "old_id"]), SCALARS)
COLUMNS = st.text(alphabet='ab_"\\\\é\\n', max_size=6)


@given(st.sampled_from(["update", "reactivate"]), st.integers(), st.dictionaries(COLUMNS, CHANGE))
def test_an_id_from_entries_is_the_id_of_the_whole(kind: str, user_id: int, changes: dict[str, Any]) -> None:
    entries = {column: id_entry(column, change) for column, change in changes.items()}
    assert stable_id_of_entries(kind, user_id, entries) == stable_id(kind, user_id, changes)


@given(st.text(max_size=12), st.text(max_size=12), st.integers())
def test_a_class_move_s_entry_from_its_halves(new_ref: str, old_ref: str, old_id: int) -> None:
    change = {"old": old_ref, "new": new_ref, "old_id": old_id}
    assert move_head(new_ref) + move_tail(old_ref, old_id) == id_entry("eleve_classe_id", change)
