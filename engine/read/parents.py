"""Reading a parents ("responsables") export: one row per parent, then one group of child columns per child.

The child columns repeat under the same header names (``Nom de famille élève`` once per child), so they are
read by position: the header is cut into groups, each starting at a column of the first group's first
field; every group must carry the same fields as the first one, else the header is refused (a child would
be lost or misread). Cells go through the same checks as pupils' (invisible characters, characters SACoche
cannot store, each field's steps); errors name the file, line and column, never a value.

The file may end with another table (organisations, first row ``Intitulé;Adresse Organisme``): reading
stops at a row whose first cell is one of the source's ``stop_at_row_starting`` markers.

Planning parents is a later increment: this module only reads and describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import OndeError, OndeErrorGroup
from engine.ops import ValueRejected, fold, run_steps
from engine.read import damage
from engine.read.cells import INVISIBLE, OUTSIDE_BMP, visible, without_invisible
from engine.read.formats import HeaderMatch
from engine.read.normalise import read_source
from engine.read.sources import RawSource
from engine.rules import FieldRule, RuleSet

__all__ = ["Child", "ChildGroup", "Parent", "ParentsExport", "child_groups", "read_parents", "read_source"]


@dataclass(frozen=True, slots=True)
class Child:
    """One child listed on a parent's row; ``group`` counts the header's child groups from 1."""

    group: int
    nom: str = ""
    nom_usage: str = ""
    prenom: str = ""
    classe: str = ""
    naissance: str = ""  # yyyy-mm-dd or ""


@dataclass(frozen=True, slots=True)
class Parent:
    """One row of the export, normalised; ``line`` is the physical line in the file."""

    line: int
    civilite: str = "I"  # SACoche's user_genre: M, F or I
    nom: str = ""
    nom_usage: str = ""
    prenom: str = ""
    adresse: str = ""
    code_postal: str = ""
    commune: str = ""
    pays: str = ""
    email: str = ""
    children: tuple[Child, ...] = ()

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes two rows the same parent: civilité, nom, prénom and e-mail."""
        return (self.civilite, fold(self.nom), fold(self.prenom), self.email.casefold())


@dataclass(frozen=True, slots=True)
class ChildGroup:
    """One group of child columns in the header: its number (from 1) and field → 0-based column."""

    number: int
    columns: dict[str, int]

    @property
    def first_column(self) -> int:
        return min(self.columns.values()) + 1


