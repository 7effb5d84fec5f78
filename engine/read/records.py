"""The read stage's values: one :class:`Pupil` per row of the export, and the whole :class:`Export`
(engine.read.normalise builds them)."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import petl  # imported by .table() only: a plan does not need it

from engine.read.formats import HeaderMatch
from engine.read.sources import RawSource
from engine.rules import SourceRules


@dataclass(frozen=True, slots=True)
class Pupil:
    """One pupil as the export describes them, normalised; ``line`` is the physical line in the file."""

    line: int
    ine: str = ""
    nom: str = ""
    nom_usage: str = ""
    prenom: str = ""
    naissance: str = ""  # yyyy-mm-dd or ""
    genre: str = "I"
    niveau: str = ""  # SACoche niveau_ref (CP, CE1…), "" when the export has none (ULIS, UPE2A…)
    classe_id: str = ""
    classe_label: str = ""
    dispositif: str = ""
    regroupements: tuple[str, ...] = ()
    email: str = ""


PUPIL_FIELDS = tuple(f for f in Pupil.__dataclass_fields__ if f != "line")

T = TypeVar("T")


def instances(cls: type[T], count: int, columns: Mapping[str, Sequence[Any]]) -> list[T]:
    """``count`` records of a frozen dataclass with slots, each field from its column (one value per
    record, in order) or its default: the records ``cls(**row)`` gives for each row, made a field at a
    time (a generated ``__init__`` sets each field through ``object.__setattr__``: most of the time of
    making many small records). Raises TypeError for a field without column nor default."""
    made = list(map(object.__new__, repeat(cls, count)))
    for name, setter, default in _setters(cls):
        column = columns.get(name)
        if column is None:
            if default is MISSING:
                raise TypeError(f"{cls.__name__}: no column for field {name!r}")
            column = repeat(default, count)  # type: ignore[assignment]
        elif len(column) != count:
            raise ValueError(f"{cls.__name__}: {len(column)} values of {name!r} for {count} records")
        deque(map(setter, made, column), 0)
    return made


@functools.cache
def _setters(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    """(field, its slot's setter, its default or MISSING) of a frozen dataclass with slots whose
    ``__init__`` only sets its fields (no factory, no ``__post_init__``)."""
    if not cls.__dataclass_params__.frozen or "__slots__" not in cls.__dict__:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    found = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: a factory or a field outside __init__")
        found.append((f.name, cls.__dict__[f.name].__set__, f.default))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Export:
    """A whole export, read and normalised: the file's facts, its pupils and non-fatal warnings."""

    path: Path
    source: SourceRules
    raw: RawSource
    header: HeaderMatch
    pupils: tuple[Pupil, ...]
    warnings: tuple[str, ...] = field(default=())

    def table(self) -> petl.Table:
        """The pupils as a petl table (one column per record field)."""
        import petl

        return petl.fromdicts(
            [{"line": p.line, **{f: getattr(p, f) for f in PUPIL_FIELDS}} for p in self.pupils],
            header=["line", *PUPIL_FIELDS],
        )
