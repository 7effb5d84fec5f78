"""plan.json is written item by item by a hand-rolled indenter: it must give json.dumps's bytes exactly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.plan.seal import pretty as _pretty

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # any character: quotes, backslashes, controls, surrogates
)
KEYS = st.text() | st.integers() | st.booleans() | st.none()  # json turns non-text keys into text
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(VALUES, st.integers(min_value=0, max_value=3))
def test_same_text_as_json_dumps(value: Any, level: int) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
    assert _pretty(value, level) == expected


def test_a_plan_item_shape() -> None:
    item = {
        "id": "update-0123456789",
        "kind": "update",
        "accepted": True,
        "subject": {"nom": "D'ALBERTIN", "prenom": 'Zoé "Zo"', "line": 12, "classe": None},
        "target": {"user_id": 40, "members": [1, 2, 3], "empty": [], "none": {}},
        "changes": {"user_prenom": {"old": "Zoe", "new": "Zoé\\\n\t\u2028"}},
    }
    assert _pretty(item, 2) == json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n    ")
