"""What validate_plan refuses in an item, with its message: the fast paths of the common case
(engine.render.plancheck.item_problems, itemcheck's ASCII shortcut, the dates known) refuse what the
walk value by value refused; and two edits that raised a traceback are named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.errors import OndeError
from engine.plan.seal import reseal
from engine.render.itemcheck import beyond_bmp, item_value_problems
from engine.render.loading import validate_plan
from engine.render.plancheck import item_problems, real_date


def _update(**fields: Any) -> dict[str, Any]:
    return {
        "id": "update-0123456789",
        "kind": "update",
        "accepted": True,
        "subject": {"nom": "MASSON", "prenom": "Arthur", "line": 2, "account": {"user_id": 4}},
        "target": {"user_id": 4, "login": "art"},
        "changes": {"user_prenom": {"old": "Artur", "new": "Arthur"}},
        "reason": {"tier": "ine", "line": 2, "situation": "matched_changed"},
        **fields,
    }


def _create(classe: Any) -> dict[str, Any]:
    changes = {c: {"old": None, "new": "x"} for c in ("user_nom", "user_prenom", "user_password")}
    changes["user_login"] = {"old": None, "new": "zoe"}
    changes["eleve_classe_id"] = {"old": None, "new": classe}
    target = {"table": "sacoche_user", "login": "zoe"}
    return {
        "id": "create-0123456789",
        "kind": "create",
        "accepted": True,
        "target": target,
        "changes": changes,
    }


def _refusal(items: list[Any]) -> str:
    doc = reseal(
        {
            "format_version": 1,
            "today": "2026-11-29",
            "source": {},
            "state": {},
            "summary": {},
            "items": [dict(i) if isinstance(i, dict) else i for i in items],
        }
    )
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    with pytest.raises(OndeError) as refused:
        validate_plan(json.loads(text), text, Path("plan.json"))
    return str(refused.value)


@pytest.mark.parametrize("ident", [[1], {"a": 1}])
def test_an_id_that_is_a_list_or_an_object_is_named_not_a_traceback(ident: Any) -> None:
    """It raised TypeError (unhashable) when the duplicate ids were looked for."""
    refused = _refusal([_update(id=ident), _update()])
    assert "'id' must be kind-<hex>" in refused


def test_a_class_ref_that_is_not_text_is_named_not_a_traceback() -> None:
    """It raised UnboundLocalError: the width in its message was never computed."""
    assert item_value_problems(_create(5)) == ["eleve_classe_id must be a class ref (1 to 20 characters)"]
    assert item_value_problems(_create("")) == ["eleve_classe_id must be a class ref (1 to 20 characters)"]
    assert item_value_problems(_create("CP"), {"groupe_ref": 1}) == [
        "eleve_classe_id must be a class ref (1 to 1 characters)"
    ]
    assert item_value_problems(_create("C")) == []


def test_the_same_id_twice_is_still_named() -> None:
    assert "the same id appears twice" in _refusal([_update(), _update()])


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("subject", {"nom": ["MASSON"]}, "subject: 'nom' must be a plain value"),
        ("subject", {"line": {"n": 2}}, "subject: 'line' must be a plain value"),
        ("subject", {"classe": (1,)}, "subject: 'classe' must be a plain value"),
        ("reason", {"why": []}, "reason: 'why' must be a plain value"),
        ("subject", [], "'subject' must be an object"),
        ("reason", "x", "'reason' must be an object"),
        ("subject", {"candidates": [1]}, "subject.candidates[0] must be an object"),
    ],
)
def test_a_subject_or_reason_of_the_wrong_shape_is_named(where: str, value: Any, message: str) -> None:
    item = _update(**{where: value})
    assert [p for p in item_problems(item) if p.startswith(message)]


@pytest.mark.parametrize(
    "subject",
    [None, {}, {"nom": "A", "line": 1.5, "x": [1], "account": {"a": [1]}}, {"nom": None, "ine": True}],
)
def test_a_subject_of_plain_values_where_read_is_sound(subject: Any) -> None:
    assert item_problems(_update(subject=subject)) == []


@pytest.mark.parametrize(
    ("text", "beyond"), [("", False), ("abc", False), ("é\uffff", False), ("a😀", True), ("\U0010ffff", True)]
)
def test_beyond_the_bmp(text: str, beyond: bool) -> None:
    assert beyond_bmp(text) is beyond


@pytest.mark.parametrize(
    ("value", "real"),
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("0000-00-00", True),
        ("2023-1-01", False),
        ("2023-01-01\n", False),
        ("٢٠٢٣-٠١-٠١", False),
        (None, False),
        (20230101, False),
    ],
)
def test_real_dates_asked_twice_answer_the_same(value: Any, real: bool) -> None:
    assert real_date(value) is real and real_date(value) is real
