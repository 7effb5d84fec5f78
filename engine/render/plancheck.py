"""The shape of the parts of plan.json that show, the report and the SQL header read but that
:mod:`engine.render.itemcheck` does not check field by field: holds, state, source, left_alone, each
item's subject and reason, look-alike candidates, and that every date is a real calendar date.

plan.json may be edited by hand (``accepted`` flags), so a wrong type there must be one message naming
the line — never a traceback in the middle of ``show`` or ``render``, nor SQL that fails half-way on
MySQL because ``2019-02-30`` looked like a date.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any

from engine.plan.seal import seal_problems

__all__ = ["PLAN_HINT", "SEAL_HINT", "document_problems", "item_problems", "real_date", "seal_problems"]

#: what to do about a damaged plan.json
PLAN_HINT = "undo the edit (only `accepted` flags are meant to change), or run `onde-sacoche plan` again"
#: what to do about a plan.json changed beyond its `accepted` flags (engine.plan.seal)
SEAL_HINT = (
    "only `accepted` flags may change in plan.json: undo the other edits, or run `onde-sacoche plan` "
    "again (use --accept/--reject or a decisions file to change what the plan does)"
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: what a plain field of a subject, reason, candidate or hold may hold
_SCALAR = (str, int, float, bool, type(None))


def real_date(value: Any) -> bool:
    """Whether ``value`` is ``yyyy-mm-dd`` naming a day of the calendar (``0000-00-00`` included:
    SACoche writes it for "no date")."""
    return isinstance(value, str) and _real_day(value)


@functools.lru_cache(maxsize=4096)  # a plan holds a few thousand distinct dates hundreds of times over
def _real_day(value: str) -> bool:
    if not _DATE.match(value):
        return False
    if value == "0000-00-00":
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "text", int: "an integer", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds if k is not type(None))


def _optional(
    container: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, out: list[str]
) -> Any:
    """``container[key]`` when it is absent, null or of ``kind``; else a problem is added (None returned)."""
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, kind):
        out.append(f"{where}'{key}' must be {_type_name(kind)}")
        return None
    return value


#: the fields read by show, the report and the SQL header, which must hold plain values
_SUBJECT = ("nom", "prenom", "naissance", "ine", "classe", "classe_ref", "groupe", "niveau", "line")
_CANDIDATE = ("user_id", "nom", "prenom", "naissance", "ine", "login", "sortie_date", "classe")
_SOURCE = ("file", "format", "format_confirmed", "encoding", "pupils", "sha256")
_HOLD = ("guard", "message", "allow")
_REASON = ("line", "rule", "tier", "why", "situation", "active_pupils")


def _flat(mapping: Mapping[str, Any], keys: tuple[str, ...], where: str, out: list[str]) -> None:
    for key in keys:
        if not isinstance(mapping.get(key), _SCALAR):
            out.append(f"{where}'{key}' must be a plain value (text, number, true/false or null)")


def document_problems(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(needle to find the line, message) for each problem outside the items."""
    found: list[tuple[str, str]] = []

    def at(needle: str, problems: list[str]) -> None:
        found.extend((needle, p) for p in problems)

    problems: list[str] = []
    if isinstance(doc.get("today"), str) and not real_date(doc["today"]):
        problems.append("'today' is not a real date (yyyy-mm-dd)")
    for key in ("tool", "generated_at"):
        _optional(doc, key, str, "", problems)
    _optional(doc, "held", bool, "", problems)
    _optional(doc, "rules", dict, "", problems)
    at('"today"', problems)

    problems = []
    state = doc["state"]
    for key in ("url", "dialect"):
        _optional(state, key, str, "state: ", problems)
    fingerprint = _optional(state, "fingerprint", dict, "state: ", problems)
    for table, info in (fingerprint or {}).items():
        if not isinstance(info, dict):
            problems.append(f"state.fingerprint: '{table}' must be an object")
    at('"state"', problems)

    problems = []
    source = doc["source"]
    _flat(source, _SOURCE, "source: ", problems)
    at('"source"', problems)

    problems = []
    holds = _optional(doc, "holds", list, "", problems)
    for index, hold in enumerate(holds or []):
        if not isinstance(hold, dict):
            problems.append(f"holds[{index}] must be an object")
            continue
        _optional(hold, "allowed", bool, f"holds[{index}]: ", problems)
        _optional(hold, "figures", dict, f"holds[{index}]: ", problems)
        _flat(hold, _HOLD, f"holds[{index}]: ", problems)
    at('"holds"', problems)

    problems = []
    left = _optional(doc, "left_alone", dict, "", problems)
    for key, entries in (left or {}).items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(f"left_alone: '{key}' must be a list of objects")
    at('"left_alone"', problems)

    problems = []
    names = _optional(doc, "names", dict, "", problems)
    for key in ("classes", "groups"):
        table = _optional(names or {}, key, dict, "names: ", problems)
        if table and not all(isinstance(v, _SCALAR) for v in table.values()):
            problems.append(f"names: '{key}' must map each ref to a name")
    at('"names"', problems)
    return found


_PLAIN_TYPES = frozenset(_SCALAR)


def _plain(mapping: Any, keys: tuple[str, ...]) -> bool:
    """Whether ``mapping`` is absent, or a dict whose ``keys`` hold plain values (the common case, checked
    first and fast: a plan may hold a million items). An absent key reads as None, plain."""
    if mapping is None:
        return True
    if type(mapping) is not dict:
        return False
    return _PLAIN_TYPES.issuperset(map(type, map(mapping.get, keys)))  # C loops, no generator


def item_problems(item: Any) -> list[str]:
    """Problems in an item's subject and reason (the rest is checked by engine.render)."""
    if not isinstance(item, dict):
        return []
    subject = item.get("subject")
    simple = type(subject) is not dict or "candidates" not in subject
    if simple and _plain(subject, _SUBJECT) and _plain(item.get("reason"), _REASON):
        return []
    problems: list[str] = []
    subject = _optional(item, "subject", dict, "", problems)
    reason = _optional(item, "reason", dict, "", problems)
    if subject is not None:
        _flat(subject, _SUBJECT, "subject: ", problems)
        candidates = _optional(subject, "candidates", list, "subject: ", problems)
        for index, candidate in enumerate(candidates or []):
            if not isinstance(candidate, dict):
                problems.append(f"subject.candidates[{index}] must be an object")
                continue
            _flat(candidate, _CANDIDATE, f"subject.candidates[{index}]: ", problems)
    if reason is not None:
        _flat(reason, _REASON, "reason: ", problems)
    return problems
