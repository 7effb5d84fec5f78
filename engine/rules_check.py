"""Checking rule files: JSON-Schema validation and the checks a schema cannot express (engine.rules).

Every problem is an :class:`OndeError` at ``file:line:column`` of the YAML a person edits. jsonschema is
imported inside the functions: it costs ~30 ms to import, and a rule set remembered as valid skips it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OndeError
from engine.ops import OPERATIONS, fold
from engine.yamlpos import Located, utf8_text

if TYPE_CHECKING:
    import jsonschema


def _schema(path: Path, data: bytes | None = None) -> jsonschema.protocols.Validator:
    """The validator of the JSON Schema in ``path`` (its bytes: ``data``, when read already)."""
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

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
