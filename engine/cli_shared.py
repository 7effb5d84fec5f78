"""What the command modules share (engine.cli_*): the --rules option, the PLAN_DIR argument, and how an
error ends a command (its message on stderr, optionally a JSON body on stdout, its exit code)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from engine.cliguard import echo, json_text
from engine.errors import OndeError, OndeErrorGroup

RULES_OPTION = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Rule directory to use instead of the built-in rules (see `onde-sacoche rules copy`).",
)

PLAN_DIR_ARGUMENT = click.argument("plan_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))


def fail(error: OndeError, as_json: bool = False, payload: dict[str, Any] | None = None) -> None:
    """End the command on ``error``: its message on stderr (with ``as_json``, the errors added to ``payload``
    on stdout too), exit with its code."""
    errors = error.errors if isinstance(error, OndeErrorGroup) else [error]
    if as_json:
        body = dict(payload or {})
        body["errors"] = [e.to_dict() for e in errors]
        click.echo(json_text(body))
    echo(f"error: {error}" if len(errors) == 1 else f"{len(errors)} errors:\n{error}", err=True)
    sys.exit(error.exit_code)
