"""plan.json is sealed: only the ``accepted`` flags (and a question's ``answer``) may change after ``plan``.

``plan`` writes, in each item, ``"seal"``: a digest of the item's content without ``accepted`` (and without
the seal itself); and at the end of the file a ``"seal"`` object: a digest of every other top-level field
(the header: state, source, fingerprint, summary, holds, …), the number of items and a digest of the list
of item seals in order. ``render``, ``show`` and ``apply`` refuse a plan.json whose items or figures were
changed, added or removed by hand, naming the item (or field) and its line.

The digests are plain SHA-256, not a signature: they catch edits (by hand, by a script, by mistake), not a
forger who recomputes them. The canonical form is ``json.dumps(sort_keys=True, ensure_ascii=False,
separators=(",", ":"))`` of the values as JSON reads them back, as UTF-8; orjson gives these very bytes
for values made of JSON's own types (:func:`plain_bytes`), several times faster, and json the others.
plan.json itself is written in json.dumps(indent=2, ensure_ascii=False)'s form (:func:`pretty_bytes`),
by orjson likewise.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from json.encoder import encode_basestring as _json_text
from typing import Any

import orjson

SEAL = "seal"
#: top-level keys the header seal does not cover (the items have their own; the seal is the seal)
UNSEALED = frozenset({"items", SEAL})
_CANON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


#: JSON's own types, as json.loads gives them (exactly these types: no subclass)
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})
#: a subclass of str or int (as a key too) is refused by orjson, not written as its base type
_STRICT = orjson.OPT_PASSTHROUGH_SUBCLASS


def _plain(container: Any) -> bool:
    for item in container.values() if type(container) is dict else container:
        kind = type(item)
        if kind not in _PLAIN_SCALARS and not ((kind is dict or kind is list) and _plain(item)):
            return False
    return True


def plain_values(value: Any) -> bool:
    """Whether every value in ``value`` is one of JSON's own types: dict, list, str, int, bool, None (no
    float, tuple, subclass or other object). What is left for a value to be plain JSON, orjson refuses
    itself (with :data:`_STRICT`): a key other than text, an integer beyond 64 bits, a lone surrogate."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return kind in _PLAIN_SCALARS
    try:
        return _plain(value)
    except RecursionError:  # nested past Python's limit: json's own encoder decides what happens
        return False


#: JSON's own types, containers included; the containers a walk of plain values goes into
_PLAIN_TYPES = _PLAIN_SCALARS | {dict, list}
#: levels :func:`all_plain` walks down before it gives up (a deeper value is left to plain_values)
_LEVELS = 64


def all_plain(values: list[Any]) -> bool:
    """Whether :func:`plain_values` holds for every one of ``values``, walked a level at a time for all of
    them at once: gc.get_referents gives, in one C call, the values of all the dicts and the elements of all
    the lists of a level (and nothing of text, numbers, true, false and null), where a walk value by value
    is a Python loop. False when one is not plain, or is nested deeper than a plan item (or holds itself):
    ask plain_values of each then."""
    level = values
    for _ in range(_LEVELS):
        if not _PLAIN_TYPES.issuperset(map(type, level)):
            return False
        level = gc.get_referents(*level)
        if not level:
            return True
    return False


def plain_bytes(value: Any, option: int, *, checked: bool = False) -> bytes | None:
    """orjson's bytes of a plain JSON ``value`` (``checked``: :func:`plain_values` is known to hold), or
    None when it is not plain JSON. Those bytes are json's: ``OPT_SORT_KEYS`` gives the canonical form,
    ``OPT_INDENT_2`` json.dumps(indent=2, ensure_ascii=False) (tests/unit/test_plan_orjson.py); and
    json.loads reads them back as ``value`` is, types and key order included."""
    if not checked and not plain_values(value):
        return None
    try:
        return orjson.dumps(value, option=option | _STRICT)
    except orjson.JSONEncodeError:
        return None


def canonical(value: Any, checked: bool = False) -> bytes:
    """The canonical form of ``value`` as UTF-8 (``checked``: as in :func:`plain_bytes`)."""
    data = plain_bytes(value, orjson.OPT_SORT_KEYS, checked=checked)
    # a lone surrogate (``"\ud800"`` typed into plan.json) is digested, not a traceback: `plan` never wrote
    # one (UTF-8 has none), so its seal cannot match and the edit is named
    return _CANON.encode(value).encode("utf-8", "surrogatepass") if data is None else data


