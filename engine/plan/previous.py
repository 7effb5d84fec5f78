"""What a new plan needs of the previous plan.json in ``--out``: its database's URL and some of its items.

A re-plan reads the previous plan three or four times (is it of the same database? may its recorded
answers be replayed? which passwords of its login sheet and family letters still hold?). Parsed whole,
the plan of a 100,000-pupil changed-heavy school (141 MB) took 0.9 GB for a moment, on top of the new
plan: a re-plan peaked at 1.26 GB where the first plan took 0.72 GB. A plan over :data:`LARGE_PLAN` is
therefore streamed with ijson (yajl, in C): one item at a time, only the items of the kinds asked for
kept (15 MB, and faster than parsing it whole). A smaller one is parsed whole with orjson, which is
quicker to start. Either way the whole file is read, so that a damaged one is refused as before; what
ijson refuses is read as :func:`read_plan_json` reads it (json accepts a little more).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

#: bytes above which a previous plan.json is streamed rather than parsed whole: parsed whole, a plan takes
#: about 6 times its size for a moment (4 MiB: some 3,000 changed pupils); streamed, importing ijson
#: alone costs more than orjson parsing a small school's plan (66 kB: 0.5 ms)
LARGE_PLAN = 4 * 2**20
_SCALARS = frozenset({"string", "number", "boolean", "null"})


@dataclass(frozen=True, slots=True)
class PreviousPlan:
    """``state.url`` of a previous plan (None when it has none, or is not an object) and its items of
    the kinds asked for, in order (none when its ``items`` is not a list)."""

    url: Any = None
    items: list[dict[str, Any]] = field(default_factory=list)


def read_previous(path: Path, kinds: Collection[str] = ()) -> PreviousPlan:
    """The previous plan's URL and items of ``kinds``; raise OSError or ValueError as reading it whole
    with :func:`read_plan_json` would."""
    if path.stat().st_size <= LARGE_PLAN:
        return _whole(path, kinds)
    import ijson

    try:
        with path.open("rb") as handle:
            return _streamed(ijson, handle, kinds)
    except ijson.JSONError:
        return _whole(path, kinds)


def read_plan_json(path: Path) -> Any:
    """What ``json.loads(path.read_text(encoding="utf-8"))`` gives for a plan.json already in ``--out``
    (orjson reads it several times faster; json reads what orjson refuses and json accepts, or refuses
    it as before: the same exceptions)."""
    data = path.read_bytes()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data.decode("utf-8"))


def _whole(path: Path, kinds: Collection[str]) -> PreviousPlan:
    doc = read_plan_json(path)
    if not isinstance(doc, dict):
        return PreviousPlan()
    state, items = doc.get("state"), doc.get("items")
    url = state.get("url") if isinstance(state, dict) else None
    if not isinstance(items, list) or not kinds:
        return PreviousPlan(url)
    return PreviousPlan(url, [i for i in items if isinstance(i, dict) and i.get("kind") in kinds])


def _streamed(ijson: Any, handle: Any, kinds: Collection[str]) -> PreviousPlan:
    seen: dict[str, Any] = {}

    def watched(events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        """The parser's events, noting on the way what ``state.url`` holds and what ``items`` is."""
        for prefix, event, value in events:
            if prefix == "state.url" and event in _SCALARS:
                seen["url"] = value
            elif prefix == "items" and event != "end_array":
                seen["items"] = event
            yield prefix, event, value

    kept = [
        item
        for item in ijson.items(watched(ijson.parse(handle, use_float=True)), "items.item")
        if kinds and isinstance(item, dict) and item.get("kind") in kinds
    ]
    return PreviousPlan(seen.get("url"), kept if seen.get("items") == "start_array" else [])
