"""``onde-sacoche rules check|copy|draft``: validate, copy or draft rule directories."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli_shared import fail
from engine.cliguard import echo
from engine.errors import OndeError
from engine.outpaths import copy_tree_new


@click.group("rules")
def rules_group() -> None:
    """Check, copy or draft rule directories."""


@rules_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def rules_check(directory: Path | None) -> None:
    """Validate every rule file; print each problem as file:line:column: message.

    \b
        onde-sacoche rules check            # the built-in rules
        onde-sacoche rules check my-rules/  # an edited copy
    """
    from engine.rules import check_rules

    if directory is not None and not directory.is_dir():
        fail(OndeError("no such directory", file=directory, hint="give the path of a rule directory"))
    try:
        rules, errors = check_rules(directory)
    except OndeError as exc:
        rules, errors = None, [exc]
    if errors:
        for error in errors:
            echo(str(error), err=True)
        echo(f"{len(errors)} problem(s) found", err=True)
        sys.exit(1)
    assert rules is not None
    echo(
        f"{rules.directory}: OK — {rules.name} {rules.full_version}; "
        f"formats: {', '.join(sorted(rules.sources))}; tables: {', '.join(sorted(rules.tables))}"
    )


@rules_group.command("copy")
@click.argument("destination", type=click.Path(path_type=Path))
def rules_copy(destination: Path) -> None:
    """Copy the built-in rules to DESTINATION, to edit them and use them with --rules.

    \b
        onde-sacoche rules copy my-rules && $EDITOR my-rules/sources/onde2-eleves.yaml
    """
    from engine.rules import default_rules_dir

    try:
        copy_tree_new(default_rules_dir(), destination)
    except OndeError as exc:
        fail(exc)
    echo(f"rules copied to {destination}; use them with --rules {destination}")


@rules_group.command("draft")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from", "from_id", default="onde2-eleves", show_default=True, help="Format whose steps to copy."
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Rule directory to write [NAME-rules]."
)
@click.option("--name", default="draft-eleves", show_default=True, help="Id of the drafted format.")
def rules_draft(export: Path, from_id: str, out: Path | None, name: str) -> None:
    """Draft a rule directory for an export that no format recognises; print what was mapped and why.

    \b
        onde-sacoche rules draft new-export.csv --out my-rules
        onde-sacoche inspect new-export.csv --rules my-rules
    """
    from engine.draft import draft, summary

    out = out or Path(f"{name}-rules")
    try:
        analysis, written = draft(export, out, name, from_id)
    except OndeError as exc:
        fail(exc)
        return
    echo(summary(analysis, written, export, out))
