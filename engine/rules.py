"""Load and check a rule set: source formats, value tables and policy, all YAML checked by JSON Schema.

Layout of a rule directory::

    ruleset.yaml          name and version
    sources/*.yaml        one file per source format (schema/source.schema.json)
    tables/*.yaml         shared value tables (schema/table.schema.json)
    policy/*.yaml         target constraints and, later, matching and guards (schema/policy.schema.json)
    schema/*.json         the JSON Schemas themselves

Every problem is reported as ``file:line:column: message`` pointing at the YAML a person edits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from engine.errors import OndeError, OndeErrorGroup
from engine.ops import OPERATIONS, Context, Operation, Step, compile_steps, fold
from engine.yamlpos import Located, load_located

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


def default_rules_dir() -> Path:
    """The rules shipped with the package (wheel), or the repository's ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent / "rules"):
        if (candidate / "ruleset.yaml").is_file():
            return candidate
    raise OndeError("the default rules are missing from this installation", hint="reinstall onde-sacoche")


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one target field is read: its headers (folded for matching), whether required, its steps."""

    name: str
    headers: tuple[str, ...]
    folded_headers: frozenset[str]
    required: bool
    steps: list[tuple[Operation, Step]] = field(compare=False, repr=False)


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


def _schema(directory: Path, kind: str) -> jsonschema.protocols.Validator:
    path = directory / "schema" / f"{kind}.schema.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise OndeError(
            f"schema file is missing: {path}", hint="copy rules/schema/ from the default rules"
        ) from exc
    except json.JSONDecodeError as exc:
        raise OndeError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno, column=exc.colno) from exc
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _schema_errors(doc: Located, validator: jsonschema.protocols.Validator) -> list[OndeError]:
    errors = []
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            extras = [k for k in err.instance if k not in allowed]
            if extras:
                path = [*path, extras[0]]
                message = f"unknown key '{extras[0]}'" + (
                    f" (allowed here: {', '.join(sorted(allowed))})" if allowed else ""
                )
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        errors.append(
            doc.error(path, f"{message} [at {where}]", hint="see docs/rules.md for the file's anatomy")
        )
    return errors


def _step_errors(
    doc: Located, base: tuple[str | int, ...], steps: list[Any], tables: set[str]
) -> list[OndeError]:
    errors = []
    for index, raw in enumerate(steps):
        path = (*base, index)
        name, arg = (raw, None) if isinstance(raw, str) else next(iter(raw.items()))
        op = OPERATIONS.get(name)
        if op is None:
            errors.append(
                doc.error(
                    path if isinstance(raw, str) else (*path, name),
                    f"unknown operation '{name}'",
                    hint=f"use one of: {', '.join(sorted(OPERATIONS))}",
                )
            )
            continue
        validator = validator_for(op.args_schema)(op.args_schema)
        problem = jsonschema.exceptions.best_match(validator.iter_errors(arg))
        if problem is not None:
            what = "takes no argument" if op.args_schema.get("type") == "null" else problem.message
            errors.append(doc.error((*path, name) if not isinstance(raw, str) else path, f"'{name}': {what}"))
            continue
        if op.table_arg is not None:
            table = op.table_arg(arg)
            if table not in tables:
                errors.append(
                    doc.error(
                        (*path, name),
                        f"'{name}' refers to table '{table}', which does not exist",
                        hint=f"create tables/{table}.yaml or use one of: "
                        f"{', '.join(sorted(tables)) or 'none'}",
                    )
                )
    return errors


def _compile_table(data: dict[str, Any]) -> dict[str, Any]:
    table = dict(data)
    if data["kind"] == "map":
        folding = data.get("fold", True)
        table["lookup"] = {(fold(str(k)) if folding else str(k)): str(v) for k, v in data["values"].items()}
    else:
        table["lookup"] = {fold(k): v for k, v in data["words"].items()}
        table["drop_folded"] = frozenset(fold(w) for w in data.get("drop", []))
    return table


def _compile_source(doc: Located) -> SourceRules:
    data = doc.data
    fields = {}
    for name, spec in data.get("fields", {}).items():
        fields[name] = FieldRule(
            name=name,
            headers=tuple(spec["headers"]),
            folded_headers=frozenset(fold(h) for h in spec["headers"]),
            required=bool(spec.get("required", False)),
            steps=compile_steps(spec.get("steps", [])),
        )
    inputs = data.get("input", {})
    return SourceRules(
        id=data["id"],
        kind=data["kind"],
        label=data["label"],
        confirmed=bool(data.get("confirmed", False)),
        file=doc.file,
        encodings=tuple(inputs.get("encodings", ("utf-8", "cp1252", "iso-8859-1"))),
        delimiters=tuple(inputs.get("delimiters", (";", ",", "\t"))),
        header_search_lines=int(inputs.get("header_search_lines", 10)),
        signature_fields=tuple(data["recognise"].get("fields", ())),
        signature_headers=tuple(data["recognise"].get("headers", ())),
        fields=fields,
        ignored_headers=frozenset(fold(h) for h in data.get("ignore_headers", [])),
        message=data.get("message"),
    )


def _source_errors(doc: Located, tables: set[str]) -> list[OndeError]:
    data = doc.data
    errors = []
    if data["id"] != doc.file.stem:
        errors.append(
            doc.error(
                ("id",),
                f"id '{data['id']}' differs from the file name '{doc.file.stem}'",
                hint="rename the file or the id so that they are the same",
            )
        )
    fields = data.get("fields", {})
    for name in data["recognise"].get("fields", []):
        if name not in fields:
            errors.append(
                doc.error(
                    ("recognise", "fields"), f"recognise names field '{name}', not defined under fields"
                )
            )
    seen: dict[str, str] = {}
    for name, spec in fields.items():
        for index, header in enumerate(spec["headers"]):
            key = fold(header)
            if key in seen and seen[key] != name:
                errors.append(
                    doc.error(
                        ("fields", name, "headers", index),
                        f"header '{header}' is also a header of field '{seen[key]}'",
                        hint="a column can feed one field only",
                    )
                )
            seen[key] = name
        errors.extend(_step_errors(doc, ("fields", name, "steps"), spec.get("steps", []), tables))
    return errors


def _documents(directory: Path, sub: str) -> list[Path]:
    return sorted((directory / sub).glob("*.yaml")) + sorted((directory / sub).glob("*.yml"))


def check_rules(directory: Path | None = None) -> tuple[RuleSet | None, list[OndeError]]:
    """Validate a rule directory; return the compiled rules (when valid) and every problem found."""
    directory = (directory or default_rules_dir()).resolve()
    if not (directory / "ruleset.yaml").is_file():
        return None, [
            OndeError(
                "not a rule directory: ruleset.yaml is missing",
                file=directory,
                hint="point --rules at a copy of the default rules directory",
            )
        ]
    errors: list[OndeError] = []
    validators = {kind: _schema(directory, kind) for kind in ("ruleset", "source", "table", "policy")}

    def load(path: Path, kind: str) -> Located | None:
        try:
            doc = load_located(path)
        except OndeError as exc:
            errors.append(exc)
            return None
        problems = _schema_errors(doc, validators[kind])
        errors.extend(problems)
        return None if problems else doc

    manifest = load(directory / "ruleset.yaml", "ruleset")
    table_docs = [d for d in (load(p, "table") for p in _documents(directory, "tables")) if d]
    tables: dict[str, dict[str, Any]] = {}
    # tables that exist as files, valid or not: a broken table is reported once, not at every use
    table_names = {p.stem for p in _documents(directory, "tables")}
    for doc in table_docs:
        if doc.data["id"] != doc.file.stem:
            errors.append(
                doc.error(("id",), f"id '{doc.data['id']}' differs from the file name '{doc.file.stem}'")
            )
        tables[doc.data["id"]] = _compile_table(doc.data)
    source_docs = [d for d in (load(p, "source") for p in _documents(directory, "sources")) if d]
    if not source_docs and not errors:
        errors.append(OndeError("no source format in sources/", file=directory / "sources"))
    for doc in source_docs:
        errors.extend(_source_errors(doc, table_names))
    policy: dict[str, Any] = {}
    for doc in (load(p, "policy") for p in _documents(directory, "policy")):
        if doc:
            for key, value in doc.data.items():
                if key not in ("id", "description"):
                    policy[key] = value
    if errors or manifest is None:
        return None, errors
    digest = hashlib.sha256()
    for path in sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".json"}
    ):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    sources = {doc.data["id"]: _compile_source(doc) for doc in source_docs}
    return RuleSet(
        directory,
        manifest.data["name"],
        manifest.data["version"],
        digest.hexdigest(),
        sources,
        tables,
        policy,
    ), []


def load_rules(directory: Path | None = None) -> RuleSet:
    """Compiled rules, or an :class:`OndeErrorGroup` listing every problem."""
    rules, errors = check_rules(directory)
    if errors:
        raise OndeErrorGroup(errors)
    assert rules is not None
    return rules
