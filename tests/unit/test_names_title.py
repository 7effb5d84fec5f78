"""engine.names.title_case takes ``str.title()`` where that gives the same result: on ASCII (SACoche's
own branch for it) and on text without a case-ignorable character nor Σ (PHP's mb_convert_case). Both
shortcuts are checked here against the character-wise rules, over every character."""

from __future__ import annotations

import itertools
import random
import sys

from hypothesis import given
from hypothesis import strategies as st

from engine import names
from engine.names import _TITLE_SAFE, _case_ignorable, _cased, title_case


def _by_characters(value: str) -> str:
    """title_case's character-wise rules (mb_convert_case), without any shortcut."""
    out = []
    in_word = False
    for char in value:
        out.append(char.lower() if in_word else char.title())
        if not _case_ignorable(char):
            in_word = _cased(char)
    return "".join(out)


def _sacoche_ascii(value: str) -> str:
    """SACoche's branch for ASCII: lower-case, then upper-case a letter at the start or after a non-letter."""
    import re

    return re.sub(r"([^a-z]|^)([a-z])", lambda m: m.group(1) + m.group(2).upper(), value.lower())


def test_ascii_is_str_title_on_every_pair_of_characters() -> None:
    """A character's case depends on it and the one before it only: every pair (and every single
    character, at the start) covers every ASCII value."""
    chars = [chr(c) for c in range(128)]
    for pair in itertools.chain(chars, map("".join, itertools.product(chars, repeat=2))):
        assert title_case(pair) == _sacoche_ascii(pair), repr(pair)


def test_the_safe_characters_are_cased_as_python_says() -> None:
    """For every character str.title() is trusted with, the word state it leaves is title_case's:
    ``c + "a"`` keeps "a" lower-case exactly when title_case calls ``c`` cased. Planes 0 and 1 hold
    every cased character: beyond them, none is cased (one str.title() of them all says so)."""
    safe_of = names._TitleSafe()  # not the module's: a million characters would stay in it
    near = [chr(code) for code in range(0x20000) if not 0xD800 <= code <= 0xDFFF]
    safe = list(filter(safe_of.__getitem__, near))
    keeps_lower = [(char + "a").title()[-1] == "a" for char in safe]
    assert keeps_lower == list(map(_cased, safe))
    far = "a".join(map(chr, range(0x20000, sys.maxunicode + 1))) + "a"
    assert far.title().count("A") == sys.maxunicode + 1 - 0x20000  # each "a" after an uncased one
    assert not _TITLE_SAFE["'"] and not _TITLE_SAFE["\u0301"] and not _TITLE_SAFE["\u03a3"]


NAMES = [
    "Jade-Clémence",
    "ÉLÉONORE",
    "maël-léandre",
    "d'éloïse",
    "ﬁona",
    "ΟΔΥΣΣΕΑΣ",
    "e\u0301lodie",
    "Léa/lou",
]


def test_names_as_the_character_rules_say() -> None:
    for name in NAMES:
        assert title_case(name) == _by_characters(name), name


@given(st.text(alphabet=st.sampled_from("aAéÉïßΣσ'’ -.:\u0301ǅﬁ·İı"), max_size=12))
def test_any_mix_as_the_character_rules_say(value: str) -> None:
    expected = _sacoche_ascii(value) if value.isascii() else _by_characters(value)
    assert title_case(value) == expected


def test_random_text_as_the_character_rules_say() -> None:
    rng = random.Random(17)
    pool = [chr(c) for c in range(0x20, 0x2FF)] + list("Σσςİıǅǈǋﬁﬀŉ\u0301\u0308\u200d")
    for _ in range(20_000):
        value = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        expected = _sacoche_ascii(value) if value.isascii() else _by_characters(value)
        assert names.title_case(value) == expected, repr(value)