def _digest(value: Any, checked: bool = False) -> str:
    return hashlib.sha256(canonical(value, checked)).hexdigest()


#: what a reviewer may change in an item (``onde-sacoche accept/reject/answer``, or by hand)
REVIEWED = ("accepted", SEAL)
#: …and in a question (``decide`` item, never applied): the answer engine.review records
REVIEWED_DECIDE = ("accepted", "answer", SEAL)


def item_seal(item: Mapping[str, Any], checked: bool = False) -> str:
    """The digest of one item's content, all but ``accepted`` (and a question's ``answer``) and ``seal``
    (32 hex digits); ``checked``: :func:`plain_values` of the item is known to hold."""
    free = REVIEWED_DECIDE if item.get("kind") in ("decide", "parent_decide") else REVIEWED
    return _digest({k: v for k, v in item.items() if k not in free}, checked)[:32]


def seal_plain_item(item: dict[str, Any], checked: bool = False) -> bool:
    """Add ``item``'s seal to it, in place and last, when it is plain JSON (:func:`plain_values`; known to
    be when ``checked``) and orjson writes its content: :func:`sealed_plain` without its copies, for a dict
    of one's own (a plan item's). False, ``item`` left as it was, when it is not (or has a seal already)."""
    if SEAL in item or not (checked or plain_values(item)):
        return False
    content = item.copy()
    for key in REVIEWED_DECIDE if item.get("kind") in ("decide", "parent_decide") else REVIEWED:
        content.pop(key, None)
    try:
        data = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | _STRICT)
    except orjson.JSONEncodeError:
        return False
    item[SEAL] = hashlib.sha256(data).hexdigest()[:32]
    return True


