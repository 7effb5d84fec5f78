"""Stage 1 of the pipeline, reading: export files on disk → raw rows → typed records.

A reader starts here. The stage, in the order data flows through it:

- :mod:`~engine.read.sources` — :func:`open_sources`: one :class:`RawSource` per CSV file or worksheet,
  after :mod:`~engine.read.sniff` (file type by content), :mod:`~engine.read.encoding` (UTF-8 or a
  legacy encoding), :mod:`~engine.read.csvrows` (delimiter, CSV records) and :mod:`~engine.read.xlsx`
  (workbook rows); :mod:`~engine.read.cells` holds the per-cell checks shared by CSV and xlsx;
- :mod:`~engine.read.formats` — :func:`detect`: which ONDE format a source is and where its header is
  (:class:`HeaderMatch`);
- :mod:`~engine.read.normalise` — :func:`read_export`: rows → :class:`Pupil` records (an :class:`Export`;
  both in :mod:`~engine.read.records`), with :mod:`~engine.read.damage` grouping row errors;
  :mod:`~engine.read.parents` does the same for the parents' export (:func:`read_parents`).

Nothing here imports a later stage (match, plan, render): tests/unit/test_architecture.py checks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.read.cells import INVISIBLE, visible
from engine.read.formats import SHEET_STRIDE, HeaderMatch, detect, header_hint
from engine.read.normalise import Export, Pupil, paused_gc, read_export
from engine.read.sources import RawSource, open_sources

if TYPE_CHECKING:
    from engine.read.parents import ParentsExport, read_parents

#: names imported on first use: a plan reads no parents' export (2-3 ms of a small plan's start-up)
_LAZY = {"ParentsExport": "engine.read.parents", "read_parents": "engine.read.parents"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "INVISIBLE",
    "SHEET_STRIDE",
    "Export",
    "HeaderMatch",
    "ParentsExport",
    "Pupil",
    "RawSource",
    "detect",
    "header_hint",
    "open_sources",
    "paused_gc",
    "read_export",
    "read_parents",
    "visible",
]
