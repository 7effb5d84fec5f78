"""Third stage: pair the export's pupils with SACoche accounts, tier by tier, as the policy says.

Pure: a function of the pupils, the accounts, the matching policy and the user's earlier decisions; no
file or database. Tiers are tried in order against current AND former accounts; an account matches at
most one row. Anything uncertain (two candidates for a row, one account wanted by two rows, a fuzzy
resemblance) becomes an :class:`Ambiguity` for a person to decide; it is never guessed and never turns
into a silent creation.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from typing import Any

from engine.ops import fold
from engine.read import Pupil, paused_gc
from engine.state import Account

_LINE = attrgetter("line")
#: what str.isalnum() refuses: re's \w is isalnum() or "_" (sre's SRE_UNI_IS_WORD), so this removes
#: exactly the characters ``"".join(c for c in text if c.isalnum())`` drops, in C
_NOT_ALNUM = re.compile(r"[\W_]+")
_PUPIL_LINE = attrgetter("pupil.line")


def ref_key(ref: str) -> str:
    """A groupe_ref as MySQL compares it under utf8_unicode_ci (PAD SPACE): trailing spaces, case and
    accents ignored, so ``104565_CP `` (what SACoche's wizard stores) is the class ``104565_CP``."""
    text = ref.rstrip(" ")
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.casefold()


def pupil_key(pupil: Pupil) -> str:
    """A stable identity for a row across exports: its INE, else its names and birth date."""
    if pupil.ine:
        return f"ine:{pupil.ine}"
    return f"id:{pupil.nom}|{pupil.prenom}|{pupil.naissance}"


def _exact(value: str) -> str:
    return " ".join(value.casefold().split())


def _value(record: Pupil | Account, name: str) -> str:
    return _exact(getattr(record, name))


@dataclass(frozen=True, slots=True, init=False)
class Pair:
    """A pupil of the export matched to an account, and the tier that matched them."""

    pupil: Pupil
    account: Account
    tier: str

    def __init__(self, pupil: Pupil, account: Account, tier: str) -> None:
        # the slots' own setters, not object.__setattr__ per field as a frozen dataclass does: a pair
        # per pupil of the file
        _SET_PUPIL(self, pupil)
        _SET_ACCOUNT(self, account)
        _SET_TIER(self, tier)


_SET_PUPIL, _SET_ACCOUNT, _SET_TIER = (getattr(Pair, name).__set__ for name in ("pupil", "account", "tier"))


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A row that needs a person: candidates side by side and why."""

    pupil: Pupil
    candidates: tuple[Account, ...]
    reason: str
    rule: str


@dataclass(frozen=True, slots=True)
class Decisions:
    """A person's answers from a decisions file: which rows are which accounts, and which are not."""

    same: Mapping[str, int] = field(default_factory=dict)  # pupil key → user_id
    different: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class Matching:
    """What matching found: pairs, new pupils, accounts not in the export, ambiguities."""

    pairs: tuple[Pair, ...]
    new: tuple[Pupil, ...]
    missing: tuple[Account, ...]
    ambiguities: tuple[Ambiguity, ...]
    stale: tuple[str, ...] = ()


def _apply_decisions(
    rows: list[Pupil], pool: list[Account], decisions: Decisions
) -> tuple[list[Pair], list[str], list[Pupil], list[Account]]:
    """The pairs a person decided, the stale answers, and the rows and accounts left to the tiers."""
    pairs: list[Pair] = []
    stale: list[str] = []
    if not decisions.same:
        return pairs, stale, rows, pool
    pupils = {p.line: p for p in rows}
    accounts = {a.user_id: a for a in pool}
    by_key = {pupil_key(p): p for p in pupils.values()}
    for key, user_id in decisions.same.items():
        pupil, account = by_key.get(key), accounts.get(user_id)
        if pupil is None or account is None:
            stale.append(
                f"same: {key} ↔ account {user_id} ({'row' if pupil is None else 'account'} not found)"
            )
            continue
        pairs.append(Pair(pupil, account, "decision"))
        del pupils[pupil.line]
        del accounts[user_id]
    return pairs, stale, list(pupils.values()), list(accounts.values())


def _tier_keys(records: Sequence[Pupil | Account], keys: Sequence[str]) -> list[Any]:
    """Each record's tier key (its exact-compared values, a str for one key, else a tuple), or None when
    one of them is empty."""
    # _exact inline (no call per value); an alphanumeric value (an INE, most names) has no space to
    # fold, and casefold() puts none in any letter or digit, so it is only case-folded
    columns = [
        [
            (value.casefold() if value.isalnum() else " ".join(value.casefold().split())) if value else ""
            for value in map(attrgetter(name), records)
        ]
        for name in keys
    ]
    if len(columns) == 1:
        return [key or None for key in columns[0]]
    return [key if all(key) else None for key in zip(*columns, strict=True)]


def _positions(keys: list[Any]) -> dict[Any, Any]:
    """key → its position in ``keys``, or the list of its positions when several have it (None left out)."""
    index = dict(zip(keys, range(len(keys)), strict=True))
    index.pop(None, None)
    if len(index) < len(keys) - keys.count(None):  # some key is shared
        shared = {key for key, count in Counter(keys).items() if count > 1 and key is not None}
        for key in shared:
            index[key] = []
        for position in [i for i, key in enumerate(keys) if key in shared]:
            index[keys[position]].append(position)
    return index


def _wanted(row: Pupil, unless_different: Sequence[str]) -> list[tuple[str, str]]:
    """(field, exact-compared value) of the row's non-empty ``unless_different`` fields."""
    return [(f, v) for f in unless_different if (v := _value(row, f))]


def _differs(account: Account, wanted: Sequence[tuple[str, str]]) -> bool:
    """Whether the account has another non-empty value than a row's (``wanted``: (field, the row's
    exact-compared value) for the row's non-empty ``unless_different`` fields)."""
    for name, value in wanted:
        theirs = _value(account, name)
        if theirs and theirs != value:
            return True
    return False


def _tier(
    name: str,
    keys: Sequence[str],
    unless_different: Sequence[str],
    rows: list[Pupil],
    pool: list[Account],
    ambiguous: dict[str, Ambiguity],
) -> tuple[list[Pair], list[Pupil], list[Account]]:
    """The pairs of one tier, and the rows and accounts it leaves (in their order).

    Whole columns at a time (every tier keys all the remaining rows and accounts, hundreds of thousands
    in a big school): keys by comprehensions, look-ups by ``map``, rows and accounts left by ``compress``,
    positions rather than dicts of records.
    """
    index = _positions(_tier_keys(pool, keys))  # key → position in pool, or positions in pool order
    row_keys = _tier_keys(rows, keys)
    hits = list(map(index.get, row_keys))
    rows_of = _positions([key if hit is not None else None for key, hit in zip(row_keys, hits, strict=True)])
    rows_left, pool_left = bytearray(b"\x01") * len(rows), bytearray(b"\x01") * len(pool)
    pairs = []
    for at in rows_of.values():  # each key's rows, in the order of its first row
        if type(at) is int and type(hits[at]) is int:  # one row, one account: the common case, first
            first, account = rows[at], pool[hits[at]]
            if unless_different and _differs(account, _wanted(first, unless_different)):
                continue
            pairs.append(Pair(first, account, name))
            rows_left[at] = pool_left[hits[at]] = 0
            continue
        row_positions = at if type(at) is list else [at]
        hit = hits[row_positions[0]]
        positions = hit if type(hit) is list else [hit]  # its accounts, in pool order
        first = rows[row_positions[0]]
        wanted = _wanted(first, unless_different)
        if wanted:
            positions = [i for i in positions if not _differs(pool[i], wanted)]
        candidates = [pool[i] for i in positions]
        if len(row_positions) == 1 and len(candidates) == 1:
            pairs.append(Pair(first, candidates[0], name))
            rows_left[row_positions[0]] = 0
            pool_left[positions[0]] = 0
            continue
        if not candidates:
            continue
        for row in (rows[i] for i in row_positions):
            if len(row_positions) > 1:
                shared = f"{len(candidates)} account(s) share the same {' + '.join(keys)}"
                reason = f"{len(row_positions)} rows and {shared}"
            else:
                reason = f"{len(candidates)} accounts have the same {' + '.join(keys)}"
            ambiguous.setdefault(pupil_key(row), Ambiguity(row, tuple(candidates), reason, name))
    return pairs, list(compress(rows, rows_left)), list(compress(pool, pool_left))


#: a birth-date block at least this big, asked by at least _INDEX_MIN_ROWS rows, gets a deletion index
_INDEX_MIN_BLOCK = 64
_INDEX_MIN_ROWS = 4
#: deletion indexes are exact for any number of edits, but their size grows as length**max_edits
_INDEX_MAX_EDITS = 2


def _deletions(text: str, edits: int) -> set[str]:
    """Every string made from ``text`` by deleting at most ``edits`` characters (itself included).

    Two strings within Levenshtein distance d always share one (the symmetric-delete property), so
    looking up these variants finds every look-alike of a block without comparing all pairs.
    """
    out = {text}
    frontier = {text}
    for _ in range(edits):
        frontier = {t[:i] + t[i + 1 :] for t in frontier for i in range(len(t))}
        out |= frontier
    return out


def _fuzzy(
    policy: Mapping[str, Any],
    pupils: Iterable[Pupil],
    accounts: Iterable[Account],
    ambiguous: dict[str, Ambiguity],
    decisions: Decisions,
) -> None:
    """Propose look-alikes, blocked by birth date or by folded names (never all pairs).

    Within a birth date, a block with many accounts asked by several rows is searched through a deletion
    index (same results as comparing each row with each account of the block, in the same order).
    """
    folded: dict[str, str] = {}
    squashed: dict[str, str] = {}

    def fold_(text: str) -> str:
        value = folded.get(text)
        if value is None:
            value = folded[text] = fold(text)
        return value

    def squash(text: str) -> str:
        value = squashed.get(text)
        if value is None:
            value = squashed[text] = _NOT_ALNUM.sub("", fold(text))
        return value

    by_birth: dict[str, list[Account]] = defaultdict(list)
    by_names: dict[tuple[str, str], list[Account]] = defaultdict(list)
    for account in accounts:
        by_names[(fold_(account.nom), fold_(account.prenom))].append(account)
        if account.naissance:
            by_birth[account.naissance].append(account)
    max_edits = int(policy.get("max_edits", 1))
    folded_same_birth = bool(policy.get("folded_same_birth", True))
    folded_reason = "same names except case, accents, hyphens or spaces, same birth date"
    typo_reason = f"names differ by at most {max_edits} letter(s), same birth date"

    pupils = list(pupils)
    by_date: dict[str, list[Pupil]] = defaultdict(list)
    for pupil in pupils:
        if pupil.naissance and pupil.naissance in by_birth:
            by_date[pupil.naissance].append(pupil)
    birth_found: dict[int, list[tuple[Account, str, str]]] = {}  # row line → look-alikes of its date
    if by_date and max_edits:  # imported only when there is something to compare (~7 ms of start-up)
        from rapidfuzz.distance import Levenshtein
    for naissance, asking in by_date.items():
        block = by_birth[naissance]
        others = [squash(a.nom + a.prenom) for a in block]
        index: dict[str, list[int]] | None = None
        if (
            max_edits
            and max_edits <= _INDEX_MAX_EDITS
            and len(block) >= _INDEX_MIN_BLOCK
            and len(asking) >= _INDEX_MIN_ROWS
        ):
            index = defaultdict(list)
            for position, other in enumerate(others):
                for variant in _deletions(other, max_edits):
                    index[variant].append(position)
        for pupil in asking:
            target = squash(pupil.nom + pupil.prenom)
            if index is None:
                positions: Iterable[int] = range(len(block))
            else:
                near: set[int] = set()
                for variant in _deletions(target, max_edits):
                    near.update(index.get(variant, ()))
                positions = sorted(near)
            hits = []
            for position in positions:
                other = others[position]
                if folded_same_birth and other == target:
                    hits.append((block[position], folded_reason, "fuzzy_folded"))
                elif max_edits and Levenshtein.distance(target, other, score_cutoff=max_edits) <= max_edits:
                    hits.append((block[position], typo_reason, "fuzzy_typo"))
            if hits:
                birth_found[pupil.line] = hits

    for pupil in pupils:
        key = pupil_key(pupil)
        if key in ambiguous:
            continue
        found: dict[int, tuple[Account, str, str]] = {}
        for hit in birth_found.get(pupil.line, ()) if pupil.naissance else ():
            found.setdefault(hit[0].user_id, hit)
        for account in by_names.get((fold_(pupil.nom), fold_(pupil.prenom)), ()):
            found.setdefault(
                account.user_id,
                (account, "same nom and prénom, different or missing birth date or INE", "fuzzy_names"),
            )
        candidates = [v for uid, v in found.items() if (key, uid) not in decisions.different]
        if candidates:
            reason = "; ".join(sorted({r for _, r, _ in candidates}))
            rule = sorted({rule for _, _, rule in candidates})[0]
            ambiguous[key] = Ambiguity(pupil, tuple(a for a, _, _ in candidates), reason, rule)


def match(
    pupils: Sequence[Pupil],
    accounts: Sequence[Account],
    policy: Mapping[str, Any],
    decisions: Decisions | None = None,
) -> Matching:
    """Pair rows with accounts; return the pairs, the new rows, the accounts missing, the ambiguities."""
    with paused_gc():
        return _match(pupils, accounts, policy, decisions or Decisions())


def _match(
    pupils: Sequence[Pupil], accounts: Sequence[Account], policy: Mapping[str, Any], decisions: Decisions
) -> Matching:
    pairs, stale, remaining, pool = _apply_decisions(sorted(pupils, key=_LINE), list(accounts), decisions)
    ambiguous: dict[str, Ambiguity] = {}
    for tier in policy["tiers"]:
        unless = tier.get("unless_different", ())
        found, remaining, pool = _tier(tier["name"], tier["keys"], unless, remaining, pool, ambiguous)
        pairs.extend(found)
    unresolved = [p for p in remaining if pupil_key(p) not in ambiguous]
    _fuzzy(policy.get("fuzzy", {}), unresolved, pool, ambiguous, decisions)
    if decisions.different:
        keys = {pupil_key(p) for p in pupils}
        user_ids = {a.user_id for a in accounts}
        for key, user_id in sorted(decisions.different):
            if key not in keys or user_id not in user_ids:
                stale.append(f"different: {key} ↔ account {user_id} (row or account not found)")
    in_question = {a.user_id for amb in ambiguous.values() for a in amb.candidates}
    return Matching(
        pairs=tuple(sorted(pairs, key=_PUPIL_LINE)),
        new=tuple(p for p in remaining if pupil_key(p) not in ambiguous),
        missing=tuple(a for a in pool if a.user_id not in in_question),
        ambiguities=tuple(sorted(ambiguous.values(), key=_PUPIL_LINE)),
        stale=tuple(stale),
    )