def sealed_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item with its ``seal`` field (last)."""
    return sealed_plain(item)[0]


def sealed_plain(item: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """:func:`sealed_item`, and whether :func:`plain_values` holds for it."""
    content = {k: v for k, v in item.items() if k != SEAL}
    checked = plain_values(content)
    return {**content, SEAL: item_seal(content, checked)}, checked


def header_seal(body: Mapping[str, Any], checked: Collection[str] = ()) -> dict[str, str]:
    """One digest per top-level field of plan.json, the items and the seal excepted (``checked``: the
    fields whose values :func:`plain_values` is known to hold for)."""
    return {key: _digest(value, key in checked)[:32] for key, value in body.items() if key not in UNSEALED}


def document_seal(
    body: Mapping[str, Any], item_seals: Iterable[str], checked: Collection[str] = ()
) -> dict[str, Any]:
    """The top-level ``seal`` object: the header's digests, the number of items, the digest of the items'
    seals in order (``checked``: as in :func:`header_seal`)."""
    seals = list(item_seals)
    items = hashlib.sha256()
    for start in range(0, len(seals), 4096):  # a digest call per 4096 seals, not per seal
        items.update(("\n".join(seals[start : start + 4096]) + "\n").encode("ascii"))
    return {"header": header_seal(body, checked), "items": len(seals), "items_sha256": items.hexdigest()}


def _item_problem(item: Mapping[str, Any], index: int, what: str) -> tuple[str, str]:
    if isinstance(item.get("id"), str):
        return json.dumps(item["id"], ensure_ascii=False), f"item {item['id']} {what}"
    return '"items"', f"item #{index + 1} {what}"


def seal_problems(
    doc: Mapping[str, Any], recheck: Collection[int] | None = None, *, checked: bool = False
) -> list[tuple[str, str]]:
    """(needle to find the line in plan.json, message) for each place the seal does not match. Every
    item's seal is computed again, or with ``recheck`` only those of the items at these indexes: the
    others are known to hold (engine.render.loading.check_written_plan). ``checked``: every value of
    ``doc`` is known to be of JSON's own types (:func:`plain_values`: json.loads read no number with a
    fraction or an exponent, nor NaN or Infinity)."""
    seal = doc.get(SEAL)
    if not isinstance(seal, dict) or not isinstance(seal.get("header"), dict):
        return [('"format_version"', "plan.json carries no seal (made by hand, or by another tool?)")]
    found: list[tuple[str, str]] = []
    header = seal["header"]
    actual = header_seal(doc)
    for key in sorted(set(header) | set(actual)):
        if key not in actual:
            found.append(('"seal"', f"'{key}' was removed from plan.json after the plan was made"))
        elif key not in header:
            found.append((json.dumps(key), f"'{key}' was added to plan.json after the plan was made"))
        elif header[key] != actual[key]:
            found.append((json.dumps(key), f"'{key}' was changed after the plan was made"))
    seals: list[str] = []
    recheck = None if recheck is None else frozenset(recheck)
    for index, item in enumerate(doc.get("items") or []):
        if not isinstance(item, dict):
            continue
        given = item.get(SEAL)
        if not isinstance(given, str):
            found.append(_item_problem(item, index, "was added by hand (it has no seal)"))
        elif (recheck is None or index in recheck) and given != item_seal(item, checked):
            found.append(_item_problem(item, index, "was changed after the plan was made"))
        seals.append(given if isinstance(given, str) else "")
    if not found:
        whole = document_seal({}, seals)
        if whole["items"] != seal.get("items") or whole["items_sha256"] != seal.get("items_sha256"):
            found.append(
                (
                    '"items"',
                    f"items were removed or reordered after the plan was made "
                    f"({whole['items']} item(s) now, {seal.get('items')} when the plan was made)",
                )
            )
    return found


def reseal(doc: dict[str, Any]) -> dict[str, Any]:
    """Seal a plan document again in place (what ``plan`` does); for tests that build odd plans on purpose."""
    doc.pop(SEAL, None)
    doc["items"] = [sealed_item(i) for i in doc.get("items") or []]
    doc[SEAL] = document_seal(doc, (i[SEAL] for i in doc["items"]))
    return doc


# --- plan.json's written form (engine.plan.planio) ------------------------------------------------------

#: json.dumps(..., ensure_ascii=False, indent=2), without building an encoder per call
_PRETTY = json.JSONEncoder(ensure_ascii=False, indent=2)


def pretty(value: Any, level: int) -> str:
    """``value`` as json.dumps(indent=2, ensure_ascii=False) writes it ``level`` levels deep."""
    return _indented(value, "\n" + "  " * level)


def _indented(value: Any, newline: str) -> str:
    """json.dumps(indent=2, ensure_ascii=False) byte for byte, twice as fast on the plain shapes of plan
    items (dicts with text keys, lists, text, int, bool, None); anything else goes to json's encoder.
    ``newline`` is a line break and the current indentation."""
    kind = type(value)
    if kind is str:
        return _json_text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is dict and all(type(key) is str for key in value):
        if not value:
            return "{}"
        inner = newline + "  "
        members = [_json_text(key) + ": " + _indented(item, inner) for key, item in value.items()]
        return "{" + inner + ("," + inner).join(members) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([_indented(item, inner) for item in value]) + newline + "]"
    return _PRETTY.encode(value).replace("\n", newline)


def pretty_bytes(value: Any, level: int, checked: bool = False) -> tuple[bytes, bool]:
    """:func:`pretty` as UTF-8 (by orjson when ``value`` is plain JSON: :func:`plain_bytes`),
    and whether it was plain."""
    data = plain_bytes(value, orjson.OPT_INDENT_2, checked=checked)
    if data is None:
        return pretty(value, level).encode("utf-8"), False
    return (data.replace(b"\n", b"\n" + b"  " * level) if level else data), True


#: json.dumps({"items": [...]}, indent=2) around the items themselves (:func:`pretty_items`)
_ITEMS_OPEN, _ITEMS_CLOSE = b'{\n  "items": [\n    ', b"\n  ]\n}"


def pretty_items(items: list[dict[str, Any]]) -> bytes | None:
    """Plain items (:func:`plain_values` known to hold for each) as elements of plan.json's ``items``:
    each as :func:`pretty` writes it 2 levels deep, joined by ``",\\n    "``; or None when orjson refuses
    one (an integer beyond 64 bits, a lone surrogate). One orjson call writes a whole batch of items
    already indented 2 levels deep, instead of one call and one re-indenting copy per item."""
    try:
        data = orjson.dumps({"items": items}, option=orjson.OPT_INDENT_2 | _STRICT)
    except orjson.JSONEncodeError:
        return None
    return data[len(_ITEMS_OPEN) : -len(_ITEMS_CLOSE)]
