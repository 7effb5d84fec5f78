"""CSV records: the delimiter (known header first, else ``clevercsv``, else counting) and the rows.

Records are ``(physical line where the record starts, cells)``; cells are NFC strings, not stripped;
blank records are skipped; broken quoting and a file cut short are refused naming the line. Used by
:mod:`engine.read.sources`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from unicodedata import is_normalized

from engine.errors import OndeError
from engine.read.cells import ROW_SEP, UNDEFINED, finish_row
from engine.read.encoding import truncated

__all__ = ["HEADER_LINES", "check_delimiters", "csv_rows", "detect_delimiter", "ends_mid_line"]

_SAMPLE_CHARS = 64 * 1024  # decoded characters given to the dialect detector
_DELIMITER_LINES = 20  # non-blank lines inspected by the fallback delimiter counter
HEADER_LINES = 10  # records searched for a known header (a title line may stand above it), by default
_FIELD_COUNT_RECORDS = 20  # records after a known header that must have the header's field count


# ----------------------------------------------------------------------------------- options


def check_delimiters(delimiters: Sequence[str]) -> list[str]:
    if isinstance(delimiters, str) or not delimiters:
        raise ValueError("delimiters must be a non-empty sequence of one-character strings")
    for d in delimiters:
        if len(d) != 1 or d in '"\r\n':
            raise ValueError(f"invalid delimiter {d!r}")
    return list(dict.fromkeys(delimiters))


# ----------------------------------------------------------------------------------- delimiter


def detect_delimiter(
    path: Path,
    encoding: str,
    allowed: list[str],
    is_header: Callable[[Sequence[str]], bool] | None = None,
    header_lines: int = HEADER_LINES,
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
        known: dict[tuple[str, ...], bool] = {}  # the delimiters not in a line split it alike

        def is_known(cells: Sequence[str]) -> bool:
            key = tuple(cells)
            found = known.get(key)
            if found is None:
                found = known[key] = is_header(cells)
            return found

        fitting = [d for d in allowed if _splits_known_header(sample, d, is_known, header_lines)]
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

    The sample is read as :func:`csv_rows` reads the file (quotes respected, blank records skipped): one
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


def csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
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
                # finish_row's checks, tried here first: most rows with accents need nothing of it
                if not joined.isascii() and (
                    not is_normalized("NFC", joined)
                    or (undefined is not None and UNDEFINED in joined)
                    or "Ã" in joined  # MOJIBAKE_LEADS, as may_be_mojibake tests them
                    or "Â" in joined
                    or "Å" in joined
                    or "â" in joined
                    or "ï" in joined
                ):
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
        if ends_mid_line(path):
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


def ends_mid_line(path: Path) -> bool:
    """Whether a file's last byte is not a line break (cut short, or written without a final one)."""
    try:
        with path.open("rb") as f:
            f.seek(-1, 2)
            return f.read(1) not in (b"\n", b"\r")
    except OSError:
        return False
