"""Reading an .xlsx workbook: each worksheet's rows as text cells, with what a hostile file must not do.

- a decompression bomb: the parts' decompressed sizes (the zip's directory, which Python's zipfile never
  reads past) and the cells of a sheet are capped, with a clear error, before anything is loaded;
- a formula whose result was never saved (a file written by a program, not re-opened in a spreadsheet):
  its cell would read as empty and a birth date or INE would silently vanish, so it is refused by cell.

Locations are ``file:sheet:row:column`` (the sheet is part of the file name given to errors) and
``file:sheet:CELL`` for a formula.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OndeError
from engine.read.cells import ROW_SEP, finish_row, visible

if TYPE_CHECKING:  # imported where used: openpyxl costs start-up time most runs never need
    import openpyxl

__all__ = [
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_SHARED_STRINGS",
    "check_size",
    "sheet_rows",
    "sheet_titles",
    "where",
]

#: sum of the decompressed sizes of a workbook's parts (a school's export is a few MB at most)
MAX_BYTES = 256 * 1024 * 1024
#: decompressed size of the shared strings, all held in memory by openpyxl (about 10 times their size)
MAX_SHARED_STRINGS = 32 * 1024 * 1024
#: cells of one sheet, counting the empty ones a row holds before its last filled cell
MAX_CELLS = 20_000_000

_HINT_BIG = (
    "give the pupil export as ONDE produced it; if it really is that big, save it as .csv (UTF-8) "
    "and give that file"
)


def where(path: Path | str, sheet: str) -> str:
    """The "file" of a location in a worksheet: ``export.xlsx:Feuil1``."""
    return f"{path}:{visible(sheet)}"


def check_size(path: Path) -> None:
    """Refuse a workbook whose parts would decompress to more than :data:`MAX_BYTES`."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl then says the workbook is damaged
    total = sum(info.file_size for info in infos)
    shared = sum(info.file_size for info in infos if info.filename.lower().endswith("sharedstrings.xml"))
    for size, cap, what in ((total, MAX_BYTES, "this workbook"), (shared, MAX_SHARED_STRINGS, "its texts")):
        if size > cap:
            raise OndeError(
                f"{what} would take {-(-size // (1024 * 1024))} MB once decompressed, more than the "
                f"{cap // (1024 * 1024)} MB allowed: it is not a plain pupil export (or a "
                "decompression bomb)",
                file=path,
                hint=_HINT_BIG,
            )


@contextmanager
def workbook(path: Path) -> Iterator[openpyxl.Workbook]:
    """A read-only workbook, closed (with its file) on exit.

    openpyxl is given an open file rather than the path: it refuses paths not ending in .xlsx, and a
    workbook renamed .csv must still be read.
    """
    import openpyxl

    check_size(path)
    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # e.g. "Workbook contains no default style"
                wb = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types for broken or foreign workbooks
            raise OndeError(
                "cannot read this Excel workbook: it is damaged or not a real .xlsx",
                file=path,
                hint="open it in a spreadsheet program and save it again as .xlsx or .csv",
            ) from None
        try:
            yield wb
        finally:
            wb.close()


def sheet_titles(wb: openpyxl.Workbook) -> list[str]:
    return [ws.title for ws in wb.worksheets]


def cell_str(value: object) -> str:
    """A spreadsheet value as text: 104511.0 -> "104511", dates -> "YYYY-MM-DD", True -> "1"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Uncomputed:
    """Stands for a formula cell that has no saved result."""


_UNCOMPUTED = _Uncomputed()


def _parser_class() -> type:
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    formula_tag, value_tag = f"{{{SHEET_MAIN_NS}}}f", f"{{{SHEET_MAIN_NS}}}v"

    class Parser(WorkSheetParser):  # type: ignore[misc]
        """openpyxl's sheet parser (data_only), marking formulas without a cached value."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(formula_tag) is not None:
                cached = element.find(value_tag)
                # no <v>, or an empty one where only a text result ("str") may be empty
                if cached is None or (not cached.text and element.get("t") != "str"):
                    cell["value"] = _UNCOMPUTED
            return cell

    return Parser


def _coordinate(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _parsed(parser: Any, place: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """The parser's rows; a broken sheet (bad XML, a bad CRC, an odd value) as an OndeError."""
    rows = parser.parse()
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:  # lxml/ElementTree, zipfile and openpyxl's converters raise many types
            raise OndeError(
                "cannot read this sheet: the workbook is damaged",
                file=place,
                hint="open it in a spreadsheet program and save it again as .xlsx or .csv, or re-export "
                "the file from ONDE",
            ) from None
        yield row


def sheet_rows(wb: openpyxl.Workbook, path: Path, sheet: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row number, cells)`` of one worksheet; blank rows skipped, cells NFC text."""
    try:
        ws = wb[sheet]
    except KeyError:
        raise OndeError(
            "the worksheet is no longer in the workbook", file=path, hint="give the file again"
        ) from None
    place = where(path, sheet)
    parser_class = _parser_class()
    budget = MAX_CELLS
    # openpyxl's own sheet parser, driven here: its <dimension> may be wrong (the rows are trusted), and
    # the cells of missing rows are never made up
    with ws._get_source() as src:
        parser = parser_class(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for line, parsed in _parsed(parser, place):
            if not parsed:
                continue
            width = max(c["column"] for c in parsed)
            budget -= width
            if budget < 0:
                raise OndeError(
                    f"this sheet has more than {MAX_CELLS} cells: it is not a plain pupil export",
                    file=place,
                    line=line,
                    hint=_HINT_BIG,
                )
            values: list[object] = [None] * width
            for cell in parsed:
                value = cell["value"]
                if value is _UNCOMPUTED:
                    raise OndeError(
                        "this cell holds a formula whose result was never saved: its value cannot be read",
                        file=f"{place}:{_coordinate(line, cell['column'])}",
                        hint="open the file in a spreadsheet program, let it compute, and save it again "
                        "(or replace the formulas by their values, or re-export the file from ONDE)",
                    )
                values[cell["column"] - 1] = value
            cells = [cell_str(v) for v in values]
            joined = ROW_SEP.join(cells)
            if joined.isspace() or not joined:
                continue
            if not joined.isascii():
                cells = finish_row(cells, joined, place, line)
            yield line, cells
