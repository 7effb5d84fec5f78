"""engine.render.sheets.previous_cards reads the previous plan.json as json.loads does, fast or not."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

from helpers import EXAMPLES

from engine.pipeline import make_plan
from engine.render.sheets import previous_cards

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
DB = f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}"


def test_cards_are_the_same_when_orjson_refuses_what_json_reads(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    url, salt = doc["state"]["url"], "grain_de_sel"
    cards = previous_cards(out, url, salt)
    assert cards and all(card.verified for card in cards)
    text = (out / "plan.json").read_text(encoding="utf-8")
    # json reads a number beyond 64 bits and NaN; orjson refuses both
    (out / "plan.json").write_text(
        text.replace('"format_version": 1', '"format_version": 1, "x": [NaN, 1' + "0" * 30 + "]", 1)
    )
    assert previous_cards(out, url, salt) == cards
    (out / "plan.json").write_text("{not json")
    assert [c.verified for c in previous_cards(out, url, salt)] == [False] * len(cards)
