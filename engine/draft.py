"""``onde-sacoche rules draft``: propose a source format for an export that no format recognises.

The export is read as any export is (engine.read: encoding, delimiter, sheets); its header row is the one
of the first lines that names the most fields (engine.draft_headers). Each column is then compared with
every target field by its header (synonyms of all shipped pupil formats) and by its values
(engine.draft_values: INE pattern, dates, sexe codes, niveaux, digits, groups); the best pairs are taken
one by one, each column and field used once. The result is a copy of the shipped rules plus
``sources/<name>.yaml`` (``confirmed: false``), written by engine.draft_yaml, whose steps come from the
``--from`` format. Nothing about a pupil is kept or printed: headers, counts and value shapes only.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import yaml

from engine.draft_headers import EXTRA_SYNONYMS, best_synonym, header_score, irrelevant
from engine.draft_model import Analysis, Proposal
from engine.draft_values import Shape, caveat, evidence, fit, sniff
from engine.errors import OndeError
from engine.ops import compile_steps, fold
from engine.read import RawSource, open_sources
from engine.read.cells import visible
from engine.rules import TARGET_FIELDS, RuleSet, default_rules_dir, load_rules

_SAMPLE_ROWS = 5000  # rows whose cells are sniffed
_HEADER_MIN = 0.6  # a header less similar than this names a field only when the values are clear
#: fields whose values alone can name the column (with the least header similarity they need)
_BY_VALUES = {"ine": 0.0, "genre": 0.0, "email": 0.0, "niveau": 0.0, "classe_id": 0.3}


def synonyms(rules: RuleSet, first: str = "onde2-eleves") -> dict[str, list[str]]:
    """Every header the shipped pupil formats list for each field (format ``first`` first), then the
    extra common spellings."""
    found: dict[str, list[str]] = {name: [] for name in TARGET_FIELDS}
    ordered = sorted(rules.sources.values(), key=lambda s: s.id != first)
    for source in ordered:
        if source.kind != "pupils":
            continue
        for name, rule in source.fields.items():
            found[name].extend(rule.headers)
    for name, extra in EXTRA_SYNONYMS.items():
        found[name].extend(extra)
    return {name: list(dict.fromkeys(headers)) for name, headers in found.items()}


def _find_header(
    raws: Sequence[RawSource], syns: Mapping[str, Sequence[str]], depth: int
) -> tuple[RawSource, int, list[str]]:
    best: tuple[tuple[int, int], RawSource, int, list[str]] | None = None
    for raw in raws:
        for line, cells in islice(raw.rows(), depth):
            score = (header_score(cells, syns), sum(1 for c in cells if c.strip()))
            if best is None or score > best[0]:
                best = (score, raw, line, cells)
    if best is None:
        raise OndeError("the file holds no rows", file=raws[0].path if raws else None)
    (named, _), raw, line, cells = best
    if named < 2:
        raise OndeError(
            f"no header row found in the first {depth} lines: no line names two pupil fields "
            "(nom, prénom, classe…)",
            file=raw.path,
            hint="export the pupil list with its header line, or write the source file by hand "
            "(docs/rules.md, 'A new source format')",
        )
    return raw, line, cells


def _columns(raw: RawSource, line: int, width: int) -> list[list[str]]:
    columns: list[list[str]] = [[] for _ in range(width)]
    rows = ((n, cells) for n, cells in raw.rows() if n > line)
    for _, cells in islice(rows, _SAMPLE_ROWS):
        for index in range(width):
            columns[index].append(visible(cells[index]) if index < len(cells) else "")
    return columns


def _confidence(name: str, header: float, value: float) -> float:
    by_header = 0.8 * header + 0.2 * max(value, 0.0)
    by_values = 0.7 * value if name in _BY_VALUES else 0.0
    return min(1.0, max(by_header, by_values))


def _propose(
    headers: Sequence[str],
    shapes: Sequence[Shape],
    syns: Mapping[str, Sequence[str]],
    fields: Sequence[str],
    known_ignored: Sequence[str],
) -> list[Proposal]:
    folded = [fold(h) for h in headers]
    pairs: list[tuple[float, Proposal]] = []
    for column, header in enumerate(headers):
        if not header.strip() or folded.count(folded[column]) > 1:
            continue  # an empty or repeated header cannot identify a column
        if irrelevant(header, known_ignored):
            continue  # Nom responsable, Adresse…
        for name in fields:
            similar, synonym = best_synonym(header, syns[name])
            value = fit(shapes[column], name)
            if value <= -0.5:
                continue
            score = similar + 0.3 * value
            by_header = similar >= _HEADER_MIN and score >= 0.75
            by_values = value >= 0.9 and similar >= _BY_VALUES.get(name, 2.0)
            if not (by_header or by_values):
                continue
            proposal = Proposal(
                name,
                column,
                header.strip(),
                synonym,
                similar,
                value,
                evidence(shapes[column], name),
                _confidence(name, similar, value),
                caveat(shapes[column], name),
            )
            pairs.append((score, proposal))
    pairs.sort(key=lambda p: (-p[0], p[1].column, fields.index(p[1].field)))
    taken_fields: set[str] = set()
    taken_columns: set[int] = set()
    chosen = []
    for _, proposal in pairs:
        if proposal.field in taken_fields or proposal.column in taken_columns:
            continue
        taken_fields.add(proposal.field)
        taken_columns.add(proposal.column)
        chosen.append(proposal)
    return sorted(chosen, key=lambda p: fields.index(p.field))


def _field_rules(rules: RuleSet, from_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The --from source file's data, and for each field its rule (from --from, else another format)."""
    data = yaml.safe_load(rules.sources[from_id].file.read_text(encoding="utf-8"))
    by_field: dict[str, dict[str, Any]] = {}
    others = [s for s in rules.sources.values() if s.kind == "pupils" and s.id != from_id]
    for source in (rules.sources[from_id], *others):
        fields = yaml.safe_load(source.file.read_text(encoding="utf-8")).get("fields", {})
        for name, spec in fields.items():
            by_field.setdefault(name, spec)
    return data, by_field


