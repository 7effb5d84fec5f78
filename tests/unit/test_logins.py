"""Logins and passwords for new accounts: SACoche's rules, uniqueness against the database, and safety."""

from __future__ import annotations

import random
import re
import secrets
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.plan.logins import (
    FALLBACK_LOGIN,
    LOGIN_MAX_LENGTH,
    PASSWORD_ALPHABET,
    LoginAllocator,
    NewCredentials,
    birth_date_password,
    clean_name_part,
    login_base,
    login_key,
    make_password,
    new_credentials,
    new_passwords,
    password_hash,
)

FORBIDDEN_PASSWORD_CHARS = set("eijlmow01")


# ------------------------------------------------------------------------------------------ login_base


@pytest.mark.parametrize(
    ("prenom", "nom", "model", "expected"),
    [
        ("Noé", "LAVANDIER", "ppp.nnnnnnnn", "noe.lavandie"),
        ("Marie-Lou", "D'ALBERTIN", "ppp.nnnnnnnn", "mar.dalberti"),
        ("Noé", "LAVANDIER", "nnnnnnnn.ppp", "lavandie.noe"),
        ("Noé", "LAVANDIER", "p.nnnnnnnn", "n.lavandie"),
        ("Noé", "LAVANDIER", "ppppppppnnnnnnnn", "noelavandie"),
        ("Noé", "LAVANDIER", "nnn-ppp", "lav-noe"),
        ("Noé", "LAVANDIER", "pppp_nnnn", "noe_lava"),
        ("Noé", "LAVANDIER", "ppp", "noe"),
        ("Noé", "LAVANDIER", "nnnnnnnnnn", "lavandier"),
        ("Noé", "LAVANDIER", "ppp2026nnn", "noe2026lav"),
    ],
)
def test_model_order_counts_and_separators(prenom: str, nom: str, model: str, expected: str) -> None:
    assert login_base(prenom, nom, model) == expected


def test_default_model_is_sacoche_default() -> None:
    assert login_base("Noé", "LAVANDIER") == "noe.lavandie"


@pytest.mark.parametrize(
    ("prenom", "nom", "expected"),
    [
        ("Æsa", "ŒDIPE", "aes.oedipe"),
        ("ÇA", "GRÜẞ", "ca.gruss"),
        ("Zoë", "Straße", "zoe.strasse"),
        ("Jean Pierre", "DE LA FONTAINE", "jea.delafont"),
        ("Anne-Sophie", "N’GUYEN", "ann.nguyen"),
        ("Lou_Ann", "O'CONNOR&CO", "lou.oconnorc"),
        ('A."b', "<x>/y\\z`w", "ab.xyzw"),
        ("e\u0301lise", "Bj\u00f8rn", "eli.bjorn"),  # combining accent; ø has no decomposition
        ("Łucja", "ĐORĐEVIĆ", "luc.dordevic"),
        ("Ｎｏé", "ﬁnot", "noe.finot"),  # full-width letters and the fi ligature decompose
        ("Noé\u200f", "LAVANDIER\u202e", "noe.lavandie"),  # RTL marks vanish
        ("Noé 🎈", "🦊LAVANDIER", "noe.lavandie"),
    ],
)
def test_names_are_folded_to_typeable_letters(prenom: str, nom: str, expected: str) -> None:
    assert login_base(prenom, nom) == expected


def test_clean_name_part_keeps_only_a_to_z_and_digits() -> None:
    assert clean_name_part("  Ma-rie  Lou'’ 2 ") == "marielou2"
    assert clean_name_part("Иван") == ""


@pytest.mark.parametrize(
    ("prenom", "nom", "model", "expected"),
    [
        ("李", "LAVANDIER", "ppp.nnnnnnnn", "lavandie"),  # no leading "."
        ("Noé", "王", "ppp.nnnnnnnn", "noe"),  # no trailing "."
        ("Noé", "---", "nnn-ppp", "noe"),
        ("", "LAVANDIER", "ppp.nnnnnnnn", "lavandie"),
    ],
)
def test_separator_dropped_when_one_part_is_empty(prenom: str, nom: str, model: str, expected: str) -> None:
    assert login_base(prenom, nom, model) == expected


@pytest.mark.parametrize(("prenom", "nom"), [("李", "王"), ("Иван", "Петров"), ("🎈", "'-'"), ("", "")])
def test_fallback_when_no_letter_survives(prenom: str, nom: str) -> None:
    assert login_base(prenom, nom) == FALLBACK_LOGIN == "eleve"
    assert login_base(prenom, nom, fallback="pupil") == "pupil"


