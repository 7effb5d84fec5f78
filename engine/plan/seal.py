"""plan.json is sealed: only the ``accepted`` flags (and a question's ``answer``) may change after ``plan``.

``plan`` writes, in each item, ``"seal"``: a digest of the item's content without ``accepted`` (and without
the seal itself); and at the end of the file a ``"seal"`` object: a digest of every other top-level field
(the header: state, source, fingerprint, summary, holds, …), the number of items and a digest of the list
of item seals in order. ``render``, ``show`` and ``apply`` refuse a plan.json whose items or figures were
changed, added or removed by hand, naming the item (or field) and its line.

The digests are plain SHA-256, not a signature: they catch edits (by hand, by a script, by mistake), not a
forger who recomputes them. The canonical form is ``json.dumps(sort_keys=True, ensure_ascii=False,
separators=(",", ":"))`` of the values as JSON reads them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

SEAL = "seal"
#: top-level keys the header seal does not cover (the items have their own; the seal is the seal)
UNSEALED = frozenset({"items", SEAL})
_CANON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(value: Any) -> str:
    return hashlib.sha256(_CANON.encode(value).encode("utf-8")).hexdigest()


#: what a reviewer may change in an item (``onde-sacoche accept/reject/answer``, or by hand)
REVIEWED = ("accepted", SEAL)
#: …and in a question (``decide`` item, never applied): the answer engine.review records
REVIEWED_DECIDE = ("accepted", "answer", SEAL)


def item_seal(item: Mapping[str, Any]) -> str:
    """The digest of one item's content, all but ``accepted`` (and a question's ``answer``) and ``seal``
    (32 hex digits)."""
    free = REVIEWED_DECIDE if item.get("kind") in ("decide", "parent_decide") else REVIEWED
    return _digest({k: v for k, v in item.items() if k not in free})[:32]


def sealed_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item with its ``seal`` field (last)."""
    content = {k: v for k, v in item.items() if k != SEAL}
    return {**content, SEAL: item_seal(content)}


def header_seal(body: Mapping[str, Any]) -> dict[str, str]:
    """One digest per top-level field of plan.json, the items and the seal excepted."""
    return {key: _digest(value)[:32] for key, value in body.items() if key not in UNSEALED}


def document_seal(body: Mapping[str, Any], item_seals: Iterable[str]) -> dict[str, Any]:
    """The top-level ``seal`` object: the header's digests, the number of items, the digest of the items'
    seals in order."""
    items = hashlib.sha256()
    count = 0
    for seal in item_seals:
        items.update(seal.encode("ascii") + b"\n")
        count += 1
    return {"header": header_seal(body), "items": count, "items_sha256": items.hexdigest()}


def seal_problems(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(needle to find the line in plan.json, message) for each place the seal does not match."""
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
    for index, item in enumerate(doc.get("items") or []):
        if not isinstance(item, dict):
            continue
        name = item.get("id") if isinstance(item.get("id"), str) else f"#{index + 1}"
        needle = json.dumps(item["id"], ensure_ascii=False) if isinstance(item.get("id"), str) else '"items"'
        given = item.get(SEAL)
        if not isinstance(given, str):
            found.append((needle, f"item {name} was added by hand (it has no seal)"))
        elif given != item_seal(item):
            found.append((needle, f"item {name} was changed after the plan was made"))
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
