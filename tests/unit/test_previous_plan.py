"""engine.plan.previous: a previous plan.json streamed (large) gives what reading it whole gives."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from helpers import EXAMPLES
from pytest import MonkeyPatch

import engine.plan.previous as previous
from engine.pipeline import make_plan
from engine.plan.previous import PreviousPlan, read_previous

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
DB = f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}"
KINDS = ("create", "parent_create")

_ITEMS = [
    {
        "id": "create-1",
        "kind": "create",
        "target": {"login": "l1"},
        "changes": {"user_password": {"new": "h"}},
    },
    {"id": "update-1", "kind": "update", "n": 1.5, "big": 12345678901234},
    {"id": "pc-1", "kind": "parent_create", "nested": [[], {}, [None, True, "é"]]},
    "not an object",
    {"kind": "create"},
]
DOCUMENTS = {
    "plan": {"state": {"url": "sqlite:///x.db", "dialect": "sqlite"}, "items": _ITEMS},
    "no state": {"items": _ITEMS},
    "state not an object": {"state": ["sqlite:///x.db"], "items": _ITEMS},
    "url not a string": {"state": {"url": 7}, "items": _ITEMS},
    "url an object": {"state": {"url": {"a": "b"}}, "items": _ITEMS},
    "items an object": {"state": {"url": "u"}, "items": {"item": _ITEMS[0]}},
    "items a string": {"state": {"url": "u"}, "items": "x"},
    "a list": [{"state": {"url": "u"}, "items": _ITEMS}],
    "empty": {},
}


def _normal(found: PreviousPlan) -> tuple[object, list[dict[str, object]]]:
    """What callers look at: a URL that is a string (anything else is no URL), and the items."""
    return (found.url if isinstance(found.url, str) else None, found.items)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
@pytest.mark.parametrize("kinds", [(), ("create",), KINDS])
def test_streamed_is_whole(tmp_path: Path, monkeypatch: MonkeyPatch, name: str, kinds: tuple) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(DOCUMENTS[name], indent=2, ensure_ascii=False), encoding="utf-8")
    whole = read_previous(path, kinds)
    monkeypatch.setattr(previous, "LARGE_PLAN", 0)
    assert _normal(read_previous(path, kinds)) == _normal(whole)
    if name == "plan":
        assert whole.url == "sqlite:///x.db"
        assert whole.items == [i for i in _ITEMS if isinstance(i, dict) and i["kind"] in kinds]


@pytest.mark.parametrize("large", [False, True])
def test_damage_and_what_only_json_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    if large:
        monkeypatch.setattr(previous, "LARGE_PLAN", 0)
    path = tmp_path / "plan.json"
    for damaged in ("{not json", '{"state": {"url": "u"}, "items": [', '{"state": {}} trailing', ""):
        path.write_text(damaged, encoding="utf-8")
        with pytest.raises(ValueError):
            read_previous(path, KINDS)
    # json reads NaN and integers beyond 64 bits, which orjson and yajl refuse: read as json reads them
    path.write_text('{"x": [NaN, 1' + "0" * 30 + '], "state": {"url": "u"}, "items": [{"kind": "create"}]}')
    assert read_previous(path, KINDS) == PreviousPlan("u", [{"kind": "create"}])


@pytest.mark.parametrize("large", [False, True])
def test_replan_keeps_the_sheet(tmp_path: Path, monkeypatch: MonkeyPatch, large: bool) -> None:
    """A re-plan into the same --out keeps the previous sheet's passwords, the plan streamed or not."""
    if large:
        monkeypatch.setattr(previous, "LARGE_PLAN", 0)
    out = tmp_path / "plan"
    make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    first = (out / "identifiants.csv").read_bytes()
    result = make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(8))
    assert (out / "identifiants.csv").read_bytes() == first
    assert (
        result.login_sheet and result.login_sheet["still_valid"] == result.login_sheet["previous_cards"] > 0
    )
