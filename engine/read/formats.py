"""Find the header row and the source format of a raw export, using the rules' header signatures.

A title line may stand above the header, headers may differ in case, accents and spacing, an .xlsx may
hold several sheets: every candidate row of every sheet is scored against every source format, and the
best full match wins. A file that matches no format gets the closest one and the columns it lacks; a file
recognised as a known *other* export (e.g. ONDE parents) is refused with that format's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import dropwhile, islice, repeat

from engine.errors import OndeError
from engine.ops import fold
from engine.read.cells import visible
from engine.read.sources import RawSource
from engine.rules import RuleSet, SourceRules


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """Where the header is and which column feeds which field."""

    raw: RawSource
    source: SourceRules
    line: int
    headers: tuple[str, ...]
    columns: dict[str, int]
    unknown: tuple[tuple[int, str], ...]
    absent: tuple[str, ...]
    #: every table read, in file order: (source, its header line); one for a CSV, one per sheet carrying
    #: the header for a workbook
    parts: tuple[tuple[RawSource, int], ...] = ()
    #: worksheets that do not carry the header, left unread
    ignored: tuple[str, ...] = ()

    def header_of(self, field: str) -> str:
        return self.headers[self.columns[field]].strip()

    @property
    def tables(self) -> tuple[tuple[RawSource, int], ...]:
        return self.parts or ((self.raw, self.line),)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows of every table read, after its header; lines are unique over all the tables.

        The first table keeps its physical line numbers; the rows of the k-th sheet (k counted from 0) get
        ``k * SHEET_STRIDE + row`` (see :meth:`place`).
        """
        tables = self.tables
        if len(tables) == 1 and tables[0][0].kind == "csv":  # its lines grow: the rows after the header
            return dropwhile(partial(_not_after, tables[0][1]), tables[0][0].rows())
        return self._rows(tables)

    @staticmethod
    def _rows(tables: tuple[tuple[RawSource, int], ...]) -> Iterator[tuple[int, list[str]]]:
        for index, (raw, header_line) in enumerate(tables):
            offset = index * SHEET_STRIDE
            for line, cells in raw.rows():
                if line > header_line:
                    yield offset + line, cells

    def place(self, line: int) -> tuple[str, int]:
        """(the "file" of a location, the physical line or row) of a line given by :meth:`rows`."""
        index, row = divmod(line, SHEET_STRIDE)
        tables = self.tables
        raw = tables[index][0] if index < len(tables) else self.raw
        return _file_of(raw), row

    def label(self, line: int) -> str:
        """A line of :meth:`rows` as a message says it: "line 7", or "line 7 of sheet 'Feuil2'"."""
        index, row = divmod(line, SHEET_STRIDE)
        tables = self.tables
        if len(tables) > 1 and index < len(tables):
            return f"line {row} of sheet '{visible(tables[index][0].sheet or '')}'"
        return f"line {row}"


def _not_after(header_line: int, row: tuple[int, list[str]]) -> bool:
    return row[0] <= header_line


