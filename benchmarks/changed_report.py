"""(h)'s targets and section of docs/performance.md, from what
:func:`benchmarks.changed_heavy.bench_changed_sizes` measured: one row per size (issue 17's table), the
targets judged at the largest size measured.

Every sentence is made from the measurements: the heaviest stages, the ratios across sizes, what
apply.sql held (:mod:`benchmarks.sqlshape`), the load average while each size ran.
"""

from __future__ import annotations

from typing import Any

from benchmarks import apply_profile, sqlshape
from benchmarks.changed_heavy import (
    CHANGED_HEAVY,
    INSERT_ROWS,
    TARGET_APPLY_RATIO,
    TARGET_PLAN_RATIO,
    TARGET_RSS_MB,
)
from benchmarks.config import CHANGED_TARGET_PUPILS
from benchmarks.text import find_stage, leaves, mib, seconds

#: the stages a plan's time is summed over when it is compared with the reference I/O
CORE_STAGES = ("read_export", "read_state", "match", "build_plan")


def normalised(changed: dict[str, Any]) -> dict[str, Any]:
    """The multi-size form; a report saved before (h) measured several sizes held one run."""
    if "runs" in changed:
        return changed
    return {"target_pupils": CHANGED_TARGET_PUPILS, "runs": [changed], "skipped": []}


def finished(run: dict[str, Any]) -> bool:
    return "plan_ratio" in run


def judged(changed: dict[str, Any]) -> dict[str, Any] | None:
    """The run the targets are judged at: the largest size measured (finished or not)."""
    runs = [r for r in normalised(changed)["runs"] if not r.get("missing")]
    return max(runs, key=lambda r: r["pupils"]) if runs else None


def _size(run: dict[str, Any], target: int) -> str:
    size = f"{run['pupils']:,} pupils"
    return size if run["pupils"] == target else f"{size} (the target is for {target:,})"


def _heaviest(run: dict[str, Any], top: int = 3) -> str:
    total = run["plan"]["seconds"]
    heavy = sorted(leaves(run["stages"]), key=lambda s: -s["seconds"])[:top]
    return ", ".join(
        f"`{s['stage']}` {seconds(s['seconds'])} ({100 * s['seconds'] / total:.0f}%)" for s in heavy
    )


def _trend(changed: dict[str, Any], key: str) -> str:
    done = sorted((r for r in normalised(changed)["runs"] if finished(r)), key=lambda r: r["pupils"])
    if len(done) < 2:
        return ""
    steps = " → ".join(f"{r[key]:.1f}× ({r['pupils']:,})" for r in done)
    return f" Across sizes: {steps}."


def _plan_why(changed: dict[str, Any], run: dict[str, Any]) -> str:
    core = sum(s["seconds"] for s in run["stages"] if s["stage"] in CORE_STAGES)
    dialects = run.get("dialects") or []
    scripts = f" (`render_sql` renders the {', '.join(dialects)} scripts)" if dialects else ""
    alone = (
        f"Reading, state, matching and planning alone take {seconds(core)} "
        f"({core / run['reference_seconds']:.1f}× the reference); "
        if core
        else ""
    )
    return (
        "the reference reads the same rows once; the plan also normalises, matches, plans, writes "
        f"plan.json and renders the SQL, the report and the login sheet. {alone}the heaviest stages are "
        f"{_heaviest(run)}{scripts}." + _trend(changed, "plan_ratio")
    )


def _rss_why(run: dict[str, Any]) -> str:
    peak = run["plan"]["rss_mb"]
    reached = next((s for s in leaves(run["stages"]) if s.get("peak_mb") and s["peak_mb"] >= peak - 1), None)
    planned = find_stage(run["stages"], "build_plan")
    text = "the export, the state, the matching and the plan's items are in memory at once"
    if planned and planned.get("peak_mb"):
        text += f" (peak {mib(planned['peak_mb'])} once planned)"
    return text + (f"; the peak is reached in `{reached['stage']}`." if reached else ".")


