"""What a rendered script is made of: its statements, counted by what they do, and the plan items that
still get statements of their own (the families not written set-based).

Read from the script's text alone (comments and statements), so that the benchmark's sentences about a
script say what this run's script held, whatever the renderer does next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: a plan item's id as the renderer prints it in comments and guard messages: ``<kind>-<10 hex digits>``
ITEM_ID = re.compile(r"\b([a-z][a-z_]*)-([0-9a-f]{10})\b")
#: a multi-row INSERT loading the plan's rows into one of the script's temporary tables (group 1: its name)
DATA_INSERT = re.compile(
    r"^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+(onde_sacoche_\w+)\s*\([^)]*\)\s*VALUES\b", re.I | re.S
)


def statements(lines: Iterable[str]) -> Iterable[tuple[str, str]]:
    """Each statement of a script as (the comments just above it, its text): a statement ends with the
    first line ending in ``;`` (the renderer starts every statement on a line of its own)."""
    comments: list[str] = []
    body: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not body and (not stripped or stripped.startswith("--")):
            if stripped.startswith("--"):
                comments.append(stripped)
            else:  # a blank line ends a block of comments that belongs to no statement
                comments = []
            continue
        if stripped.startswith("--"):
            continue
        body.append(line)
        if stripped.endswith(";"):
            yield "\n".join(comments), "\n".join(body)
            comments, body = [], []
    if body:
        yield "\n".join(comments), "\n".join(body)


def script_shape(path: Path, kinds: Mapping[str, str]) -> dict[str, Any]:
    """The statements of ``path``: how many, how many load rows into temporary tables (and their bytes),
    how many compute checksums (``SHA1``), and per item kind the items named by a statement of their own
    and how many such statements; ``kinds`` maps the plan's item ids to their kinds."""
    shape: dict[str, Any] = {
        "bytes": path.stat().st_size,
        "statements": 0,
        "data_statements": 0,
        "data_bytes": 0,
        "checksum_statements": 0,
        "per_item_statements": 0,
        "per_item": {},
    }
    per_item: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for comments, body in statements(handle):
            shape["statements"] += 1
            if DATA_INSERT.match(body):
                shape["data_statements"] += 1
                shape["data_bytes"] += len(body.encode("utf-8"))
                continue
            if "SHA1(" in body:
                shape["checksum_statements"] += 1
            named = {m.group(0) for m in ITEM_ID.finditer(comments + "\n" + body) if m.group(0) in kinds}
            if len(named) != 1:  # a set statement (or one over many rows), not an item's own
                continue
            (item,) = named
            family = per_item.setdefault(kinds[item], {"items": set(), "statements": 0})
            family["items"].add(item)
            family["statements"] += 1
            shape["per_item_statements"] += 1
    shape["per_item"] = {
        kind: {"items": len(v["items"]), "statements": v["statements"]}
        for kind, v in sorted(per_item.items(), key=lambda kv: -kv[1]["statements"])
    }
    return shape


def describe(shape: Mapping[str, Any], items: int) -> str:
    """One sentence on a script's shape (``items``: the plan's accepted items)."""
    text = (
        f"{shape['bytes'] / 2**20:.1f} MiB, {shape['statements']:,} statements for {items:,} accepted items: "
        f"{shape['data_statements']:,} load the plan's rows into temporary tables "
        f"({shape['data_bytes'] / 2**20:.1f} MiB), {shape['checksum_statements']:,} compute checksums "
        "(`SHA1`) over rows"
    )
    families = shape.get("per_item") or {}
    if not families:
        return text + ", and no statement is an item's own."
    named = ", ".join(
        f"{kind} ({v['items']:,} item{'s' if v['items'] != 1 else ''}, {v['statements']:,})"
        for kind, v in families.items()
    )
    return (
        text + f", and {shape['per_item_statements']:,} are a single item's own (guard or write), by family: "
        f"{named}."
    )
