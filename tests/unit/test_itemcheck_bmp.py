"""SACoche's utf8 stores characters up to U+FFFF: every text the SQL writes is refused beyond, only beyond
(engine.render.itemcheck finds them with max(), the C loop of ``any(ord(ch) > 0xFFFF)``)."""

from __future__ import annotations

import pytest

from engine.render.itemcheck import item_value_problems


def _rename(name: str) -> dict[str, object]:
    return {
        "id": "class_rename-0123456789",
        "kind": "class_rename",
        "accepted": True,
        "target": {"groupe_id": 3, "groupe_ref": "CP-A"},
        "changes": {"groupe_nom": {"old": "CP A", "new": name}},
    }


def _update(prenom: str) -> dict[str, object]:
    return {
        "id": "update-0123456789",
        "kind": "update",
        "accepted": True,
        "target": {"user_id": 4, "login": "zoe"},
        "changes": {"user_prenom": {"old": "Zoe", "new": prenom}},
    }


@pytest.mark.parametrize("text", ["", "Zoé", "a\uffff", "\ud7ff\ue000\ufffd"])
def test_characters_up_to_u_ffff_are_stored(text: str) -> None:
    assert item_value_problems(_rename(text or "x")) == []
    assert item_value_problems(_update(text)) == []


@pytest.mark.parametrize("text", ["\U00010000", "Zoé 😀", "😀a", "a\U0010ffff"])
def test_characters_beyond_are_refused(text: str) -> None:
    assert item_value_problems(_rename(text)) == ["name holds a character outside the BMP (emoji…)"]
    assert item_value_problems(_update(text)) == [
        "new user_prenom holds a character outside the BMP (emoji…) that SACoche's utf8 cannot store"
    ]
