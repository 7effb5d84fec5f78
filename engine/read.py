"""Stage 1 of the pipeline: turn a file on disk into raw rows with physical line numbers.

This stage knows nothing about ONDE formats or headers. It only answers "what is this file and what
are its records?":

1. sniff the file type by content (magic numbers via ``filetype``, not by extension), rejecting empty
   files, archives, PDFs, web pages, XML, old ``.xls`` and ``.ods`` with a message saying what to do;
2. for text files, find the encoding (UTF-8 with or without BOM, else one of the allowed legacy
   encodings chosen with ``charset-normalizer``; :mod:`engine.encoding`), streaming so that memory stays
   flat, and refuse files mixing encodings;
3. find the delimiter: when the caller knows the formats' headers (``is_header``) and one allowed
   delimiter splits an early record into a known header and the records after it into as many fields,
   that delimiter, without guessing; otherwise ``clevercsv`` on a sample (falling back to counting
   delimiters);
4. yield records lazily as ``(physical line where the record starts, cells)``, cells being ``str`` in
   Unicode NFC, not stripped; blank records are skipped; garbled accents (mojibake) and Windows-1252's
   undefined bytes are refused (:mod:`engine.cells`); a file cut short says so.

A workbook (``.xlsx``) gives one :class:`RawSource` per worksheet (:mod:`engine.xlsx`, with its caps);
its "line" is the spreadsheet row.
Header/format detection is the next stage's job: a title line above the header is just another row.

Errors are :class:`~engine.errors.OndeError` naming the file, line and column, never a cell's value.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: together they cost ~0.3 s of start-up that most runs never need
    import filetype
    import petl  # only for .table(): a plan streams rows without it (~12 ms of start-up)

from engine import xlsx
from engine.cells import ROW_SEP, finish_row
from engine.encoding import CHUNK, UTF8_BOM, check_encodings, detect_encoding, truncated
from engine.errors import OndeError

__all__ = ["RawSource", "open_sources"]

_HEAD = 64 * 1024  # bytes read for type sniffing
_SAMPLE_CHARS = 64 * 1024  # decoded characters given to the dialect detector
_DELIMITER_LINES = 20  # non-blank lines inspected by the fallback delimiter counter
_HEADER_LINES = 10  # records searched for a known header (a title line may stand above it), by default
_FIELD_COUNT_RECORDS = 20  # records after a known header that must have the header's field count

_WHITESPACE = b" \t\r\n\x0b\x0c"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ARCHIVE_MIMES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/x-tar",
        "application/zstd",
        "application/x-lz4",
        "application/x-lzip",
        "application/x-lzop",
        "application/x-compress",
        "application/x-brotli",
        "application/vnd.ms-cab-compressed",
        "application/x-unix-archive",
        "application/x-deb",
        "application/x-rpm",
    }
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


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
        return _csv_rows(self.path, self.encoding or "utf-8", self.delimiter or ";")

    def ends_mid_line(self) -> bool:
        """Whether a CSV's last byte is not a line break (cut short, or written without a final one)."""
        if self.kind != "csv":
            return False
        try:
            with self.path.open("rb") as f:
                f.seek(-1, 2)
                return f.read(1) not in (b"\n", b"\r")
        except OSError:
            return False

    def table(self) -> petl.Table:
        """The same rows as a lazy petl table: header ``("_line", "1", "2", ...)``, rows padded with ""."""
        return _raw_table_class()(self)


