"""The text of a drafted ``sources/<name>.yaml``: every choice commented with its evidence.

Written by hand rather than dumped, so that each field carries a comment (column, header evidence, value
shapes, confidence) and each required field not found is a ``TODO`` header that ``rules check`` refuses
at its line. Strings are written as JSON, which YAML reads as double-quoted scalars.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cliguard import one_line

if TYPE_CHECKING:
    from engine.draft_model import Analysis, Proposal

#: what a TODO asks for, per field (English: the rule files are for the person keeping the rules)
WHAT = {
    "ine": "the pupil's INE (11 characters: 9 digits, a digit or letter, a letter)",
    "nom": "the pupil's family name",
    "nom_usage": "the pupil's usual family name (nom d'usage)",
    "prenom": "the pupil's first name",
    "naissance": "the birth date",
    "genre": "the sexe (M/F)",
    "niveau": "the niveau (PS, CP, CE1…)",
    "classe_id": "the class id (the same for every pupil of a class)",
    "classe_label": "the class name",
    "dispositif": "the dispositif (ULIS, UPE2A…)",
    "regroupements": "the groups (regroupements), several per cell",
    "email": "the pupil's e-mail address",
}
#: fields left out of ``recognise`` (often missing from an export that is still the same format)
_NOT_IN_SIGNATURE = ("nom_usage", "dispositif", "regroupements", "email", "genre")


#: characters a YAML stream may not hold raw (PyYAML's reader refuses them), and those YAML reads as line
#: breaks; JSON leaves them raw
_YAML_RAW = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _yaml_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _j(value: Any) -> str:
    """JSON text, which YAML reads back as the same value (what YAML may not hold raw escaped)."""
    return _YAML_RAW.sub(_yaml_escape, json.dumps(value, ensure_ascii=False))


def _comment_text(text: str, width: int = 60) -> str:
    """Text from the export made fit for a YAML comment: one line, control characters escaped."""
    flat = _YAML_RAW.sub(_yaml_escape, one_line(" ".join(text.split())))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def todo_header(name: str) -> str:
    return f"TODO: the header of the column holding {WHAT[name]}"


def _steps(name: str, spec: Mapping[str, Any], proposal: Proposal | None, analysis: Analysis) -> list[Any]:
    steps = copy.deepcopy(spec.get("steps", [])) if spec else ["clean_spaces"]
    if proposal is None:
        return steps
    shape = analysis.shapes[proposal.column]
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        if name == "naissance" and "date" in step and shape.date_formats:
            formats = list(shape.date_formats)
            if isinstance(step["date"], dict):
                steps[index] = {"date": {**step["date"], "formats": formats}}
            else:
                steps[index] = {"date": formats}
        if name == "regroupements" and "split" in step and shape.separator:
            separators = list(step["split"])
            if shape.separator not in separators:
                steps[index] = {"split": [shape.separator, *separators]}
    return steps


def _input(analysis: Analysis) -> list[str]:
    given = analysis.from_data.get("input", {})
    encodings = list(given.get("encodings", ["utf-8", "cp1252", "iso-8859-1"]))
    delimiters = list(given.get("delimiters", [";", ",", "\t"]))
    raw = analysis.raw
    if raw.encoding:
        found = "utf-8" if raw.encoding.startswith("utf-8") else raw.encoding
        encodings = [found, *(e for e in encodings if e != found)]
    if raw.delimiter:
        delimiters = [raw.delimiter, *(d for d in delimiters if d != raw.delimiter)]
    lines = max(int(given.get("header_search_lines", 10)), min(analysis.line + 2, 50))
    return [
        "input:",
        f"  encodings: {_j(encodings)}",
        f"  delimiters: {_j(delimiters)}",
        f"  header_search_lines: {lines}",
    ]


def source_yaml(analysis: Analysis, export: Path, out: Path, name: str, from_id: str) -> str:
    """The drafted source file's text."""
    raw = analysis.raw
    where = (
        f"sheet '{_comment_text(raw.sheet or '')}'"
        if raw.kind == "xlsx"
        else f"encoding {raw.encoding}, delimiter {raw.delimiter!r}"
    )
    by_field = analysis.field_specs
    from_fields = analysis.from_data.get("fields", {})
    proposals = {p.field: p for p in analysis.proposals}
    signature = [p.field for p in analysis.proposals if p.field not in _NOT_IN_SIGNATURE]
    signature += [n for n in analysis.missing_required if n not in signature]
    lines = [
        f"# Drafted by `onde-sacoche rules draft` from {_comment_text(export.name)}: header on line "
        f"{analysis.line} ({where}), {analysis.rows} rows sniffed.",
        "# NOT CONFIRMED: check each field against the export (each says why it was chosen and how sure),",
        "# replace every TODO, then run:",
        _comment_text(f"#   onde-sacoche rules check {shlex.quote(str(out))}", 999),
        _comment_text(
            f"#   onde-sacoche inspect {shlex.quote(str(export))} --rules {shlex.quote(str(out))}", 999
        ),
        f"# Steps copied from sources/{from_id}.yaml (date formats as found in the export).",
        f"id: {name}",
        "kind: pupils",
        f"label: {_j('Export à confirmer (brouillon d’après ' + export.name + ')')}",
        "confirmed: false",
        "",
        *_input(analysis),
        "",
        "recognise:",
        f"  fields: {_j(signature)}",
        "",
        "fields:",
    ]
    for field in [n for n in WHAT if n in proposals or n in analysis.missing_required]:
        spec = by_field.get(field, {})
        #: the --from field's flags (required, may_be_empty…), as it writes them
        flags = {k: v for k, v in from_fields.get(field, {}).items() if k not in ("headers", "steps")}
        proposal = proposals.get(field)
        lines.append(f"  {field}:")
        if proposal is None:
            lines += [
                f"    # TODO: no column of this export was found for {field} (required): {WHAT[field]}.",
                "    # Replace the TODO below by that column's header, exactly as the export writes it.",
                f"    headers: [{_j(todo_header(field))}]",
            ]
        else:
            lines += [
                f"    # column {proposal.column + 1} '{_comment_text(proposal.header)}': "
                f"{_comment_text(proposal.evidence, 200)}",
                f"    # confidence: {proposal.level} ({proposal.confidence:.0%})",
                *([f"    # NOTE: {proposal.caveat}"] if proposal.caveat else []),
                f"    headers: [{_j(proposal.header)}]",
            ]
        lines += [f"    {key}: {_j(value)}" for key, value in flags.items()]
        lines.append(f"    steps: {_j(_steps(field, spec, proposal, analysis))}")
    if analysis.missing_optional:
        lines += [
            "",
            f"# Not found in this export (optional): {', '.join(analysis.missing_optional)}.",
            "# Add them under fields: if a column holds them (see sources/" + from_id + ".yaml).",
        ]
    if analysis.unmapped:
        lines += ["", "# Columns left unmapped (inspect reports them as unknown; map or ignore them):"]
        for index in analysis.unmapped:
            shape = analysis.shapes[index]
            lines.append(
                f"#   column {index + 1} '{_comment_text(analysis.headers[index])}': "
                f"{shape.kind} in {shape.cells}/{shape.rows} cells"
            )
    if analysis.ignored:
        lines += ["", "# Columns this import does not need (addresses, phones, responsables, known extras):"]
        lines.append("ignore_headers:")
        lines += [f"  - {_j(analysis.headers[i].strip())}" for i in analysis.ignored]
    return "\n".join(lines) + "\n"


def todo_lines(text: str) -> dict[str, int]:
    """The line (from 1) of each field's TODO header in a drafted file."""
    found: dict[str, int] = {}
    field = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"):
            field = line.strip()[:-1]
        elif line.lstrip().startswith('headers: ["TODO'):
            found[field] = number
    return found
