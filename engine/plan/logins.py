"""Logins and passwords for new SACoche accounts, the way SACoche's own import wizard makes them.

Pure functions and one small stateful helper; no I/O, no database. The caller reads the taken logins
and the ELV profile's settings (``user_profil_login_modele``, ``user_profil_mdp_longueur_mini``,
``user_profil_mdp_date_naissance``) and writes the results into the plan.

Login model
    ``p`` and ``n`` (lower case) are placeholders: the number of ``p`` is the most letters taken from
    the first name, the number of ``n`` the most letters taken from the family name ("up to that many").
    Each must form at most one run (``ppp.nnnnnnnn``, ``nnnnnnnn.ppp``, ``p.nnnnnnnn``,
    ``ppppppppnnnnnnnn``, ``nnn-ppp``, ``ppp``); the order of the runs is the order of the parts. Any
    other character is a literal copied as is: between the runs it is the separator, dropped when one
    name part comes out empty. Literals may only be ``a-z`` (other than p/n), ``0-9``, ``.``, ``_`` and
    ``-``, so every login stays typeable; anything else (spaces, quotes, accents, capital letters, a
    second run of p or n, no p and no n at all) raises :class:`ValueError`. SACoche's own settings
    page only accepts ``p+[._-]?n+``, ``n+[._-]?p+``, ``p+`` and ``n+``; all of them behave here exactly
    as in SACoche.

Name parts
    Folded with :func:`engine.ops.fold` (lower case, accents stripped, æ→ae, œ→oe, ß→ss, compatibility
    forms such as full-width letters or ``ﬁ`` decomposed), a few Latin letters that Unicode does not
    decompose transliterated (ø→o, ł→l, đ/ð→d, þ→th, ı→i, ħ→h, ŧ→t), then **everything that is not
    a-z or 0-9 removed** (spaces, ``. - _ & < > \\ " ' / ` ’`` as in SACoche, but also emoji, marks,
    control and format characters, and letters of non-Latin scripts, which SACoche would have kept but a
    six-year-old cannot type). A login never starts or ends with ``.``, ``_`` or ``-``.

Fallback
    When both parts come out empty (a name written only in a non-Latin script, say), the login is
    :data:`FALLBACK_LOGIN` (``eleve``), then ``eleve1``, ``eleve2``… like any other taken login.

Length
    At most ``max_length`` characters: the width of ``user_login`` read from the database (VARCHAR(50)
    since SACoche's 2017-10-10 schema, 30 before; see :mod:`engine.widths`). The model itself is at most
    as long as ``user_profil_login_modele`` (50, formerly 20), so only a model as long as the login column
    ever makes a cut necessary.

Uniqueness
    ``user_login`` is UNIQUE in ``utf8_unicode_ci``: ``Noé.Lavandie`` and ``noe.lavandie`` are the same
    login there. Logins are compared by :func:`login_key`, which forgives at least what
    that collation forgives (case, accents, ligatures, trailing spaces, ignorable format characters);
    where it forgives a little more (inner runs of spaces), a login is merely avoided needlessly.
    A taken base gets the smallest free number from 1 (``noe.lavandie1``, ``noe.lavandie2``…), its
    prefix shortened so prefix + number fits ``max_length``: SACoche's ``DB_rechercher_login_disponible``
    gives the same login whenever base + number fits the column, except that it compares the candidates
    case-sensitively (``in_array``) with logins the case-insensitive UNIQUE index treats as equal, so it
    can propose a login the INSERT then refuses; this compares as the index does. Near the width
    SACoche cuts the base by counting ``LIKE 'prefix%'`` matches and can overflow the column; this cuts
    just enough for the number, and never leaves a separator before it.

Passwords
    ``max(8, profile minimum)`` characters by default (the 8 is the policy's ``password_min_length``;
    SACoche's own floor is 6) drawn independently from ``23456789abcdfghknpqrstuvxyz`` (no e, i,
    j, l, m, o, w, 0, 1) with :class:`secrets.SystemRandom` (SACoche uses PHP's ``str_shuffle``, which is
    not a secure source), or the birth date ``ddmmyyyy`` when the profile asks for it. SQL stores
    ``md5('grain_de_sel' + password)`` as 32 lowercase hex digits.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from engine.ops import fold

#: SACoche's default login model for pupils (``sacoche_user_profil.user_profil_login_modele``)
DEFAULT_MODEL = "ppp.nnnnnnnn"
#: width of ``sacoche_user.user_login`` in SACoche's current schema (VARCHAR(50); 30 before 2017-10-10),
#: used when the caller does not pass the width read from the database
LOGIN_MAX_LENGTH = 50
#: login used when neither name gives a single a-z/0-9 character
FALLBACK_LOGIN = "eleve"
#: SACoche's password alphabet: no e (a spreadsheet reads 2e5 as a number), no i j l 1, m w, o 0
PASSWORD_ALPHABET = "23456789abcdfghknpqrstuvxyz"
#: SACoche's floor for password length, whatever the profile says
PASSWORD_MIN_LENGTH = 6
#: our default length for new passwords (rules/policy/plan.yaml ``accounts.password_min_length``): a
#: 6-character password of this alphabet falls in seconds to md5 with SACoche's fixed salt
DEFAULT_PASSWORD_LENGTH = 8
#: SACoche's salt (``crypter_mdp``)
PASSWORD_SALT = "grain_de_sel"

#: characters a login may have besides a-z and 0-9 (only if the model has them)
SEPARATORS = "._-"

_LITERAL_OK = re.compile(r"[a-z0-9._-]+")
_NOT_LOGIN_CHAR = re.compile(r"[^a-z0-9]+")
_FALLBACK_OK = re.compile(r"[a-z0-9]+")
_PLAIN_LOGIN = re.compile(r"[A-Za-z0-9._-]*")
_PLAIN_LOGINS = re.compile(r"[A-Za-z0-9._\n-]*")  # plain logins, one a line
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MODEL_TOKENS = re.compile(r"p+|n+|[^pn]+")
# Latin letters NFKD leaves whole (applied after fold, so lower case only)
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t"}
)


@dataclass(frozen=True, slots=True)
class NewCredentials:
    """A new account's login and password; the plaintext is for the login sheet only (never logged)."""

    login: str
    password: str = field(repr=False)
    password_hash: str = field(repr=False)


