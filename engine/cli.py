"""The command line: parses options, calls the pipeline stages, maps errors to exit codes.

Exit codes (engine.cliguard): 0 done, 1 a problem the user must fix or a usage error (nothing written),
2 changes present (plan --detailed-exitcode only), 3 plan held by a guard, 130 interrupted.

The commands live by family, one module each: cli_inspect (inspect), cli_plan (plan, render), cli_review
(show, accept, reject, decide), cli_apply (apply), cli_rules (rules check|copy|draft), cli_batch (batch);
cli_shared holds what they share. Each module imports only what --help needs; a command imports its
stage's modules when it runs.
"""

from __future__ import annotations

import click

from engine import __version__
from engine.cli_apply import apply_cmd
from engine.cli_batch import batch_command
from engine.cli_inspect import inspect_cmd
from engine.cli_plan import plan_cmd, render_cmd
from engine.cli_review import accept_cmd, decide_cmd, reject_cmd, show_cmd
from engine.cli_rules import rules_group
from engine.cliguard import EXIT_CODES_HELP, GuardedGroup


@click.group(
    cls=GuardedGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="onde-sacoche")
def main() -> None:
    """Turn an ONDE pupil export and a SACoche database into a reviewable change plan.

    \b
    Start with:  onde-sacoche inspect EXPORT.csv
    """


for _command in (
    inspect_cmd,
    plan_cmd,
    rules_group,
    render_cmd,
    show_cmd,
    apply_cmd,
    accept_cmd,
    reject_cmd,
    decide_cmd,
    batch_command,
):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
