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
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click

from engine import __version__
from engine.cliguard import echo, json_safe
from engine.dburl import parse_url
from engine.errors import OndeError, OndeErrorGroup
from engine.outpaths import check_output_dir

SUMMARY_FILE = "batch-summary.json"
SUMMARY_TEXT_FILE = "batch-summary.txt"
EXIT_OK, EXIT_ERROR, EXIT_HELD = 0, 1, 3
STATUSES = ("ok", "held", "error")
#: errors kept per school in the summary (a broken export may have thousands)
MAX_ERRORS = 50


@dataclass(frozen=True, slots=True)
class SchoolJob:
    """One school of the map: its export, its database URL and its plan directory."""

    name: str  # the plan directory under --out, as written in the map (or the export's stem)
    export: Path
    db: str
    out: Path
    source: str  # where the map says so: "db-map.yaml:12"


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


# ------------------------------------------------------------------------------------------------ the map


def _sqlite_relative_to(url: str, base: Path) -> str:
    """``sqlite:///relative.db`` read relative to ``base`` (the map's folder); other URLs unchanged."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:////"):
        return url
    rest = url[len("sqlite:///") :]
    return f"sqlite:///{(base / rest).resolve()}" if rest else url


def _check_out_name(name: str) -> str | None:
    """Why ``name`` is not a usable plan directory name under --out, or None."""
    if not name.strip():
        return "'out' is empty"
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or name.startswith("~"):
        return f"'out' must be a folder name under --out, not {name!r}"
    return None


def _entries_from_yaml(path: Path) -> list[tuple[dict[str, Any], tuple[int, int]]]:
    from engine.yamlpos import load_located

    doc = load_located(path)
    data = doc.data
    entries: list[tuple[dict[str, Any], tuple[int, int]]] = []
    if isinstance(data, dict) and set(data) == {"schools"}:
        schools = data["schools"]
        if not isinstance(schools, list):
            raise doc.error(("schools",), "'schools' must be a list of {export, db, out}")
        for index, entry in enumerate(schools):
            if not isinstance(entry, dict):
                raise doc.error(("schools", index), "each school is a mapping {export, db, out}")
            entries.append((entry, doc.where(("schools", index))))
        return entries
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                value = {"db": value}
            if not isinstance(value, dict):
                raise doc.error((key,), f"'{key}': give its database URL, or a mapping {{db, out}}")
            entries.append(({"export": key, **value}, doc.where((key,))))
        return entries
    raise doc.error((), "a db map is a mapping: 'schools: [{export, db, out}, …]' or 'EXPORT: {db, out}'")


def _entries_from_csv(path: Path) -> list[tuple[dict[str, Any], tuple[int, int]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OndeError(f"cannot read the db map ({exc})", file=path) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "export" not in header or "db" not in header:
            raise OndeError(
                "a CSV db map needs a header line with the columns export and db (and optionally out)",
                file=path,
                line=1,
            )
        entries = []
        start = 2
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
            if not row.get("out"):
                row.pop("out", None)
            entries.append((row, (line, 1)))
    except csv.Error as exc:  # a field over the csv module's limit (an unclosed quote, usually)
        raise OndeError(
            f"this CSV line cannot be read ({exc})",
            file=path,
            line=reader.line_num or 1,
            hint="look for an unclosed double quote on or above that line",
        ) from None
    return entries


def read_db_map(path: Path, directory: Path) -> list[SchoolJob]:
    """The schools of a YAML or CSV db map, checked; :class:`OndeError` (file:line:column) when wrong."""
    csv_map = path.suffix.lower() == ".csv"
    entries = _entries_from_csv(path) if csv_map else _entries_from_yaml(path)
    errors: list[OndeError] = []
    jobs: list[SchoolJob] = []
    seen: dict[str, int] = {}

    def problem(where: tuple[int, int], message: str, hint: str | None = None) -> None:
        errors.append(OndeError(message, file=path, line=where[0], column=where[1], hint=hint))

    for entry, where in entries:
        unknown = sorted(set(entry) - {"export", "db", "out"})
        if unknown:
            problem(where, f"unknown key(s) {', '.join(map(repr, unknown))}", hint="use export, db and out")
            continue
        export, db, out = entry.get("export"), entry.get("db"), entry.get("out")
        if not isinstance(export, str) or not export.strip():
            problem(where, "'export' (the export file, relative to DIR) is missing")
            continue
        if not isinstance(db, str) or not db.strip():
            problem(where, f"'{export}': 'db' (the SACoche database URL) is missing")
            continue
        try:
            parse_url(db)  # its message never shows a password
        except OndeError as exc:
            problem(where, f"'{export}': {exc.message} ({exc.file})", hint=exc.hint)
            continue
        name = str(out) if out is not None else Path(export).stem
        why = _check_out_name(name)
        if why:
            problem(where, f"'{export}': {why}")
            continue
        if name in seen:
            problem(where, f"'out' {name!r} is used twice (first on line {seen[name]}): plans would mix")
            continue
        seen[name] = where[0]
        jobs.append(
            SchoolJob(
                name=name,
                export=directory / export,
                db=_sqlite_relative_to(db.strip(), path.parent),
                out=Path(name),
                source=f"{path}:{where[0]}",
            )
        )
    if errors:
        raise OndeErrorGroup(errors) if len(errors) > 1 else errors[0]
    if not jobs:
        raise OndeError("the db map lists no school", file=path, hint="add one entry per export")
    return jobs


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
    from engine.state import redact_url

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
    from engine.state import redact_url

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


def _run_pool(
    jobs: Sequence[SchoolJob],
    indexes: Sequence[int],
    out_root: Path,
    options: Options,
    workers: int,
    done: Callable[[int, dict[str, Any]], None],
) -> list[int]:
    """Run these schools in one pool; return the indexes whose worker died (the pool broke)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed  # not at start-up: cli imports us
    from concurrent.futures.process import BrokenProcessPool

    broken: list[int] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(plan_school, jobs[i], out_root, options): i for i in indexes}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done(index, future.result())
            except BrokenProcessPool:
                broken.append(index)
    return sorted(broken)


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
    from engine.plan.planio import private_dir

    private_dir(out_root)  # plan directories of minors and the summaries: the owner only (0700)
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in the process the workers are forked from
        bar = tqdm(total=len(jobs), unit="school", desc="planning", file=sys.stderr)

    def done(index: int, result: dict[str, Any]) -> None:
        results[index] = result
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{result['school']}: {result['status']}", refresh=False)

    try:
        broken = _run_pool(jobs, range(len(jobs)), out_root, options, max(1, min(workers, len(jobs))), done)
        for index in broken:  # a worker died and took the pool down: retry each school alone
            if _run_pool(jobs, [index], out_root, options, 1, done):
                done(index, _died(jobs[index], out_root))
    finally:
        if bar is not None:
            bar.close()
        gc.unfreeze()  # what _warm_parent froze is collectable again once the workers are gone
    schools = [r for r in results if r is not None]
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
    from engine.plan.planio import _write_atomic  # not at the top: it pulls the whole pipeline into `--help`

    summary_path = out_root / SUMMARY_FILE
    _write_atomic(summary_path, (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
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


# ------------------------------------------------------------------------------------------------- click


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
