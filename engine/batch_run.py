"""Running ``onde-sacoche batch`` (engine.batch): every school planned in a pool of worker processes,
then the combined summary written (batch-summary.json and .txt) and printed.

Each school runs :func:`engine.pipeline.make_plan` in a worker process; a failure in one school (even a
crash of its worker) is reported and never stops the others.
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from engine import __version__
from engine.batch_map import SchoolJob
from engine.errors import OndeError, OndeErrorGroup

SUMMARY_FILE = "batch-summary.json"
SUMMARY_TEXT_FILE = "batch-summary.txt"
EXIT_OK, EXIT_ERROR, EXIT_HELD = 0, 1, 3
STATUSES = ("ok", "held", "error")
#: errors kept per school in the summary (a broken export may have thousands)
MAX_ERRORS = 50


@dataclass(frozen=True, slots=True)
class Options:
    """What every school's plan shares (picklable: sent to the worker processes)."""

    rules_dir: Path | None = None
    format_id: str | None = None
    today: date | None = None
    allow: tuple[str, ...] = ()
    force: bool = False


@dataclass(slots=True)
class BatchResult:
    """Every school's result, where the summary was written, the exit code and counts."""

    schools: list[dict[str, Any]]
    summary_path: Path
    exit_code: int
    counts: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- the workers

_RULES_CACHE: dict[str, Any] = {}


def _rules(rules_dir: Path | None) -> Any:
    """The rule set, loaded once per process (a forked worker inherits the parent's)."""
    from engine.rules import load_rules

    key = str(rules_dir) if rules_dir else ""
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = load_rules(rules_dir)
    return _RULES_CACHE[key]


def _error_fields(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, OndeError):
        errors = exc.errors if isinstance(exc, OndeErrorGroup) else [exc]
        return {
            "error": f"{errors[0].location}: {errors[0].message}",
            "errors": [e.to_dict() for e in errors[:MAX_ERRORS]],
            "error_count": len(errors),
        }
    return {
        "error": f"internal error ({type(exc).__name__}): {exc}",
        "errors": [],
        "error_count": 1,
    }


def _sheet_warning(login_sheet: dict[str, Any] | None) -> list[str]:
    """The previous login sheet's obsolete cards, counted by class (engine.render.sheets)."""
    if not login_sheet or not login_sheet.get("obsolete"):
        return []
    from engine.render.sheets import summary_line

    return [summary_line(login_sheet)]


def plan_school(job: SchoolJob, out_root: Path, options: Options) -> dict[str, Any]:
    """Plan one school; never raises: failures come back as ``status: error`` with their messages."""
    from engine.connection import redact_url

    started = time.perf_counter()
    result: dict[str, Any] = {
        "school": job.name,
        "export": str(job.export),
        "db": redact_url(job.db),
        "out": str(out_root / job.out),
        "map": job.source,
    }
    try:
        from engine.pipeline import make_plan
        from engine.read.memos import kept_memos

        with kept_memos():  # this worker's next school, read with the same rules, reuses the values
            planned = make_plan(
                job.export,
                job.db,
                out_root / job.out,
                rules=_rules(options.rules_dir),
                format_id=options.format_id,
                today=options.today,
                allow=options.allow,
                force=options.force,
            )
    except Exception as exc:  # one school's failure, whatever it is, must not stop the others
        result.update(status="error", summary=None, holds=[], warnings=[], **_error_fields(exc))
    else:
        plan = planned.plan
        result.update(
            status="held" if plan.held else "ok",
            summary={k: v for k, v in plan.summary.items() if k not in ("held", "holds")},
            holds=[h["message"] for h in plan.holds if not h.get("allowed")],
            warnings=[*planned.export_warnings, *plan.warnings, *_sheet_warning(planned.login_sheet)],
            error=None,
            errors=[],
            error_count=0,
        )
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _died(job: SchoolJob, out_root: Path) -> dict[str, Any]:
    from engine.connection import redact_url

    return {
        "school": job.name,
        "export": str(job.export),
        "db": redact_url(job.db),
        "out": str(out_root / job.out),
        "map": job.source,
        "status": "error",
        "summary": None,
        "holds": [],
        "warnings": [],
        "error": f"{job.export}: the worker process planning this school died (killed, or out of memory)",
        "errors": [],
        "error_count": 1,
        "seconds": None,
    }


def _warm_parent() -> None:
    """Work every school would repeat, done once before the workers are forked so that they inherit it: the
    Jinja environments with every template loaded (from the compiled-template cache), then the parent's
    objects moved out of the cyclic collector's sight (``gc.freeze``: a worker's collections do not walk
    them, nor write to their pages, which stay shared copy-on-write)."""
    from engine.render import report
    from engine.render import sql as render

    for env in (*(render._environment(dialect) for dialect in render.DIALECTS), report._environment()):
        for name in env.list_templates():
            with contextlib.suppress(Exception):  # an optimisation only: a broken template fails where used
                env.get_template(name)
    gc.collect()
    gc.freeze()  # undone by run_batch when its pools are done


