"""Stage 4 of the pipeline, rendering: a plan directory → SQL scripts, the French report, login sheets.

A reader starts at :func:`render_sql` (:mod:`~engine.render.sql`: plan loading, the SQL model, the
scripts; templates in ``engine/render/templates/``). Beside it: :mod:`~engine.render.plancheck`
(plan.json validation), :mod:`~engine.render.sqlphrases` (the SQL phrases the templates use),
:mod:`~engine.render.report` and :mod:`~engine.render.sheets` (report and login sheet),
:mod:`~engine.render.apply` (running a script) and :mod:`~engine.render.summary`.
"""

from __future__ import annotations

from engine.render.sql import (
    ARCHIVE_CHUNK,
    DIALECTS,
    PLAN_FILE,
    SCRIPTS,
    SQL_DIR,
    LoadedPlan,
    load_plan,
    mysql_literal,
    plan_dialects,
    render_scripts,
    render_sql,
    rendered_plan_sha,
    sql_comment,
    sql_path,
    sqlite_literal,
)

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
