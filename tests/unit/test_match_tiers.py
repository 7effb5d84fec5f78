"""One tier of the matcher against its plain definition: every remaining row and account keyed one by one,
rows and accounts of a key side by side, a unique pair matched, anything else an ambiguity."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.match import _NOT_ALNUM, Ambiguity, Pair, _tier, pupil_key
from engine.read import Pupil
from engine.state import ACTIVE, Account

TIERS = [
    ("ine", ["ine"], []),
    ("nom_prenom_naissance", ["nom", "prenom", "naissance"], ["ine"]),
    ("nom_prenom", ["nom", "prenom"], ["ine", "naissance"]),
]
# few values, so that keys collide; case and spaces the exact comparison ignores
TEXT = st.sampled_from(["", "a", "A", " a ", "b", "a  b", "A B", "ß", "ss"])


def _exact(value: str) -> str:
    return " ".join(value.casefold().split())


def reference_tier(
    name: str,
    keys: list[str],
    unless_different: list[str],
    pupils: dict[int, Pupil],
    accounts: dict[int, Account],
    ambiguous: dict[str, Ambiguity],
) -> list[Pair]:
    def key_of(record: Any) -> tuple[str, ...] | None:
        key = tuple(_exact(getattr(record, k)) for k in keys)
        return key if all(key) else None

    order: list[tuple[str, ...]] = []
    for pupil in pupils.values():
        key = key_of(pupil)
        if key is not None and key not in order and any(key_of(a) == key for a in accounts.values()):
            order.append(key)
    pairs = []
    for key in order:
        rows = [p for p in pupils.values() if key_of(p) == key]
        candidates = [
            a
            for a in accounts.values()
            if key_of(a) == key
            and not any(
                _exact(getattr(a, f))
                and _exact(getattr(rows[0], f))
                and _exact(getattr(a, f)) != _exact(getattr(rows[0], f))
                for f in unless_different
            )
        ]
        if len(rows) == 1 and len(candidates) == 1:
            pairs.append(Pair(rows[0], candidates[0], name))
        elif candidates:
            for row in rows:
                if len(rows) > 1:
                    shared = f"{len(candidates)} account(s) share the same {' + '.join(keys)}"
                    why = f"{len(rows)} rows and {shared}"
                else:
                    why = f"{len(candidates)} accounts have the same {' + '.join(keys)}"
                ambiguous.setdefault(pupil_key(row), Ambiguity(row, tuple(candidates), why, name))
    for pair in pairs:
        del pupils[pair.pupil.line]
        del accounts[pair.account.user_id]
    return pairs


def _account(user_id: int, ine: str, nom: str, prenom: str, naissance: str) -> Account:
    return Account(user_id, ine, nom, prenom, naissance, "I", "", "", f"u{user_id}", ACTIVE, 0)


PEOPLE = st.lists(st.tuples(TEXT, TEXT, TEXT, st.sampled_from(["", "2020-01-02", "2021-03-04"])), max_size=12)


@settings(max_examples=400)
@given(rows=PEOPLE, accounts=PEOPLE)
def test_each_tier_pairs_and_questions_as_its_definition(rows: list[Any], accounts: list[Any]) -> None:
    pupils = {line: Pupil(line, *row[:2], "", row[2], row[3]) for line, row in enumerate(rows, start=2)}
    pool = {uid: _account(uid, *values) for uid, values in enumerate(accounts, start=100)}
    got_rows, got_pool, got_ambiguous = list(pupils.values()), list(pool.values()), {}
    want_pupils, want_pool, want_ambiguous = dict(pupils), dict(pool), {}
    for name, keys, unless in TIERS:
        got, got_rows, got_pool = _tier(name, keys, unless, got_rows, got_pool, got_ambiguous)
        want = reference_tier(name, keys, unless, want_pupils, want_pool, want_ambiguous)
        assert sorted(got, key=lambda p: p.pupil.line) == sorted(want, key=lambda p: p.pupil.line)
        assert got_rows == list(want_pupils.values()) and got_pool == list(want_pool.values())
        assert list(got_ambiguous.items()) == list(want_ambiguous.items())


@settings(max_examples=500)
@given(st.text())
def test_squashing_keeps_exactly_the_alphanumeric_characters(text: str) -> None:
    assert _NOT_ALNUM.sub("", text) == "".join(c for c in text if c.isalnum())
