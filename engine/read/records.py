"""The read stage's values: one :class:`Pupil` per row of the export, and the whole :class:`Export`
(engine.read.normalise builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
