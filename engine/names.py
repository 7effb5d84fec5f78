"""How SACoche writes names, done character-wise: ``Clean::nom`` / ``Clean::prenom`` (controls removed,
title case as PHP's ``mb_convert_case`` does it, with its ASCII path) and ``tronquer_chaine``'s
abbreviation of a name too long for its column (SACoche cuts bytes; this cuts characters). The rules'
operations (engine.ops) and the widths check (engine.widths) use them.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

_WORD_START = re.compile(r"(^|[\s\-'’])(\w)")


def _capitalise(value: str) -> str:
    lowered = value.lower()
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), lowered)


# SACoche's Clean::ctrl: C0 control characters but tab, line feed and carriage return, and DEL.
_CONTROLS = str.maketrans("", "", "".join(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)))


def remove_controls(value: str) -> str:
    """Remove the control characters SACoche's ``Clean::ctrl`` removes (C0 but tab/LF/CR, and DEL)."""
    return value.translate(_CONTROLS)


# Case_Ignorable characters that are not of category Mn/Me/Cf/Lm/Sk: Word_Break MidLetter, MidNumLet and
# Single_Quote (apostrophes, full stop, colon, middle dot…).
_CASE_IGNORABLE = frozenset(
    "'.:\u00b7\u0387\u055f\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a"
)
_IGNORABLE_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Lm", "Sk"})


def _case_ignorable(char: str) -> bool:
    return char in _CASE_IGNORABLE or unicodedata.category(char) in _IGNORABLE_CATEGORIES


def _cased(char: str) -> bool:
    return char.islower() or char.isupper() or unicodedata.category(char) == "Lt"


class _TitleSafe(dict[str, bool]):
    """Whether ``str.title()`` cases a character as :func:`title_case` does, filled as met: any
    character but a case-ignorable one (``str.title()`` has no such notion) and Σ (lower-cased as a
    final ς at the end of a word there, as σ by ``str.lower()``); ``str.title()`` then lower-cases
    after a cased character (what :func:`_cased` says: Python's own Cased property) and title-cases
    elsewhere, as :func:`title_case` does (tests/unit/test_names_title.py)."""

    def __missing__(self, char: str) -> bool:
        safe = char != "\u03a3" and not _case_ignorable(char)
        self[char] = safe
        return safe


_TITLE_SAFE = _TitleSafe()


def title_case(value: str) -> str:
    """SACoche's ``Clean::perso_ucwords``, the case of every stored first name.

    A value that is pure ASCII is lower-cased, then every letter that starts it or follows anything but
    a lower-case letter is upper-cased (``o'neil`` → ``O'Neil``, ``pierre_yves`` → ``Pierre_Yves``): SACoche
    takes that branch because ``mb_detect_encoding`` calls pure ASCII "ASCII", not "UTF-8". Any other
    value gets PHP's ``mb_convert_case(MB_CASE_TITLE)`` (PHP >= 7.3): a cased letter after a letter, or
    after a case-ignorable character (apostrophe, full stop, colon, combining mark…) that follows one, is
    lower-cased, any other is title-cased (``d'éloïse`` → ``D'éloïse``, ``léa/lou`` → ``Léa/Lou``, ``ﬁona`` →
    ``Fiona``). Unlike SACoche, a backslash before a letter is kept (its ``stripslashes`` drops it).
    """
    if value.isascii():  # str.title() does just that on ASCII (tests/unit/test_names_title.py)
        return value.title()
    if all(map(_TITLE_SAFE.__getitem__, value)):  # nearly every name: no apostrophe, no combining mark
        return value.title()
    out = []
    in_word = False
    for char in value:
        out.append(char.lower() if in_word else char.title())
        if not _case_ignorable(char):
            in_word = _cased(char)
    return "".join(out)


# SACoche's tronquer_chaine: characters that separate the sections of a name
_SECTION_SEPARATORS = frozenset(" -.'\"`&~,")
_LONGEST_KEPT_SECTION = 3


def abbreviate(value: str, width: int) -> str:
    """Fit a name into ``width`` characters the way SACoche's ``tronquer_chaine`` does, character-wise.

    Too long a name is cut into runs of separators (space ``-.'"`&~,``) and runs of other characters;
    from the last run backwards, every run longer than 3 characters becomes its first character and a
    full stop, until the name fits: ``FROILÁN DE MARICHALAR Y DE BORBÓN`` in 25 → ``FROILÁN DE M. Y DE
    B.``. SACoche works on bytes there (an accented initial becomes half a character, invalid UTF-8, and
    a name with accents loses its last characters); this works on characters. When abbreviating every
    run still does not fit (SACoche would then store too long a value), the result is cut to ``width``
    (spaces at the cut removed).
    """
    if len(value) <= width:
        return value
    runs = ["".join(group) for _, group in groupby(value, key=lambda c: c in _SECTION_SEPARATORS)]
    length = len(value)
    for index in range(len(runs) - 1, -1, -1):
        run = runs[index]
        if len(run) > _LONGEST_KEPT_SECTION:
            runs[index] = run[0] + "."
            length -= len(run) - 2
            if length <= width:
                break
    return "".join(runs)[:width].rstrip()
