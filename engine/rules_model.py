"""The compiled rule set: what a rule directory becomes once checked (engine.rules loads it).

:class:`RuleSet` holds the source formats (:class:`SourceRules`, one per ``sources/*.yaml``, with a
:class:`FieldRule` per target field), the value tables and the policy; the ``_compile_*`` functions turn
checked YAML data into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.ops import Context, Operation, Step, compile_steps, fold

TARGET_FIELDS = (
    "ine",
    "nom",
    "nom_usage",
    "prenom",
    "naissance",
    "genre",
    "niveau",
    "classe_id",
    "classe_label",
    "dispositif",
    "regroupements",
    "email",
)


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one target field is read: its headers (folded for matching), whether required, its steps."""

    name: str
    headers: tuple[str, ...]
    folded_headers: frozenset[str]
    required: bool
    steps: list[tuple[Operation, Step]] = field(compare=False, repr=False)
    #: the column is required but a row may leave it empty
    may_be_empty: bool = False


@dataclass(frozen=True, slots=True)
class SourceRules:
    """One source format, compiled from ``sources/<id>.yaml``."""

    id: str
    kind: str
    label: str
    confirmed: bool
    file: Path
    encodings: tuple[str, ...]
    delimiters: tuple[str, ...]
    header_search_lines: int
    signature_fields: tuple[str, ...]
    signature_headers: tuple[str, ...]
    fields: Mapping[str, FieldRule]
    ignored_headers: frozenset[str]
    message: str | None
    #: kind parents: the child columns, repeated once per child (None for other kinds)
    children: ChildRules | None = None
    #: kind parents: folded first cells of a row that starts another table (reading stops there)
    stop_markers: tuple[str, ...] = ()
    #: folded header → the fields it feeds, in field order (how a row's cells are matched to fields)
    header_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ChildRules:
    """The repeated group of child columns of a parents export (``children:`` in its source file)."""

    fields: Mapping[str, FieldRule]

    def field_of(self, folded_header: str) -> str | None:
        """The child field a folded header feeds, or None."""
        return next((n for n, r in self.fields.items() if folded_header in r.folded_headers), None)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything in a rule directory, checked and compiled."""

    directory: Path
    name: str
    version: str
    digest: str
    sources: Mapping[str, SourceRules]
    tables: Mapping[str, Mapping[str, Any]]
    policy: Mapping[str, Any]

    @property
    def context(self) -> Context:
        return Context(self.tables)

    @property
    def full_version(self) -> str:
        """Manifest version plus a digest of every rule file, as recorded in plan.json."""
        return f"{self.version}+{self.digest[:12]}"


def _compile_table(data: dict[str, Any]) -> dict[str, Any]:
    table = dict(data)
    if data["kind"] == "map":
        folding = data.get("fold", True)
        table["lookup"] = {(fold(str(k)) if folding else str(k)): str(v) for k, v in data["values"].items()}
    elif data["kind"] == "substitutions":
        table["pairs"] = tuple((old, str(s["with"])) for s in data["substitutions"] for old in s["replace"])
    else:
        table["lookup"] = {fold(k): v for k, v in data["words"].items()}
        table["drop_folded"] = frozenset(fold(w) for w in data.get("drop", []))
    return table


def _compile_fields(specs: Mapping[str, Any]) -> dict[str, FieldRule]:
    return {
        name: FieldRule(
            name=name,
            headers=tuple(spec["headers"]),
            folded_headers=frozenset(fold(h) for h in spec["headers"]),
            required=bool(spec.get("required", False)),
            steps=compile_steps(spec.get("steps", [])),
            may_be_empty=bool(spec.get("may_be_empty", False)),
        )
        for name, spec in specs.items()
    }


def _compile_source(data: Mapping[str, Any], file: Path) -> SourceRules:
    fields = _compile_fields(data.get("fields", {}))
    children = data.get("children")
    inputs = data.get("input", {})
    return SourceRules(
        id=data["id"],
        kind=data["kind"],
        label=data["label"],
        confirmed=bool(data.get("confirmed", False)),
        file=file,
        encodings=tuple(inputs.get("encodings", ("utf-8", "cp1252", "iso-8859-1"))),
        delimiters=tuple(inputs.get("delimiters", (";", ",", "\t"))),
        header_search_lines=int(inputs.get("header_search_lines", 10)),
        signature_fields=tuple(data["recognise"].get("fields", ())),
        signature_headers=tuple(data["recognise"].get("headers", ())),
        fields=fields,
        ignored_headers=frozenset(fold(h) for h in data.get("ignore_headers", [])),
        message=data.get("message"),
        children=ChildRules(_compile_fields(children["fields"])) if children else None,
        stop_markers=tuple(fold(m) for m in data.get("stop_at_row_starting", ())),
        header_fields=_header_fields(fields),
    )


def _header_fields(fields: Mapping[str, FieldRule]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name, rule in fields.items():
        for header in rule.folded_headers:
            found.setdefault(header, []).append(name)
    return {header: tuple(names) for header, names in found.items()}
