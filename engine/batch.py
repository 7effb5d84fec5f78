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

Each school runs :func:`engine.pipeline.make_plan` in a worker process (``--jobs`` workers, forked
from the parent once it has loaded what every school needs: engine.batch_pool), largest export first.
A failure in one school (a bad export, a database that cannot be read, even a crash of its worker) is
reported and never stops the others. ``--out/batch-summary.json`` records, per school in map order:
status ``ok``, ``held`` or ``error``, the summary counts, the holds, and ``file:line: message`` for
errors; the same is printed, and kept as text in ``--out/batch-summary.txt`` (counts and messages only,
never a pupil's name).

Exit codes: 0 every school planned, 3 at least one plan held by a guard (and no error), 1 at least one
school failed or the map/rules are wrong (nothing planned then).

This module is the public surface; the map is read by :mod:`engine.batch_map`, the schools are run and
summarised by :mod:`engine.batch_run`, the command is :mod:`engine.cli_batch`.
"""

from __future__ import annotations

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
from engine.cli_batch import batch_command

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


if __name__ == "__main__":  # pragma: no cover - `python -m engine.batch`, as `onde-sacoche batch`
    from engine.batch import batch_command as _command
    from engine.cliguard import _exit_now

    try:
        _command()
    except SystemExit as done:  # click's own exit, its messages printed: skip the interpreter's teardown
        if done.code is None or isinstance(done.code, int):
            _exit_now(done.code or 0)
        raise
