"""Checks of an export's pupils as a whole, once every row is read (engine.read.normalise): a pupil
listed twice, niveaux the rules do not know."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from operator import attrgetter, not_
from typing import Any

from engine.read import damage
from engine.read.formats import HeaderMatch
from engine.read.records import Pupil
from engine.rules import RuleSet


def check_duplicates(pupils: Sequence[Pupil], reader: Any) -> None:
    """Record (or warn about, as the duplicates policy says) a pupil listed twice: the same INE, or the
    same nom, prénom and birth date without INE; ``reader``: engine.read.normalise's row reader."""
    if not _may_have_duplicates(pupils):
        return
    policy = reader.rules.policy.get("duplicates", {})
    by_ine: dict[str, int] = {}
    by_identity: dict[tuple[str, str, str], int] = {}
    for pupil in pupils:
        if pupil.ine:
            first = by_ine.setdefault(pupil.ine, pupil.line)
            if first != pupil.line:
                message = (
                    f"the same INE as {reader.match.label(first)}: one pupil listed twice, or a typing error"
                )
                if policy.get("ine", "error") == "error":
                    reader.error(
                        pupil.line, "ine", message, hint="keep one line per pupil; check both INE in ONDE"
                    )
                else:
                    reader.warnings.append(f"{reader.match.label(pupil.line)}: {message}")
            continue
        key = (pupil.nom, pupil.prenom, pupil.naissance)
        first = by_identity.setdefault(key, pupil.line)
        if first != pupil.line:
            message = (
                f"same nom, prénom and birth date as {reader.match.label(first)}, and neither has an INE"
            )
            if policy.get("identity_without_ine", "error") == "error":
                reader.error(
                    pupil.line, None, message, hint="keep one line per pupil (twins have different prénoms)"
                )
            else:
                reader.warnings.append(f"{reader.match.label(pupil.line)}: {message}")


_INE = attrgetter("ine")
_IDENTITY = attrgetter("nom", "prenom", "naissance")
_NIVEAU = attrgetter("niveau")


def _may_have_duplicates(pupils: Sequence[Pupil]) -> bool:
    """Whether two pupils share an INE, or two without INE their identity (checked in C: the loop of
    :func:`check_duplicates` then finds which)."""
    ines = list(map(_INE, pupils))
    with_ine = list(filter(None, ines))
    if len(set(with_ine)) != len(with_ine):
        return True
    identities = list(map(_IDENTITY, compress(pupils, map(not_, ines))))
    return len(set(identities)) != len(identities)


def unknown_niveaux(pupils: Sequence[Pupil], rules: RuleSet, match: HeaderMatch) -> list[str]:
    """Warn about niveaux that the 'niveaux' table does not know (SACoche may not find their niveau)."""
    table = rules.tables.get("niveaux")
    if table is None:
        return []
    known = set(table["lookup"].values())
    if known.issuperset(filter(None, map(_NIVEAU, pupils))):  # the usual case, in C
        return []
    unknown: dict[str, list[int]] = {}
    for pupil in pupils:
        if pupil.niveau and pupil.niveau not in known:
            unknown.setdefault(pupil.niveau, []).append(pupil.line)
    return [
        f"niveau '{niveau}' ({damage.lines_text(match, lines)}) "
        "is not in "
        "tables/niveaux.yaml: add it there if it is a real niveau"
        for niveau, lines in unknown.items()
    ]
