"""The click command ``onde-sacoche batch`` (the feature and its db map are documented in engine.batch).

The map reader and the pool (engine.batch_map, engine.batch_run) are imported when the command runs: the
command line's start-up (``--help``) needs neither.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.cliguard import echo, json_safe
from engine.errors import OndeError, OndeErrorGroup
from engine.outpaths import check_output_dir


@click.command("batch")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--db-map",
    "db_map",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or CSV file: each export (relative to DIRECTORY) → database URL and plan directory name.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Schools planned at the same time, one process each [default: number of CPUs].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("onde-sacoche-batch"),
    show_default=True,
    help="Directory receiving one plan directory per school, batch-summary.json and batch-summary.txt.",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Rule directory to use instead of the built-in rules.",
)
@click.option("--format", "format_id", default=None, help="Force a source format id for every export.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date written as user_sortie_date of leavers (default: today).",
)
@click.option("--allow", "allow", multiple=True, metavar="GUARD", help="Let every plan through this guard.")
@click.option("--force", is_flag=True, help="Replace plans of another database in the plan directories.")
@click.option("--json", "as_json", is_flag=True, help="Print batch-summary.json instead of text.")
def batch_command(
    directory: Path,
    db_map: Path,
    jobs: int | None,
    out: Path,
    rules_dir: Path | None,
    format_id: str | None,
    today: Any,
    allow: tuple[str, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Plan every school of DIRECTORY against its SACoche database, several at a time.

    One plan directory per school under --out, --out/batch-summary.json and .txt. A school that fails is
    reported (file:line: message) and never stops the others. Exit codes: 0 all planned, 3 some plan
    held by a guard, 1 some school failed.

    \b
        onde-sacoche batch exports/ --db-map db-map.yaml --jobs 2 --out plans/
    """
    from engine.batch_map import read_db_map  # not at start-up: `onde-sacoche --help` needs none of it
    from engine.batch_run import EXIT_ERROR, Options, run_batch, text_report

    try:
        from engine.plan import GUARDS

        unknown = sorted(set(allow) - set(GUARDS))
        if unknown:
            raise OndeError(
                f"unknown guard(s) for --allow: {', '.join(unknown)}", hint=f"use one of: {', '.join(GUARDS)}"
            )
        schools = read_db_map(db_map, directory)
        check_output_dir(out)
        options = Options(rules_dir, format_id, today.date() if today else None, tuple(allow), force)
        result = run_batch(
            schools,
            out,
            workers=jobs or os.cpu_count() or 1,
            options=options,
            progress=sys.stdout.isatty() and not as_json,
            extra={"directory": str(directory), "db_map": str(db_map)},
        )
    except OndeError as exc:
        count = len(exc.errors) if isinstance(exc, OndeErrorGroup) else 1
        echo(f"error: {exc}" if count == 1 else f"{count} errors:\n{exc}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        click.echo(json_safe(result.summary_path.read_text(encoding="utf-8")), nl=False)
    else:
        echo(text_report(result))
    sys.exit(result.exit_code)
