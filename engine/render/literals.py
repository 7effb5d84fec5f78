"""The SQL literal filters, one per dialect: ALL literals of the scripts go through them
(:func:`mysql_literal`, :func:`sqlite_literal`), and :func:`sql_comment` makes text safe in a comment.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def _plain(ch: str) -> bool:
    """Characters written as they are inside a quoted literal (anything else goes hex)."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return True
    if code < 0xA0 or code > 0xFFFF:
        return False
    return unicodedata.category(ch)[0] in "LMNPS"


_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_OUTSIDE_BMP = re.compile(r"[\U00010000-\U0010FFFF]")


def _all_plain(text: str) -> bool:
    return _PRINTABLE_ASCII.fullmatch(text) is not None or all(_plain(ch) for ch in text)


def _check_bmp(text: str) -> None:
    if _OUTSIDE_BMP.search(text):
        raise ValueError("a character outside the BMP (emoji…) cannot be stored in SACoche's 3-byte utf8")


def _literal(value: Any, text: Any) -> str:
    """NULL, an integer, or ``text(value)`` for a string; anything else (bool included) is a programming
    error."""
    kind = type(value)
    if kind is str:
        return text(value)
    if kind is int:
        return str(value)
    if value is None:
        return "NULL"
    raise TypeError(f"no SQL literal for {kind.__name__}")


def mysql_literal(value: Any) -> str:
    """The one MySQL/MariaDB literal filter.

    Text is written ``'…'`` with ``'`` doubled when it holds only printable characters and no backslash;
    otherwise as ``_utf8 X'<hex of the UTF-8 bytes>'``. Neither form depends on NO_BACKSLASH_ESCAPES nor
    on the client's character set (the hex form names its charset), and no backslash ever appears
    inside a quoted literal. ``None`` is NULL; integers are written as such.
    """
    kind = type(value)  # the three kinds inline: the filter runs once per value of a script
    if kind is str:
        return _mysql_text(value)
    if kind is int:
        return str(value)
    return _literal(value, _mysql_text)


#: printable ASCII but the backslash: quoted as it is by both dialects (and inside the BMP)
_SIMPLE_MYSQL = re.compile(r"[\x20-\x5b\x5d-\x7e]*")


@lru_cache(maxsize=65536)
def _mysql_text(value: str) -> str:
    if _SIMPLE_MYSQL.fullmatch(value):
        return "'" + value.replace("'", "''") + "'"
    _check_bmp(value)
    if "\\" not in value and _all_plain(value):
        return "'" + value.replace("'", "''") + "'"
    return "_utf8 X'" + value.encode("utf-8").hex().upper() + "'"


def sqlite_literal(value: Any) -> str:
    """The one SQLite literal filter: ``'…'`` with ``'`` doubled (SQLite has no backslash escapes);
    text holding control or invisible characters (newline, NUL, zero-width…) as ``CAST(X'…' AS TEXT)``.
    """
    kind = type(value)
    if kind is str:
        return _sqlite_text(value)
    if kind is int:
        return str(value)
    return _literal(value, _sqlite_text)


@lru_cache(maxsize=65536)
def _sqlite_text(value: str) -> str:
    if _PRINTABLE_ASCII.fullmatch(value):
        return "'" + value.replace("'", "''") + "'"
    _check_bmp(value)
    if _all_plain(value):
        return "'" + value.replace("'", "''") + "'"
    return "CAST(X'" + value.encode("utf-8").hex().upper() + "' AS TEXT)"


def sql_comment(value: Any) -> str:
    """Text safe inside a ``-- …`` comment line: no line break, no control or invisible character."""
    text = "" if value is None else str(value)
    if _PRINTABLE_ASCII.fullmatch(text):
        return text
    return "".join(ch if _plain(ch) else "?" for ch in text)


LITERALS = {"mysql": mysql_literal, "sqlite": sqlite_literal}
#: the same filters without their memo, for the archive's big pieces of text (never repeated)
BIG_LITERALS = {
    "mysql": lambda value: _mysql_text.__wrapped__(value),
    "sqlite": lambda value: _sqlite_text.__wrapped__(value),
}
