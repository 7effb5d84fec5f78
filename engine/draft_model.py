"""What ``rules draft`` found in an export: the proposals (field → column, and why) and the analysis they
belong to. Shared by engine.draft (which builds them) and engine.draft_yaml (which writes them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.draft_values import Shape
from engine.read import RawSource


@dataclass(frozen=True, slots=True)
class Proposal:
    """One field mapped to one column, and why."""

    field: str
    column: int  # 0-based
    header: str
    synonym: str
    header_similarity: float
    value_fit: float
    values: str  # the value evidence, shapes only
    confidence: float
    caveat: str | None = None  # what inspect will refuse with the drafted steps

    @property
    def level(self) -> str:
        return "high" if self.confidence >= 0.8 else "medium" if self.confidence >= 0.6 else "low"

    @property
    def evidence(self) -> str:
        said = (
            f"header ~ '{self.synonym}' ({self.header_similarity:.0%})"
            if self.header_similarity >= 0.3
            else "header unlike any known name"
        )
        return f"{said}; values: {self.values}"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What was found in the export: where its header is, the proposals, what is left."""

    raw: RawSource
    line: int
    headers: tuple[str, ...]
    shapes: tuple[Shape, ...]
    proposals: tuple[Proposal, ...]
    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]
    ignored: tuple[int, ...]
    unmapped: tuple[int, ...]
    from_data: Mapping[str, Any]  # the --from source file, as YAML data
    #: each field's rule as a source file writes it (from --from, else from another shipped format)
    field_specs: Mapping[str, Mapping[str, Any]]

    @property
    def rows(self) -> int:
        return self.shapes[0].rows if self.shapes else 0
