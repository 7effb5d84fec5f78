"""plan.json and its seals are written by orjson where it gives json's bytes, and by json elsewhere:
engine.plan.seal.plain_bytes must answer None whenever the two could differ, and its bytes must be
json.dumps's byte for byte (indent=2 as written, the canonical form as sealed) and read back as given."""

from __future__ import annotations

import json
import sys
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.plan.seal import canonical, item_seal, plain_bytes, plain_values, pretty_bytes
from engine.plan.seal import pretty as _pretty

INDENT, SORTED = orjson.OPT_INDENT_2, orjson.OPT_SORT_KEYS


class Text(str):
    """A subclass json writes as text and reads back as str."""


class Int(int):
    """A subclass json writes as an integer and reads back as int."""


#: what json writes and reads back as JSON's own types: text of any character (controls, quotes,
#: backslashes, U+2028, non-ASCII, astral; surrogates are drawn apart), integers of any size
PLAIN_SCALARS = st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=["Cs"]))
PLAIN = st.recursive(
    PLAIN_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)
#: and what orjson would not write as json does: floats, tuples, non-text keys, subclasses, surrogates
ODD_SCALARS = PLAIN_SCALARS | st.floats() | st.text() | st.integers().map(lambda i: Int(i))
ODD = st.recursive(
    ODD_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none(), inner, max_size=4)
        | st.dictionaries(st.text().map(Text), inner, max_size=2)
    ),
    max_leaves=25,
)


def _json_indent(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _encoded(text: str) -> bytes:
    """A lone surrogate is digested too (engine.plan.seal.canonical): no plan.json `plan` wrote has one."""
    return text.encode("utf-8", "surrogatepass")


def _json_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def strictly_equal(a: Any, b: Any) -> bool:
    """Equal, with the same types and the same key order all the way down."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(strictly_equal(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _outcome(write: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", write(value)
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        return "error", type(exc)


@given(PLAIN)
def test_plain_values_are_written_as_json_does(value: Any) -> None:
    indented, sorted_ = plain_bytes(value, INDENT), plain_bytes(value, SORTED)
    if _big_int(value):  # orjson writes 64 bits: json writes the rest
        assert indented is None and sorted_ is None
        return
    assert indented == _json_indent(value)
    assert sorted_ == _json_canonical(value)
    assert strictly_equal(json.loads(indented), value)


def _big_int(value: Any) -> bool:
    if type(value) is int:
        return not -(2**63) <= value < 2**64
    if type(value) is dict:
        value = list(value.values())
    return type(value) is list and any(_big_int(v) for v in value)


@given(ODD)
def test_other_values_are_left_to_json(value: Any) -> None:
    for option, expected in ((INDENT, _json_indent), (SORTED, _json_canonical)):
        data = plain_bytes(value, option)
        if data is not None:  # what orjson wrote is json's and reads back as it was
            assert data == expected(value)
            assert strictly_equal(json.loads(data), value)
    assert _outcome(canonical, value) == _outcome(lambda v: _encoded(_json_text(v)), value)
    expected_pretty = _outcome(
        lambda v: json.dumps(v, ensure_ascii=False, indent=2).replace("\n", "\n    "), value
    )
    pretty = _outcome(lambda v: pretty_bytes(v, 2)[0], value)
    if expected_pretty[0] == "ok":
        assert pretty == ("ok", expected_pretty[1].encode("utf-8"))
    else:
        assert pretty[0] == "error"


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        1e16,
        float("nan"),
        (1, 2),
        {1: "a"},
        {True: 1},
        {None: 1},
        Text("a"),
        Int(3),
        {Text("k"): 1},
        2**64,
        -(2**63) - 1,
        [[{"x": 0.5}]],
    ],
)
def test_what_orjson_would_write_otherwise_is_not_plain(value: Any) -> None:
    assert plain_bytes(value, INDENT) is None and plain_bytes(value, SORTED) is None


def test_every_character_is_escaped_as_json_does() -> None:
    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert plain_bytes({"k": text}, INDENT) == _json_indent({"k": text})
    assert plain_bytes([text], SORTED) == _json_canonical([text])
    assert plain_bytes("\ud800", INDENT) is None  # a lone surrogate: json's own error when encoded
    assert canonical(["\ud800"]) == _encoded('["\ud800"]')
    with pytest.raises(UnicodeEncodeError):  # never written: `plan` refuses as it always did
        pretty_bytes(["\ud800"], 2)


def test_plan_item_shapes() -> None:
    item = {
        "id": "update-0123456789",
        "kind": "update",
        "accepted": True,
        "subject": {
            "nom": "D'ALBERTIN",
            "prenom": 'Zoé "Zo"',
            "line": 12,
            "classe": None,
            "x": "\u2028\x00\x7f",
        },
        "target": {"user_id": 2**63 - 1, "members": [1, 2, 3], "empty": [], "none": {}, "neg": -(2**63)},
        "changes": {"user_prenom": {"old": "Zoe", "new": "Zoé\\\n\t\u2028"}},
    }
    assert plain_values(item)
    assert pretty_bytes(item, 2) == (_pretty(item, 2).encode("utf-8"), True)
    assert item_seal(item) == item_seal(item, checked=True)
    assert canonical(item) == _json_canonical(item)
