"""Where apply.sql's time goes on the server: apply.sql run once more (a resumed run: every guard, data
block and checksum again, its writes finding nothing left to do) with MariaDB's slow query log catching
every statement (``long_query_time = 0``); the server's time summed per kind of statement.

The kinds come from the statement's text alone (the client strips comments): the rows loaded into the
script's temporary tables, the read set's checksums (``SHA1``), the guards (named by their reason), the
writes to SACoche's tables, and the rest. No value of the data is kept: a kind is SQL keywords, table
names and a guard's reason.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.sqlshape import DATA_INSERT

_QUERY_TIME = re.compile(r"^# Query_time: ([0-9.]+)")
_GUARD_REASON = re.compile(r":\s*([a-z][a-z ]{2,40})'")
_WRITE = re.compile(
    r"^(INSERT(?:\s+IGNORE)?\s+INTO|UPDATE|DELETE\s+\w+\s+FROM|DELETE\s+FROM)\s+(sacoche_\w+)", re.I
)
_JOINED_WRITE = re.compile(r"^(UPDATE|DELETE)\b.*?\b(sacoche_\w+)", re.I | re.S)


def entries(lines: Iterable[str]) -> Iterator[tuple[float, str]]:
    """(server seconds, statement) of each statement of a MariaDB slow log."""
    seconds: float | None = None
    body: list[str] = []
    for line in lines:
        found = _QUERY_TIME.match(line)
        if found:
            if seconds is not None and body:
                yield seconds, "\n".join(body)
            seconds, body = float(found.group(1)), []
            continue
        if line.startswith("#") or seconds is None:
            continue
        if not body and (line.startswith("SET timestamp=") or line.startswith("use ")):
            continue
        body.append(line.rstrip("\n"))
    if seconds is not None and body:
        yield seconds, "\n".join(body)


def kind(statement: str) -> str:
    """What a statement of apply.sql does, in a few words (no value of the data)."""
    text = statement.lstrip()
    data = DATA_INSERT.match(text)
    if data:
        return f"data: rows into {data.group(1)}"
    if "SHA1(" in text:
        return "read set: checksums (SHA1)"
    if re.match(r"INSERT\s+INTO\s+onde_sacoche_guard\b", text, re.I):
        reason = _GUARD_REASON.search(text)
        return f"guard: {reason.group(1) if reason else 'other'}"
    if text.upper().startswith("SET @ONDE_SACOCHE_OTHER_STATE"):
        return "guard: an item's other state"
    filled = re.match(r"INSERT\s+(?:IGNORE\s+)?INTO\s+(onde_sacoche_\w+)", text, re.I)
    if filled:
        return f"temporary: {filled.group(1)} filled from the tables"
    write = _WRITE.match(text) or _JOINED_WRITE.match(text)
    if write:
        return f"write: {write.group(1).split()[0].upper()} {write.group(2)}"
    words = text.split()
    return " ".join(words[:2]).rstrip(";").upper() if words else "empty"


def summarise(found: Iterable[tuple[float, str]], top: int = 8) -> dict[str, Any]:
    """Server seconds and statements per kind, heaviest first (``top`` kinds, the rest summed)."""
    kinds: dict[str, list[float]] = {}
    for seconds, statement in found:
        totals = kinds.setdefault(kind(statement), [0.0, 0])
        totals[0] += seconds
        totals[1] += 1
    ordered = sorted(kinds.items(), key=lambda kv: -kv[1][0])
    rows = [{"kind": k, "seconds": round(v[0], 3), "statements": int(v[1])} for k, v in ordered[:top]]
    rest = ordered[top:]
    if rest:
        rows.append(
            {
                "kind": f"{len(rest)} other kinds",
                "seconds": round(sum(v[0] for _, v in rest), 3),
                "statements": int(sum(v[1] for _, v in rest)),
            }
        )
    return {
        "server_seconds": round(sum(v[0] for v in kinds.values()), 3),
        "statements": int(sum(v[1] for v in kinds.values())),
        "kinds": rows,
        "every_kind": sorted(kinds),  # the few heaviest above vary with the load; these do not
    }


def profile(server: Any, script: Path, log: Path) -> dict[str, Any]:
    """Run ``script`` once more through the ``mariadb`` client with every statement logged; its wall
    time and the server's time per kind of statement."""
    with contextlib.closing(server.connect(None)) as connection, connection.cursor() as cursor:
        cursor.execute("SET GLOBAL log_output = 'FILE'")
        cursor.execute("SET GLOBAL slow_query_log_file = %s", (str(log),))
        cursor.execute("SET GLOBAL long_query_time = 0")
        cursor.execute("SET GLOBAL slow_query_log = 1")
    try:
        with script.open("rb") as stdin:
            started = time.perf_counter()
            ran = subprocess.run(server.client_command("bench"), stdin=stdin, capture_output=True)
            seconds = time.perf_counter() - started
    finally:
        with contextlib.closing(server.connect(None)) as connection, connection.cursor() as cursor:
            cursor.execute("SET GLOBAL slow_query_log = 0")
            cursor.execute("SET GLOBAL long_query_time = 10")
    if ran.returncode != 0:
        return {"failed": ran.stderr.decode("utf-8", "replace")[-300:], "seconds": seconds}
    with log.open(encoding="utf-8", errors="replace") as handle:
        found = summarise(entries(handle))
    log.unlink(missing_ok=True)
    return {"seconds": round(seconds, 3), **found}


def describe(profiled: dict[str, Any]) -> str:
    """One sentence: the re-run's wall time, the server's share, the heaviest kinds."""
    if not profiled or profiled.get("failed") or not profiled.get("kinds"):
        return ""
    total = profiled["server_seconds"] or 1e-9
    heavy = ", ".join(
        f"{k['kind']} {k['seconds']:.2f} s ({100 * k['seconds'] / total:.0f}%, "
        f"{k['statements']:,} statement{'s' if k['statements'] != 1 else ''})"
        for k in profiled["kinds"][:5]
    )
    return (
        f"Run once more (a resumed run: every guard, data block and checksum again, nothing left to write), "
        f"apply.sql took {profiled['seconds']:.2f} s, {profiled['server_seconds']:.2f} s of it on the server "
        f"({profiled['statements']:,} statements, MariaDB's slow log); the heaviest: {heavy}."
    )