def _apply_why(changed: dict[str, Any], run: dict[str, Any]) -> str:
    rows = (
        f"the reference sends the plan's {run['load_rows']:,} rows as INSERTs of {INSERT_ROWS:,} rows "
        "and does nothing else"
    )
    shape = run.get("apply_shape")
    if not shape:
        return rows + "." + _trend(changed, "apply_ratio")
    held = sqlshape.describe(shape, run.get("accepted_items") or run["load_rows"])
    profiled = apply_profile.describe(run.get("apply_profile") or {})
    return (
        f"{rows}; apply.sql is {held}" + (f" {profiled}" if profiled else "") + _trend(changed, "apply_ratio")
    )


def _row(what: str, value: str, target: str, met: bool | None, gap: str, why: str) -> dict[str, Any]:
    return {"id": "h", "what": what, "value": value, "target": target, "met": met, "gap": gap, "why": why}


def targets(changed: dict[str, Any]) -> list[dict[str, Any]]:
    """The changed-heavy targets of issue 17, judged at the largest size measured, met or not, by how
    much and why."""
    changed = normalised(changed)
    target = changed.get("target_pupils") or CHANGED_TARGET_PUPILS
    run = judged(changed)
    if run is None or not finished(run):
        missing = [r.get("missing") for r in changed["runs"] if r.get("missing")]
        if run is None:
            value, met = (missing[0] if missing else "not measured"), None
        else:
            plan = run.get("plan") or {}
            stopped = f" (stopped in `{run['running']}`)" if run.get("running") else ""
            value = (
                f"unfinished after {seconds(plan.get('seconds'))}"
                if plan.get("timed_out")
                else f"failed (exit {plan.get('returncode')})"
            ) + stopped
            met = False if plan.get("timed_out") else None
        what = "changed-heavy `plan` on MariaDB" + (f", {_size(run, target)}" if run else "")
        return [_row(what, value, f"≤ {TARGET_PLAN_RATIO:.0f}×", met, "", "the plan did not finish")]
    size = _size(run, target)
    ratio, rss, apply_ratio = run["plan_ratio"], run["plan"]["rss_mb"], run["apply_ratio"]
    return [
        _row(
            f"changed-heavy `plan` on MariaDB, {size}, vs the reference I/O",
            f"{seconds(run['plan']['seconds'])} vs {seconds(run['reference_seconds'])} = {ratio:.1f}×",
            f"≤ {TARGET_PLAN_RATIO:.0f}×",
            ratio <= TARGET_PLAN_RATIO,
            "" if ratio <= TARGET_PLAN_RATIO else f"{ratio / TARGET_PLAN_RATIO:.2f}× the target",
            _plan_why(changed, run),
        ),
        _row(
            f"peak RSS of that plan ({size})",
            mib(rss),
            "≤ 1 GiB",
            rss <= TARGET_RSS_MB,
            "" if rss <= TARGET_RSS_MB else f"{rss / TARGET_RSS_MB:.2f}× the target",
            _rss_why(run),
        ),
        *_replan_row(run, size),
        _row(
            "its apply.sql through `mariadb` vs loading the same rows with multi-row INSERTs",
            f"{seconds(run['apply_seconds'])} vs {seconds(run['load_seconds'])} = {apply_ratio:.1f}×",
            f"≤ {TARGET_APPLY_RATIO:.0f}×",
            apply_ratio <= TARGET_APPLY_RATIO,
            ""
            if apply_ratio <= TARGET_APPLY_RATIO
            else f"{apply_ratio / TARGET_APPLY_RATIO:.2f}× the target",
            _apply_why(changed, run),
        ),
    ]