# ---------------------------------------------------------------------------------------------- logins


@dataclass(frozen=True, slots=True)
class _Model:
    """A login model split into parts: prefix, (prénom|nom, letters) parts, separator, suffix."""

    prefix: str
    parts: tuple[tuple[str, int], ...]  # ("p" | "n", most letters), in model order
    separator: str
    suffix: str


@lru_cache(maxsize=64)
def _parse_model(model: str) -> _Model:
    if not isinstance(model, str) or not model:
        raise ValueError("login model is empty: expected something like 'ppp.nnnnnnnn'")
    tokens = _MODEL_TOKENS.findall(model)
    runs = [i for i, tok in enumerate(tokens) if tok[0] in "pn"]
    if not runs:
        raise ValueError(
            f"login model {model!r} has neither 'p' (first-name letters) nor 'n' (family-name letters);"
            " expected something like 'ppp.nnnnnnnn'"
        )
    letters = [tokens[i][0] for i in runs]
    if len(letters) != len(set(letters)):
        raise ValueError(
            f"login model {model!r} is ambiguous: the 'p' and the 'n' must each form one run,"
            " as in 'ppp.nnnnnnnn' or 'nnnnnnnn.ppp'"
        )
    for i, tok in enumerate(tokens):
        if i not in runs and not _LITERAL_OK.fullmatch(tok):
            raise ValueError(
                f"login model {model!r} has a character a login must not contain ({tok!r}); only lower-case"
                " 'p' and 'n' placeholders and the literals a-z, 0-9, '.', '_', '-' are allowed"
            )
    prefix = "".join(tokens[: runs[0]])
    suffix = "".join(tokens[runs[-1] + 1 :])
    separator = "".join(tokens[runs[0] + 1 : runs[-1]]) if len(runs) == 2 else ""
    parts = tuple((tokens[i][0], len(tokens[i])) for i in runs)
    return _Model(prefix, parts, separator, suffix)


def clean_name_part(text: str) -> str:
    """A name reduced to the characters a login may take from it: a-z and 0-9, folded as documented above."""
    return _NOT_LOGIN_CHAR.sub("", fold(text).translate(_TRANSLITERATE))


def _check_max_length(max_length: int) -> None:
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(f"max_length must be an integer of at least 2, not {max_length!r}")


def _check_fallback(fallback: str) -> None:
    if not isinstance(fallback, str) or not _FALLBACK_OK.fullmatch(fallback):
        raise ValueError(f"fallback login must be non-empty and only a-z/0-9, not {fallback!r}")


