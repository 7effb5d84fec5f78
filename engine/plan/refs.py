"""SACoche refs and names of classes and groups, from the policy: pure functions, no plan context.

A class is one ONDE class × niveau (:func:`class_of`, memoised by :class:`ClassOf`); a group is one ONDE
regroupement (:func:`group_ref`); a niveau ref maps to SACoche's ``sacoche_niveau`` (:func:`niveau_id_for`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from engine.errors import OndeError
from engine.match import ref_key
from engine.ops import Context, compile_steps, fold, run_steps
from engine.read import Export, Pupil
from engine.state import State


@dataclass(frozen=True, slots=True)
class WantedClass:
    """A class as the export wants it (its SACoche ref, name and niveau)."""

    ref: str
    name: str
    niveau: str
    classe_id: str
    label: str
    first_line: int


def class_of(
    pupil: Pupil, policy: Mapping[str, Any], ctx: Context, shortened: dict[str, str] | None = None
) -> tuple[str, str, str]:
    """(ref, name, niveau) of the SACoche class for a pupil: one class per ONDE class × niveau;
    ``shortened``: labels already shortened with this policy and context (read and filled)."""
    niveau = pupil.niveau or policy.get("niveau_when_empty", "MULTI")
    ref = policy.get("ref", "{classe_id}_{niveau}").format(classe_id=pupil.classe_id, niveau=niveau)
    ref = ref.strip().upper()[: int(policy.get("ref_length", 10))]
    label = pupil.classe_label
    table = policy.get("label_table")
    if table and label:
        short = shortened.get(label) if shortened is not None else None
        if short is None:
            short = str(run_steps(label, _shorten_steps(table), ctx))
            if shortened is not None:
                shortened[label] = short
        label = short
    name = policy.get("name", "[{niveau}] {label}").format(
        niveau=niveau, label=label, classe_id=pupil.classe_id
    )
    return ref, name[: int(policy.get("name_length", 20))], niveau


@lru_cache(maxsize=16)
def _shorten_steps(table: str) -> list[Any]:
    return compile_steps([{"shorten": table}])


class ClassOf:
    """:func:`class_of` memoised for one policy and context: it depends only on the pupil's class id,
    niveau and class label, and a school has few of those (label shortening per pupil was a hot spot);
    a label is shortened once (a class of two niveaux has one label)."""

    __slots__ = ("cache", "ctx", "policy", "shortened")

    def __init__(self, policy: Mapping[str, Any], ctx: Context) -> None:
        self.policy, self.ctx = policy, ctx
        self.cache: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.shortened: dict[str, str] = {}

    def __call__(self, pupil: Pupil) -> tuple[str, str, str]:
        key = (pupil.classe_id, pupil.niveau, pupil.classe_label)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = class_of(pupil, self.policy, self.ctx, self.shortened)
        return found

    def by_key(self, key: tuple[str, str, str]) -> tuple[str, str, str]:
        """The same for a (classe_id, niveau, classe_label) key."""
        found = self.cache.get(key)
        if found is None:
            classe_id, niveau, label = key
            pupil = Pupil(line=0, classe_id=classe_id, niveau=niveau, classe_label=label)
            found = self.cache[key] = class_of(pupil, self.policy, self.ctx, self.shortened)
        return found


#: :func:`class_key` as an attrgetter, for ``map`` over many pupils
CLASS_KEY = attrgetter("classe_id", "niveau", "classe_label")
_NOT_REF_CHARS = re.compile(r"[^0-9A-Z]+")


def class_key(pupil: Pupil) -> tuple[str, str, str]:
    """What :func:`class_of` depends on: (classe_id, niveau, classe_label), the key of :class:`ClassOf`."""
    return (pupil.classe_id, pupil.niveau, pupil.classe_label)


def wanted_classes(
    export: Export, policy: Mapping[str, Any], ctx: Context, *, memo: ClassOf | None = None
) -> dict[str, WantedClass]:
    """Classes the export implies, by :func:`ref_key` of their ref; two ONDE classes cut to the same ref (as
    MySQL compares refs) are an error."""
    classes: dict[str, WantedClass] = {}
    class_of_pupil = memo or ClassOf(policy, ctx)
    # the first pupil of each (classe_id, niveau, classe_label), in file order: the class depends on
    # nothing else, so the others would only repeat it (found by a dict, no Python step per pupil)
    keys = [(p.classe_id, p.niveau, p.classe_label) for p in export.pupils]  # class_key
    first = dict(zip(reversed(keys), reversed(export.pupils), strict=True))
    for pupil in map(first.__getitem__, dict.fromkeys(keys)):
        if not pupil.classe_id:  # admitted, not yet in a class: no class to make
            continue
        ref, name, niveau = class_of_pupil(pupil)
        key = ref_key(ref)
        known = classes.get(key)
        if known is None:
            classes[key] = WantedClass(ref, name, niveau, pupil.classe_id, pupil.classe_label, pupil.line)
        elif (known.classe_id, known.niveau) != (pupil.classe_id, niveau):
            raise OndeError(
                f"two classes get the same SACoche ref {ref!r} once cut to {policy.get('ref_length', 10)} "
                f"characters (class {known.classe_id} niveau {known.niveau} on line {known.first_line}, and "
                f"class {pupil.classe_id} niveau {niveau}); SACoche's own import would merge them silently",
                file=export.path,
                line=pupil.line,
                hint="raise classes.ref_length (up to 20) or change classes.ref in rules/policy/plan.yaml",
            )
    return classes


def group_ref(label: str, policy: Mapping[str, Any]) -> str:
    """A readable, stable ref for an ONDE regroupement: prefix + folded label, hashed when too long."""
    prefix = policy.get("ref_prefix", "RG_")
    length = int(policy.get("ref_length", 20))
    slug = _NOT_REF_CHARS.sub("_", fold(label).upper()).strip("_") or "GROUPE"
    if len(prefix) + len(slug) <= length:
        return prefix + slug
    digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:6].upper()
    return f"{prefix}{slug[: length - len(prefix) - 7]}_{digest}"


def niveau_id_for(niveau: str, state: State) -> int:
    """SACoche niveau for a niveau ref: exact match, else the longest niveau_ref that prefixes it, else 0."""
    by_ref = {n.ref.upper(): n.niveau_id for n in state.niveaux}
    if niveau.upper() in by_ref:
        return by_ref[niveau.upper()]
    prefixes = [r for r in by_ref if r and niveau.upper().startswith(r)]
    return by_ref[max(prefixes, key=len)] if prefixes else 0
