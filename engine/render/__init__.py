"""Stage 4 of the pipeline, rendering: a plan directory → SQL scripts, the French report, login sheets.

A reader starts at :func:`render_sql` (:mod:`~engine.render.sql`: the scripts, streamed from the
templates in ``engine/render/templates/``). The SQL side: :mod:`~engine.render.loading` (plan.json read
and validated, with :mod:`~engine.render.itemcheck` and :mod:`~engine.render.plancheck`),
:mod:`~engine.render.model` and :mod:`~engine.render.views` (the accepted items the templates loop over),
:mod:`~engine.render.guards` (with a ``guards_<family>`` module per family) and
:mod:`~engine.render.check` (guards and verify checks),
:mod:`~engine.render.sqlphrases` (the SQL phrases the templates use), :mod:`~engine.render.literals` and
:mod:`~engine.render.columns`. Beside it: :mod:`~engine.render.report` and :mod:`~engine.render.sheets`
(report and login sheet), :mod:`~engine.render.apply` (running a script) and :mod:`~engine.render.summary`.
"""

from __future__ import annotations

from engine.render.columns import ARCHIVE_CHUNK, DIALECTS, SCRIPTS, SQL_DIR
from engine.render.literals import mysql_literal, sql_comment, sqlite_literal
from engine.render.loading import PLAN_FILE, LoadedPlan, load_plan
from engine.render.sql import plan_dialects, render_scripts, render_sql, rendered_plan_sha, sql_path

__all__ = [
    "ARCHIVE_CHUNK",
    "DIALECTS",
    "PLAN_FILE",
    "SCRIPTS",
    "SQL_DIR",
    "LoadedPlan",
    "load_plan",
    "mysql_literal",
    "plan_dialects",
    "render_scripts",
    "render_sql",
    "rendered_plan_sha",
    "sql_comment",
    "sql_path",
    "sqlite_literal",
]