@pytest.mark.parametrize("model", ["", "...", "xyz", "P.N", "pp.pp", "pnpn", "ppp nnn", "ppp'nnn", "pppénnn"])
def test_bad_model_is_rejected_clearly(model: str) -> None:
    with pytest.raises(ValueError, match="login model"):
        login_base("Noé", "LAVANDIER", model)


def test_model_with_neither_p_nor_n_names_the_placeholders() -> None:
    with pytest.raises(ValueError, match=r"neither 'p'.*nor 'n'"):
        login_base("Noé", "LAVANDIER", "._-")


def test_long_model_is_cut_to_an_old_base_s_thirty_without_trailing_separator() -> None:
    prenom, nom = "Maximilienne-Alexandrine", "DE LA ROCHEFOUCAULD-MONTMORENCY"
    base = login_base(prenom, nom, "p" * 29 + "." + "n" * 20, max_length=30)
    assert len(base) <= 30
    assert base == "maximiliennealexandrine.delaro"
    assert (
        login_base("Alexandrine-Maximilienne", "X", "p" * 29 + "." + "n" * 20, max_length=30)
        == "alexandrinemaximilienne.x"
    )
    cut_at_separator = login_base("abcdefghijklmnopqrstuvwxyzabcd", "X", "p" * 29 + "." + "n", max_length=30)
    assert cut_at_separator == "abcdefghijklmnopqrstuvwxyzabc"


def test_current_width_keeps_a_50_character_model_whole() -> None:
    """SACoche's current user_login and user_profil_login_modele are both VARCHAR(50): no cut at all."""
    prenom, nom = "Maximilienne-Alexandrine", "DE LA ROCHEFOUCAULD-MONTMORENCY"
    model = "p" * 24 + "." + "n" * 25
    assert len(model) == 50 == LOGIN_MAX_LENGTH
    assert login_base(prenom, nom, model) == "maximiliennealexandrine.delarochefoucauldmontmore"


def test_bad_fallback_or_length_rejected() -> None:
    with pytest.raises(ValueError):
        login_base("a", "b", fallback="élève")
    with pytest.raises(ValueError):
        LoginAllocator([], max_length=1)


# ------------------------------------------------------------------------------------------ uniqueness


def test_login_key_matches_utf8_unicode_ci_equalities() -> None:
    assert login_key("Noé.Lavandie") == login_key("noe.lavandie")
    assert login_key("noe.lavandie   ") == login_key("noe.lavandie")
    assert login_key("NOE.LAVANDIE") == login_key("noe.lavandie")
    assert login_key("Œdipe") == login_key("oedipe")
    assert login_key("straße") == login_key("strasse")
    assert login_key("noe\u200b.lavandie") == login_key("noe.lavandie")
    assert login_key("noe.lavandie") != login_key("noe-lavandie")
    assert login_key("noe.lavandie") != login_key("noelavandie")


def test_homonyms_in_one_batch_get_numbers() -> None:
    allocator = LoginAllocator([])
    assert allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") == "noe.lavandie"
    assert allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") == "noe.lavandie1"
    assert allocator.allocate("NOE", "Lavandier", "ppp.nnnnnnnn") == "noe.lavandie2"


def test_taken_in_database_case_and_accent_insensitively() -> None:
    allocator = LoginAllocator(["Noé.Lavandie", "NOE.LAVANDIE1 ", "mar.dalberti"])
    assert allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") == "noe.lavandie2"
    assert allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") == "noe.lavandie3"
    assert allocator.allocate("Marie-Lou", "D'ALBERTIN", "ppp.nnnnnnnn") == "mar.dalberti1"


def test_smallest_free_number_fills_gaps() -> None:
    allocator = LoginAllocator(["noe.lavandie", "noe.lavandie2", "noe.lavandie3"])
    assert [allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") for _ in range(3)] == [
        "noe.lavandie1",
        "noe.lavandie4",
        "noe.lavandie5",
    ]


def test_is_taken_sees_database_and_batch() -> None:
    allocator = LoginAllocator(["Prof.Durand", "", "   "])
    assert allocator.is_taken("prof.durand")
    assert not allocator.is_taken("")
    login = allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn")
    assert allocator.is_taken(login.upper())


def test_numbered_long_login_still_fits() -> None:
    prenom, nom, model = (
        "Maximilienne",
        "DE LA ROCHEFOUCAULD-MONTMORENCY",
        "pppppppppppp.nnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
    )
    base = login_base(prenom, nom, model, max_length=30)
    assert len(base) == 30
    allocator = LoginAllocator([base] + [base[:29] + str(i) for i in range(1, 10)], max_length=30)
    login = allocator.allocate(prenom, nom, model)
    assert login == base[:28] + "10"
    for _ in range(5):
        assert len(allocator.allocate(prenom, nom, model)) <= 30


