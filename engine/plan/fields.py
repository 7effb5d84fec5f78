"""Which columns of a matched account the file changes, as the ``fields`` policy says
(:class:`FieldChanges`): ``overwrite``, ``overwrite_if_present``, ``fill_if_empty`` or ``never``, with
``protect_if`` and the values counted as absent.
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any

from engine.read import Pupil, visible
from engine.state import Account

#: SACoche column → attribute of an :class:`~engine.state.Account`
ACCOUNT_ATTR = {
    "user_reference": "ine",
    "user_nom": "nom",
    "user_prenom": "prenom",
    "user_genre": "genre",
    "user_naissance_date": "naissance",
    "user_email": "email",
}

#: columns the project cleans more than SACoche does (the reader's NFC and removal of invisible characters;
#: clean_spaces folds tabs, no-break spaces and inner runs of spaces, and trims): a stored value that differs
#: from the new one only by that cleaning is unchanged, not an update
CLEANED_COLUMNS = frozenset({"user_nom", "user_prenom"})

#: one compared field: (column, policy, protect_if as (attr, value), pupil attr, account attr or None when
#: unknown (KeyError when used), values counted as absent)
FieldSpec = tuple[str, str, tuple[tuple[str, Any], ...], str, str | None, frozenset[str]]


def _cleaned(value: str) -> str:
    """A stored value cleaned as a new one is (NFC, invisible characters removed, then ``clean_spaces``)."""
    return " ".join(visible(unicodedata.normalize("NFC", value)).split())


def _account_attr(column: str) -> str:
    return {"user_email_origine": "email_origine"}.get(column, ACCOUNT_ATTR.get(column, column))


def field_specs(fields: Mapping[str, Mapping[str, Any]]) -> list[FieldSpec]:
    """The ``fields`` policy read once (fields whose policy is ``never`` left out)."""
    specs = []
    for column, spec in fields.items():
        policy = spec["policy"]
        if policy == "never":
            continue
        protect = tuple((_account_attr(c), v) for c, v in spec.get("protect_if", {}).items())
        absent = frozenset(spec.get("absent", ())) | {""}
        specs.append((column, policy, protect, spec["from"], ACCOUNT_ATTR.get(column), absent))
    return specs


def _same_fields(specs: Sequence[FieldSpec]) -> tuple[Any, Any] | None:
    """Getters of every compared field on both sides, for a one-comparison "nothing changed" test."""
    if len(specs) < 2 or any(attr is None for _, _, _, _, attr, _ in specs):  # one attr: no tuple
        return None
    return (
        _getter(tuple(source for _, _, _, source, _, _ in specs)),
        _getter(tuple(attr for _, _, _, _, attr, _ in specs if attr is not None)),
    )


@lru_cache(maxsize=16)
def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """``attrgetter(*names)`` (two names or more), compiled as a function when they are plain attribute
    names: slots read by bytecode cost half attrgetter's generic look-ups, twice per matched pair."""
    if all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        fields = ", ".join(f"record.{name}" for name in names)
        getter: Callable[[Any], tuple[Any, ...]] = eval(
            compile(f"lambda record: ({fields})", "<fields>", "eval")
        )
        return getter
    return attrgetter(*names)


class FieldChanges:
    """``changes(pupil, account)``: column → {"old", "new"} for the fields the policy lets the file change."""

    __slots__ = ("same", "specs")

    def __init__(self, fields: Mapping[str, Mapping[str, Any]]) -> None:
        self.specs = field_specs(fields)
        self.same = _same_fields(self.specs)

    def __call__(self, pupil: Pupil, account: Account) -> dict[str, dict[str, Any]]:
        if self.same is None:
            return self._changes(pupil, account, None)
        pupil_values, account_values = self.same
        news, olds = pupil_values(pupil), account_values(account)
        if news == olds:  # nothing differs: no change, protected or not
            return {}
        return self._changes(pupil, account, (news, olds))

    def _changes(
        self, pupil: Pupil, account: Account, read: tuple[tuple[Any, ...], tuple[Any, ...]] | None
    ) -> dict[str, dict[str, Any]]:
        """The changes; ``read``: every field's (new values, old values) when already read."""
        changes: dict[str, dict[str, Any]] = {}
        for position, (column, policy, protect, source, attr, absent) in enumerate(self.specs):
            if read is not None and read[0][position] == read[1][position]:
                continue  # the values just read (not read again): no change
            if protect and any(getattr(account, a, "") == v for a, v in protect):
                continue
            new = getattr(pupil, source)
            old = getattr(account, attr if attr is not None else ACCOUNT_ATTR[column])
            if new == old or (column in CLEANED_COLUMNS and _cleaned(old) == new):
                continue
            if policy == "overwrite_if_present" and new in absent:
                continue
            if policy == "fill_if_empty" and old not in absent:
                continue
            changes[column] = {"old": old, "new": new}
        return changes