def open_sources(
    path: str | Path,
    *,
    encodings: Sequence[str] = ("utf-8", "cp1252", "iso-8859-1"),
    delimiters: Sequence[str] = (";", ",", "\t"),
    is_header: Callable[[Sequence[str]], bool] | None = None,
    header_lines: int = _HEADER_LINES,
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
    allowed_delims = _check_delimiters(delimiters)
    path = Path(path)
    head, size = _read_head(path)
    kind = _sniff(path, head, size)
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
    delimiter = _detect_delimiter(path, encoding, allowed_delims, is_header, header_lines)
    source = RawSource(path, "csv", encoding, delimiter, None, tuple(notes))
    if not _has_record(source.rows()):
        raise _empty(path, "it holds only blank lines or empty fields")
    return [source]


def _has_record(records: Iterator[tuple[int, list[str]]]) -> bool:
    """Whether an iterator of records yields one; closes it (a generator holding a file) at once."""
    try:
        return next(records, None) is not None
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()


# ----------------------------------------------------------------------------------- sniffing


def _read_head(path: Path) -> tuple[bytes, int]:
    try:
        with path.open("rb") as f:
            size = path.stat().st_size
            return f.read(_HEAD), size
    except FileNotFoundError:
        raise OndeError("file not found", file=path, hint="check the path and the file name") from None
    except IsADirectoryError:
        raise OndeError(
            "this is a folder, not a file", file=path, hint="give the export file itself"
        ) from None
    except OSError as exc:
        raise OndeError(
            f"cannot read the file ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="check that the file exists and that you are allowed to read it",
        ) from None


def _empty(path: Path, detail: str = "") -> OndeError:
    message = "the file is empty" + (f": {detail}" if detail else "")
    return OndeError(message, file=path, hint="export the pupil list from ONDE again and give that file")


def _refuse(path: Path, message: str, hint: str) -> OndeError:
    return OndeError(message, file=path, hint=hint)


_SAVE_AS = "open it in a spreadsheet program and save it as .xlsx (Excel workbook) or .csv"
_ARCHIVE = (
    "this is a compressed archive; decompress it first and give the .csv/.xlsx inside",
    "extract the archive (right click, 'Extract all'), then give the .csv or .xlsx file it contains",
)


def _sniff(path: Path, head: bytes, size: int) -> str:
    """Return "xlsx" or "csv", or raise OndeError for any other kind of file."""
    if size == 0:
        raise _empty(path)
    if head.startswith(_ZIP_MAGICS):
        return _sniff_zip(path)
    if head.startswith(_OLE2_MAGIC):
        raise _refuse(
            path,
            "this is an old binary Excel file (.xls) or a password-protected workbook; "
            "save it as .xlsx or .csv",
            _SAVE_AS + " (remove any password first)",
        )
    if head.startswith(b"%PDF-"):
        raise _refuse(
            path,
            "this is a PDF, not an export: export the pupil list as CSV/spreadsheet from ONDE",
            "in ONDE, use the export to a spreadsheet/CSV file, not the printable list",
        )
    guess = _binary_type(head)
    if guess is not None:
        if guess.mime in _ARCHIVE_MIMES:
            raise _refuse(path, *_ARCHIVE)
        raise _refuse(
            path,
            f"this is a {guess.extension.upper()} file ({guess.mime}), not a CSV or spreadsheet export",
            "export the pupil list from ONDE as CSV or spreadsheet and give that file",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head):
        raise _refuse(
            path,
            "this text file is in UTF-16 ('Unicode text'), which is not supported",
            "open it in a spreadsheet program and save it as 'CSV UTF-8' or .xlsx",
        )
    if b"\x00" in head:
        raise _refuse(
            path,
            "this is a binary file, not a CSV or spreadsheet export",
            "export the pupil list from ONDE as CSV or spreadsheet and give that file",
        )
    text = head.removeprefix(UTF8_BOM).lstrip(_WHITESPACE)[:1024].lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta")) or (
        text.startswith(b"<?xml") and b"<html" in text
    ):
        raise _refuse(
            path,
            "this is a web page (HTML) saved as a file, not an export",
            "export the pupil list from ONDE with its CSV/spreadsheet export, "
            "not the browser's 'Save page as'",
        )
    if text.startswith(b"<?xml"):
        if b"excel.sheet" in text or b"urn:schemas-microsoft-com:office:spreadsheet" in text:
            raise _refuse(path, "this is an Excel 2003 XML spreadsheet; save it as .xlsx or .csv", _SAVE_AS)
        raise _refuse(
            path,
            "XML file (SIECLE/STS-like), not an ONDE export",
            "give the pupil list exported from ONDE as CSV or spreadsheet",
        )
    if not text and _only_whitespace(path, head, size):
        raise _empty(path)
    return "csv"


