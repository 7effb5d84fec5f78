"""What ``inspect`` shows of an export: format, encoding, classes, niveaux, groups, warnings."""

from __future__ import annotations

from typing import Any

import petl

from engine.read import SHEET_STRIDE, Export, visible


def overview(export: Export) -> dict[str, Any]:
    """A JSON-ready description of a normalised export (no pupil names: counts and labels only)."""
    table = export.table()
    without_class = sum(1 for p in export.pupils if not p.classe_id)
    table = petl.select(table, lambda row: bool(row["classe_id"])) if without_class else table
    classes = []
    by_class = petl.aggregate(
        table,
        key="classe_id",
        aggregation={
            "label": ("classe_label", lambda labels: sorted(set(labels))),
            "niveaux": ("niveau", lambda values: sorted({v or "multi" for v in values})),
            "pupils": len,
            "first_line": ("line", min),
        },
    )
    for row in petl.sort(by_class, "first_line").dicts():
        classes.append(
            {
                "id": row["classe_id"],
                "label": " / ".join(row["label"]),
                "niveaux": row["niveaux"],
                "pupils": row["pupils"],
            }
        )
    counts = petl.valuecounter(table, "niveau")
    first_seen: dict[str, int] = {}
    for pupil in export.pupils:
        if pupil.classe_id:
            first_seen.setdefault(pupil.niveau, pupil.line)
    school_order = sorted(counts, key=first_seen.__getitem__)
    niveaux = {n or "multi": counts[n] for n in school_order}
    groups: dict[str, int] = {}
    for pupil in export.pupils:
        for group in pupil.regroupements:
            groups[group] = groups.get(group, 0) + 1
    dispositifs = {d: c for d, c in petl.valuecounter(table, "dispositif").items() if d}
    raw = export.raw
    per_sheet: dict[int, int] = {}
    for pupil in export.pupils:
        index = pupil.line // SHEET_STRIDE
        per_sheet[index] = per_sheet.get(index, 0) + 1
    sheets = [
        {"name": visible(part.sheet or ""), "header_line": line, "pupils": per_sheet.get(i, 0)}
        for i, (part, line) in enumerate(export.header.tables)
        if part.kind == "xlsx"
    ]
    return {
        "file": str(export.path),
        "format": export.source.id,
        "format_label": export.source.label,
        "format_confirmed": export.source.confirmed,
        "kind": raw.kind,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sheet": visible(raw.sheet) if raw.sheet is not None else None,
        "sheets": sheets,
        "ignored_sheets": list(export.header.ignored),
        "header_line": export.header.line,
        "pupils": len(export.pupils),
        "without_ine": sum(1 for p in export.pupils if not p.ine),
        "without_class": without_class,
        "classes": classes,
        "niveaux": niveaux,
        "dispositifs": dict(sorted(dispositifs.items())),
        "groups": [{"label": g, "pupils": c} for g, c in sorted(groups.items())],
        "columns": {name: export.header.header_of(name) for name in export.header.columns},
        "unknown_columns": [{"column": c, "header": h} for c, h in export.header.unknown],
        "warnings": list(export.warnings),
        "errors": [],
    }
