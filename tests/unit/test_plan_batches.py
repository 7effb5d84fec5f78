"""plan.json's items are sealed in place and written a batch per orjson call (engine.plan.seal
seal_plain_item, pretty_items; engine.plan.planjson.plan_json_chunks): the seals and bytes must be those
of sealing and writing each item alone, whatever the mix of plain and other items and batch sizes."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_plan_memory import _item, _plan
from test_plan_orjson import ODD, PLAIN, strictly_equal

import engine.plan.planio as planio
import engine.plan.planjson as planjson
from engine.plan.items import Item
from engine.plan.seal import (
    SEAL,
    all_plain,
    document_seal,
    plain_values,
    pretty,
    pretty_items,
    seal_plain_item,
    sealed_item,
)
from engine.render.loading import check_written_plan

KINDS = st.sampled_from(["update", "decide", "parent_decide", "create"])
PLAIN_ITEMS = st.fixed_dictionaries(
    {"id": st.text(), "kind": KINDS, "accepted": st.booleans()},
    optional={"answer": PLAIN, "subject": PLAIN, "changes": st.dictionaries(st.text(), PLAIN, max_size=3)},
)


@given(PLAIN_ITEMS)
def test_a_plain_item_is_sealed_in_place_as_alone(item: dict[str, Any]) -> None:
    sealed = copy.deepcopy(item)
    if seal_plain_item(sealed):
        assert strictly_equal(sealed, sealed_item(item))
    else:  # orjson refused it (an integer beyond 64 bits): left untouched, for json to seal
        assert strictly_equal(sealed, item)


@given(st.dictionaries(st.text(), ODD, max_size=4), KINDS)
def test_other_items_are_sealed_as_alone_or_left_alone(item: dict[str, Any], kind: str) -> None:
    item["kind"] = kind
    sealed = dict(item)
    if seal_plain_item(sealed):
        assert sealed == sealed_item(item)
    else:
        assert sealed == item


@given(st.lists(PLAIN, max_size=6))
def test_a_batch_of_plain_values_is_plain(values: list[Any]) -> None:
    assert all_plain(values)


@given(st.lists(PLAIN | ODD, max_size=6))
def test_a_batch_is_plain_only_when_each_value_is(values: list[Any]) -> None:
    """(and not always then: a key that is not text, which orjson refuses, makes it ask each value)"""
    if all_plain(values):
        assert all(plain_values(v) for v in values)


def test_a_batch_too_deep_or_holding_itself_is_left_to_each_walk() -> None:
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    looped: list[Any] = []
    looped.append(looped)
    assert plain_values(deep) and not all_plain([deep])
    assert not all_plain([{"x": looped}]) and not plain_values(looped)


def test_an_item_with_a_seal_is_left_alone() -> None:
    item = {"id": "x", "kind": "update", "accepted": True, SEAL: "0" * 32}
    assert not seal_plain_item(item) and item[SEAL] == "0" * 32


@given(st.lists(st.dictionaries(st.text(), PLAIN, max_size=4), min_size=1, max_size=5))
def test_a_batch_is_the_items_as_written_alone(items: list[dict[str, Any]]) -> None:
    data = pretty_items(items)
    expected = ",\n    ".join(pretty(i, 2) for i in items).encode("utf-8")
    assert data is None or data == expected  # None: orjson refuses one (an integer beyond 64 bits)


def test_a_batch_orjson_refuses_is_none() -> None:
    assert pretty_items([{"a": 1}, {"b": 2**64}]) is None


def _odd(index: int, kind: str) -> Item:
    """Items json writes or seals: a float, a tuple, an integer beyond 64 bits in the seal or only in
    ``accepted`` (outside the seal, so the item is sealed by orjson but its batch is refused)."""
    item = _item(index)
    return {
        "float": lambda: _item(index, line=1.5),
        "tuple": lambda: _item(index, autre=("CP", "CE1")),
        "big": lambda: _item(index, line=2**70),
        "big-accepted": lambda: Item(**{**{f: getattr(item, f) for f in item.__slots__}, "accepted": 2**70}),
    }[kind]()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["plain", "float", "tuple", "big", "big-accepted"]), max_size=12),
    st.integers(min_value=1, max_value=4),
)
def test_plan_json_is_json_dumps_whatever_the_batches(kinds: list[str], batch: int) -> None:
    items = tuple(_item(i) if k == "plain" else _odd(i, k) for i, k in enumerate(kinds))
    body = {"format_version": 1, "today": "2026-11-29", "items": [], "tail": {"x": [1]}}
    doc: dict[str, Any] = {}
    reread: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planjson, "ITEMS_PER_BATCH", batch)
        raw = b"".join(planjson.plan_json_chunks(body, items, doc, reread))
    sealed = [sealed_item(i.to_dict()) for i in items]
    whole = {**body, "items": sealed, SEAL: document_seal(body, [i[SEAL] for i in sealed])}
    assert raw == json.dumps(whole, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    assert strictly_equal(doc, json.loads(raw))
    assert reread == [i for i, k in enumerate(kinds) if k != "plain"]


def test_a_plan_of_several_batches_is_written_and_checked(tmp_path: Path) -> None:
    items = tuple(_item(i) for i in range(2 * planjson.ITEMS_PER_BATCH + 5))
    written = planio.write_plan(tmp_path, _plan(items), {"format_version": 1})
    raw = (tmp_path / "plan.json").read_bytes()
    assert written.sha256 == hashlib.sha256(raw).hexdigest()
    assert strictly_equal(written.doc, json.loads(raw)) and written.reread == ()
    check_written_plan(written)
