"""Diagnosing a damaged export from what its rows give: one clear message instead of dozens.

- a file cut short (a copy or download interrupted) ends in the middle of a line: its last row has fewer
  cells than the rows before it, and no line break ends the file;
- a column re-saved by a spreadsheet with two-digit years (14/03/22) fails on every line: one message
  names the column, the count and the first lines;
- any other error repeated on many lines of one column is grouped the same way.

Messages name columns and lines, never a cell's value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import OndeError
from engine.read.formats import HeaderMatch

__all__ = ["GROUP_MIN", "RowError", "cut_last_row", "group", "short_year"]

#: identical errors in one column from which they are reported as one message
GROUP_MIN = 10
#: dates with a two-digit year in one column from which they are reported as one message
SHORT_YEAR_MIN = 2
_SHOWN = 5
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")


def short_year(cell: str) -> bool:
    """Whether a cell looks like a date with a two-digit year (dd/mm/yy)."""
    return _TWO_DIGIT_YEAR.fullmatch(cell.strip()) is not None


@dataclass(frozen=True, slots=True)
class RowError:
    """One row's error, with what grouping needs: its line (as rows() numbers it) and field."""

    error: OndeError
    line: int
    field: str | None = None
    short_year: bool = False


def lines_text(match: HeaderMatch, lines: Sequence[int]) -> str:
    """ "lines 2, 3, 9…", or "line 7 of sheet 'Feuil2', …" for a workbook of several sheets."""
    more = "…" if len(lines) > _SHOWN else ""
    if len(match.tables) > 1:
        return ", ".join(match.label(n) for n in lines[:_SHOWN]) + more
    return ("lines " if len(lines) > 1 else "line ") + ", ".join(str(n) for n in lines[:_SHOWN]) + more


def group(errors: Sequence[RowError], match: HeaderMatch) -> list[OndeError]:
    """The errors in line order, those repeated in one column (or its two-digit years) as one message."""
    errors = sorted(errors, key=lambda e: (e.line, e.error.column or 0))
    buckets: dict[tuple[str, str], list[RowError]] = {}
    for item in errors:
        if item.field is None:
            continue
        key = (item.field, "short_year") if item.short_year else (item.field, item.error.message)
        buckets.setdefault(key, []).append(item)
    merged: dict[int, OndeError] = {}  # id of the first error of a group -> the group's message
    dropped: set[int] = set()
    for (field, kind), items in buckets.items():
        if len(items) < (SHORT_YEAR_MIN if kind == "short_year" else GROUP_MIN):
            continue
        first = items[0].error
        lines = [i.line for i in items]
        header = f"column {first.column} ({match.header_of(field)})"
        if kind == "short_year":
            message = (
                f"{header}: {len(items)} dates have a two-digit year (dd/mm/yy), {lines_text(match, lines)}: "
                "the file was opened and saved again by a spreadsheet, which shortened the years"
            )
            hint = (
                "export the file again from ONDE and give it as is, without opening and saving it in a "
                "spreadsheet (or format that column as dd/mm/yyyy before saving)"
            )
        else:
            detail = first.message.removeprefix(f"{header}: ")
            message = f"{header}: {detail}, on {len(items)} lines: {lines_text(match, lines)}"
            hint = first.hint
        merged[id(first)] = OndeError(
            message, file=first.file, line=first.line, column=first.column, hint=hint
        )
        dropped.update(id(i.error) for i in items[1:])
    return [merged.get(id(e.error), e.error) for e in errors if id(e.error) not in dropped]


def cut_last_row(match: HeaderMatch, line: int, width: int, before: int) -> OndeError | None:
    """The "truncated" error when the last row (``width`` cells, ``before`` in the row above it, or in the
    header) is shorter and the file ends without a line break; else None."""
    raw = match.tables[-1][0]
    if width >= before or not raw.ends_mid_line():
        return None
    file, row = match.place(line)
    return OndeError(
        f"the file looks truncated after line {row - 1}: its last line, {row}, stops after {width} of "
        f"{before} cells, with no line break at the end",
        file=file,
        line=row,
        hint="the file was cut while it was copied or downloaded: export it again from ONDE and give the "
        "whole file",
    )
