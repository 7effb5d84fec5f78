"""``onde-sacoche inspect``: read an export and describe it (format, encoding, classes…), writing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli_shared import RULES_OPTION, fail
from engine.cliguard import echo, json_text
from engine.errors import OndeError


@click.command("inspect")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@RULES_OPTION
@click.option("--format", "format_id", default=None, help="Force a source format id (e.g. onde2-eleves).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def inspect_cmd(export: Path, rules_dir: Path | None, format_id: str | None, as_json: bool) -> None:
    """Read an export and describe it: format, encoding, classes, niveaux, groups, warnings.

    Nothing is written. Example:

    \b
        onde-sacoche inspect examples/onde2-ecole-des-tilleuls.csv
        onde-sacoche inspect export.xlsx --json
    """
    empty = {
        "file": str(export),
        "format": None,
        "encoding": None,
        "pupils": 0,
        "classes": [],
        "warnings": [],
    }
    from engine.overview import overview
    from engine.read import parents
    from engine.read.normalise import normalise
    from engine.rules import load_rules

    try:
        rules = load_rules(rules_dir)
        match = parents.read_source(export, rules, format_id, ("pupils", "parents"))
        if match.source.kind == "parents":
            info = parents.overview(parents.read_parents(match, rules))
        else:
            info = overview(normalise(match, rules))
    except OndeError as exc:
        fail(exc, as_json, empty)
        return
    if as_json:
        click.echo(json_text(info))
        return
    if info.get("kind_of_export") == "parents":
        _print_parents(info)
        return
    _print_overview(info)


def _print_parents(info: dict[str, Any]) -> None:
    """inspect's text for a parents export: counts, never a name."""
    confirmed = "" if info["format_confirmed"] else "  (mapping not confirmed on a real export)"
    echo(f"{info['file']}: {info['format']} — {info['format_label']}{confirmed}")
    where = (
        f"sheet '{info['sheet']}'"
        if info["sheet"]
        else f"encoding {info['encoding']}, delimiter {info['delimiter']!r}"
    )
    echo(f"  {info['kind']}, {where}, header on line {info['header_line']}")
    echo(
        f"  {info['parents']} parents, {info['children_links']} links to children, "
        f"{info['child_groups']} child groups in the header"
    )
    if info["parents_without_child"]:
        echo(
            f"  {info['parents_without_child']} parents with no child listed (SACoche imports no such parent)"
        )
    if info["parents_on_several_rows"]:
        echo(f"  {info['parents_on_several_rows']} parents listed on several rows (one account each)")
    if info["skipped_rows"]:
        echo(
            f"  {info['skipped_rows']} rows of another table (organisations) skipped, "
            f"from line {info['skipped_from_line']}"
        )
    echo("  plan it with `onde-sacoche plan PUPILS_EXPORT --parents FILE`, or alone against the database")
    for warning in info["warnings"]:
        echo(f"  warning: {warning}")


def _sheets_read(info: dict[str, Any]) -> str:
    """ "sheets read: 'A' (header line 1, 12 pupils), 'B' (…); ignored: 'Notes'" for inspect's text."""
    sheets = info.get("sheets") or [{"name": info["sheet"], "header_line": info["header_line"]}]
    if len(sheets) == 1 and not info.get("ignored_sheets"):
        return f"sheet '{sheets[0]['name']}'"
    read = ", ".join(
        f"'{s['name']}' (header line {s['header_line']}, {s.get('pupils', 0)} pupils)" for s in sheets
    )
    ignored = ", ".join(f"'{name}'" for name in info.get("ignored_sheets") or ())
    return f"sheets read: {read}" + (f"; ignored (no pupils header): {ignored}" if ignored else "")


def _print_overview(info: dict[str, Any]) -> None:
    confirmed = "" if info["format_confirmed"] else "  (mapping not confirmed on a real export)"
    where = (
        _sheets_read(info)
        if info["sheet"]
        else f"encoding {info['encoding']}, delimiter {info['delimiter']!r}"
    )
    echo(f"{info['file']}: {info['format']} — {info['format_label']}{confirmed}")
    echo(f"  {info['kind']}, {where}, header on line {info['header_line']}")
    echo(f"  {info['pupils']} pupils ({info['without_ine']} without INE), {len(info['classes'])} classes")
    if info.get("without_class"):
        echo(f"  {info['without_class']} pupils without a class (admitted, not yet assigned)")
    echo("  classes:")
    for cls in info["classes"]:
        echo(
            f"    {cls['id']:>10}  {cls['label']:<32} {'+'.join(cls['niveaux']):<12} "
            f"{cls['pupils']:>4} pupils"
        )
    echo("  niveaux: " + ", ".join(f"{n} {c}" for n, c in info["niveaux"].items()))
    if info["dispositifs"]:
        echo("  dispositifs: " + ", ".join(f"{d} {c}" for d, c in info["dispositifs"].items()))
    if info["groups"]:
        echo("  groups: " + ", ".join(f"{g['label']} {g['pupils']}" for g in info["groups"]))
    for warning in info["warnings"]:
        echo(f"  warning: {warning}")