def analyse(export: Path, rules: RuleSet, from_id: str = "onde2-eleves") -> Analysis:
    """Read ``export`` and propose a mapping; raise :class:`OndeError` when it cannot be drafted."""
    if from_id not in rules.sources or rules.sources[from_id].kind != "pupils":
        pupils = sorted(s.id for s in rules.sources.values() if s.kind == "pupils")
        raise OndeError(
            f"unknown pupils format '{from_id}'", hint=f"use --from with one of: {', '.join(pupils)}"
        )
    source, by_field = _field_rules(rules, from_id)
    syns = synonyms(rules, from_id)
    encodings = tuple(dict.fromkeys(e for s in rules.sources.values() for e in s.encodings))
    delimiters = tuple(dict.fromkeys(d for s in rules.sources.values() for d in s.delimiters))
    depth = max(s.header_search_lines for s in rules.sources.values())
    raws = open_sources(
        export,
        encodings=encodings,
        delimiters=delimiters,
        is_header=lambda cells: header_score(cells, syns) >= 3,
        header_lines=depth,
    )
    _refuse_known(raws, rules, export)
    raw, line, cells = _find_header(raws, syns, depth)
    headers = tuple(visible(c) for c in cells)  # as engine.read.formats.detect sees them (no invisible ones)
    ctx = rules.context
    niveaux = (
        frozenset(rules.tables["niveaux"]["lookup"].values()) if "niveaux" in rules.tables else frozenset()
    )
    sexe_steps = compile_steps([s for s in by_field.get("genre", {}).get("steps", []) if "default" not in s])
    niveau_steps = compile_steps(by_field.get("niveau", {}).get("steps", []))
    shapes = tuple(
        sniff(values, ctx, sexe_steps, niveau_steps, niveaux) for values in _columns(raw, line, len(headers))
    )
    fields = [n for n in TARGET_FIELDS if n in by_field]
    known_ignored = [h for s in rules.sources.values() if s.kind == "pupils" for h in _ignored(s.file)]
    proposals = _propose(headers, shapes, syns, fields, known_ignored)
    mapped = {p.field for p in proposals}
    required = [n for n, spec in source.get("fields", {}).items() if spec.get("required")]
    used = {p.column for p in proposals}
    left = [i for i, h in enumerate(headers) if i not in used and h.strip()]
    ignored = tuple(i for i in left if irrelevant(headers[i], known_ignored) or shapes[i].kind == "phone")
    return Analysis(
        raw=raw,
        line=line,
        headers=headers,
        shapes=shapes,
        proposals=tuple(proposals),
        missing_required=tuple(n for n in required if n not in mapped),
        missing_optional=tuple(n for n in fields if n not in mapped and n not in required),
        ignored=ignored,
        unmapped=tuple(i for i in left if i not in ignored),
        from_data=source,
        field_specs=by_field,
    )


def _ignored(path: Path) -> list[str]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")).get("ignore_headers", []))


