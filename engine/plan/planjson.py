"""plan.json's bytes (engine.plan.planio writes them): json.dumps(indent=2)'s form of the plan, its items
sealed (engine.plan.seal), written a batch of plain items per orjson call, never all held as one string."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

import orjson

from engine.plan.seal import (
    SEAL,
    all_plain,
    document_seal,
    pretty_bytes,
    pretty_items,
    seal_plain_item,
    sealed_plain,
)

#: json.dumps(key, ensure_ascii=False) of a body key, without building an encoder per call
_KEY = json.JSONEncoder(ensure_ascii=False).encode

#: plain items written by one orjson call (engine.plan.seal.pretty_items): about a MiB of plan.json
ITEMS_PER_BATCH = 1024


def plan_json_chunks(
    body: Mapping[str, Any],
    items: Any,
    doc: dict[str, Any],
    reread: list[int],
    plain: set[str] | None = None,
) -> Iterator[bytes]:
    """The bytes of json.dumps({**body, "items": [sealed item dicts], "seal": …}, ensure_ascii=False,
    indent=2) + "\n" (engine.plan.seal), byte for byte, a batch of items at a time: the items are never
    all turned into one string (a million-pupil plan.json is hundreds of MiB). Meanwhile ``doc`` receives
    what json.loads reads back of these bytes: a plain item (engine.plan.seal.plain_bytes) as it is,
    anything else parsed from its own bytes, its index added to ``reread``
    (tests/unit/test_plan_memory.py). ``plain`` receives the keys of ``body`` (but ``items``) whose values
    are plain JSON (engine.plan.seal.plain_values): what is in ``doc`` for them came from orjson's bytes."""
    seals: list[str] = []
    plain = set() if plain is None else plain
    yield b"{"
    for index, (key, value) in enumerate(body.items()):
        yield (("," if index else "") + "\n  " + _KEY(key) + ": ").encode("utf-8")
        if key != "items":
            data, known = pretty_bytes(value, 1)
            # a copy: the renderers never share the caller's meta (orjson reads plain JSON as json does)
            if known:
                plain.add(key)
                doc[key] = orjson.loads(data)
            else:
                doc[key] = json.loads(data)
            yield data
            continue
        doc[key] = written = []
        yield from _items_chunks(items, written, seals, reread)
    data = pretty_bytes(document_seal(body, seals, plain), 1)[0]
    doc[SEAL] = orjson.loads(data)  # digests and a count
    yield b",\n  " + json.dumps(SEAL).encode("ascii") + b": " + data
    yield b"\n}\n"


def _items_chunks(items: Any, written: list[Any], seals: list[str], reread: list[int]) -> Iterator[bytes]:
    """The bytes of the ``items`` list of plan.json (:func:`plan_json_chunks`): the plain items a batch
    at a time, any other alone; each item's document appended to ``written``, its seal to ``seals``."""
    batch: list[dict[str, Any]] = []
    remaining = iter(items)
    while dicts := [item.to_dict() for item in islice(remaining, ITEMS_PER_BATCH)]:
        known = all_plain(dicts)  # else each item is walked alone
        for sealed in dicts:
            plain = seal_plain_item(sealed, known)
            if plain:
                batch.append(sealed)
                written.append(sealed)
                seals.append(sealed[SEAL])
            if batch and (not plain or len(batch) == ITEMS_PER_BATCH):
                yield b"[\n    " if len(written) == len(batch) else b",\n    "
                yield from _batch_chunks(batch, written, reread)
                batch = []
            if not plain:  # sealed and written alone
                sealed, checked = sealed_plain(sealed)
                seals.append(sealed[SEAL])
                data, plain = pretty_bytes(sealed, 2, checked)
                yield b",\n    " if written else b"[\n    "
                if not plain:
                    reread.append(len(written))
                written.append(sealed if plain else json.loads(data))
                yield data
    if batch:
        yield b"[\n    " if len(written) == len(batch) else b",\n    "
        yield from _batch_chunks(batch, written, reread)
    yield b"\n  ]" if written else b"[]"


def _batch_chunks(batch: list[dict[str, Any]], written: list[Any], reread: list[int]) -> Iterator[bytes]:
    """The bytes of a batch of plain, sealed items, the last ones of ``written``: written by one orjson
    call, or one by one (as :func:`plan_json_chunks` writes any item) when orjson refuses one of them."""
    data = pretty_items(batch)
    if data is not None:
        yield data
        return
    start = len(written) - len(batch)
    for offset, sealed in enumerate(batch):
        data, plain = pretty_bytes(sealed, 2, True)
        if not plain:
            reread.append(start + offset)
            written[start + offset] = json.loads(data)
        yield b",\n    " + data if offset else data
