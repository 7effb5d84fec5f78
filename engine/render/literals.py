"""The SQL literal filters, one per dialect: ALL literals of the scripts go through them
(:func:`mysql_literal`, :func:`sqlite_literal`), and :func:`sql_comment` makes text safe in a comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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


def _simple(text: str) -> bool:
    """Printable ASCII (0x20–0x7E): two C tests, cheaper than a regex or any memo (most values)."""
    return text.isascii() and text.isprintable()


_OUTSIDE_BMP = re.compile(r"[\U00010000-\U0010FFFF]")


def _all_plain(text: str) -> bool:
    return _simple(text) or all(_plain(ch) for ch in text)


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


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mysql_literal(value: Any) -> str:
    """The one MySQL/MariaDB literal filter.

    Text is written ``'…'`` with ``'`` doubled when it holds only printable characters and no backslash;
    otherwise as ``_utf8 X'<hex of the UTF-8 bytes>'``. Neither form depends on NO_BACKSLASH_ESCAPES nor
    on the client's character set (the hex form names its charset), and no backslash ever appears
    inside a quoted literal. ``None`` is NULL; integers are written as such.
    """
    kind = type(value)  # the three kinds and printable ASCII inline: the filter runs once per value
    if kind is str:
        if value.isascii() and value.isprintable() and "\\" not in value:
            return "'" + value.replace("'", "''") + "'"
        return _mysql_other(value)
    if kind is int:
        return str(value)
    return _literal(value, _mysql_text)


def _mysql_text(value: str) -> str:
    if _simple(value) and "\\" not in value:
        return _quoted(value)
    return _mysql_other.__wrapped__(value)


@lru_cache(maxsize=65536)  # names with accents repeat (prénoms), and each is checked char by char
def _mysql_other(value: str) -> str:
    _check_bmp(value)
    if "\\" not in value and _all_plain(value):
        return _quoted(value)
    return "_utf8 X'" + value.encode("utf-8").hex().upper() + "'"


def sqlite_literal(value: Any) -> str:
    """The one SQLite literal filter: ``'…'`` with ``'`` doubled (SQLite has no backslash escapes);
    text holding control or invisible characters (newline, NUL, zero-width…) as ``CAST(X'…' AS TEXT)``.
    """
    kind = type(value)  # inline, as mysql_literal: the filter runs thousands of times per plan
    if kind is str:
        if value.isascii() and value.isprintable():
            return "'" + value.replace("'", "''") + "'"
        return _sqlite_other(value)
    if kind is int:
        return str(value)
    return _literal(value, _sqlite_text)


def _sqlite_text(value: str) -> str:
    return _quoted(value) if _simple(value) else _sqlite_other.__wrapped__(value)


@lru_cache(maxsize=65536)
def _sqlite_other(value: str) -> str:
    _check_bmp(value)
    if _all_plain(value):
        return _quoted(value)
    return "CAST(X'" + value.encode("utf-8").hex().upper() + "' AS TEXT)"


def sql_comment(value: Any) -> str:
    """Text safe inside a ``-- …`` comment line: no line break, no control or invisible character."""
    text = value if type(value) is str else "" if value is None else str(value)
    if text.isascii() and text.isprintable():  # _simple, inline (thousands of comments per plan)
        return text
    return _comment_other(text)


@lru_cache(maxsize=16384)  # a name with accents is in each script's comments, checked char by char
def _comment_other(text: str) -> str:
    return "".join(ch if _plain(ch) else "?" for ch in text)


class _Spelled(dict[Any, str]):
    """Value → its literal, spelled by the dialect's filter at the first lookup (:func:`memoized`)."""

    __slots__ = ("_literal",)

    def __init__(self, literal: Callable[[Any], str]) -> None:
        super().__init__()
        self._literal = literal

    def __missing__(self, value: Any) -> str:
        text = self._literal(value)  # raises for anything but text, an integer or None
        self[value] = text
        return text


class _SpelledSQLite(_Spelled):
    """:class:`_Spelled` for :func:`sqlite_literal`, its printable ASCII text inline (most values)."""

    __slots__ = ()

    def __missing__(self, value: Any) -> str:
        if type(value) is str and value.isascii() and value.isprintable():
            text = "'" + value.replace("'", "''") + "'"
        else:
            text = sqlite_literal(value)
        self[value] = text
        return text


class _SpelledMySQL(_Spelled):
    """:class:`_Spelled` for :func:`mysql_literal`, its printable ASCII text inline (most values)."""

    __slots__ = ()

    def __missing__(self, value: Any) -> str:
        if type(value) is str and value.isascii() and value.isprintable() and "\\" not in value:
            text = "'" + value.replace("'", "''") + "'"
        else:
            text = mysql_literal(value)
        self[value] = text
        return text


_FAST = {sqlite_literal: _SpelledSQLite, mysql_literal: _SpelledMySQL}


def memoized(literal: Callable[[Any], str]) -> Callable[[Any], str]:
    """``literal`` remembering what it spelled: one dictionary lookup in C for a value seen before (a
    script spells the same logins, refs and dates many times, and a model's three scripts each again).

    Only for the values of a validated plan (engine.render.itemcheck: text, integers that are not bools,
    None): True or 1.0 would be taken for a 1 spelled before, an unhashable value fail as such."""
    spelled = _FAST.get(literal, _Spelled)(literal)
    return spelled.__getitem__


LITERALS = {"mysql": mysql_literal, "sqlite": sqlite_literal}
#: the same filters without their memo, for the archive's big pieces of text (never repeated)
BIG_LITERALS = {"mysql": _mysql_text, "sqlite": _sqlite_text}
