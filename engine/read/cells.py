"""Checks every raw row goes through, whatever the file type: Unicode NFC, garbled accents (mojibake),
bytes the file's encoding does not define.

Errors name the place (file, line, column), never the cell's value.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from engine.errors import OndeError

__all__ = [
    "INVISIBLE",
    "OUTSIDE_BMP",
    "ROW_SEP",
    "UNDEFINED",
    "finish_row",
    "visible",
    "without_invisible",
]

#: what SACoche's 3-byte utf8 columns cannot store (emoji and other characters outside the BMP)
OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")
ROW_SEP = "\x1f"  # joins a row's cells for one-shot checks; str.isspace() is True for it
#: what a decoder opened with errors="replace" puts for a byte its encoding does not define
UNDEFINED = "\ufffd"


def _mojibake_regex() -> re.Pattern[str]:
    """UTF-8 text decoded as Latin-1/cp1252 (and re-saved): ``Ã©``, ``Ã‰``, ``â€™``, ``ï»¿``..."""
    # A UTF-8 continuation byte (0x80-0xBF) seen through Latin-1 (U+0080-U+00BF) or cp1252 (€‚ƒ„…).
    cp1252_c1 = bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore")
    cont = "[\u0080-\u00bf" + re.escape(cp1252_c1) + "]"
    return re.compile(
        f"Ã{cont}"  # é è ê ë à ç ô É À ... (lead byte C3)
        "|Â[\u00a0-\u00bf]"  # nbsp « » ° (lead byte C2)
        "|Å[\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2019\u201c\u0092\u0093\u00a0\u00a1\u00b8\u00bd\u00be]"
        f"|â(?:€|\u0080){cont}"  # ’ “ ” – — … (E2 80 xx)
        "|ï»¿"  # a UTF-8 BOM read as cp1252
    )


MOJIBAKE = _mojibake_regex()
#: the characters every match of MOJIBAKE starts with (tests/unit/test_read_cells_leads.py checks it)
MOJIBAKE_LEADS = ("Ã", "Â", "Å", "â", "ï")


def may_be_mojibake(text: str) -> bool:
    """Whether ``text`` holds a character MOJIBAKE starts with: a few substring tests, four times
    cheaper than the search, which runs only then."""
    return "Ã" in text or "Â" in text or "Å" in text or "â" in text or "ï" in text


#: control (Cc) and format (Cf) characters of Unicode 14, but tab, line feed and carriage return: ESC, BEL,
#: DEL, C1, bidi overrides and isolates, zero-width spaces and joiners, word joiner, a BOM inside a cell,
#: soft hyphen... Invisible, or worse (a bidi override shows a name reversed). tests/unit/test_read_text.py
#: checks the class against unicodedata.
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def without_invisible(cell: str) -> tuple[str, int]:
    """The cell without its invisible characters (those Python counts as spaces become a space, which
    clean_spaces then folds), in NFC again (a removed one may have kept an accent apart from its letter),
    and how many there were."""
    text, count = INVISIBLE.subn(lambda found: " " if found.group().isspace() else "", cell)
    if count and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text, count


def visible(cell: str) -> str:
    """The cell without invisible characters (see :func:`without_invisible`); as is when it has none."""
    return cell if cell.isprintable() else without_invisible(cell)[0]


def finish_row(
    cells: list[str], joined: str, file: str | Path, line: int, encoding: str | None = None
) -> list[str]:
    """NFC-normalise a non-ASCII row, refuse mojibake and undefined bytes (one search per row)."""
    if not unicodedata.is_normalized("NFC", joined):
        cells = [unicodedata.normalize("NFC", c) for c in cells]
        joined = ROW_SEP.join(cells)
    if encoding is not None and UNDEFINED in joined:
        column = next(i for i, c in enumerate(cells, 1) if UNDEFINED in c)
        raise OndeError(
            f"a byte that {_ENCODING_NAMES.get(encoding, encoding)} does not define, in a file otherwise "
            "in that encoding: the file was damaged by a conversion",
            file=file,
            line=line,
            column=column,
            hint="correct that cell (it shows as a box or an odd sign in a text editor) and save the file "
            "again, or re-export it from ONDE and give it as is",
        )
    if may_be_mojibake(joined) and MOJIBAKE.search(joined):
        column = next((i for i, c in enumerate(cells, 1) if MOJIBAKE.search(c)), None)
        raise OndeError(
            "garbled accents (mojibake): the file was converted between encodings twice; "
            "re-export it from ONDE",
            file=file,
            line=line,
            column=column,
            hint="export the file again from ONDE and give it as is, without opening and re-saving it "
            "(accents show as 'Ã©' instead of 'é')",
        )
    return cells


_ENCODING_NAMES = {"cp1252": "Windows-1252"}
