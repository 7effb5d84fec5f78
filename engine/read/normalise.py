"""The read stage's last step: raw rows → clean, checked pupil records, as the source format's rules say.

Each field's cell goes through the steps its rule file lists (engine.ops); then the record is checked as a
whole (required values, what SACoche can store) and the file as a whole (duplicate INE, duplicate pupils
without INE). Every problem names the file, physical line and column; every problem in the file is
reported at once, so a director fixes the export in one go. The records themselves (:class:`Pupil`,
:class:`Export`) are in engine.read.records.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from engine.errors import OndeError, OndeErrorGroup
from engine.ops import ValueRejected, step_runner
from engine.read import damage
from engine.read.cells import INVISIBLE, OUTSIDE_BMP, without_invisible
from engine.read.filechecks import check_duplicates, unknown_niveaux
from engine.read.formats import HeaderMatch, detect, header_hint
from engine.read.memos import MAX_DISTINCT, PROBE, count_rows, new_memo
from engine.read.records import PUPIL_FIELDS, Export, Pupil
from engine.read.sources import open_sources
from engine.rules import RuleSet

#: rows read a field at a time (:meth:`_RowReader.pupils`)
BATCH = 1_000

#: fields whose text ends up in SACoche's 3-byte utf8 columns
TEXT_FIELDS = ("nom", "nom_usage", "prenom", "classe_label", "dispositif", "regroupements", "email")

__all__ = [
    "PUPIL_FIELDS",
    "TEXT_FIELDS",
    "Export",
    "Pupil",
    "normalise",
    "paused_gc",
    "read_export",
    "read_source",
]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a stage builds millions of acyclic objects.

    Each collection walks every live container; with a million pupils and accounts alive, the collector
    cost a fifth of the planning time. Reference counting still frees everything as usual; the collector
    resumes (if it was on) at the end of the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _outside_bmp(text: str) -> int | None:
    if text.isascii():
        return None
    found = OUTSIDE_BMP.search(text)
    return found.start() if found is not None else None


def _bmp_safe(value: str | tuple[str, ...]) -> bool:
    if isinstance(value, tuple):
        return all(_outside_bmp(p) is None for p in value)
    return _outside_bmp(value) is None


def _shaped(name: str, value: Any) -> Any:
    """The step result as the Pupil field holds it: a tuple of regroupements, a str for every other field."""
    if name == "regroupements" and isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, tuple) and name != "regroupements":
        return " ".join(value)
    return value


class _RowReader:
    """Applies one format's field rules to rows, collecting errors and warnings.

    Every rule step is a pure function of the cell and the rule set's tables, so each field keeps a memo
    of cell → value as the Pupil holds it, for the cells that give a usable value (not empty when the
    field needs one): equal cells skip the steps and share one string (a batch worker keeps it for the
    next school: engine.read.memos). A rejected cell is never memoised (each line gets its own error), nor
    is an empty value of a field that needs one, nor a value that needs the outside-BMP treatment. A field
    whose cells are nearly all different (INE) drops its memo.
    """

    def __init__(self, match: HeaderMatch, rules: RuleSet) -> None:
        self.match = match
        self.rules = rules
        self.ctx = rules.context
        target = rules.policy.get("target", {})
        self.bmp_policy = target.get("outside_bmp", "refuse")
        self.replacement = target.get("replacement", "?")
        self.errors: list[damage.RowError] = []
        self.warnings: list[str] = []
        self.replaced = 0
        self.invisible_policy = target.get("control_characters", "remove")
        self.invisible_lines: list[int] = []  # lines where invisible characters were removed
        self.invisible_removed = 0
        self.rows = 0
        # the fields read, in the order of Pupil's fields (a row's values are Pupil's arguments)
        order = {name: index for index, name in enumerate(PUPIL_FIELDS)}
        fields = sorted(match.columns.items(), key=lambda field: order[field[0]])
        #: (field, column index, memo or None, its steps' runner, required, text field)
        self.columns: list[tuple[str, int, dict[str, Any] | None, Any, bool, bool]] = [
            (
                name,
                column,
                new_memo(rule),
                step_runner(rule.steps),
                rule.required and not rule.may_be_empty,
                name in TEXT_FIELDS,
            )
            for name, column in fields
            for rule in (match.source.fields[name],)
        ]
        self.names = tuple(name for name, *_ in self.columns)
        self.indexes = tuple(column for _, column, *_ in self.columns)
        self.width = max(self.indexes, default=-1) + 1  # cells a row needs for :attr:`pick`
        #: a row's cells of the fields read, in one C call (itemgetter of one index gives the cell alone)
        self.pick: Callable[[Sequence[str]], Sequence[str]] = (
            itemgetter(*self.indexes)
            if len(self.indexes) > 1
            else lambda cells: tuple(cells[c] for c in self.indexes)
        )
        #: whether a row's values are Pupil's first arguments after ``line``, in order (the others taking
        #: their defaults)
        self.positional = self.names == PUPIL_FIELDS[: len(self.names)]

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

    def _probe_memos(self) -> None:
        limit = PROBE * MAX_DISTINCT
        self.columns = [
            (name, column, None if memo is not None and len(memo) > limit else memo, steps, required, text)
            for name, column, memo, steps, required, text in self.columns
        ]

    def pupils(self, rows: Sequence[tuple[int, list[str]]]) -> list[Pupil]:
        """The pupils of a batch of rows (a row with errors gives none: they are recorded), read a field
        at a time: a column's cells looked up in its memo by one map, the pupils made by another (per row,
        the calls were most of the time)."""
        before = PROBE - 1 - self.rows  # the rows read before the memos are probed, at row PROBE
        if 0 <= before < len(rows):
            found = self._batch(rows[:before])
            self._probe_memos()
            return found + self._batch(rows[before:])
        return self._batch(rows)

    def _batch(self, rows: Sequence[tuple[int, list[str]]]) -> list[Pupil]:
        self.rows += len(rows)
        texts = [cells for _, cells in rows]
        if not " ".join(map(" ".join, texts)).isprintable():  # rare: then row by row
            rows = self._visible_rows(rows)
            texts = [cells for _, cells in rows]
        if not rows:
            return []
        lines = [line for line, _ in rows]
        if min(map(len, texts)) >= self.width:
            picked = list(map(self.pick, texts))
        else:  # short rows: their missing cells are empty
            picked = [[cells[c] if c < len(cells) else "" for c in self.indexes] for cells in texts]
        failed: set[int] = set()  # the rows with an error
        values = [
            self._column(index, lines, cells, failed) for index, cells in enumerate(zip(*picked, strict=True))
        ]
        if failed:
            kept = [at for at in range(len(lines)) if at not in failed]
            lines = [lines[at] for at in kept]
            values = [[column[at] for at in kept] for column in values]
        if self.positional:
            return list(map(Pupil, lines, *values))
        rows_values = zip(lines, zip(*values, strict=True), strict=True)
        return [Pupil(line=line, **dict(zip(self.names, row, strict=True))) for line, row in rows_values]

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

    def _column(self, index: int, lines: list[int], cells: Sequence[str], failed: set[int]) -> list[Any]:
        """One field's values of a batch of rows, None where a cell has an error (recorded, its row put
        in ``failed``)."""
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
        name, _, memo, run, required, text = self.columns[index]
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
            return None if value is None else _shaped(name, value)
        shaped = _shaped(name, value)
        if memo is not None:
            memo[cell] = shaped
        return shaped

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


def _trimmed(cells: Sequence[str]) -> list[str]:
    """The cells without the empty ones at the end."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def rows_after_header(match: HeaderMatch) -> Iterator[tuple[int, list[str]]]:
    """The data rows of every table read, after its header line (see :meth:`HeaderMatch.rows`)."""
    return match.rows()