def login_base(
    prenom: str,
    nom: str,
    model: str = DEFAULT_MODEL,
    *,
    max_length: int = LOGIN_MAX_LENGTH,
    fallback: str = FALLBACK_LOGIN,
) -> str:
    """The login the model gives for this pupil, before any uniqueness suffix.

    >>> login_base("Noé", "LAVANDIER")
    'noe.lavandie'
    >>> login_base("Marie-Lou", "D'ALBERTIN")
    'mar.dalberti'
    """
    _check_max_length(max_length)
    _check_fallback(fallback)
    parsed = _parse_model(model)
    cleaned = {"p": clean_name_part(prenom), "n": clean_name_part(nom)}
    pieces = [cleaned[letter][:count] for letter, count in parsed.parts]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return fallback[:max_length]
    login = parsed.prefix + parsed.separator.join(pieces) + parsed.suffix
    login = login.strip(SEPARATORS)[:max_length].rstrip(SEPARATORS)
    return login or fallback[:max_length]


def login_key(login: str) -> str:
    """Comparison key: two logins with the same key are the same row for MySQL's ``utf8_unicode_ci``."""
    if _PLAIN_LOGIN.fullmatch(login):  # the common case, and what this module makes: cheap
        return login.lower()
    visible = "".join(c for c in login if unicodedata.category(c) not in ("Cc", "Cf"))
    return fold(visible)


def _login_keys(logins: Iterable[str]) -> set[str]:
    """:func:`login_key` of every login but blank ones; when all are plain (what SACoche and this
    module make), lower-cased all at once, one string for all (a big school has hundreds of thousands)."""
    logins = list(logins)
    text = "\n".join(logins)
    # no blank login but "", and "\n" is in none of them (a login holding one is keyed on its own)
    if _PLAIN_LOGINS.fullmatch(text) and text.count("\n") == max(len(logins) - 1, 0):
        keys = set(text.lower().split("\n"))
        keys.discard("")
        return keys
    return {login_key(login) for login in logins if login and login.strip()}


class LoginAllocator:
    """Hands out logins unique against the database and against every login it handed out before.

    ``taken`` is every ``user_login`` already in the database, whatever the profile (the column is
    unique across profiles). The result depends only on the taken logins (not their order) and on the
    order of the calls. Each call costs O(1) amortised: a base that is taken resumes its number search
    where the previous search for that base stopped (numbers below it stay taken, since logins are only
    ever added), so no number is examined twice for the same base.
    """

    def __init__(
        self, taken: Iterable[str], *, max_length: int = LOGIN_MAX_LENGTH, fallback: str = FALLBACK_LOGIN
    ) -> None:
        _check_max_length(max_length)
        _check_fallback(fallback)
        self.max_length = max_length
        self.fallback = fallback
        self._taken: set[str] = _login_keys(taken)
        self._next_number: dict[str, int] = {}

    def is_taken(self, login: str) -> bool:
        """Whether this login (in any case or accentuation) is in the database or was handed out."""
        return login_key(login) in self._taken

    def allocate(self, prenom: str, nom: str, model: str = DEFAULT_MODEL) -> str:
        """A free login for this pupil, now reserved: the model's base, or the base + smallest free number."""
        base = login_base(prenom, nom, model, max_length=self.max_length, fallback=self.fallback)
        key = login_key(base)
        if key not in self._taken:
            self._taken.add(key)
            return base
        number = self._next_number.get(key, 1)
        while True:
            candidate = self._numbered(base, number)
            candidate_key = login_key(candidate)
            number += 1
            if candidate_key not in self._taken:
                self._taken.add(candidate_key)
                self._next_number[key] = number
                return candidate

    def _numbered(self, base: str, number: int) -> str:
        digits = str(number)
        room = self.max_length - len(digits)
        if room < 1:
            raise ValueError(f"no free login left for {base!r} within {self.max_length} characters")
        return base[:room].rstrip(SEPARATORS) + digits


# ------------------------------------------------------------------------------------------- passwords


def new_password_length(profile_min: int | None, policy_min: int | None = None) -> int:
    """Length of a new random password: the policy's minimum (default 8) or the profile's if higher,
    never under SACoche's floor of 6."""
    policy = DEFAULT_PASSWORD_LENGTH if policy_min is None else int(policy_min)
    return max(PASSWORD_MIN_LENGTH, policy, int(profile_min or 0))


def make_password(
    *,
    min_length: int = DEFAULT_PASSWORD_LENGTH,
    alphabet: str = PASSWORD_ALPHABET,
    rng: random.SystemRandom | random.Random | None = None,
) -> str:
    """A random password of ``max(6, min_length)`` characters (8 by default), each drawn independently from
    ``alphabet``.

    ``rng`` defaults to :class:`secrets.SystemRandom`; pass a seeded :class:`random.Random` only in tests.
    Repeated characters in ``alphabet`` are counted once, so they do not bias the draw.
    """
    chars = "".join(dict.fromkeys(alphabet))
    if not chars:
        raise ValueError("password alphabet is empty")
    length = max(PASSWORD_MIN_LENGTH, int(min_length))
    source = rng if rng is not None else random.SystemRandom()
    if type(source) is random.SystemRandom and len(chars) <= 256:
        return _system_choices(chars, length)
    return "".join(source.choice(chars) for _ in range(length))