def _encoded(result: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A school's result and its entry of batch-summary.json, as :func:`_summary_json` places it."""
    return result, json.dumps(result, ensure_ascii=False, indent=2).replace("\n", "\n    ")


def _plan_index(
    jobs: Sequence[SchoolJob], out_root: Path, options: Options, index: int
) -> tuple[dict[str, Any], str]:
    """A worker's task (engine.batch_pool): plan the school at ``index`` of the map; its result comes
    with its summary entry, encoded in the worker rather than by the parent at the end."""
    return _encoded(plan_school(jobs[index], out_root, options))


def _summary_json(body: dict[str, Any], entries: Sequence[str]) -> str:
    """``json.dumps(body, ensure_ascii=False, indent=2)``, the schools (last) put in as ``entries``
    (their text, encoded by :func:`_encoded`: a JSON text holds no raw line break to re-indent)."""
    if not entries or next(reversed(body)) != "schools":
        return json.dumps(body, ensure_ascii=False, indent=2)
    head = json.dumps({k: v for k, v in body.items() if k != "schools"}, ensure_ascii=False, indent=2)
    return head[: -len("\n}")] + ',\n  "schools": [\n    ' + ",\n    ".join(entries) + "\n  ]\n}"


def _largest_first(jobs: Sequence[SchoolJob]) -> list[int]:
    """The schools' indexes, largest export first (map order among equals): the last schools handed out
    are the quickest, so that the workers finish at about the same time."""

    def size(index: int) -> int:
        try:
            return jobs[index].export.stat().st_size
        except OSError:  # missing: it fails at once, in its turn
            return 0

    return sorted(range(len(jobs)), key=lambda index: -size(index))


def run_batch(
    jobs: Sequence[SchoolJob],
    out_root: Path,
    *,
    workers: int,
    options: Options | None = None,
    progress: bool = False,
    extra: dict[str, Any] | None = None,
) -> BatchResult:
    """Plan every school (``workers`` at a time), write ``batch-summary.json``, return the results."""
    from engine.pipeline import make_plan  # noqa: F401 - imported once here, inherited by forked workers

    options = options or Options()
    _rules(options.rules_dir)  # a bad rule directory fails here, once, not in every school
    _warm_parent()
    from engine.plan.privatefiles import private_dir

    private_dir(out_root)  # plan directories of minors and the summaries: the owner only (0700)
    results: list[tuple[dict[str, Any], str] | None] = [None] * len(jobs)
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in the process the workers are forked from
        bar = tqdm(total=len(jobs), unit="school", desc="planning", file=sys.stderr)

    def done(index: int, planned: tuple[dict[str, Any], str]) -> None:
        results[index] = planned
        result = planned[0]
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{result['school']}: {result['status']}", refresh=False)

    from engine.batch_pool import run_pool

    task = partial(_plan_index, jobs, out_root, options)
    try:
        for index in run_pool(task, _largest_first(jobs), workers, done):
            if run_pool(task, [index], 1, done):  # its worker died: once more alone, then reported
                done(index, _encoded(_died(jobs[index], out_root)))
    finally:
        if bar is not None:
            bar.close()
        gc.unfreeze()  # what _warm_parent froze is collectable again once the workers are gone
    schools = [r[0] for r in results if r is not None]
    counts = {status: sum(1 for r in schools if r["status"] == status) for status in STATUSES}
    if counts["error"]:
        exit_code = EXIT_ERROR
    elif counts["held"]:
        exit_code = EXIT_HELD
    else:
        exit_code = EXIT_OK
    body = {
        "tool": f"onde-sacoche {__version__}",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(extra or {}),
        "out": str(out_root),
        "jobs": workers,
        "counts": counts,
        "exit_code": exit_code,
        "schools": schools,
    }
    # not at the top: engine.plan pulls the whole pipeline into `--help`
    from engine.plan.privatefiles import _write_atomic

    summary_path = out_root / SUMMARY_FILE
    text = _summary_json(body, [r[1] for r in results if r is not None])
    _write_atomic(summary_path, (text + "\n").encode("utf-8"))
    result = BatchResult(schools, summary_path, exit_code, counts)
    _write_atomic(out_root / SUMMARY_TEXT_FILE, (text_report(result) + "\n").encode("utf-8"))
    return result


# --------------------------------------------------------------------------------------------- printing


def school_line(result: dict[str, Any]) -> str:
    """One line per school for the terminal (counts only, never a pupil's name)."""
    status = result["status"]
    head = f"{result['school']:<24} {status.upper() if status != 'ok' else 'ok':<6}"
    if status == "error":
        return f"{head} {result['error']}"
    s = result["summary"]
    text = (
        f"{head} {s['pupils_in_file']} pupils: {s['create']} to create, {s['update']} to update, "
        f"{s['deactivate']} to deactivate, {s['reactivate']} to reactivate, {s['needs_decision']} to decide"
    )
    for hold in result["holds"]:
        text += f"\n{'':<31} held: {hold}"
    return text


def text_report(result: BatchResult) -> str:
    lines = [school_line(r) for r in result.schools]
    c = result.counts
    lines.append(
        f"{len(result.schools)} schools: {c['ok']} ok, {c['held']} held, {c['error']} failed; "
        f"summary written to {result.summary_path} (and {SUMMARY_TEXT_FILE})"
    )
    return "\n".join(lines)
