"""The normaliser's cell-by-cell path (engine.read.normalise): what a row reader does when a batch's
cells of a field do not all go through the steps together, and the checks of a single cell or row
(invisible characters, characters SACoche cannot store, an empty required value), each problem recorded
with its file, line and column, never its value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.errors import OndeError
from engine.ops import Context, ValueRejected
from engine.read import damage
from engine.read.cells import INVISIBLE, OUTSIDE_BMP, without_invisible
from engine.read.formats import HeaderMatch

__all__ = ["CellReader", "all_bmp_safe", "shaped"]


def _outside_bmp(text: str) -> int | None:
    if text.isascii():
        return None
    found = OUTSIDE_BMP.search(text)
    return found.start() if found is not None else None


def _bmp_safe(value: str | tuple[str, ...]) -> bool:
    if isinstance(value, tuple):
        return all(_outside_bmp(p) is None for p in value)
    return _outside_bmp(value) is None


def all_bmp_safe(values: list[Any]) -> bool:
    """Whether every value (a str, or a tuple of them) is :func:`_bmp_safe`; ASCII text in one test."""
    try:
        text = "".join(values)
    except TypeError:  # a split field's tuples
        return all(map(_bmp_safe, values))
    return text.isascii() or OUTSIDE_BMP.search(text) is None


def shaped(name: str, value: Any) -> Any:
    """The step result as the Pupil field holds it: a tuple of regroupements, a str for every other field."""
    if name == "regroupements" and isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, tuple) and name != "regroupements":
        return " ".join(value)
    return value


class CellReader:
    """A row reader's per-cell work and its record of problems; the row reader
    (engine.read.normalise) sets the attributes below and ``columns``: (field, column index, memo or
    None, its steps' runner for one cell, required, text field, …)."""

    match: HeaderMatch
    ctx: Context
    columns: list[tuple[Any, ...]]
    errors: list[damage.RowError]
    bmp_policy: str
    replacement: str
    replaced: int
    invisible_policy: str
    invisible_lines: list[int]
    invisible_removed: int

    def error(
        self,
        line: int,
        field: str | None,
        message: str,
        hint: str | None = None,
        *,
        grouped: bool = False,
        two_digit_year: bool = False,
    ) -> None:
        """Record a row's error; ``grouped``: identical ones in the column may be reported as one."""
        column = self.match.columns[field] + 1 if field in self.match.columns else None
        label = f"column {column} ({self.match.header_of(field)}): " if field in self.match.columns else ""
        file, row = self.match.place(line)
        error = OndeError(label + message, file=file, line=row, column=column, hint=hint)
        self.errors.append(damage.RowError(error, line, field if grouped else None, two_digit_year))

    def _visible_rows(self, rows: Sequence[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
        """The rows without invisible characters (:meth:`_visible`); a refused row left out."""
        found = []
        for line, cells in rows:
            joined = " ".join(
                cells
            )  # isprintable() is false for every INVISIBLE character (and a few others)
            if not joined.isprintable() and INVISIBLE.search(joined) is not None:
                visible = self._visible(line, cells)
                if visible is None:
                    continue
                cells = visible
            found.append((line, cells))
        return found

    def _cells(self, index: int, lines: list[int], cells: Sequence[str], failed: set[int]) -> list[Any]:
        """:meth:`_column` cell by cell, each problem recorded on its line."""
        memo = self.columns[index][2]
        if memo is None:
            found = [self._value(line, cell, index) for line, cell in zip(lines, cells, strict=True)]
            if None in found:
                failed.update(at for at, value in enumerate(found) if value is None)
            return found
        found = list(map(memo.get, cells))
        at = -1
        known = memo.get
        for _ in range(found.count(None)):  # list.index finds the cells missing in C
            at = found.index(None, at + 1)
            cell = cells[at]
            # the same cell met earlier in the batch: memoised since the batch was looked up
            value = known(cell)
            if value is None:
                value = self._value(lines[at], cell, index)
                if value is None:
                    failed.add(at)
            found[at] = value
        return found

    def _value(self, line: int, cell: str, index: int) -> Any:
        """One field's value from its cell (memoised when usable as is), or None with its error recorded.
        The memo is the caller's to look in first (:meth:`_column`)."""
        name, _, memo, run, required, text, *_ = self.columns[index]
        try:
            value = run(cell, self.ctx)
        except ValueRejected as exc:
            self.error(
                line,
                name,
                str(exc),
                hint="correct the cell in ONDE and export again",
                grouped=True,
                two_digit_year=damage.short_year(cell),
            )
            return None
        if required and not value:
            self._empty(line, name)
            return None
        if text and not _bmp_safe(value):
            value = self._storable(line, name, value)
            return None if value is None else shaped(name, value)
        found = shaped(name, value)
        if memo is not None:
            memo[cell] = found
        return found

    def _visible(self, line: int, cells: Sequence[str]) -> list[str] | None:
        """The row's cells without invisible characters in the fields read (policy ``remove``), or None
        with an error for each such field (policy ``refuse``)."""
        cells = list(cells)
        removed = 0
        ok = True
        for name, column, *_ in self.columns:
            if column >= len(cells) or (found := INVISIBLE.search(cells[column])) is None:
                continue
            if self.invisible_policy == "refuse":
                self.error(
                    line,
                    name,
                    f"holds an invisible control or formatting character (U+{ord(found.group()):04X}, "
                    f"character {found.start() + 1} of the cell)",
                    hint="retype that cell in ONDE and export again, or set target.control_characters: "
                    "remove in rules/policy/target.yaml",
                )
                ok = False
                continue
            cells[column], count = without_invisible(cells[column])
            removed += count
        if removed:
            self.invisible_removed += removed
            self.invisible_lines.append(line)
        return cells if ok else None

    def _empty(self, line: int, name: str) -> None:
        self.error(
            line,
            name,
            "empty, but every pupil needs it",
            hint="fill it in ONDE and export again",
            grouped=True,
        )

    def _storable(self, line: int, name: str, value: str | tuple[str, ...]) -> Any:
        parts = value if isinstance(value, tuple) else (value,)
        if all(_outside_bmp(p) is None for p in parts):
            return value
        if self.bmp_policy == "refuse":
            self.error(
                line,
                name,
                "holds a character SACoche cannot store (outside the Basic Multilingual Plane, "
                "e.g. an emoji)",
                hint="remove that character in ONDE, or set target.outside_bmp: replace in rules/policy/",
            )
            return None
        self.replaced += 1
        fixed = tuple("".join(c if ord(c) <= 0xFFFF else self.replacement for c in p) for p in parts)
        return fixed if isinstance(value, tuple) else fixed[0]
