"""Third stage: pair the export's pupils with SACoche accounts, tier by tier, as the policy says.

Pure: a function of the pupils, the accounts, the matching policy and the user's earlier decisions; no
file or database. Tiers are tried in order against current AND former accounts; an account matches at
most one row. Anything uncertain (two candidates for a row, one account wanted by two rows, a fuzzy
resemblance) becomes an :class:`Ambiguity` for a person to decide; it is never guessed and never turns
into a silent creation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from engine.normalise import Pupil
from engine.ops import fold
from engine.state import Account


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


def _tier(
    name: str,
    keys: Sequence[str],
    unless_different: Sequence[str],
    pupils: dict[int, Pupil],
    accounts: dict[int, Account],
    ambiguous: dict[str, Ambiguity],
) -> list[Pair]:
    index: dict[tuple[str, ...], list[Account]] = defaultdict(list)
    for account in accounts.values():
        key = tuple(_value(account, k) for k in keys)
        if all(key):
            index[key].append(account)
    wanted: dict[tuple[str, ...], list[Pupil]] = defaultdict(list)
    for pupil in pupils.values():
        key = tuple(_value(pupil, k) for k in keys)
        if all(key) and key in index:
            wanted[key].append(pupil)
    pairs = []
    for key, rows in wanted.items():
        candidates = [
            a
            for a in index[key]
            if not any(
                _value(a, f) and _value(rows[0], f) and _value(a, f) != _value(rows[0], f)
                for f in unless_different
            )
        ]
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


def _fuzzy(
    policy: Mapping[str, Any],
    pupils: Iterable[Pupil],
    accounts: Iterable[Account],
    ambiguous: dict[str, Ambiguity],
    decisions: Decisions,
) -> None:
    """Propose look-alikes, blocked by birth date or by folded names (never all pairs)."""
    by_birth: dict[str, list[Account]] = defaultdict(list)
    by_names: dict[tuple[str, str], list[Account]] = defaultdict(list)
    for account in accounts:
        by_names[(fold(account.nom), fold(account.prenom))].append(account)
        if account.naissance:
            by_birth[account.naissance].append(account)
    max_edits = int(policy.get("max_edits", 1))
    folded_same_birth = bool(policy.get("folded_same_birth", True))

    def squash(text: str) -> str:
        return "".join(c for c in fold(text) if c.isalnum())

    for pupil in pupils:
        key = pupil_key(pupil)
        if key in ambiguous:
            continue
        found: dict[int, tuple[Account, str, str]] = {}
        names = (fold(pupil.nom), fold(pupil.prenom))
        target = squash(pupil.nom + pupil.prenom)
        for account in by_birth.get(pupil.naissance, ()) if pupil.naissance else ():
            other = squash(account.nom + account.prenom)
            if folded_same_birth and other == target:
                found[account.user_id] = (
                    account,
                    "same names except case, accents, hyphens or spaces, same birth date",
                    "fuzzy_folded",
                )
            elif max_edits and Levenshtein.distance(target, other, score_cutoff=max_edits) <= max_edits:
                found.setdefault(
                    account.user_id,
                    (
                        account,
                        f"names differ by at most {max_edits} letter(s), same birth date",
                        "fuzzy_typo",
                    ),
                )
        for account in by_names.get(names, ()):
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
    decisions = decisions or Decisions()
    remaining = {p.line: p for p in sorted(pupils, key=lambda p: p.line)}
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
        pairs=tuple(sorted(pairs, key=lambda p: p.pupil.line)),
        new=tuple(p for p in remaining.values() if pupil_key(p) not in ambiguous),
        missing=tuple(a for a in pool.values() if a.user_id not in in_question),
        ambiguities=tuple(sorted(ambiguous.values(), key=lambda a: a.pupil.line)),
        stale=tuple(stale),
    )