def test_number_never_follows_a_separator() -> None:
    # base cut right after the '.' when room is made for the number
    model = "p" * 28 + "." + "n"
    prenom = "abcdefghijklmnopqrstuvwxyzab"
    allocator = LoginAllocator([], max_length=30)
    assert allocator.allocate(prenom, "X", model) == "abcdefghijklmnopqrstuvwxyzab.x"
    assert allocator.allocate(prenom, "X", model) == "abcdefghijklmnopqrstuvwxyzab1"
    short = LoginAllocator(["ab.c"], max_length=4)
    assert short.allocate("ab", "c", "pp.n") == "ab1"


def _sacoche_login_disponible(login: str, taken: list[str], width: int) -> str:
    """SACoche 2017-12-22's DB_rechercher_login_disponible, rewritten, with its one bug fixed: the
    candidates are compared as the UNIQUE index compares them (it uses a case-sensitive in_array)."""
    digits = max(1, width - len(login))
    while True:
        cut = login[: width - digits]
        matches = [t for t in taken if login_key(t).startswith(login_key(cut))]  # LIKE 'cut%'
        limit = 10**digits
        digits += 1
        if len(matches) < limit:
            break
    keys = {login_key(t) for t in matches}
    number = 1
    while login_key(f"{cut}{number}") in keys:
        number += 1
    return f"{cut}{number}"


@pytest.mark.parametrize(
    "taken",
    [
        ["noe.lavandie"],
        ["noe.lavandie", "noe.lavandie1", "noe.lavandie3"],
        ["noe.lavandie", "noe.lavandie2", "noe.lavandie10"],
        ["Noé.Lavandie", "NOE.LAVANDIE1"],  # SACoche's in_array would propose noe.lavandie1: a duplicate
        ["noe.lavandie", *(f"noe.lavandie{n}" for n in range(1, 12))],
        ["noe.lavandie", "noe.lavandier", "noe.lavandie1x"],
    ],
)
@pytest.mark.parametrize("width", [30, 50])
def test_numbering_agrees_with_sacoche(taken: list[str], width: int) -> None:
    allocator = LoginAllocator(taken, max_length=width)
    login = allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn")
    assert login == _sacoche_login_disponible("noe.lavandie", taken, width)
    assert login_key(login) not in {login_key(t) for t in taken}


def test_sacoche_s_case_sensitive_check_would_propose_a_taken_login() -> None:
    """The bug the project does not copy: MySQL's UNIQUE(user_login) refuses what in_array let through."""
    taken = ["Noé.Lavandie", "NOE.LAVANDIE1"]
    candidates = [f"noe.lavandie{n}" for n in range(1, 3)]
    sacoche = next(c for c in candidates if c not in taken)  # in_array, case-sensitive
    assert sacoche == "noe.lavandie1" and login_key(sacoche) == login_key("NOE.LAVANDIE1")
    assert LoginAllocator(taken).allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") == "noe.lavandie2"


def test_fallback_logins_are_numbered_too() -> None:
    allocator = LoginAllocator(["Élève"])
    assert allocator.allocate("李", "王", "ppp.nnnnnnnn") == "eleve1"
    assert allocator.allocate("Иван", "Петров", "ppp.nnnnnnnn") == "eleve2"


def test_allocation_is_deterministic_and_ignores_taken_order() -> None:
    taken = ["noe.lavandie", "noe.lavandie1", "ana.martin", "ANA.MARTIN2"]
    names = [("Noé", "LAVANDIER"), ("Ana", "MARTIN"), ("Noé", "Lavandier"), ("Ana", "Martin")] * 3
    first = LoginAllocator(taken)
    second = LoginAllocator(reversed(taken))
    assert [first.allocate(p, n, "ppp.nnnnnnnn") for p, n in names] == [
        second.allocate(p, n, "ppp.nnnnnnnn") for p, n in names
    ]


def test_many_homonyms_against_a_crowded_database_stay_fast() -> None:
    # quadratic behaviour (rescanning taken numbers on every call) would take hours here
    taken = (
        ["noe.lavandie"]
        + [f"noe.lavandie{i}" for i in range(1, 200_000, 2)]
        + [f"x{i}" for i in range(300_000)]
    )
    started = time.perf_counter()
    allocator = LoginAllocator(taken)
    logins = [allocator.allocate("Noé", "LAVANDIER", "ppp.nnnnnnnn") for _ in range(100_000)]
    elapsed = time.perf_counter() - started
    assert len(set(logins)) == len(logins)
    assert logins[:3] == ["noe.lavandie2", "noe.lavandie4", "noe.lavandie6"]
    assert not set(map(login_key, logins)) & set(map(login_key, taken))
    assert elapsed < 30