def _replan_row(run: dict[str, Any], size: str) -> list[dict[str, Any]]:
    """The same plan once more into the same --out (older saved reports did not measure it)."""
    again = run.get("replan")
    if not again or again.get("returncode") not in (0, 3):
        return []
    rss = again["rss_mb"]
    return [
        _row(
            f"peak RSS of the same plan made again into its --out ({size}; the previous plan.json read)",
            f"{mib(rss)} ({seconds(again['seconds'])})",
            "≤ 1 GiB",
            rss <= TARGET_RSS_MB,
            "" if rss <= TARGET_RSS_MB else f"{rss / TARGET_RSS_MB:.2f}× the target",
            "",
        )
    ]


def _load(runs: list[dict[str, Any]]) -> str:
    """How loaded the machine was while (h) ran (older saved reports do not say)."""
    loads = [x for r in runs for x in r.get("load") or []]
    nproc = next((r.get("nproc") for r in runs if r.get("nproc")), None)
    if not loads or not nproc:
        return ""
    text = f"Load average (1 min) from {min(loads)} to {max(loads)} while (h) ran, on {nproc} cores"
    if max(loads) > nproc:
        return text + (
            ": above the cores, other work shared the machine, so every wall time is longer than on an "
            "idle one; each ratio compares two figures measured in the same minutes."
        )
    return text + " (the plan and the MariaDB server it reads account for up to about 2)."


def _skipped(changed: dict[str, Any]) -> str:
    parts = [f"{n:,} (left out at start to fit the time budget)" for n in changed.get("left_out") or []]
    parts += [
        f"{s['pupils']:,} (skipped: about {seconds(s['estimated_seconds'])} with "
        f"{seconds(s['left_seconds'])} left of the time budget)"
        for s in changed.get("skipped") or []
    ]
    return f" Not measured in this run: {'; '.join(parts)}." if parts else ""


def _cell(run: dict[str, Any], key: str, fmt: Any) -> str:
    return fmt(run[key]) if finished(run) and run.get(key) is not None else "—"