def normalise(match: HeaderMatch, rules: RuleSet) -> Export:
    """Turn the rows under the header into pupils; raise :class:`OndeErrorGroup` listing every bad row."""
    reader = _RowReader(match, rules)
    pupils: list[Pupil] = []
    last = (0, 0, len(_trimmed(match.headers)))  # (line, cells) of the last row, cells of the one above
    batch: list[tuple[int, list[str]]] = []
    with paused_gc():
        for line, cells in rows_after_header(match):
            last = (line, len(cells), last[1] or last[2])
            batch.append((line, cells))
            if len(batch) == BATCH:
                pupils += reader.pupils(batch)
                batch = []
        pupils += reader.pupils(batch)
    count_rows([match.source.fields[name] for name in match.columns], reader.rows)
    if last[0]:
        cut = damage.cut_last_row(match, *last)
        if cut is not None:
            raise cut
    if not pupils and not reader.errors:
        raise OndeError(
            "the file has a header but no pupil",
            file=match.place(match.line)[0],
            line=match.line,
            hint="export the pupils again from ONDE, without any filter",
        )
    check_duplicates(pupils, reader)
    if reader.errors:
        raise OndeErrorGroup(damage.group(reader.errors, match))
    warnings = list(match.raw.warnings)
    if not match.source.confirmed:
        warnings.append(
            f"format {match.source.id} is not confirmed on a real export: check the result carefully "
            f"and report differences (rules/sources/{match.source.id}.yaml)"
        )
    warnings.extend(
        f"column {col} '{name}' is not used by format {match.source.id}" for col, name in match.unknown
    )
    if reader.replaced:
        warnings.append(f"{reader.replaced} value(s) had characters SACoche cannot store, replaced")
    if reader.invisible_removed:
        warnings.append(
            f"{reader.invisible_removed} invisible control or formatting character(s) removed "
            f"({damage.lines_text(match, reader.invisible_lines)}): check those pupils' names"
        )
    warnings.extend(reader.warnings)
    warnings.extend(unknown_niveaux(pupils, rules, match))
    return Export(match.raw.path, match.source, match.raw, match, tuple(pupils), tuple(warnings))


def read_source(
    path: str | Path, rules: RuleSet, format_id: str | None, kinds: tuple[str, ...] = ("pupils",)
) -> HeaderMatch:
    """Open a file, find its header and its format among those of ``kinds`` (engine.read.formats.detect):
    the first stage for a pupils export (:func:`read_export`) and a parents one (engine.read.parents)."""
    encodings = tuple(dict.fromkeys(e for s in rules.sources.values() for e in s.encodings))
    delimiters = tuple(dict.fromkeys(d for s in rules.sources.values() for d in s.delimiters))
    if format_id in rules.sources:
        encodings, delimiters = rules.sources[format_id].encodings, rules.sources[format_id].delimiters
    is_header, header_lines = header_hint(rules, format_id)
    raws = open_sources(
        Path(path),
        encodings=encodings,
        delimiters=delimiters,
        is_header=is_header,
        header_lines=header_lines,
    )
    return detect(raws, rules, format_id, kinds)


def read_export(path: str | Path, rules: RuleSet, format_id: str | None = None) -> Export:
    """Read, detect and normalise one export file: the entry point of the pipeline's first two stages."""
    return normalise(read_source(path, rules, format_id), rules)
