"""Third stage: pair the export's pupils with SACoche accounts, tier by tier, as the policy says.

Pure: a function of the pupils, the accounts, the matching policy and the user's earlier decisions; no
file or database. Tiers are tried in order against current AND former accounts; an account matches at
most one row. Anything uncertain (two candidates for a row, one account wanted by two rows, a fuzzy
resemblance) becomes an :class:`Ambiguity` for a person to decide; it is never guessed and never turns
into a silent creation.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from engine.ops import fold
from engine.read import Pupil, paused_gc
from engine.state import Account

_LINE = attrgetter("line")
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


@dataclass(frozen=True, slots=True)
class Pair:
    """A pupil of the export matched to an account, and the tier that matched them."""

    pupil: Pupil
    account: Account
    tier: str


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
    pupils: dict[int, Pupil], accounts: dict[int, Account], decisions: Decisions
) -> tuple[list[Pair], list[str]]:
    pairs, stale = [], []
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
    return pairs, stale


def _key_function(keys: Sequence[str]) -> Any:
    """record → its tier key (the exact-compared values), or None when one of them is empty."""
    if len(keys) == 1:
        (attr,) = keys

        def one(record: Pupil | Account) -> str | None:
            value = getattr(record, attr)
            return (_exact(value) or None) if value else None

        return one

    def several(record: Pupil | Account) -> tuple[str, ...] | None:
        key = tuple(_exact(getattr(record, k)) for k in keys)
        return key if all(key) else None

    return several


def _grouped(index: dict[Any, Any], key: Any, record: Any) -> None:
    """index[key] is a record, or a list once a second record has the same key (saves a list per key)."""
    found = index.get(key)
    if found is None:
        index[key] = record
    elif type(found) is list:
        found.append(record)
    else:
        index[key] = [found, record]


def _tier(
    name: str,
    keys: Sequence[str],
    unless_different: Sequence[str],
    pupils: dict[int, Pupil],
    accounts: dict[int, Account],
    ambiguous: dict[str, Ambiguity],
) -> list[Pair]:
    key_of = _key_function(keys)
    index: dict[Any, Any] = {}  # key → account, or list of accounts in pool order
    for account in accounts.values():
        key = key_of(account)
        if key is not None:
            _grouped(index, key, account)
    wanted: dict[Any, Any] = {}  # key → pupil, or list of pupils in row order
    for pupil in pupils.values():
        key = key_of(pupil)
        if key is not None and key in index:
            _grouped(wanted, key, pupil)
    pairs = []
    for key, found in wanted.items():
        rows = found if type(found) is list else [found]
        accounts_found = index[key]
        same_key = accounts_found if type(accounts_found) is list else [accounts_found]
        if unless_different:
            first = rows[0]
            candidates = [
                a
                for a in same_key
                if not any(
                    _value(a, f) and _value(first, f) and _value(a, f) != _value(first, f)
                    for f in unless_different
                )
            ]
        else:
            candidates = same_key
        if len(rows) == 1 and len(candidates) == 1:
            pairs.append(Pair(rows[0], candidates[0], name))
            continue
        if not candidates:
            continue
        for row in rows:
            if len(rows) > 1:
                reason = (
                    f"{len(rows)} rows and {len(candidates)} account(s) share the same {' + '.join(keys)}"
                )
            else:
                reason = f"{len(candidates)} accounts have the same {' + '.join(keys)}"
            ambiguous.setdefault(pupil_key(row), Ambiguity(row, tuple(candidates), reason, name))
    for pair in pairs:
        del pupils[pair.pupil.line]
        del accounts[pair.account.user_id]
    return pairs


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
            value = squashed[text] = "".join(c for c in fold(text) if c.isalnum())
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
    remaining = {p.line: p for p in sorted(pupils, key=_LINE)}
    pool = {a.user_id: a for a in accounts}
    pairs, stale = _apply_decisions(remaining, pool, decisions)
    ambiguous: dict[str, Ambiguity] = {}
    for tier in policy["tiers"]:
        pairs.extend(
            _tier(tier["name"], tier["keys"], tier.get("unless_different", ()), remaining, pool, ambiguous)
        )
    unresolved = [p for p in remaining.values() if pupil_key(p) not in ambiguous]
    _fuzzy(policy.get("fuzzy", {}), unresolved, pool.values(), ambiguous, decisions)
    if decisions.different:
        keys = {pupil_key(p) for p in pupils}
        user_ids = {a.user_id for a in accounts}
        for key, user_id in sorted(decisions.different):
            if key not in keys or user_id not in user_ids:
                stale.append(f"different: {key} ↔ account {user_id} (row or account not found)")
    in_question = {a.user_id for amb in ambiguous.values() for a in amb.candidates}
    return Matching(
        pairs=tuple(sorted(pairs, key=_PUPIL_LINE)),
        new=tuple(p for p in remaining.values() if pupil_key(p) not in ambiguous),
        missing=tuple(a for a in pool.values() if a.user_id not in in_question),
        ambiguities=tuple(sorted(ambiguous.values(), key=_PUPIL_LINE)),
        stale=tuple(stale),
    )