def new_passwords(
    *,
    min_length: int = DEFAULT_PASSWORD_LENGTH,
    alphabet: str = PASSWORD_ALPHABET,
    rng: random.SystemRandom | random.Random | None = None,
) -> Iterator[str]:
    """:func:`make_password` again and again, as many as asked; from the system's source, the random bytes
    of a few hundred passwords drawn at once (one ``os.urandom`` call per password was still 5 % of
    planning a big school), none kept once the iterator is dropped."""
    chars = "".join(dict.fromkeys(alphabet))
    source = rng if rng is not None else random.SystemRandom()
    if not chars or type(source) is not random.SystemRandom or len(chars) > 256:
        while True:
            yield make_password(min_length=min_length, alphabet=alphabet, rng=source)
    length = max(PASSWORD_MIN_LENGTH, int(min_length))
    count = 16  # a small school needs a few: the batches grow to 256 passwords as they are used up
    while True:
        drawn = _system_choices(chars, count * length)
        for start in range(0, len(drawn), length):
            yield drawn[start : start + length]
        count = min(256, count * 4)


def _system_choices(chars: str, length: int) -> str:
    """``length`` characters drawn independently and uniformly from ``chars`` with the operating system's
    secure source, as :class:`secrets.SystemRandom` ``.choice`` does, from one ``os.urandom`` call per
    password instead of one per character (a byte at or above the largest multiple of ``len(chars)``
    under 256 is dropped, so every character stays equally likely)."""
    limit = 256 - 256 % len(chars)
    if max(chars) <= "\xff":  # each byte kept becomes its character by bytes.translate, in C
        table, dropped = _byte_table(chars)
        text = ""
        while len(text) < length:
            text += os.urandom(2 * length).translate(table, dropped).decode("latin-1")
        return text[:length]
    drawn: list[str] = []
    while len(drawn) < length:
        drawn += [chars[byte % len(chars)] for byte in os.urandom(2 * length) if byte < limit]
    return "".join(drawn[:length])


@lru_cache(maxsize=8)
def _byte_table(chars: str) -> tuple[bytes, bytes]:
    """For a latin-1 ``chars``: the translation of a byte into ``chars[byte % len(chars)]``, and the bytes
    dropped (at or above the largest multiple of ``len(chars)`` under 256)."""
    limit = 256 - 256 % len(chars)
    table = bytes(ord(chars[byte % len(chars)]) for byte in range(256))
    return table, bytes(range(limit, 256))


def birth_date_password(naissance_iso: str) -> str:
    """The birth-date password SACoche offers: ``2022-03-14`` → ``14032022``."""
    match = _ISO_DATE.fullmatch(naissance_iso.strip()) if isinstance(naissance_iso, str) else None
    if not match:
        raise ValueError("birth date must be written yyyy-mm-dd to make a password from it")
    year, month, day = match.groups()
    date(int(year), int(month), int(day))  # raises ValueError for 2022-02-30 and the like
    return f"{day}{month}{year}"


def password_hash(password: str, salt: str = PASSWORD_SALT) -> str:
    """What ``sacoche_user.user_password`` stores: ``md5(salt + password)``, 32 lowercase hex digits."""
    return hashlib.md5((salt + password).encode("utf-8")).hexdigest()


def new_credentials(
    allocator: LoginAllocator,
    prenom: str,
    nom: str,
    model: str = DEFAULT_MODEL,
    *,
    min_length: int = DEFAULT_PASSWORD_LENGTH,
    naissance_iso: str | None = None,
    use_birth_date: bool = False,
    rng: random.SystemRandom | random.Random | None = None,
) -> NewCredentials:
    """Login, password and hash for one new account (the birth date is used only if the profile says so).

    With ``use_birth_date`` but no usable birth date, a random password is made instead.
    """
    login = allocator.allocate(prenom, nom, model)
    password = None
    if use_birth_date and naissance_iso:
        try:
            password = birth_date_password(naissance_iso)
        except ValueError:
            password = None
    if password is None:
        password = make_password(min_length=min_length, rng=rng)
    return NewCredentials(login=login, password=password, password_hash=password_hash(password))
