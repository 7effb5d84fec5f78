"""Stage 1 of the pipeline: turn a file on disk into raw rows with physical line numbers.

This stage knows nothing about ONDE formats or headers. It only answers "what is this file and what
are its records?":

1. sniff the file type by content (magic numbers via ``filetype``, not by extension), rejecting empty
   files, archives, PDFs, web pages, XML, old ``.xls`` and ``.ods`` with a message saying what to do;
2. for text files, find the encoding (UTF-8 with or without BOM, else one of the allowed legacy
   encodings chosen with ``charset-normalizer``; :mod:`engine.read.encoding`), streaming so that memory stays
   flat, and refuse files mixing encodings;
3. find the delimiter: when the caller knows the formats' headers (``is_header``) and one allowed
   delimiter splits an early record into a known header and the records after it into as many fields,
   that delimiter, without guessing; otherwise ``clevercsv`` on a sample (falling back to counting
   delimiters);
4. yield records lazily as ``(physical line where the record starts, cells)``, cells being ``str`` in
   Unicode NFC, not stripped; blank records are skipped; garbled accents (mojibake) and Windows-1252's
   undefined bytes are refused (:mod:`engine.read.cells`); a file cut short says so.

A workbook (``.xlsx``) gives one :class:`RawSource` per worksheet (:mod:`engine.read.xlsx`, with its caps);
its "line" is the spreadsheet row.
Sniffing is :mod:`engine.read.sniff`, delimiters and CSV records :mod:`engine.read.csvrows`.
Header/format detection is :mod:`engine.read.formats`' job: a title line above the header is just another row.

Errors are :class:`~engine.errors.OndeError` naming the file, line and column, never a cell's value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used
    import petl  # only for .table(): a plan streams rows without it (~12 ms of start-up)

from engine.read.csvrows import HEADER_LINES, check_delimiters, csv_rows, detect_delimiter, ends_mid_line
from engine.read.encoding import check_encodings, detect_encoding
from engine.read.sniff import empty_file, read_head, sniff

__all__ = ["RawSource", "open_sources"]


# --------------------------------------------------------------------------------------------- API


@dataclass(frozen=True, slots=True)
class RawSource:
    """One readable table: a CSV file or one worksheet of a workbook."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str | None  # csv: the Python codec used ("utf-8-sig", "utf-8", "cp1252", "iso-8859-1")
    delimiter: str | None  # csv: ";", "," or "\t"
    sheet: str | None  # xlsx: worksheet title
    warnings: tuple[str, ...] = ()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(physical line where the record starts, cells)``, re-reading the file each call.

        Blank records are skipped; cells are NFC strings, not stripped. Raises :class:`OndeError` on
        garbled accents or broken quoting, naming the line (and column when known).
        """
        if self.kind == "xlsx":
            return _xlsx_rows(self.path, self.sheet or "")
        return csv_rows(self.path, self.encoding or "utf-8", self.delimiter or ";")

    def ends_mid_line(self) -> bool:
        """Whether a CSV's last byte is not a line break (cut short, or written without a final one)."""
        return self.kind == "csv" and ends_mid_line(self.path)

    def table(self) -> petl.Table:
        """The same rows as a lazy petl table: header ``("_line", "1", "2", ...)``, rows padded with ""."""
        return _raw_table_class()(self)


def open_sources(
    path: str | Path,
    *,
    encodings: Sequence[str] = ("utf-8", "cp1252", "iso-8859-1"),
    delimiters: Sequence[str] = (";", ",", "\t"),
    is_header: Callable[[Sequence[str]], bool] | None = None,
    header_lines: int = HEADER_LINES,
) -> list[RawSource]:
    """One RawSource for a CSV; one per worksheet for an .xlsx (in workbook order).

    ``encodings`` and ``delimiters`` are the allowed choices. ``is_header``, when given, tells whether a
    record's cells are the header of a known format: a delimiter that turns one of the first
    ``header_lines`` non-blank records into a known header, and the records after it into as many fields,
    is then taken without a statistical guess (only one such delimiter may exist; else, and without
    ``is_header``, clevercsv decides). Raises :class:`OndeError` for anything that is not a readable
    CSV/XLSX export (empty, archive, PDF, HTML, XML, .xls, .ods, mixed encodings).
    """
    allowed_codecs = check_encodings(encodings)
    allowed_delims = check_delimiters(delimiters)
    path = Path(path)
    head, size = read_head(path)
    kind = sniff(path, head, size)
    notes: list[str] = []
    suffix = path.suffix.lower()
    if kind == "xlsx":
        if suffix not in (".xlsx", ".xlsm"):
            named = f"named {suffix}" if suffix else "without extension"
            notes.append(f"file {named} is an Excel workbook; read as .xlsx")
        return _xlsx_sources(path, tuple(notes))
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        notes.append(f"file named {suffix} is a text (CSV) file; read as .csv")
    encoding = detect_encoding(path, head, allowed_codecs, notes)
    delimiter = detect_delimiter(path, encoding, allowed_delims, is_header, header_lines)
    source = RawSource(path, "csv", encoding, delimiter, None, tuple(notes))
    if not _has_record(source.rows()):
        raise empty_file(path, "it holds only blank lines or empty fields")
    return [source]


def _has_record(records: Iterator[tuple[int, list[str]]]) -> bool:
    """Whether an iterator of records yields one; closes it (a generator holding a file) at once."""
    try:
        return next(records, None) is not None
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()


def _xlsx_sources(path: Path, notes: tuple[str, ...]) -> list[RawSource]:
    from engine.read import xlsx  # a CSV export never imports it (nor zipfile)

    with xlsx.workbook(path) as wb:  # opened once here: loading a big workbook's shared strings is costly
        titles = xlsx.sheet_titles(wb)
        has_data = any(_has_record(xlsx.sheet_rows(wb, path, title)) for title in titles)
    if not has_data:
        raise empty_file(path, "the workbook has no filled cell")
    return [RawSource(path, "xlsx", None, None, title, notes) for title in titles]


def _xlsx_rows(path: Path, sheet: str) -> Iterator[tuple[int, list[str]]]:
    from engine.read import xlsx

    with xlsx.workbook(path) as wb:
        yield from xlsx.sheet_rows(wb, path, sheet)


@functools.cache
def _raw_table_class() -> type[petl.Table]:
    """The petl view class, defined on first use (petl is imported only for it)."""
    import petl

    class _RawTable(petl.Table):
        """Lazy petl view of a RawSource: ``("_line", "1", ..., "n")`` then ``(line, cell1, ..., celln)``."""

        def __init__(self, source: RawSource) -> None:
            self._source = source
            self._width: int | None = None  # widest row; computed by one extra pass, then cached

        def __iter__(self) -> Iterator[tuple[object, ...]]:
            if self._width is None:
                self._width = max((len(cells) for _, cells in self._source.rows()), default=0)
            width = self._width
            yield ("_line", *(str(i) for i in range(1, width + 1)))
            for line, cells in self._source.rows():
                missing = width - len(cells)
                yield (line, *cells, *("",) * missing) if missing > 0 else (line, *cells)

    return _RawTable