@dataclass(frozen=True, slots=True)
class ParentsExport:
    """A parents export, read: the file's facts, its parents and what was skipped."""

    path: Path
    header: HeaderMatch
    groups: tuple[ChildGroup, ...]
    parents: tuple[Parent, ...]
    #: rows of the trailing table (organisations) not read, and the line where it starts (0: none)
    skipped_rows: int = 0
    skipped_from: int = 0
    #: (line, line of the first row of the same parent), for each parent listed again
    repeated: tuple[tuple[int, int], ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def raw(self) -> RawSource:
        return self.header.raw


def child_groups(match: HeaderMatch) -> tuple[ChildGroup, ...]:
    """Cut the header's child columns into groups, by position; refuse a header whose groups differ."""
    rules = match.source.children
    file = match.place(match.line)[0]
    if rules is None:
        return ()
    found = [(i, rules.field_of(fold(cell))) for i, cell in enumerate(match.headers)]
    found = [(i, name) for i, name in found if name is not None]
    if not found:
        raise OndeError(
            "the header has no child column: a parents export lists each parent's children "
            f"({_describe(rules.fields)})",
            file=file,
            line=match.line,
            hint="export the parents again from ONDE with their children, or add the header names as "
            f"synonyms under children: in rules/sources/{match.source.id}.yaml",
        )
    leader = found[0][1]
    groups: list[dict[str, int]] = []
    for column, name in found:
        if name == leader or name in groups[-1]:
            groups.append({})
        groups[-1][name] = column
    expected = set(groups[0])
    required = [n for n, r in rules.fields.items() if r.required]
    for number, columns in enumerate(groups, 1):
        lacking = [n for n in rules.fields if (n in expected or n in required) and n not in columns]
        if lacking:
            start = min(columns.values()) + 1
            raise OndeError(
                f"child group {number} of the header (from column {start}) lacks "
                f"{_describe({n: rules.fields[n] for n in lacking})}: every child must have the same "
                "columns, in groups of the same fields",
                file=file,
                line=match.line,
                column=start,
                hint="export the parents again from ONDE, without removing or moving columns",
            )
    return tuple(ChildGroup(n, c) for n, c in enumerate(groups, 1))


def _describe(fields: dict[str, FieldRule] | Any) -> str:
    return "; ".join(" or ".join(f"'{h}'" for h in rule.headers[:2]) for rule in fields.values())


class _Cells:
    """Runs one field's steps on a cell with the checks pupils' cells get; collects the row errors."""

    def __init__(self, match: HeaderMatch, rules: RuleSet) -> None:
        self.match = match
        self.ctx = rules.context
        target = rules.policy.get("target", {})
        self.bmp_policy = target.get("outside_bmp", "refuse")
        self.replacement = target.get("replacement", "?")
        self.invisible_policy = target.get("control_characters", "remove")
        self.errors: list[damage.RowError] = []
        self.invisible_lines: list[int] = []
        self.replaced = 0

    def error(self, line: int, column: int, label: str, message: str, hint: str, field: str | None) -> None:
        file, row = self.match.place(line)
        error = OndeError(
            f"column {column + 1} ({label}): {message}", file=file, line=row, column=column + 1, hint=hint
        )
        self.errors.append(damage.RowError(error, line, field))

    def value(self, line: int, cells: Sequence[str], column: int, rule: FieldRule, child: int = 0) -> Any:
        """The field's value (None when rejected; the error is recorded)."""
        cell = cells[column] if column < len(cells) else ""
        header = self.match.headers[column].strip()
        label = f"{header}, child {child}" if child else header
        field = None if child else rule.name  # a parent's column errors may be grouped (damage.group)
        found = INVISIBLE.search(cell)
        if found is not None:
            if self.invisible_policy == "refuse":
                self.error(
                    line,
                    column,
                    label,
                    f"holds an invisible control or formatting character (U+{ord(found.group()):04X}, "
                    f"character {found.start() + 1} of the cell)",
                    "retype that cell in ONDE and export again, or set target.control_characters: "
                    "remove in rules/policy/target.yaml",
                    None,
                )
                return None
            cell = without_invisible(cell)[0]
            self.invisible_lines.append(line)
        try:
            value = run_steps(cell, rule.steps, self.ctx)
        except ValueRejected as exc:
            self.error(line, column, label, str(exc), "correct the cell in ONDE and export again", field)
            return None
        if isinstance(value, tuple):
            value = " ".join(value)
        if OUTSIDE_BMP.search(value):
            if self.bmp_policy == "refuse":
                self.error(
                    line,
                    column,
                    label,
                    "holds a character SACoche cannot store (outside the Basic Multilingual Plane, "
                    "e.g. an emoji)",
                    "remove that character in ONDE, or set target.outside_bmp: replace in rules/policy/",
                    None,
                )
                return None
            self.replaced += 1
            value = OUTSIDE_BMP.sub(self.replacement, value)
        return value

    def empty(self, line: int, column: int, label: str, who: str, field: str | None) -> None:
        self.error(
            line, column, label, f"empty, but every {who} needs it", "fill it in ONDE and export again", field
        )


def _stops(cells: Sequence[str], markers: tuple[str, ...]) -> bool:
    first = next((c for c in cells if c.strip()), "")
    return bool(markers) and fold(first) in markers


def read_parents(match: HeaderMatch, rules: RuleSet) -> ParentsExport:
    """The parents under the header; raise :class:`OndeErrorGroup` listing every bad row."""
    source = match.source
    groups = child_groups(match)
    assert source.children is not None
    cells_of = _Cells(match, rules)
    parents: list[Parent] = []
    skipped = skipped_from = 0
    for line, cells in match.rows():
        if skipped_from or _stops(cells, source.stop_markers):
            skipped_from = skipped_from or line
            skipped += 1
            continue
        parent = _parent(line, cells, match, groups, cells_of)
        if parent is not None:
            parents.append(parent)
    if cells_of.errors:
        raise OndeErrorGroup(damage.group(cells_of.errors, match))
    if not parents:
        raise OndeError(
            "the file has a header but no parent",
            file=match.place(match.line)[0],
            line=match.line,
            hint="export the parents again from ONDE, without any filter",
        )
    first_of: dict[tuple[str, str, str, str], int] = {}
    repeated = []
    for parent in parents:
        first = first_of.setdefault(parent.identity, parent.line)
        if first != parent.line:
            repeated.append((parent.line, first))
    return ParentsExport(
        match.raw.path,
        match,
        groups,
        tuple(parents),
        skipped,
        skipped_from,
        tuple(repeated),
        tuple(_warnings(match, groups, cells_of, repeated, skipped_from)),
    )


def _parent(
    line: int, cells: Sequence[str], match: HeaderMatch, groups: Sequence[ChildGroup], cells_of: _Cells
) -> Parent | None:
    source = match.source
    assert source.children is not None
    values: dict[str, Any] = {}
    ok = True
    for name, column in match.columns.items():
        rule = source.fields[name]
        value = cells_of.value(line, cells, column, rule)
        if value is None:
            ok = False
        elif rule.required and not rule.may_be_empty and not value:
            cells_of.empty(line, column, match.headers[column].strip(), "parent", name)
            ok = False
        else:
            values[name] = value
    children = []
    for group in groups:
        present = [c for c in group.columns.values() if c < len(cells) and cells[c].strip()]
        if not present:
            continue  # an empty group: this parent has fewer children than the header has groups
        child: dict[str, Any] = {}
        for name, column in group.columns.items():
            rule = source.children.fields[name]
            value = cells_of.value(line, cells, column, rule, group.number)
            label = f"{match.headers[column].strip()}, child {group.number}"
            if value is None:
                ok = False
            elif rule.required and not rule.may_be_empty and not value:
                cells_of.empty(line, column, label, "child listed", None)
                ok = False
            else:
                child[name] = value
        children.append(Child(group.number, **child))
    return Parent(line, **values, children=tuple(children)) if ok else None


def _warnings(
    match: HeaderMatch,
    groups: Sequence[ChildGroup],
    cells_of: _Cells,
    repeated: Sequence[tuple[int, int]],
    skipped_from: int,
) -> list[str]:
    source = match.source
    warnings = list(match.raw.warnings)
    if not source.confirmed:
        warnings.append(
            f"format {source.id} is not confirmed on a real export: check the result carefully "
            f"and report differences (rules/sources/{source.id}.yaml)"
        )
    child_columns = {c for g in groups for c in g.columns.values()}
    warnings.extend(
        f"column {col} '{name}' is not used by format {source.id}"
        for col, name in match.unknown
        if col - 1 not in child_columns
    )
    if skipped_from:
        warnings.append(
            f"reading stopped at {match.label(skipped_from)}: another table starts there "
            "(organisations), not parents"
        )
    if repeated:
        lines = ", ".join(f"{match.label(a)} (as {match.label(b)})" for a, b in repeated[:5])
        more = "…" if len(repeated) > 5 else ""
        warnings.append(
            f"{len(repeated)} parent(s) listed on several rows (same civilité, nom, prénom and e-mail): "
            f"{lines}{more}; they will be one account"
        )
    if cells_of.replaced:
        warnings.append(f"{cells_of.replaced} value(s) had characters SACoche cannot store, replaced")
    if cells_of.invisible_lines:
        lines = sorted(set(cells_of.invisible_lines))
        warnings.append(
            f"invisible control or formatting characters removed ({damage.lines_text(match, lines)})"
        )
    if match.raw.ends_mid_line():
        warnings.append("the file does not end with a line break: check that its last parent is complete")
    return warnings


def overview(export: ParentsExport) -> dict[str, Any]:
    """What ``inspect`` shows of a parents export: counts only, never a name."""
    raw = export.raw
    return {
        "file": str(export.path),
        "kind_of_export": "parents",
        "format": export.header.source.id,
        "format_label": export.header.source.label,
        "format_confirmed": export.header.source.confirmed,
        "kind": raw.kind,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sheet": visible(raw.sheet) if raw.sheet is not None else None,
        "header_line": export.header.line,
        "child_groups": len(export.groups),
        "parents": len(export.parents),
        "children_links": sum(len(p.children) for p in export.parents),
        "parents_without_child": sum(1 for p in export.parents if not p.children),
        "parents_on_several_rows": len(export.repeated),
        "skipped_rows": export.skipped_rows,
        "skipped_from_line": export.skipped_from or None,
        "columns": {name: export.header.header_of(name) for name in export.header.columns},
        "unknown_columns": [
            {"column": c, "header": h}
            for c, h in export.header.unknown
            if not any(c - 1 in g.columns.values() for g in export.groups)
        ],
        "warnings": list(export.warnings),
        "errors": [],
    }
