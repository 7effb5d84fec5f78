"""Load and check a rule set: source formats, value tables and policy, all YAML checked by JSON Schema.

Layout of a rule directory::

    ruleset.yaml          name and version
    sources/*.yaml        one file per source format (schema/source.schema.json)
    tables/*.yaml         shared value tables (schema/table.schema.json)
    policy/*.yaml         target constraints and, later, matching and guards (schema/policy.schema.json)
    schema/*.json         the JSON Schemas themselves

Every problem is reported as ``file:line:column: message`` pointing at the YAML a person edits.

Checking costs more than loading (jsonschema's import and validation, PyYAML's pure-Python parser), so
:func:`load_rules` remembers a rule set found valid: a marker file in the user's cache (engine.cache),
named by a digest of every byte it read (rule and schema files, names included), of the checking code and
of the tool's version. A later run on the same bytes loads them with libyaml (or reads back what libyaml
gave them, engine.yamlpos) and compiles them without checking. Failures are never remembered, and an
edited file changes the digest, so every problem is still reported as above. ``onde-sacoche rules check``
always checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.errors import OndeError, OndeErrorGroup
from engine.ops import OPERATIONS, Context, Operation, Step, compile_steps, fold
from engine.yamlpos import Located, load_located, utf8_text

# jsonschema is imported where used: it costs ~30 ms to import, and a remembered rule set skips it
if TYPE_CHECKING:
    import jsonschema

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


_KINDS = ("ruleset", "source", "table", "policy")
#: the modules whose code decides whether a rule set is valid (part of the remembered verdict's digest)
_CHECKING_CODE = ("rules.py", "ops.py", "yamlpos.py")


def _schema_path(directory: Path, kind: str) -> Path:
    return directory / "schema" / f"{kind}.schema.json"


def _schema(directory: Path, kind: str, data: bytes | None = None) -> jsonschema.protocols.Validator:
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    path = _schema_path(directory, kind)
    try:
        schema = json.loads(path.read_text(encoding="utf-8") if data is None else utf8_text(data))
    except FileNotFoundError as exc:
        raise OndeError(
            f"schema file is missing: {path}", hint="copy rules/schema/ from the default rules"
        ) from exc
    except json.JSONDecodeError as exc:
        raise OndeError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno, column=exc.colno) from exc
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top"
        raise OndeError(
            f"not a valid JSON Schema (at {where})",
            file=path,
            line=1,
            hint="copy rules/schema/ from the default rules (`onde-sacoche rules copy`)",
        ) from None
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
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

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
        problem = best_match(validator.iter_errors(arg))
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


def _compile_source(doc: Located) -> SourceRules:
    data = doc.data
    fields = _compile_fields(data.get("fields", {}))
    children = data.get("children")
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
        children=ChildRules(_compile_fields(children["fields"])) if children else None,
        stop_markers=tuple(fold(m) for m in data.get("stop_at_row_starting", ())),
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
            if header.strip().upper().startswith("TODO"):
                errors.append(
                    doc.error(
                        ("fields", name, "headers", index),
                        f"field '{name}' has no column yet (a TODO left by `rules draft`)",
                        hint="replace the TODO by the header of the export's column that holds it, "
                        "exactly as the export writes it (or remove the field if it is optional)",
                    )
                )
        errors.extend(_step_errors(doc, ("fields", name, "steps"), spec.get("steps", []), tables))
    for name, spec in data.get("children", {}).get("fields", {}).items():
        for index, header in enumerate(spec["headers"]):
            key = fold(header)
            where = ("children", "fields", name, "headers", index)
            if key in seen:
                errors.append(
                    doc.error(
                        where,
                        f"header '{header}' is also a header of field '{seen[key]}'",
                        hint="a column can feed one field only",
                    )
                )
            seen[key] = f"children.{name}"
        errors.extend(_step_errors(doc, ("children", "fields", name, "steps"), spec.get("steps", []), tables))
    return errors


def _documents(directory: Path, sub: str) -> list[Path]:
    return sorted((directory / sub).glob("*.yaml")) + sorted((directory / sub).glob("*.yml"))


def _rule_files(directory: Path) -> dict[Path, bytes | None]:
    """Every file :func:`check_rules` reads, in reading order, with its bytes (None: unreadable, the
    reader then raises its usual error)."""
    paths = [directory / "ruleset.yaml", *(_schema_path(directory, kind) for kind in _KINDS)]
    for sub in ("tables", "sources", "policy"):
        paths.extend(_documents(directory, sub))
    files: dict[Path, bytes | None] = {}
    for path in paths:
        try:
            files[path] = path.read_bytes()
        except OSError:
            files[path] = None
    return files


def _validated_marker(directory: Path, files: Mapping[Path, bytes | None]) -> Path | None:
    """The cache file that says "these exact rule files are valid", or None when there is no cache."""
    from engine.cache import cache_dir

    folder = cache_dir("rules")
    if folder is None:
        return None
    digest = hashlib.sha256(f"onde-sacoche {__version__}\0".encode())
    here = Path(__file__).resolve().parent
    try:  # a source checkout changes the checking code without changing the version
        for name in _CHECKING_CODE:
            _digest_part(digest, name, (here / name).read_bytes())
    except OSError:
        return None
    for path, data in files.items():
        _digest_part(digest, path.relative_to(directory).as_posix(), data)
    return folder / digest.hexdigest()


def _digest_part(digest: Any, name: str, data: bytes | None) -> None:
    """Add a named byte string to a digest, length-prefixed so that no two inputs collide."""
    encoded = name.encode()
    digest.update(b"%d:" % len(encoded) + encoded)
    digest.update(b"-" if data is None else b"%d:" % len(data) + data)


def check_rules(
    directory: Path | None = None, *, remembered: bool = False
) -> tuple[RuleSet | None, list[OndeError]]:
    """Validate a rule directory; return the compiled rules (when valid) and every problem found.

    With ``remembered``, rules found valid before (same bytes, same checking code and version; see the
    module's documentation) are loaded and compiled without being checked again, and rules found valid
    now are remembered for next time.
    """
    directory = (directory or default_rules_dir()).resolve()
    if not (directory / "ruleset.yaml").is_file():
        return None, [
            OndeError(
                "not a rule directory: ruleset.yaml is missing",
                file=directory,
                hint="point --rules at a copy of the default rules directory",
            )
        ]
    files = _rule_files(directory)
    marker = _validated_marker(directory, files) if remembered else None
    if marker is not None and marker.is_file():
        rules, errors, _ = _read_rules(directory, files, validate=False)
        if rules is not None and not errors:
            return rules, []
        # cannot happen for the bytes that were found valid; if it does, check them as usual
    rules, errors, docs = _read_rules(directory, files, validate=True)
    if marker is not None and rules is not None and not errors and _libyaml_agrees(docs, files):
        with contextlib.suppress(OSError):  # the cache is an optimisation only
            marker.touch()
    return rules, errors


def _libyaml_agrees(docs: list[Located], files: Mapping[Path, bytes | None]) -> bool:
    """Whether libyaml reads every document as the pure-Python parser did (it does, but for a few odd
    texts): only then may the remembered rule set be loaded with it. ``repr`` compares key order and
    types (1, 1.0, True) too, which ``==`` does not."""
    for doc in docs:
        try:
            fast = load_located(doc.file, files.get(doc.file), fast=True, remember=True)
        except OndeError:
            return False
        if repr(fast.data) != repr(doc.data):
            return False
    return True


def _read_rules(
    directory: Path, files: Mapping[Path, bytes | None], *, validate: bool
) -> tuple[RuleSet | None, list[OndeError], list[Located]]:
    """Load, check (unless ``validate`` is false: rules found valid before) and compile a rule directory.

    Returns the rules (None on any problem), the problems and every document loaded.
    """
    errors: list[OndeError] = []
    docs: list[Located] = []
    validators = (
        {kind: _schema(directory, kind, files.get(_schema_path(directory, kind))) for kind in _KINDS}
        if validate
        else {}
    )

    def load(path: Path, kind: str) -> Located | None:
        try:
            doc = load_located(path, files.get(path), fast=not validate, remember=not validate)
        except OndeError as exc:
            errors.append(exc)
            return None
        docs.append(doc)
        if not validate:
            return doc
        problems = _schema_errors(doc, validators[kind])
        errors.extend(problems)
        return None if problems else doc

    def documents(sub: str) -> list[Path]:  # as listed by _rule_files: exactly the bytes in ``files``
        return [path for path in files if path.parent == directory / sub]

    manifest = load(directory / "ruleset.yaml", "ruleset")
    table_docs = [d for d in (load(p, "table") for p in documents("tables")) if d]
    tables: dict[str, dict[str, Any]] = {}
    # tables that exist as files, valid or not: a broken table is reported once, not at every use
    table_names = {p.stem for p in documents("tables")}
    for doc in table_docs:
        if doc.data["id"] != doc.file.stem:
            errors.append(
                doc.error(("id",), f"id '{doc.data['id']}' differs from the file name '{doc.file.stem}'")
            )
        tables[doc.data["id"]] = _compile_table(doc.data)
    source_docs = [d for d in (load(p, "source") for p in documents("sources")) if d]
    if not source_docs and not errors:
        errors.append(OndeError("no source format in sources/", file=directory / "sources"))
    if validate:
        for doc in source_docs:
            errors.extend(_source_errors(doc, table_names))
    policy: dict[str, Any] = {}
    for doc in (load(p, "policy") for p in documents("policy")):
        if doc:
            for key, value in doc.data.items():
                if key not in ("id", "description"):
                    policy[key] = value
    if errors or manifest is None:
        return None, errors, docs
    digest = hashlib.sha256()
    for path in sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".json"}
    ):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    sources = {doc.data["id"]: _compile_source(doc) for doc in source_docs}
    rules = RuleSet(
        directory,
        manifest.data["name"],
        manifest.data["version"],
        digest.hexdigest(),
        sources,
        tables,
        policy,
    )
    return rules, [], docs


def load_rules(directory: Path | None = None) -> RuleSet:
    """Compiled rules (remembered as valid, see the module's documentation), or an
    :class:`OndeErrorGroup` listing every problem."""
    rules, errors = check_rules(directory, remembered=True)
    if errors:
        raise OndeErrorGroup(errors)
    assert rules is not None
    return rules
