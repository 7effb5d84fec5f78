"""batch-summary.json (engine.batch_run): the schools' entries, encoded in the workers, put together give
the same bytes as encoding the whole summary at once."""

from __future__ import annotations

import json
from typing import Any

from engine.batch_run import _encoded, _summary_json

OK: dict[str, Any] = {
    "school": "école-é",
    "status": "ok",
    "summary": {"pupils_in_file": 150, "create": 10, "nested": {"a": [], "b": {}}},
    "holds": [],
    "warnings": ["format « onde2 » non confirmé\navec\ttab", '\u2028 \x00 \\ "'],
    "error": None,
    "errors": [],
    "error_count": 0,
    "seconds": 0.061,
}
ERROR: dict[str, Any] = {
    "school": "b",
    "status": "error",
    "summary": None,
    "holds": [],
    "warnings": [],
    "error": "b.csv:6:5: not a valid date",
    "errors": [{"file": "b.csv", "line": 6, "column": 5, "message": "x", "hint": None}],
    "error_count": 1,
    "seconds": None,
}


def _body(schools: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "tool": "onde-sacoche 1",
        **extra,
        "out": "/o",
        "jobs": 2,
        "counts": {"ok": 1},
        "schools": schools,
    }


def test_entries_encoded_apart_give_the_summary_encoded_at_once() -> None:
    for schools in ([OK], [OK, ERROR, OK], [ERROR]):
        body = _body(schools, directory="d", db_map="m")
        entries = [_encoded(school)[1] for school in schools]
        assert _summary_json(body, entries) == json.dumps(body, ensure_ascii=False, indent=2)


def test_a_summary_without_schools_last_is_encoded_at_once() -> None:
    body = _body([])
    assert _summary_json(body, []) == json.dumps(body, ensure_ascii=False, indent=2)
    moved = {"schools": [OK], "tool": "x"}
    assert _summary_json(moved, [_encoded(OK)[1]]) == json.dumps(moved, ensure_ascii=False, indent=2)