def _binary_type(head: bytes) -> filetype.Type | None:
    """What ``filetype`` recognises in a head holding control bytes (text has none: filetype, ~2 ms to
    import, is then not needed)."""
    if not _CONTROL_BYTES.search(head, 0, 1024):
        return None
    import filetype

    return filetype.guess(head)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without BOM: Latin text has a NUL at every other byte."""
    sample = head[:512]
    if len(sample) < 8:
        return False
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) > 0.6 * half and min(even, odd) < 0.05 * half


def _only_whitespace(path: Path, head: bytes, size: int) -> bool:
    if size <= len(head):
        return True
    with path.open("rb") as f:
        f.seek(len(head))
        while chunk := f.read(CHUNK):
            if chunk.strip(_WHITESPACE):
                return False
    return True


def _zip_cut_short(path: Path) -> bool:
    """Whether a file starting with a zip entry lacks the end-of-directory record every zip ends with."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 66 * 1024))  # the record (22 bytes) plus a comment of at most 64 KiB
            return b"PK\x05\x06" not in f.read()
    except OSError:
        return False


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        if _zip_cut_short(path):
            raise _refuse(
                path,
                "the file looks truncated: it starts as a workbook or zip archive but its end is missing",
                "the file was cut while it was copied or downloaded: export it again from ONDE and give "
                "the whole file",
            ) from None
        raise _refuse(
            path,
            "this is a damaged or unsupported zip archive",
            "if it is an archive, extract it and give the .csv/.xlsx inside; else re-export the file",
        ) from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _refuse(path, "this is a binary Excel workbook (.xlsb); save it as .xlsx or .csv", _SAVE_AS)
    if mimetype.startswith(_ODS_MIME):
        raise _refuse(path, "this is an OpenDocument spreadsheet (.ods); save it as .xlsx or .csv", _SAVE_AS)
    if mimetype.startswith(b"application/vnd.oasis.opendocument") or "[Content_Types].xml" in names:
        raise _refuse(
            path,
            "this is an office document (text or presentation), not a spreadsheet export",
            "export the pupil list from ONDE as CSV or spreadsheet and give that file",
        )
    raise _refuse(path, *_ARCHIVE)


# ----------------------------------------------------------------------------------- options


def _check_delimiters(delimiters: Sequence[str]) -> list[str]:
    if isinstance(delimiters, str) or not delimiters:
        raise ValueError("delimiters must be a non-empty sequence of one-character strings")
    for d in delimiters:
        if len(d) != 1 or d in '"\r\n':
            raise ValueError(f"invalid delimiter {d!r}")
    return list(dict.fromkeys(delimiters))


# ----------------------------------------------------------------------------------- delimiter


def _detect_delimiter(
    path: Path,
    encoding: str,
    allowed: list[str],
    is_header: Callable[[Sequence[str]], bool] | None = None,
    header_lines: int = _HEADER_LINES,
) -> str:
    """The one delimiter giving a known header, else clevercsv on a decoded sample, else counting."""
    if len(allowed) == 1:
        return allowed[0]
    with _open_text(path, encoding) as f:
        sample = f.read(_SAMPLE_CHARS)
        more = bool(f.read(1))
    if more and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # no partial last record
    if is_header is not None:
        fitting = [d for d in allowed if _splits_known_header(sample, d, is_header, header_lines)]
        if len(fitting) == 1:
            return fitting[0]
    import clevercsv  # ~0.1 s to import (it scans all of Unicode): only when the header did not decide

    try:
        dialect = clevercsv.Detector().detect(sample, delimiters=allowed)
    except Exception:  # clevercsv is a heuristic: any failure means "unsure"
        dialect = None
    if dialect is not None and dialect.delimiter in allowed:
        return dialect.delimiter
    return _count_delimiters(sample, allowed)