# ---------------------------------------------------------------------------- hypothesis: any name is safe

NASTY_TEXT = st.lists(
    st.one_of(
        st.sampled_from("abcdeéèêëàâäîïôöùûüçÆæŒœßøłÉÈ-'’\". _&<>\\/`"),
        st.sampled_from(["\u0301", "\u0308", "\u200f", "\u200e", "\u202e", "\u200b", "\ufeff", "\u00a0"]),
        st.sampled_from(["🎈", "🦊", "👩‍👩‍👧", "李", "Иван", "مريم", "שרה"]),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
).map("".join)


@st.composite
def models(draw: st.DrawFn) -> str:
    p = "p" * draw(st.integers(1, 12))
    n = "n" * draw(st.integers(1, 25))
    sep = draw(st.sampled_from(["", ".", "-", "_", "."]))
    first, second = (p, n) if draw(st.booleans()) else (n, p)
    return draw(st.sampled_from([first + sep + second, first]))


@settings(max_examples=300, deadline=None)
@given(
    model=models(),
    names=st.lists(st.tuples(NASTY_TEXT, NASTY_TEXT), min_size=1, max_size=15),
    extra_taken=st.lists(NASTY_TEXT, max_size=10),
)
def test_any_names_give_safe_unique_logins(
    model: str, names: list[tuple[str, str]], extra_taken: list[str]
) -> None:
    separators = re.escape("".join(set(model) - {"p", "n"}))
    allowed = re.compile(rf"[a-z0-9{separators}]+")
    # make collisions likely: the bases of half the names, in odd case/accents, are already in the database
    taken = list(extra_taken) + [login_base(p, n, model).upper() for p, n in names[::2]]
    taken_keys = {login_key(t) for t in taken}
    allocator = LoginAllocator(taken)
    seen: set[str] = set()
    for prenom, nom in names:
        login = allocator.allocate(prenom, nom, model)
        assert login
        assert len(login) <= 30
        assert allowed.fullmatch(login), login
        assert login[0] not in "._-" and login[-1] not in "._-"
        assert login_key(login) not in taken_keys
        assert login_key(login) not in seen
        seen.add(login_key(login))


# ------------------------------------------------------------------------------------------- passwords


@settings(max_examples=300)
@given(min_length=st.integers(-5, 40), rng=st.randoms(use_true_random=False))
def test_password_alphabet_and_length(min_length: int, rng: random.Random) -> None:
    password = make_password(min_length=min_length, rng=rng)
    assert len(password) == max(6, min_length)
    assert len(password) >= 6
    assert len(password) >= min_length
    assert set(password) <= set(PASSWORD_ALPHABET)
    assert not set(password) & FORBIDDEN_PASSWORD_CHARS


def test_password_alphabet_is_sacoche_one() -> None:
    assert PASSWORD_ALPHABET == "23456789abcdfghknpqrstuvxyz"
    assert not set(PASSWORD_ALPHABET) & FORBIDDEN_PASSWORD_CHARS


def test_password_default_is_secure_random_and_varies() -> None:
    passwords = {make_password() for _ in range(50)}
    assert len(passwords) > 45
    assert all(len(p) == 8 for p in passwords)  # 8 by default since issue 12 (was SACoche's 6)


def test_password_injectable_rng_is_deterministic() -> None:
    assert make_password(rng=random.Random(7)) == make_password(rng=random.Random(7))
    assert len(make_password(min_length=8, rng=secrets.SystemRandom())) == 8


def test_password_from_the_system_source_drops_biased_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # 27 characters: a byte of 243 (9 * 27) or more would favour the first 13; it is drawn again
    drawn = iter([bytes([243, 255, 0, 26, 27, 242, 100, 244, 1, 2, 3, 4, 5, 6, 7, 8])])
    monkeypatch.setattr("engine.plan.logins.os.urandom", lambda size: next(drawn)[:size])
    alphabet = PASSWORD_ALPHABET
    expected = [0, 26, 0, 242 % 27, 100 % 27, 1, 2, 3]
    assert make_password(rng=secrets.SystemRandom()) == "".join(alphabet[i] for i in expected)


def test_password_from_the_system_source_is_uniform() -> None:
    counts = Counter(char for _ in range(2000) for char in make_password(alphabet="abc", min_length=9))
    assert set(counts) == {"a", "b", "c"}
    assert all(5400 < count < 6600 for count in counts.values())  # 6000 each; sigma is 63


def test_passwords_in_a_row_are_make_password_s() -> None:
    made = new_passwords(min_length=9, rng=random.Random(3))
    expected = random.Random(3)
    assert [next(made) for _ in range(5)] == [make_password(min_length=9, rng=expected) for _ in range(5)]
    many = new_passwords(alphabet="abc", min_length=20)
    drawn = [next(many) for _ in range(600)]  # more than one draw of the system's source
    assert all(len(p) == 20 and set(p) <= set("abc") for p in drawn) and len(set(drawn)) == 600


@given(st.lists(st.text(alphabet="aZ9._- \t\néÉ\u200b", max_size=6), max_size=8))
def test_taken_logins_are_keyed_as_login_key_says(logins: list[str]) -> None:
    allocator = LoginAllocator(logins)
    assert all(allocator.is_taken(login) for login in logins if login.strip())
    assert allocator._taken == {login_key(login) for login in logins if login and login.strip()}


def test_password_custom_alphabet() -> None:
    assert make_password(alphabet="aa", rng=random.Random(1)) == "aaaaaaaa"
    with pytest.raises(ValueError):
        make_password(alphabet="")


@pytest.mark.parametrize(
    ("iso", "expected"),
    [("2022-03-14", "14032022"), ("2016-12-01", "01122016"), (" 2020-02-29 ", "29022020")],
)
def test_birth_date_password(iso: str, expected: str) -> None:
    assert birth_date_password(iso) == expected


@pytest.mark.parametrize("iso", ["14/03/2022", "2022-02-30", "20220314", "", "2022-3-14"])
def test_birth_date_password_rejects_other_shapes(iso: str) -> None:
    with pytest.raises(ValueError):
        birth_date_password(iso)


def test_password_hash_known_values() -> None:
    # literals checked independently with: printf %s grain_de_selabc234 | md5sum
    assert password_hash("abc234") == "c4967fe4bc89426c397f3d63741a4061"
    # printf %s grain_de_sel14032022 | md5sum
    assert password_hash("14032022") == "63ee2197f1c230a3dd545a1f5657de02"
    # printf %s selabc | md5sum
    assert password_hash("abc", salt="sel") == "088b6828a2e5c307c57a9b0c84447cc4"
    assert re.fullmatch(r"[0-9a-f]{32}", password_hash("é"))


# -------------------------------------------------------------------------------------- new_credentials


def test_new_credentials_random_and_birth_date() -> None:
    allocator = LoginAllocator(["noe.lavandie"])
    creds = new_credentials(allocator, "Noé", "LAVANDIER", "ppp.nnnnnnnn", min_length=7, rng=random.Random(3))
    assert creds.login == "noe.lavandie1"
    assert len(creds.password) == 7
    assert creds.password_hash == password_hash(creds.password)
    born = new_credentials(allocator, "Noé", "LAVANDIER", naissance_iso="2022-03-14", use_birth_date=True)
    assert born == NewCredentials("noe.lavandie2", "14032022", "63ee2197f1c230a3dd545a1f5657de02")
    unknown = new_credentials(
        allocator, "Ana", "X", naissance_iso="", use_birth_date=True, rng=random.Random(1)
    )
    assert len(unknown.password) == 8  # the default length since issue 12


def test_credentials_repr_hides_the_password() -> None:
    creds = NewCredentials("noe.lavandie", "abc234", password_hash("abc234"))
    assert "abc234" not in repr(creds)
    assert "noe.lavandie" in repr(creds)


def test_a_taken_login_holding_a_line_break_is_keyed_whole() -> None:
    """A login holding a line feed was split in two by the all-plain shortcut ("9\\n9" taken as "9")."""
    allocator = LoginAllocator(["9\n9", "abc"])
    assert allocator.is_taken("9\n9") and allocator.is_taken("99") and not allocator.is_taken("9")
    assert allocator._taken == {login_key("9\n9"), "abc"}


@pytest.mark.parametrize("alphabet", ["abcdé", "αβγδ€", "ab"])
def test_password_from_the_system_source_maps_each_kept_byte_whatever_the_alphabet(
    monkeypatch: pytest.MonkeyPatch, alphabet: str
) -> None:
    raw = bytes([255, 254, 3, 250, 7, 128, 129, 5, 6, 9, 200, 1, 2, 4, 8, 10] * 2)
    monkeypatch.setattr("engine.plan.logins.os.urandom", lambda size: raw[:size])
    limit = 256 - 256 % len(alphabet)
    expected = "".join(alphabet[b % len(alphabet)] for b in raw[:16] if b < limit)[:8]
    assert make_password(alphabet=alphabet, rng=secrets.SystemRandom()) == expected
