"""``onde-sacoche apply``: run a plan's apply.sql on a database, then its verify.sql."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from engine.cli_shared import PLAN_DIR_ARGUMENT, fail
from engine.cliguard import echo, one_line
from engine.errors import OndeError


@click.command("apply")
@PLAN_DIR_ARGUMENT
@click.option("--db", "db_url", required=True, help="sqlite:///PATH or mysql://USER:PASSWORD@HOST:PORT/DB.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (MySQL/MariaDB).")
@click.option(
    "--resume",
    is_flag=True,
    help="Finish an apply of this plan that stopped part-way: the database's identity is still checked, "
    "its fingerprint is left to the script's guards (each row in the plan's old or new state).",
)
def apply_cmd(plan_dir: Path, db_url: str, yes: bool, resume: bool) -> None:
    """Run PLAN_DIR/sql/DIALECT/apply.sql on --db, then verify.sql.

    SQLite: in one transaction; a failing guard rolls everything back. MySQL/MariaDB: asks for
    confirmation (unless --yes), then runs the script with the `mariadb` (or `mysql`) client found on
    PATH, as a DBA would; its guards stop it before any write when the database changed since the plan.
    Exit 0 applied and verified; 1 refused or failed (the message names the file).

    \b
        onde-sacoche apply /tmp/plan --db sqlite:///examples/copy.db
        onde-sacoche apply /tmp/plan --db 'mysql://sacoche:PASSWORD@localhost/sacoche'
    """
    from engine.connection import redact_url
    from engine.render.apply import checked_script, prepare, run_script, run_verify

    try:
        loaded, dialect, script = prepare(plan_dir, db_url, resume=resume)
        verify = checked_script(plan_dir, loaded, dialect, "verify")
        accepted = [i for i in loaded.doc["items"] if i.get("accepted") and i.get("kind") != "decide"]
        kinds = Counter(str(i.get("kind")) for i in accepted)  # what the script does, not the summary
        counts = ", ".join(f"{one_line(k)} {n}" for k, n in sorted(kinds.items()))
        echo(f"{script}: {len(accepted)} accepted change(s) to run" + (f" ({counts})" if counts else ""))
        planned_on = loaded.doc["state"].get("url")
        if planned_on != redact_url(db_url):
            echo(f"  note: the plan was computed on {planned_on}; the guards check this database")
        if not accepted:
            echo("nothing to apply")
            return
        if dialect == "mysql" and not yes:
            click.confirm(f"Apply to {redact_url(db_url)}?", abort=True)
        run = run_script(db_url, dialect, script)
        if run.output.strip():
            echo(run.output.strip())
        result = run_verify(db_url, dialect, verify)
    except OndeError as exc:
        fail(exc)
        return
    failed = [row for row in result.rows[:-1] if row[1] != "1"]
    for name, _ok, details in failed:
        echo(f"  differs: {name}: {details}", err=True)
    last = result.rows[-1] if result.rows else ("RESULT", "0", "verify.sql gave no result")
    echo(f"verify.sql: {last[2]}")
    if not result.verified:
        fail(OndeError("the database does not hold every change of the plan", file=verify))