def _splits_known_header(
    sample: str, delimiter: str, is_header: Callable[[Sequence[str]], bool], header_lines: int
) -> bool:
    """Whether ``delimiter`` splits the sample into a known header and records of the header's width.

    The sample is read as :func:`_csv_rows` reads the file (quotes respected, blank records skipped): one
    of the first ``header_lines`` records must be a known header (records above it, such as a title line,
    are not checked), and the records after it, up to :data:`_FIELD_COUNT_RECORDS`, must have exactly its
    number of fields. Broken quoting in the sample means "no": clevercsv then decides, as before.
    """
    reader = csv.reader(
        io.StringIO(sample), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
    )
    width = 0  # fields of the header, once found
    searched = checked = 0
    try:
        for cells in reader:
            if not "".join(cells).strip():
                continue  # a blank record, skipped by the reader too
            if not width:
                if searched == header_lines:
                    return False
                searched += 1
                if is_header(cells):
                    width = len(cells)
                continue
            if len(cells) != width:
                return False
            checked += 1
            if checked == _FIELD_COUNT_RECORDS:
                break
    except csv.Error:
        return False
    return bool(width)


_QUOTED = re.compile(r'"[^"]*"')


def _count_delimiters(sample: str, allowed: list[str]) -> str:
    """The delimiter occurring the same (non-zero) number of times on the most lines."""
    lines = [line for line in sample.splitlines() if line.strip()][:_DELIMITER_LINES]
    best, best_score = allowed[0], 0
    for delim in allowed:
        counts: dict[int, int] = {}
        for line in lines:
            n = _QUOTED.sub("", line).count(delim)
            if n:
                counts[n] = counts.get(n, 0) + 1
        score = max(counts.values(), default=0)
        if score > best_score:
            best, best_score = delim, score
    return best


# ----------------------------------------------------------------------------------- records


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text; Windows-1252's undefined bytes become U+FFFD, refused by :func:`finish_row`."""
    errors = "replace" if encoding == "cp1252" else "strict"
    return path.open(encoding=encoding, errors=errors, newline="")


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    undefined = encoding if encoding == "cp1252" else None  # refuse its undefined bytes, by cell
    start = 1  # physical line where the record being read starts
    reader = None
    try:
        with _open_text(path, encoding) as f:
            reader = csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not cells:
                    continue
                joined = ROW_SEP.join(cells)
                if joined.isspace() or not joined:
                    continue
                if not joined.isascii():
                    cells = finish_row(cells, joined, path, line, undefined)
                yield line, cells
    except csv.Error as exc:
        raise _csv_error(path, start, reader.line_num if reader else start, exc) from None
    except UnicodeDecodeError:
        raise OndeError(
            f"a line from line {start} on is not valid {encoding}",
            file=path,
            line=start,
            hint="the file changed while it was read, or mixes encodings: re-export it from ONDE",
        ) from None
    except OSError as exc:
        raise OndeError(
            f"cannot read the file ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="check that the file still exists and is readable",
        ) from None


def _csv_error(path: Path, start: int, current: int, exc: csv.Error) -> OndeError:
    """A csv.Error as an OndeError; ``current`` is the physical line being read when it happened."""
    text = str(exc)
    if "field larger than field limit" in text:
        return OndeError(
            f"a field in the record starting on line {start} is longer than {csv.field_size_limit()} "
            'characters: probably a quote (") that is never closed',
            file=path,
            line=start,
            hint="fix the quote characters on that line in a text editor, or re-export the file from ONDE",
        )
    if "end of data" in text:
        if RawSource(path, "csv", None, None, None).ends_mid_line():
            return truncated(start, "its last line opens a quote that is never closed", path)
        return OndeError(
            f'a quote (") opened in the record starting on line {start} is never closed',
            file=path,
            line=start,
            hint="fix the quote characters on that line in a text editor, or re-export the file from ONDE",
        )
    return OndeError(
        'badly placed quote ("): a quoted field is followed by other characters',
        file=path,
        line=max(start, current),
        hint="fix the quote characters on that line in a text editor, or re-export the file from ONDE",
    )


def _xlsx_sources(path: Path, notes: tuple[str, ...]) -> list[RawSource]:
    with xlsx.workbook(path) as wb:  # opened once here: loading a big workbook's shared strings is costly
        titles = xlsx.sheet_titles(wb)
        has_data = any(_has_record(xlsx.sheet_rows(wb, path, title)) for title in titles)
    if not has_data:
        raise _empty(path, "the workbook has no filled cell")
    return [RawSource(path, "xlsx", None, None, title, notes) for title in titles]


def _xlsx_rows(path: Path, sheet: str) -> Iterator[tuple[int, list[str]]]:
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
