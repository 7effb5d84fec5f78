"""``onde-sacoche plan`` (export + database → a plan directory) and ``render`` (plan.json → SQL scripts,
report and login sheet)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from engine.cli_shared import PLAN_DIR_ARGUMENT, RULES_OPTION, fail
from engine.cliguard import EXIT_CHANGES, EXIT_HELD, IsoDay, collector_paused, echo, json_text
from engine.errors import OndeError
from engine.outpaths import check_output_dir, check_plan_outputs


@click.command("plan")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", "db_url", required=True, help="sqlite:///PATH or mysql://USER:PASSWORD@HOST:PORT/DB.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("onde-sacoche-plan"),
    show_default=True,
    help="Plan directory to write.",
)
@RULES_OPTION
@click.option("--format", "format_id", default=None, help="Force a source format id.")
@click.option(
    "--parents",
    "parents_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="RESPONSABLES",
    help="The ONDE responsables export, planned with the pupils (docs/parents.md). "
    "EXPORT may also be a responsables export alone: its children must already be SACoche pupils.",
)
@click.option(
    "--decisions",
    "decisions_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML answers replayed on this run (accept/reject item ids, same/different pupils).",
)
@click.option(
    "--today",
    type=IsoDay(),
    default=None,
    help="Date written as user_sortie_date of leavers (default: today).",
)
@click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="GUARD",
    help="Let the plan through one guard: coverage, other_school, class_missing, niveau_missing, "
    "deactivations, parents_coverage, children_unresolved.",
)
@click.option("--force", is_flag=True, help="Replace a plan of another database in --out.")
@click.option("--json", "as_json", is_flag=True, help='Print {"summary": …, "out": DIR} as JSON.')
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes to apply (like Terraform)."
)
def plan_cmd(
    export: Path,
    db_url: str,
    out: Path,
    rules_dir: Path | None,
    format_id: str | None,
    parents_path: Path | None,
    decisions_file: Path | None,
    today: Any,
    allow: tuple[str, ...],
    force: bool,
    as_json: bool,
    detailed_exitcode: bool,
) -> None:
    """Compare EXPORT with the SACoche database and write a reviewable plan to --out.

    Nothing is written to the database. Exit codes: 0 plan written, 1 error (nothing written),
    2 changes present (with --detailed-exitcode), 3 plan held by a guard (written, marked held).

    \b
        onde-sacoche plan examples/onde2-ecole-des-tilleuls.csv \\
            --db sqlite:///examples/sacoche-ecole-des-tilleuls.db --out /tmp/plan
    """
    from engine.codecache import remembered_code

    try:
        # the rules are loaded in the block too (after the checks of --out, as make_plan would load
        # them): the patterns of their fields are the rule files', never a pupil's, and remembered
        with collector_paused(), remembered_code():
            from engine.pipeline import make_plan
            from engine.rules import load_rules

            check_output_dir(out)
            check_plan_outputs(out)
            rules = load_rules(rules_dir)
        result = make_plan(
            export,
            db_url,
            out,
            rules=rules,
            format_id=format_id,
            decisions_file=decisions_file,
            today=today.date() if today else None,
            allow=allow,
            force=force,
            parents_path=parents_path,
        )
    except OndeError as exc:
        fail(exc)
        return
    plan = result.plan
    if as_json:
        click.echo(json_text({"summary": plan.summary, "out": str(out)}))
    else:
        echo(result.text_summary())
    if plan.held:
        sys.exit(EXIT_HELD)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


@click.command("render")
@PLAN_DIR_ARGUMENT
@click.option(
    "--dialect",
    type=click.Choice(["auto", "mysql", "sqlite", "both"]),
    default="auto",
    show_default=True,
    help="SQL dialect: mysql (MySQL/MariaDB, the real SACoche) or sqlite (the demo database); auto: "
    "mysql, and sqlite too when the plan was made against a SQLite database.",
)
@click.option(
    "--revert-deletes-created",
    is_flag=True,
    help="revert.sql deletes the accounts, classes and groups apply.sql created (default: deactivates "
    "the accounts, leaves classes and groups).",
)
def render_cmd(plan_dir: Path, dialect: str, revert_deletes_created: bool) -> None:
    """Render the SQL scripts (PLAN_DIR/sql/DIALECT/), the report and the login sheet from plan.json.

    Run it after editing `accepted` flags in plan.json. Nothing is read but plan.json; on any error
    (plan.json damaged, an accepted item needing a rejected one…) nothing is written.

    \b
        onde-sacoche render /tmp/plan
        onde-sacoche render /tmp/plan --dialect mysql --revert-deletes-created
    """
    from engine.codecache import remembered_code

    with collector_paused(), remembered_code():
        from engine.pipeline import render_outputs
        from engine.render import DIALECTS

    dialects = {"auto": None, "both": DIALECTS}.get(dialect, (dialect,))
    try:
        check_output_dir(plan_dir, "PLAN_DIR")
        check_plan_outputs(plan_dir)
        paths = render_outputs(plan_dir, dialects, revert_deletes_created=revert_deletes_created)
    except OndeError as exc:
        fail(exc)
        return
    for path in paths:
        echo(f"written: {path}")