def _refuse_known(raws: Sequence[RawSource], rules: RuleSet, export: Path) -> None:
    """An export a format reads already, or a known other export (parents), is not drafted."""
    from engine.read.formats import detect

    try:
        match = detect(raws, rules, kinds=("pupils", "parents"))
    except OndeError as exc:
        for source in rules.sources.values():
            refusal = source.message or f"this is a {source.label} file, not a pupils export"
            if source.kind == "other" and exc.message == refusal:
                raise
        return
    if match.source.kind != "pupils":
        raise OndeError(
            f"this is a {match.source.kind} export (format {match.source.id}), not a pupils export: "
            "rules draft drafts pupils formats only",
            file=export,
            line=match.line,
            hint=f"give a pupils export; describe this file with: onde-sacoche inspect {export}",
        )
    raise OndeError(
        f"format {match.source.id} reads this export already: nothing to draft",
        file=export,
        line=match.line,
        hint=f"run: onde-sacoche inspect {export}",
    )


def write_draft(analysis: Analysis, export: Path, out: Path, name: str, from_id: str) -> Path:
    """Copy the shipped rules to ``out`` with the drafted ``sources/<name>.yaml``; all or nothing."""
    from engine.draft_yaml import source_yaml
    from engine.outpaths import copy_tree_new

    shipped = default_rules_dir().resolve()
    if out.resolve().is_relative_to(shipped):
        raise OndeError(
            "the destination is inside the shipped rules", file=out, hint="choose a directory outside them"
        )
    text = source_yaml(analysis, export, out, name, from_id)
    copy_tree_new(shipped, out)  # refuses an existing destination in any form, leaves nothing on failure
    written = out / "sources" / f"{name}.yaml"
    try:
        written.write_text(text, encoding="utf-8")
    except OSError as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise OndeError(
            f"cannot write the drafted format ({exc.strerror or type(exc).__name__}); nothing left behind",
            file=written,
            hint="free some space or choose another place",
        ) from None
    return written


def draft(export: Path, out: Path, name: str, from_id: str = "onde2-eleves") -> tuple[Analysis, Path]:
    """Analyse ``export`` against the shipped rules and write the draft directory ``out``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise OndeError(
            f"--name '{name}' is not a valid format id",
            hint="use lower-case letters, digits and '-' only (e.g. ecole-eleves)",
        )
    rules = load_rules(default_rules_dir())
    if name in rules.sources:
        raise OndeError(
            f"a shipped format is already called '{name}'", hint="choose another --name (e.g. new-eleves)"
        )
    analysis = analyse(export, rules, from_id)
    return analysis, write_draft(analysis, export, out, name, from_id)


def summary(analysis: Analysis, written: Path, export: Path, out: Path) -> str:
    """What ``rules draft`` prints: the table field → column, evidence, confidence; then what to run."""
    from engine.draft_yaml import todo_lines

    raw = analysis.raw
    where = (
        f"sheet '{raw.sheet}'"
        if raw.kind == "xlsx"
        else f"encoding {raw.encoding}, delimiter {raw.delimiter!r}"
    )
    lines = [
        f"{export}: header on line {analysis.line} ({where}), {len(analysis.headers)} columns, "
        f"{analysis.rows} rows sniffed",
        f"  {'field':<14} {'column':<22} {'confidence':<11} evidence",
    ]
    for p in analysis.proposals:
        column = f"{p.column + 1} '{_short(p.header, 16)}'"
        lines.append(f"  {p.field:<14} {column:<22} {p.level + f' {p.confidence:.0%}':<11} {p.evidence}")
        if p.caveat:
            lines.append(f"  {'':<14} note: {p.caveat}")
    todos = todo_lines(written.read_text(encoding="utf-8"))
    for name, line in todos.items():
        lines.append(f"  {name:<14} {'-':<22} {'TODO':<11} no column found (required): {written}:{line}")
    for index in analysis.unmapped:
        shape = analysis.shapes[index]
        lines.append(
            f"  unmapped: column {index + 1} '{_short(analysis.headers[index], 40)}' ({shape.kind} in "
            f"{shape.cells}/{shape.rows} cells): inspect reports it; map it or add it to ignore_headers"
        )
    if analysis.ignored:
        names = ", ".join(f"'{_short(analysis.headers[i], 30)}'" for i in analysis.ignored)
        lines.append(f"  ignored (not needed for pupils): {names}")
    lines.append(f"written: {out} (the shipped rules plus {written.relative_to(out)}, not confirmed)")
    inspect = f"onde-sacoche inspect {shlex.quote(str(export))} --rules {shlex.quote(str(out))}"
    if todos:
        first = min(todos.values())
        lines.append(f"next: replace each TODO ({written}:{first}…) by the export's header, then run")
        lines.append(f"  onde-sacoche rules check {shlex.quote(str(out))}")
        lines.append(f"  {inspect}")
    else:
        lines.append(f"next: {inspect}")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