def markdown(changed: dict[str, Any]) -> str:
    """Section (h) of docs/performance.md."""
    changed = normalised(changed)
    target = changed.get("target_pupils") or CHANGED_TARGET_PUPILS
    runs = sorted(changed["runs"], key=lambda r: r["pupils"])
    lines = ["## (h) Changed-heavy school on MariaDB", ""]
    missing = [r for r in runs if r.get("missing")]
    if missing and len(missing) == len(runs):
        return "\n".join([*lines, f"Not measured: {missing[0]['missing']}", ""])
    run = judged(changed)
    server = next((r["server"] for r in runs if r.get("server")), "")
    sizes = ", ".join(f"{r['pupils']:,}" for r in runs if not r.get("missing"))
    lines += [
        f"Each size is one school, nearly every pupil changed (class moves, new pupils, leavers, "
        f"{CHANGED_HEAVY.homonyms:.0%} homonyms: `benchmarks/changed_heavy.py`), its state on "
        f"MariaDB {server} (a private server, SACoche's DDL), all guards allowed. Sizes measured: {sizes} "
        f"pupils; the targets are judged at the largest, {run['pupils']:,} (issue 17 states them for "
        f"{target:,}).{_skipped(changed)} {_load(runs)}",
        "",
        "| pupils | reference I/O | `plan` | ratio | peak RSS | loading the rows | apply.sql | ratio "
        "| load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        if r.get("missing"):
            continue
        if not finished(r):
            plan = r.get("plan") or {}
            end = "timed out" if plan.get("timed_out") else f"failed (exit {plan.get('returncode')})"
            lines.append(f"| {r['pupils']:,} | {seconds(r.get('reference_seconds'))} | {end} | | | | | | |")
            continue
        load = "–".join(str(x) for x in r.get("load") or [])
        lines.append(
            f"| {r['pupils']:,} | {seconds(r['reference_seconds'])} | {seconds(r['plan']['seconds'])} "
            f"| {r['plan_ratio']:.1f}× | {mib(r['plan']['rss_mb'])} | {seconds(r['load_seconds'])} "
            f"| {seconds(r['apply_seconds'])} ({r['apply_mb']:.1f} MiB) | {r['apply_ratio']:.1f}× | {load} |"
        )
    lines += [
        "",
        "Reference I/O: `csv` parsing the export, one read of sacoche_user (the columns the plan reads) "
        "and a dict join on INE, in a process of its own. Loading the rows: the plan's items (id, kind, the "
        f"item as JSON) into a scratch table with INSERTs of {INSERT_ROWS:,} rows through the same "
        "`mariadb` client as apply.sql.",
        "",
    ]
    done = [r for r in runs if finished(r)]
    if not done:
        return "\n".join(lines)
    run = run if finished(run) else done[-1]
    lines += _detail(run, done)
    return "\n".join(lines) + "\n"


def _renames(run: dict[str, Any]) -> str:
    """Why the planted renames are not planned, when none is: a class is renamed only when SACoche's
    archive of the previous import gave it another name, and a school's too big for the archive has none
    (a report saved before the synthetic states held an archive does not say ``archived``)."""
    planted = run["planted"]
    if not planted.get("class_rename") or (run.get("summary") or {}).get("classes_rename"):
        return ""
    if planted.get("archived") == 0:
        why = "its previous import is too big for SACoche's archive (MEDIUMTEXT), which keeps none"
    else:
        why = "the state held no archive of the previous import"
    return (
        " (the plan renames none: a class is renamed only when SACoche's archive of the previous import "
        f"gave it another name, and {why})"
    )


def _detail(run: dict[str, Any], done: list[dict[str, Any]]) -> list[str]:
    """What the largest finished size planted, planned and wrote; its stages next to the other sizes'."""
    s, planted = run.get("summary") or {}, run["planted"]
    out = [
        f"At {run['pupils']:,} pupils against {run['accounts']:,} accounts, planted: "
        f"{planted.get('create', 0):,} arrivals, {planted.get('update', 0):,} moved or updated, "
        f"{planted.get('deactivate', 0):,} leavers, {planted.get('reactivate', 0):,} returning, "
        f"{planted.get('class_rename', 0):,} classes still named as last year in SACoche"
        f"{_renames(run)}. Plan: "
        + ", ".join(
            f"{s.get(k, 0):,} {k.replace('_', ' ')}"
            for k in (
                "create",
                "update",
                "deactivate",
                "reactivate",
                "classes_create",
                "classes_rename",
                "memberships_add",
                "memberships_remove",
                "needs_decision",
                "unchanged",
            )
        )
        + ".",
        "",
    ]
    if run.get("apply_shape"):
        held = sqlshape.describe(run["apply_shape"], run.get("accepted_items") or run["load_rows"])
        out += [f"Its apply.sql: {held}", ""]
    profiled = run.get("apply_profile") or {}
    if profiled.get("kinds"):
        out += [
            apply_profile.describe(profiled),
            "",
            "| statements of apply.sql, run once more | server time | statements |",
            "|---|---|---|",
            *(f"| {k['kind']} | {seconds(k['seconds'])} | {k['statements']:,} |" for k in profiled["kinds"]),
            "",
        ]
    elif profiled.get("failed"):
        out += [f"apply.sql run once more failed: {profiled['failed']}", ""]
    names = [st["stage"] for st in sorted(leaves(run["stages"]), key=lambda st: -st["seconds"])[:6]]
    out += [
        "Heaviest stages of the plan (wall time, each size):",
        "",
        "| stage | " + " | ".join(f"{r['pupils']:,}" for r in done) + " |",
        "|---|" + "---|" * len(done),
    ]
    for name in names:
        cells = [seconds(sum(st["seconds"] for st in r["stages"] if st["stage"] == name)) for r in done]
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    phased = [r for r in done if r.get("phases")]
    if phased:
        out += [
            "",
            "The whole case, each size: "
            + "; ".join(
                f"{r['pupils']:,} pupils {seconds(r.get('wall_seconds'))} ("
                + ", ".join(f"{k.replace('_', ' ')} {seconds(v)}" for k, v in r["phases"].items())
                + ")"
                for r in phased
            )
            + ".",
        ]
    return [*out, ""]
