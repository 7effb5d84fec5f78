"""File-type sniffing by content: which files the read stage accepts, and why it refuses the others.

Magic numbers (``filetype``, imported only when a head holds control bytes), not extensions, decide: a
workbook (``.xlsx``, also when misnamed) or a text file; empty files, archives, PDFs, web pages, XML, old
``.xls`` and ``.ods`` are refused with a message saying what to do. Used by :mod:`engine.read.sources`.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ~0.3 s of start-up that most runs never need
    import filetype

from engine.errors import OndeError
from engine.read.encoding import CHUNK, UTF8_BOM

__all__ = ["empty_file", "read_head", "sniff"]

_HEAD = 64 * 1024  # bytes read for type sniffing

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


# ----------------------------------------------------------------------------------- sniffing


def read_head(path: Path) -> tuple[bytes, int]:
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


def empty_file(path: Path, detail: str = "") -> OndeError:
    message = "the file is empty" + (f": {detail}" if detail else "")
    return OndeError(message, file=path, hint="export the pupil list from ONDE again and give that file")


def _refuse(path: Path, message: str, hint: str) -> OndeError:
    return OndeError(message, file=path, hint=hint)


_SAVE_AS = "open it in a spreadsheet program and save it as .xlsx (Excel workbook) or .csv"
_ARCHIVE = (
    "this is a compressed archive; decompress it first and give the .csv/.xlsx inside",
    "extract the archive (right click, 'Extract all'), then give the .csv or .xlsx file it contains",
)


def sniff(path: Path, head: bytes, size: int) -> str:
    """Return "xlsx" or "csv", or raise OndeError for any other kind of file."""
    if size == 0:
        raise empty_file(path)
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
        raise empty_file(path)
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