#: line numbers of a workbook's k-th sheet read start at k * SHEET_STRIDE (more than Excel's 1,048,576 rows)
SHEET_STRIDE = 10_000_000


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One source format tried on one line: the cells and which header names matched."""

    raw: RawSource
    source: SourceRules
    line: int
    cells: tuple[str, ...]
    matched: dict[str, list[int]]
    missing_signature: tuple[str, ...]

    @property
    def score(self) -> tuple[int, int]:
        return (-len(self.missing_signature), sum(1 for cols in self.matched.values() if cols))


def _folded(cells: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """(the cells made visible, their :func:`~engine.ops.fold`): a row of printable ASCII cells, the
    usual one, in a few maps (what ``fold`` does to ASCII), any other cell by cell."""
    if not " ".join(cells).isprintable():
        cells = tuple(map(visible, cells))  # a header holding an ESC or a zero-width space is still known
    shown = tuple(cells)
    if not "".join(shown).isascii():
        return shown, list(map(fold, shown))
    lowered = map(str.lower, map(str.replace, shown, repeat("`"), repeat("'")))
    return shown, list(map(" ".join, map(str.split, lowered)))


def _signature(source: SourceRules, folded: Sequence[str]) -> tuple[dict[str, list[int]], tuple[str, ...]]:
    """Columns of each field (or signature header) among folded cells, and the signature parts missing."""
    if source.kind == "other":
        wanted = [fold(h) for h in source.signature_headers]
        matched = {h: [i for i, f in enumerate(folded) if f == h] for h in wanted}
        return matched, tuple(h for h, cols in matched.items() if not cols)
    matched: dict[str, list[int]] = {name: [] for name in source.fields}
    fields_of = source.header_fields
    if not fields_of.keys().isdisjoint(folded):  # most rows (the data under the header) hold none
        for index, cell in enumerate(folded):
            for name in fields_of.get(cell, ()):
                matched[name].append(index)
    return matched, tuple(name for name in source.signature_fields if not matched[name])


def _has_signature(source: SourceRules, folded: set[str]) -> bool:
    """Whether folded cells hold every signature part of ``source`` (none missing, as :func:`_signature`)."""
    if source.kind == "other":
        return all(fold(h) in folded for h in source.signature_headers)
    fields = source.fields
    return all(not folded.isdisjoint(fields[name].folded_headers) for name in source.signature_fields)


def _scores(
    raw: RawSource, sources: Sequence[SourceRules], line: int, cells: Sequence[str]
) -> list[_Candidate]:
    """Every source format tried on one row, its cells made visible and folded once for all of them."""
    shown, folded = _folded(cells)
    return [_Candidate(raw, source, line, shown, *_signature(source, folded)) for source in sources]


def _sources(rules: RuleSet, format_id: str | None) -> list[SourceRules]:
    return [rules.sources[format_id]] if format_id else list(rules.sources.values())


def header_hint(rules: RuleSet, format_id: str | None = None) -> tuple[Callable[[Sequence[str]], bool], int]:
    """What :func:`engine.read.open_sources` needs to decide a CSV delimiter from the header alone.

    Returns ``is_header(cells)``, true when the cells hold every signature column of a format, as
    :func:`detect` scores them (case, accents, spacing and BOM ignored), and how many records
    :func:`detect` searches for the header. ``format_id`` restricts both to that format, as in
    :func:`detect` (an unknown id gives every format: :func:`detect` refuses it later).
    """
    sources = _sources(rules, format_id if format_id in rules.sources else None)
    signed = [s for s in sources if s.signature_fields or s.signature_headers]

    def is_header(cells: Sequence[str]) -> bool:
        folded = set(_folded(cells)[1])
        return any(_has_signature(source, folded) for source in signed)

    return is_header, max((s.header_search_lines for s in sources), default=0)


def _describe_missing(source: SourceRules, fields: Sequence[str]) -> str:
    parts = []
    for name in fields:
        headers = source.fields[name].headers if name in source.fields else (name,)
        parts.append(" or ".join(f"'{h}'" for h in headers))
    return "; ".join(parts)


def detect(
    raws: Sequence[RawSource],
    rules: RuleSet,
    format_id: str | None = None,
    kinds: tuple[str, ...] = ("pupils",),
) -> HeaderMatch:
    """Locate the header row and format; raise :class:`OndeError` with the closest format when none fits.

    Every format is scored; a winner whose kind is not in ``kinds`` (a parents export where pupils are
    expected, a known *other* file) is refused with its format's message.
    """
    if format_id is not None and format_id not in rules.sources:
        raise OndeError(
            f"unknown format '{format_id}'",
            hint=f"use one of: {', '.join(sorted(rules.sources))} (or leave --format out to detect it)",
        )
    sources = _sources(rules, format_id)
    depth = max(s.header_search_lines for s in sources)
    candidates: list[_Candidate] = []
    saw_rows = False
    for raw in raws:
        for line, cells in islice(raw.rows(), depth):
            saw_rows = True
            candidates.extend(_scores(raw, sources, line, cells))
    file = raws[0].path if raws else None
    if not saw_rows:
        raise OndeError("the file holds no rows", file=file, hint="export the pupils again from ONDE")
    best = max(candidates, key=lambda c: c.score)
    full = [c for c in candidates if not c.missing_signature]
    if full:
        top = max(c.score for c in full)
        winners = {c.source.id for c in full if c.score == top}
        if len(winners) > 1:
            raise OndeError(
                f"the header fits several formats equally well: {', '.join(sorted(winners))}",
                file=_file_of(best.raw),
                line=best.line,
                hint="choose one with --format",
            )
        best = next(c for c in full if c.score == top)
    if best.missing_signature:
        lacks = (
            _describe_missing(best.source, best.missing_signature)
            if best.source.kind != "other"
            else ", ".join(best.missing_signature)
        )
        found = sum(1 for cols in best.matched.values() if cols)
        if found == 0:
            message = "no header row recognised in the first lines: this is not an ONDE pupils export"
        elif len(best.missing_signature) * 2 > len(
            best.source.signature_fields or best.source.signature_headers
        ):
            message = (
                f"this does not look like an ONDE pupils export: the closest format, {best.source.id}, "
                f"lacks {lacks}"
            )
        else:
            message = (
                f"unrecognised file: the closest format is {best.source.id} ({best.source.label}), "
                f"which lacks {lacks}"
            )
        raise OndeError(
            message,
            file=_file_of(best.raw),
            line=best.line if found else None,
            hint="export the pupil list from ONDE (all pupils, no filter); for a new kind of export, "
            "`onde-sacoche rules draft FILE` proposes a rules directory for it (docs/rules.md), or force a "
            "format with --format",
        )
    if best.source.kind == "parents" and "parents" not in kinds:
        raise OndeError(
            (best.source.message or f"this is a {best.source.label} file, not a pupils export")
            + ": parents are planned with `onde-sacoche plan PUPILS_EXPORT --parents FILE`",
            file=_file_of(best.raw),
            line=best.line,
            hint="give the pupils export (ONDE: Élèves → Extraction/Export) here; "
            "describe this file with `onde-sacoche inspect`",
        )
    if best.source.kind not in kinds:
        raise OndeError(
            best.source.message or f"this is a {best.source.label} file, not a pupils export",
            file=_file_of(best.raw),
            line=best.line,
            hint="export the pupils list from ONDE (Élèves → Extraction/Export), not this file",
        )
    match = _header_match(best)
    if best.raw.kind != "xlsx":
        return match
    parts, ignored = _sheets(raws, candidates, best)
    return HeaderMatch(
        parts[0][0],
        match.source,
        parts[0][1],
        match.headers,
        match.columns,
        match.unknown,
        match.absent,
        tuple(parts),
        tuple(ignored),
    )


def _file_of(raw: RawSource) -> str:
    """The "file" of a location: the path, and the sheet of a workbook (``export.xlsx:Feuil1``)."""
    if raw.kind == "xlsx" and raw.sheet is not None:
        return f"{raw.path}:{visible(raw.sheet)}"  # a sheet name is shown: never with control characters
    return str(raw.path)


def _folded_header(cells: Sequence[str]) -> tuple[str, ...]:
    folded = [fold(c) for c in cells]
    while folded and not folded[-1]:
        folded.pop()
    return tuple(folded)


def _sheets(
    raws: Sequence[RawSource], candidates: Sequence[_Candidate], best: _Candidate
) -> tuple[list[tuple[RawSource, int]], list[str]]:
    """The sheets carrying the winning header (workbook order), and those ignored.

    Every sheet whose header is a pupils format's must carry exactly the same columns as the winner: a
    sheet that differs is refused (its pupils would be lost or misread), naming its header row.
    """
    reference = _folded_header(best.cells)
    parts: list[tuple[RawSource, int]] = []
    ignored: list[str] = []
    for raw in raws:
        if raw is best.raw:
            parts.append((raw, best.line))
            continue
        full = [
            c
            for c in candidates
            if c.raw is raw and not c.missing_signature and c.source.kind == best.source.kind
        ]
        if not full:
            ignored.append(visible(raw.sheet or ""))
            continue
        first = min(full, key=lambda c: c.line)
        if _folded_header(first.cells) != reference:
            raise OndeError(
                "this sheet holds pupils too, but its header differs from sheet "
                f"'{visible(best.raw.sheet or '')}' (line {best.line}): the sheets must have the same "
                "columns in the same order",
                file=_file_of(raw),
                line=first.line,
                hint="give every sheet of pupils the same header (or put all the pupils on one sheet), "
                "or export the list again from ONDE",
            )
        parts.append((raw, first.line))
    return parts, ignored


def _header_match(best: _Candidate) -> HeaderMatch:
    source = best.source
    columns: dict[str, int] = {}
    for name, cols in best.matched.items():
        if len(cols) > 1:
            raise OndeError(
                f"field '{name}' has several columns: {', '.join(str(c + 1) for c in cols)}",
                file=_file_of(best.raw),
                line=best.line,
                column=cols[1] + 1,
                hint="remove or rename the extra column",
            )
        if cols:
            columns[name] = cols[0]
    missing_required = [n for n, r in source.fields.items() if r.required and n not in columns]
    if missing_required:
        raise OndeError(
            f"missing required column {_describe_missing(source, missing_required)} for format {source.id}",
            file=_file_of(best.raw),
            line=best.line,
            hint="export again with all columns, or add the header name as a synonym in "
            f"rules/sources/{source.id}.yaml",
        )
    used = set(columns.values())
    unknown = tuple(
        (i + 1, cell.strip())
        for i, cell in enumerate(best.cells)
        if i not in used and cell.strip() and fold(cell) not in source.ignored_headers
    )
    absent = tuple(n for n in source.fields if n not in columns)
    return HeaderMatch(best.raw, source, best.line, best.cells, columns, unknown, absent)
