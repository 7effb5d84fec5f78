"""``onde-sacoche batch``: plan many schools in one run, several at a time, with one combined summary.

``DIR`` holds the exports; ``--db-map`` says, for each export (a path relative to ``DIR``), which SACoche
database it is planned against and the name of its plan directory under ``--out``. In YAML::

    schools:
      - export: ecole-a.csv
        db: sqlite:///bases/ecole-a.db
        out: ecole-a                  # optional: the export's file name without its extension
      - export: 2026/ecole-b.xlsx
        db: mysql://onde@db.example/sacoche_b?option_file=~/.sacoche-b.cnf

or the short form, one key per export::

    ecole-a.csv: {db: "sqlite:///bases/ecole-a.db", out: ecole-a}
    ecole-b.xlsx: "mysql://onde@db.example/sacoche_b?password_env=SACOCHE_B_PASSWORD"

or CSV with the header ``export,db,out`` (``,`` or ``;``; ``out`` may be left empty). A relative SQLite
path in the map is read relative to the map file's folder. A password is better kept out of the map:
``?password_env=NAME`` or ``?option_file=PATH`` per school (engine.dburl); the summaries only ever hold
the URL without its password.

Each school runs :func:`engine.pipeline.make_plan` in a worker process
(:class:`concurrent.futures.ProcessPoolExecutor`, ``--jobs`` workers). A failure in one school (a bad
export, a database that cannot be read, even a crash of its worker) is reported and never stops the
others. ``--out/batch-summary.json`` records, per school in map order: status ``ok``, ``held`` or
``error``, the summary counts, the holds, and ``file:line: message`` for errors; the same is printed,
and kept as text in ``--out/batch-summary.txt`` (counts and messages only, never a pupil's name).

Exit codes: 0 every school planned, 3 at least one plan held by a guard (and no error), 1 at least one
school failed or the map/rules are wrong (nothing planned then).

This module is the command and the public surface; the map is read by :mod:`engine.batch_map`, the
schools are run and summarised by :mod:`engine.batch_run`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.batch_map import SchoolJob, read_db_map
from engine.batch_run import (
    EXIT_ERROR,
    EXIT_HELD,
    EXIT_OK,
    MAX_ERRORS,
    STATUSES,
    SUMMARY_FILE,
    SUMMARY_TEXT_FILE,
    BatchResult,
    Options,
    plan_school,
    run_batch,
    school_line,
    text_report,
)
from engine.cliguard import echo, json_safe
from engine.errors import OndeError, OndeErrorGroup
from engine.outpaths import check_output_dir

__all__ = [
    "EXIT_ERROR",
    "EXIT_HELD",
    "EXIT_OK",
    "MAX_ERRORS",
    "STATUSES",
    "SUMMARY_FILE",
    "SUMMARY_TEXT_FILE",
    "BatchResult",
    "Options",
    "SchoolJob",
    "batch_command",
    "plan_school",
    "read_db_map",
    "run_batch",
    "school_line",
    "text_report",
]


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


if __name__ == "__main__":  # pragma: no cover - `python -m engine.batch` until cli.py registers it
    from engine.batch import batch_command as _command

    _command()
