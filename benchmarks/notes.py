"""The notes at the end of docs/performance.md: what the pipeline does for scale, with this run's
figures where a sentence depends on them (stages, scripts rendered, where the peak RSS is reached)."""

from __future__ import annotations

from typing import Any

from benchmarks import changed_report
from benchmarks.text import find_stage, leaves, mib, seconds

#: the stages after planning, and what each does (the figures are this run's, from (b))
OUTSIDE = (
    ("read_state", "streams the user table, fingerprinting each row as it arrives"),
    (
        "write_plan",
        "writes plan.json item by item (orjson where its bytes are json.dumps's, a small indenter "
        "elsewhere) and keeps the document for rendering",
    ),
    (
        "check_written_plan",
        "checks that document as `render` checks a plan.json (every check but the seals of its plain "
        "items, made a moment earlier from the same values): `plan` does not read plan.json back",
    ),
    ("load_plan", "reads plan.json back (only in `render` and `apply` of a plan directory)"),
    ("render_sql", "streams each script to a temporary file, renamed once every script is written"),
    ("render_reports", "renders the report and the login sheet from the same document"),
)

NOTES = """## Notes

- Fuzzy matching blocks by birth date (a deletion index inside large blocks) and by folded names; no
  stage compares all pairs. The look-alike proposals ("same nom and prénom, different birth date") grow
  with the number of unmatched accounts sharing a name, so a real name distribution matters: the
  generator draws family names from a long tail, as in France.
- Changes made for scale in the planning stages (same results, checked by tests on generated schools):
  the normaliser memoises each field's rule steps per distinct cell (equal values then share one
  string), `class_of` and `group_ref` are memoised per class/label instead of per pupil, the matcher
  builds its tier indexes without a list per key and searches look-alikes through a deletion index, the
  planner reads its field policy once and skips unchanged pupils with one comparison, the cyclic garbage
  collector is paused while these stages build millions of objects, and `openpyxl`, `clevercsv` and
  `charset_normalizer` are imported only when used.
- Rendering: the SQL phrases (lookups, row identities, the condition of every guard and check) are
  Python functions called by the templates (`engine/render/sqlphrases.py` and its `phrases_*`
  modules): as Jinja macros they took about 70 % of the rendering time. Which families the MySQL /
  MariaDB scripts write with set statements over the plan's rows loaded into temporary tables, and
  which stay one statement per item, is in docs/sql.md ("Set statements").
"""


def _scripts(report: dict[str, Any]) -> str:
    """Which scripts (b) and (h) rendered, and what (h)'s apply.sql still wrote per item."""
    scripts = report["large"].get("scripts")
    parts = []
    if scripts:
        dialects = sorted({name.split("/")[0] for name in scripts})
        parts.append(
            f"(b)'s state is SQLite, so its `render_sql` wrote {len(scripts)} scripts ({', '.join(dialects)})"
        )
    changed = report.get("changed")
    run = changed_report.judged(changed) if changed else None
    if run and run.get("dialects"):
        parts.append(f"(h)'s is MariaDB: {', '.join(run['dialects'])} only")
    if run and run.get("apply_shape"):
        families = run["apply_shape"].get("per_item") or {}
        named = ", ".join(families) if families else "none"
        parts.append(
            f"in (h)'s apply.sql at {run['pupils']:,} pupils, the families with statements of a single "
            f"item's own: {named}"
        )
    return "- Scripts in this run: " + "; ".join(parts) + ".\n" if parts else ""


def _memory(report: dict[str, Any]) -> str:
    large = report["large"]
    peak = large["plan"]["rss_mb"]
    stages = leaves(large["stages"])
    reached = next((s for s in stages if s.get("peak_mb") and s["peak_mb"] >= peak - 1), None)
    where = f"is reached in `{reached['stage']}`" if reached else "was not reached by a finished stage"
    return (
        f"- Memory: (b)'s peak ({mib(peak)}) {where}. Everything but the plan's document (what plan.json "
        "holds) is released before rendering, which works from that document and streams every script "
        "and the report to disk (the first measurement held the six scripts in memory: 5.99 GiB).\n"
    )


def notes(report: dict[str, Any]) -> str:
    """The notes, with this run's figures for the stages outside the planning ones."""
    outside = []
    for name, what in OUTSIDE:
        stage = find_stage(report["large"]["stages"], name)
        if stage:
            figures = f"{seconds(stage['seconds'])}, peak {mib(stage['peak_mb'])} when done"
            outside.append(f"`{name}` {what} ({figures})")
    text = NOTES + _scripts(report) + _memory(report)
    if outside:
        text += "- Writing and rendering stages of (b): " + "; ".join(outside) + ".\n"
    report_mb = report["large"].get("report_mb")
    if report_mb:
        text += (
            f"- The report lists every changed pupil: for (b)'s synthetic school it is {report_mb:.0f} MiB "
            "of HTML that nobody would print; a real school's renders in milliseconds.\n"
        )
    return text
