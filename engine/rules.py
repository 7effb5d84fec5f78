"""Load and check a rule set: source formats, value tables and policy, all YAML checked by JSON Schema.

This module reads a rule directory and remembers verdicts; the checks themselves are in
:mod:`engine.rules_check`, the compiled values (:class:`RuleSet`…) in :mod:`engine.rules_model`.

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
of the tool's version. The marker holds the documents' data too (marshalled, after their SHA-256): a later
run on the same bytes compiles them without checking, without reading YAML or importing the checking code
(engine.rules_check, engine.yamlpos). An empty, damaged or foreign marker still says "valid": the files
are then loaded with libyaml (or what libyaml gave them is read back, engine.yamlpos) and the marker
written again. Failures are never remembered, and an edited file changes the digest, so every problem is
still reported as above. ``onde-sacoche rules check`` always checks.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.errors import OndeError, OndeErrorGroup
from engine.rules_model import (
    TARGET_FIELDS,
    ChildRules,
    FieldRule,
    RuleSet,
    SourceRules,
    _compile_source,
    _compile_table,
)

# the checking code (engine.rules_check, engine.yamlpos) is imported where used: a rule set remembered
# with its documents (see the module's documentation) is compiled without either
if TYPE_CHECKING:
    import jsonschema

    from engine.yamlpos import Located

__all__ = [
    "TARGET_FIELDS",
    "ChildRules",
    "FieldRule",
    "RuleSet",
    "SourceRules",
    "check_rules",
    "default_rules_dir",
    "load_rules",
]


def default_rules_dir() -> Path:
    """The rules shipped with the package (wheel), or the repository's ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent / "rules"):
        if (candidate / "ruleset.yaml").is_file():
            return candidate
    raise OndeError("the default rules are missing from this installation", hint="reinstall onde-sacoche")


_KINDS = ("ruleset", "source", "table", "policy")


def _schema_path(directory: Path, kind: str) -> Path:
    return directory / "schema" / f"{kind}.schema.json"


def _schema(directory: Path, kind: str, data: bytes | None = None) -> jsonschema.protocols.Validator:
    from engine.rules_check import _schema as schema

    return schema(_schema_path(directory, kind), data)


def _schema_errors(doc: Located, validator: jsonschema.protocols.Validator) -> list[OndeError]:
    from engine.rules_check import _schema_errors as schema_errors

    return schema_errors(doc, validator)


def _source_errors(doc: Located, tables: set[str]) -> list[OndeError]:
    from engine.rules_check import _source_errors as source_errors

    return source_errors(doc, tables)


#: the modules whose code decides whether a rule set is valid (part of the remembered verdict's digest)
_CHECKING_CODE = ("rules.py", "rules_check.py", "rules_model.py", "ops.py", "yamlpos.py")


def _documents(directory: Path, sub: str) -> list[Path]:
    """``sorted(glob("*.yaml")) + sorted(glob("*.yml"))`` of ``directory / sub``, as pathlib's glob
    finds them (any entry so named, none when the folder is missing or unreadable), without compiling
    a pattern for each suffix."""
    folder = directory / sub
    if not folder.is_dir():
        return []
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries]
    except PermissionError:
        return []
    return [
        folder / name
        for suffix in (".yaml", ".yml")
        for name in sorted(n for n in names if n.endswith(suffix))
    ]


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
        rules = _recalled_rules(directory, files, marker)
        if rules is not None:
            return rules, []
        rules, errors, docs = _read_rules(directory, files, validate=False)
        if rules is not None and not errors:
            _remember(marker, directory, docs)  # a marker of an older version, or damaged: rewritten
            return rules, []
        # cannot happen for the bytes that were found valid; if it does, check them as usual
    rules, errors, docs = _read_rules(directory, files, validate=True)
    if marker is not None and rules is not None and not errors and _libyaml_agrees(docs, files):
        _remember(marker, directory, docs)
    return rules, errors


#: of the documents a marker holds: part of their payload, so that a file of another layout is never used
_RECALL_FORMAT = 1
_DIGEST = 32  # a marker's content: the SHA-256 of what follows, then the marshalled documents


class _Recalled:
    """A document of a rule set remembered as valid, as :func:`_read_rules` uses it: its data and file."""

    __slots__ = ("data", "file")

    def __init__(self, data: Any, file: Path) -> None:
        self.data = data
        self.file = file


def _remember(marker: Path, directory: Path, docs: list[Located] | list[_Recalled]) -> None:
    """Write ``marker``: the rule files it is named by are valid. It holds their documents' data too
    (marshalled, after its SHA-256), which the next load compiles without reading YAML; when marshal
    cannot write them (a YAML date), the marker is empty and the next load reads the YAML files."""
    from engine.cache import write_entry

    documents = {doc.file.relative_to(directory).as_posix(): doc.data for doc in docs}
    try:
        payload = marshal.dumps((_RECALL_FORMAT, marker.name, documents))
    except ValueError:
        if not marker.is_file():
            write_entry(marker, b"")
        return
    write_entry(marker, hashlib.sha256(payload).digest() + payload)


def _recalled_rules(directory: Path, files: Mapping[Path, bytes | None], marker: Path) -> RuleSet | None:
    """The rule set compiled from the documents ``marker`` holds; None when it holds none (empty, damaged,
    foreign: the YAML files are read instead)."""
    try:
        content = marker.read_bytes()
    except OSError:
        return None
    payload = content[_DIGEST:]
    if not payload or hashlib.sha256(payload).digest() != content[:_DIGEST]:
        return None
    try:
        layout, name, documents = marshal.loads(payload)
        if (layout, name) != (_RECALL_FORMAT, marker.name) or type(documents) is not dict:
            return None
        rules, errors, _ = _read_rules(directory, files, validate=False, recalled=documents)
    except Exception:  # not what this code writes (a foreign file): the YAML files are read instead
        return None
    return rules if not errors else None


def _libyaml_agrees(docs: list[Located], files: Mapping[Path, bytes | None]) -> bool:
    """Whether libyaml reads every document as the pure-Python parser did (it does, but for a few odd
    texts): only then may the remembered rule set be loaded with it. ``repr`` compares key order and
    types (1, 1.0, True) too, which ``==`` does not."""
    from engine.yamlpos import load_located

    for doc in docs:
        try:
            fast = load_located(doc.file, files.get(doc.file), fast=True, remember=True)
        except OndeError:
            return False
        if repr(fast.data) != repr(doc.data):
            return False
    return True


def _read_rules(
    directory: Path,
    files: Mapping[Path, bytes | None],
    *,
    validate: bool,
    recalled: Mapping[str, Any] | None = None,
) -> tuple[RuleSet | None, list[OndeError], list[Any]]:
    """Load, check (unless ``validate`` is false: rules found valid before) and compile a rule directory;
    ``recalled``: the documents' data by relative path, as a marker remembers them (no YAML read).

    Returns the rules (None on any problem), the problems and every document loaded.
    """
    errors: list[OndeError] = []
    docs: list[Any] = []
    validators = (
        {kind: _schema(directory, kind, files.get(_schema_path(directory, kind))) for kind in _KINDS}
        if validate
        else {}
    )

    def load(path: Path, kind: str) -> Any:
        if recalled is not None:
            docs.append(_Recalled(recalled[path.relative_to(directory).as_posix()], path))
            return docs[-1]
        from engine.yamlpos import load_located

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
        data = files.get(path)  # the bytes just loaded: not read a second time
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + (data or path.read_bytes()))
    sources = {doc.data["id"]: _compile_source(doc.data, doc.file) for doc in source_docs}
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
