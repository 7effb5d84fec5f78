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
from itertools import compress, islice, repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import Any

from engine.errors import OndeError, OndeErrorGroup
from engine.ops import ValueRejected, column_runner, step_runner
from engine.read import damage
from engine.read.cellreader import CellReader, all_bmp_safe, shaped
from engine.read.filechecks import check_duplicates, unknown_niveaux
from engine.read.formats import HeaderMatch, detect, header_hint
from engine.read.memos import MAX_DISTINCT, PROBE, count_rows, new_memo
from engine.read.records import PUPIL_FIELDS, Export, Pupil, instances
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


#: id(field rule) → (the rule, its steps' runners for one cell and for a list, whether it splits): made
#: once per rule (a batch worker reads school after school with the same rules)
_RUNNERS: dict[int, tuple[Any, Any, Any, bool]] = {}


def _runners(rule: Any) -> tuple[Any, Any, bool]:
    found = _RUNNERS.get(id(rule))
    if found is None or found[0] is not rule:  # the rule held: its id is not reused while kept
        if len(_RUNNERS) >= 256:
            _RUNNERS.clear()
        split = any(op.name == "split" for op, _ in rule.steps)
        found = _RUNNERS[id(rule)] = (rule, step_runner(rule.steps), column_runner(rule.steps), split)
    return found[1], found[2], found[3]


class _RowReader(CellReader):
    """Applies one format's field rules to rows, collecting errors and warnings.

    Every rule step is a pure function of the cell and the rule set's tables, so each field keeps a memo
    of cell → value as the Pupil holds it, for the cells that give a usable value (not empty when the
    field needs one): equal cells skip the steps and share one string (a batch worker keeps it for the
    next school: engine.read.memos). A rejected cell is never memoised (each line gets its own error), nor
    is an empty value of a field that needs one, nor a value that needs the outside-BMP treatment. A field
    whose cells are nearly all different (INE) drops its memo.

    A batch's new cells of a field go through the steps together, a step at a time
    (engine.ops.column_runner); only when one of them is rejected, empty though required, or not storable
    as is, are they read again cell by cell, each problem recorded on its line.
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
        #: (field, column index, memo or None, its steps' runner for one cell, required, text field, its
        #: steps' runner for a list of cells, whether a value needs :func:`shaped`)
        self.columns: list[tuple[str, int, dict[str, Any] | None, Any, bool, bool, Any, bool]] = [
            (
                name,
                column,
                new_memo(rule),
                run,
                rule.required and not rule.may_be_empty,
                name in TEXT_FIELDS,
                many,
                name == "regroupements" or split,
            )
            for name, column in fields
            for rule in (match.source.fields[name],)
            for run, many, split in (_runners(rule),)
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

    def _probe_memos(self) -> None:
        limit = PROBE * MAX_DISTINCT
        self.columns = [
            (name, column, None if memo is not None and len(memo) > limit else memo, *rest)
            for name, column, memo, *rest in self.columns
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
        return instances(Pupil, len(lines), {"line": lines, **dict(zip(self.names, values, strict=True))})

    def _column(self, index: int, lines: list[int], cells: Sequence[str], failed: set[int]) -> list[Any]:
        """One field's values of a batch of rows, None where a cell has an error (recorded, its row put
        in ``failed``): the cells not in the memo through the steps together (:meth:`_values`), else
        :meth:`_cells`."""
        memo = self.columns[index][2]
        known: dict[str, Any] = {} if memo is None else memo  # a memoless field's own for the batch
        if known:
            found = list(map(known.get, cells))
            if None not in found:
                return found
            new = list(dict.fromkeys(compress(cells, map(is_, found, repeat(None)))))
        else:
            new = list(dict.fromkeys(cells))
        values = self._values(index, new)
        if values is None:
            return self._cells(index, lines, cells, failed)
        known.update(zip(new, values, strict=True))
        return list(map(known.__getitem__, cells))

    def _values(self, index: int, cells: list[str]) -> list[Any] | None:
        """The values of distinct cells of a field, as the Pupil holds them, through the steps a step at
        a time; None when a cell needs :meth:`_value` (rejected, empty but required, not storable)."""
        name, _, _, _, required, text, many, reshape = self.columns[index]
        try:
            values = many(cells, self.ctx)
        except ValueRejected:
            return None
        if (required and not all(values)) or (text and not all_bmp_safe(values)):
            return None
        return [shaped(name, value) for value in values] if reshape else values


def _trimmed(cells: Sequence[str]) -> list[str]:
    """The cells without the empty ones at the end."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def _last_row(batch: list[tuple[int, list[str]]], before: tuple[int, int, int]) -> tuple[int, int, int]:
    """(line, cells) of a batch's last row and the cells of the last row above it that has any
    (``before``: the same of the rows before the batch, the header's cells above the first row)."""
    line, cells = batch[-1]
    for at in range(len(batch) - 2, -1, -1):
        if batch[at][1]:
            return line, len(cells), len(batch[at][1])
    return line, len(cells), before[1] or before[2]


def rows_after_header(match: HeaderMatch) -> Iterator[tuple[int, list[str]]]:
    """The data rows of every table read, after its header line (see :meth:`HeaderMatch.rows`)."""
    return match.rows()


def normalise(match: HeaderMatch, rules: RuleSet) -> Export:
    """Turn the rows under the header into pupils; raise :class:`OndeErrorGroup` listing every bad row."""
    reader = _RowReader(match, rules)
    pupils: list[Pupil] = []
    last = (0, 0, len(_trimmed(match.headers)))  # (line, cells) of the last row, cells of the one above
    rows = rows_after_header(match)
    with paused_gc():
        while batch := list(islice(rows, BATCH)):
            last = _last_row(batch, last)
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
