"""The command line: parses options, calls the pipeline stages, maps errors to exit codes.

Exit codes (engine.cliguard): 0 done, 1 a problem the user must fix or a usage error (nothing written),
2 changes present (plan --detailed-exitcode only), 3 plan held by a guard, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from engine import __version__
from engine.batch import batch_command
from engine.cliguard import EXIT_CHANGES, EXIT_CODES_HELP, EXIT_HELD, GuardedGroup, echo, json_text, one_line
from engine.errors import OndeError, OndeErrorGroup
from engine.outpaths import check_output_dir, check_plan_outputs, copy_tree_new

RULES_OPTION = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Rule directory to use instead of the built-in rules (see `onde-sacoche rules copy`).",
)


def _fail(error: OndeError, as_json: bool = False, payload: dict[str, Any] | None = None) -> None:
    errors = error.errors if isinstance(error, OndeErrorGroup) else [error]
    if as_json:
        body = dict(payload or {})
        body["errors"] = [e.to_dict() for e in errors]
        click.echo(json_text(body))
    echo(f"error: {error}" if len(errors) == 1 else f"{len(errors)} errors:\n{error}", err=True)
    sys.exit(error.exit_code)


@click.group(
    cls=GuardedGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="onde-sacoche")
def main() -> None:
    """Turn an ONDE pupil export and a SACoche database into a reviewable change plan.

    \b
    Start with:  onde-sacoche inspect EXPORT.csv
    """


@main.command("inspect")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@RULES_OPTION
@click.option("--format", "format_id", default=None, help="Force a source format id (e.g. onde2-eleves).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def inspect_cmd(export: Path, rules_dir: Path | None, format_id: str | None, as_json: bool) -> None:
    """Read an export and describe it: format, encoding, classes, niveaux, groups, warnings.

    Nothing is written. Example:

    \b
        onde-sacoche inspect examples/onde2-ecole-des-tilleuls.csv
        onde-sacoche inspect export.xlsx --json
    """
    empty = {
        "file": str(export),
        "format": None,
        "encoding": None,
        "pupils": 0,
        "classes": [],
        "warnings": [],
    }
    from engine.overview import overview
    from engine.read import parents
    from engine.read.normalise import normalise
    from engine.rules import load_rules

    try:
        rules = load_rules(rules_dir)
        match = parents.read_source(export, rules, format_id, ("pupils", "parents"))
        if match.source.kind == "parents":
            info = parents.overview(parents.read_parents(match, rules))
        else:
            info = overview(normalise(match, rules))
    except OndeError as exc:
        _fail(exc, as_json, empty)
        return
    if as_json:
        click.echo(json_text(info))
        return
    if info.get("kind_of_export") == "parents":
        _print_parents(info)
        return
    _print_overview(info)


def _print_parents(info: dict[str, Any]) -> None:
    """inspect's text for a parents export: counts, never a name."""
    confirmed = "" if info["format_confirmed"] else "  (mapping not confirmed on a real export)"
    echo(f"{info['file']}: {info['format']} — {info['format_label']}{confirmed}")
    where = (
        f"sheet '{info['sheet']}'"
        if info["sheet"]
        else f"encoding {info['encoding']}, delimiter {info['delimiter']!r}"
    )
    echo(f"  {info['kind']}, {where}, header on line {info['header_line']}")
    echo(
        f"  {info['parents']} parents, {info['children_links']} links to children, "
        f"{info['child_groups']} child groups in the header"
    )
    if info["parents_without_child"]:
        echo(
            f"  {info['parents_without_child']} parents with no child listed (SACoche imports no such parent)"
        )
    if info["parents_on_several_rows"]:
        echo(f"  {info['parents_on_several_rows']} parents listed on several rows (one account each)")
    if info["skipped_rows"]:
        echo(
            f"  {info['skipped_rows']} rows of another table (organisations) skipped, "
            f"from line {info['skipped_from_line']}"
        )
    echo("  plan it with `onde-sacoche plan PUPILS_EXPORT --parents FILE`, or alone against the database")
    for warning in info["warnings"]:
        echo(f"  warning: {warning}")


def _sheets_read(info: dict[str, Any]) -> str:
    """ "sheets read: 'A' (header line 1, 12 pupils), 'B' (…); ignored: 'Notes'" for inspect's text."""
    sheets = info.get("sheets") or [{"name": info["sheet"], "header_line": info["header_line"]}]
    if len(sheets) == 1 and not info.get("ignored_sheets"):
        return f"sheet '{sheets[0]['name']}'"
    read = ", ".join(
        f"'{s['name']}' (header line {s['header_line']}, {s.get('pupils', 0)} pupils)" for s in sheets
    )
    ignored = ", ".join(f"'{name}'" for name in info.get("ignored_sheets") or ())
    return f"sheets read: {read}" + (f"; ignored (no pupils header): {ignored}" if ignored else "")


def _print_overview(info: dict[str, Any]) -> None:
    confirmed = "" if info["format_confirmed"] else "  (mapping not confirmed on a real export)"
    where = (
        _sheets_read(info)
        if info["sheet"]
        else f"encoding {info['encoding']}, delimiter {info['delimiter']!r}"
    )
    echo(f"{info['file']}: {info['format']} — {info['format_label']}{confirmed}")
    echo(f"  {info['kind']}, {where}, header on line {info['header_line']}")
    echo(f"  {info['pupils']} pupils ({info['without_ine']} without INE), {len(info['classes'])} classes")
    if info.get("without_class"):
        echo(f"  {info['without_class']} pupils without a class (admitted, not yet assigned)")
    echo("  classes:")
    for cls in info["classes"]:
        echo(
            f"    {cls['id']:>10}  {cls['label']:<32} {'+'.join(cls['niveaux']):<12} "
            f"{cls['pupils']:>4} pupils"
        )
    echo("  niveaux: " + ", ".join(f"{n} {c}" for n, c in info["niveaux"].items()))
    if info["dispositifs"]:
        echo("  dispositifs: " + ", ".join(f"{d} {c}" for d, c in info["dispositifs"].items()))
    if info["groups"]:
        echo("  groups: " + ", ".join(f"{g['label']} {g['pupils']}" for g in info["groups"]))
    for warning in info["warnings"]:
        echo(f"  warning: {warning}")


@main.command("plan")
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
    type=click.DateTime(formats=["%Y-%m-%d"]),
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
    from engine.pipeline import make_plan

    try:
        check_output_dir(out)
        check_plan_outputs(out)
        result = make_plan(
            export,
            db_url,
            out,
            rules_dir=rules_dir,
            format_id=format_id,
            decisions_file=decisions_file,
            today=today.date() if today else None,
            allow=allow,
            force=force,
            parents_path=parents_path,
        )
    except OndeError as exc:
        _fail(exc)
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


@main.group("rules")
def rules_group() -> None:
    """Check, copy or draft rule directories."""


@rules_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def rules_check(directory: Path | None) -> None:
    """Validate every rule file; print each problem as file:line:column: message.

    \b
        onde-sacoche rules check            # the built-in rules
        onde-sacoche rules check my-rules/  # an edited copy
    """
    from engine.rules import check_rules

    if directory is not None and not directory.is_dir():
        _fail(OndeError("no such directory", file=directory, hint="give the path of a rule directory"))
    try:
        rules, errors = check_rules(directory)
    except OndeError as exc:
        rules, errors = None, [exc]
    if errors:
        for error in errors:
            echo(str(error), err=True)
        echo(f"{len(errors)} problem(s) found", err=True)
        sys.exit(1)
    assert rules is not None
    echo(
        f"{rules.directory}: OK — {rules.name} {rules.full_version}; "
        f"formats: {', '.join(sorted(rules.sources))}; tables: {', '.join(sorted(rules.tables))}"
    )


@rules_group.command("copy")
@click.argument("destination", type=click.Path(path_type=Path))
def rules_copy(destination: Path) -> None:
    """Copy the built-in rules to DESTINATION, to edit them and use them with --rules.

    \b
        onde-sacoche rules copy my-rules && $EDITOR my-rules/sources/onde2-eleves.yaml
    """
    from engine.rules import default_rules_dir

    try:
        copy_tree_new(default_rules_dir(), destination)
    except OndeError as exc:
        _fail(exc)
    echo(f"rules copied to {destination}; use them with --rules {destination}")


@rules_group.command("draft")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from", "from_id", default="onde2-eleves", show_default=True, help="Format whose steps to copy."
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Rule directory to write [NAME-rules]."
)
@click.option("--name", default="draft-eleves", show_default=True, help="Id of the drafted format.")
def rules_draft(export: Path, from_id: str, out: Path | None, name: str) -> None:
    """Draft a rule directory for an export that no format recognises; print what was mapped and why.

    \b
        onde-sacoche rules draft new-export.csv --out my-rules
        onde-sacoche inspect new-export.csv --rules my-rules
    """
    from engine.draft import draft, summary

    out = out or Path(f"{name}-rules")
    try:
        analysis, written = draft(export, out, name, from_id)
    except OndeError as exc:
        _fail(exc)
        return
    echo(summary(analysis, written, export, out))


# --- render, show, apply (SQL for DBAs) ---------------------------------------------------------------

PLAN_DIR_ARGUMENT = click.argument("plan_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))


@main.command("render")
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
    from engine.pipeline import render_outputs
    from engine.render import DIALECTS

    dialects = {"auto": None, "both": DIALECTS}.get(dialect, (dialect,))
    try:
        check_output_dir(plan_dir, "PLAN_DIR")
        check_plan_outputs(plan_dir)
        paths = render_outputs(plan_dir, dialects, revert_deletes_created=revert_deletes_created)
    except OndeError as exc:
        _fail(exc)
        return
    for path in paths:
        echo(f"written: {path}")


def _short(value: Any, width: int = 40) -> str:
    text = one_line(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe_item(item: dict[str, Any]) -> str:
    """One line for a person: who or what, and what changes (never a password or its hash). Every value
    read from plan.json goes through :func:`one_line`: a hostile name cannot drive the terminal."""
    kind, subject = item.get("kind"), item.get("subject") or {}
    target, changes = item.get("target") or {}, item.get("changes") or {}
    who = " ".join(one_line(subject.get(k)) for k in ("nom", "prenom") if subject.get(k)).strip()
    ref = one_line(target.get("groupe_ref", ""))
    if kind == "create":
        return f"{who}, {one_line(subject.get('classe', ''))}, login {one_line(target.get('login', ''))}"
    if kind in ("update", "reactivate", "deactivate"):
        parts = [
            f"{one_line(column)} {_short(change.get('old'), 24)} → {_short(change.get('new'), 24)}"
            for column, change in changes.items()
            if column != "user_password" and isinstance(change, dict)
        ]
        return f"user {one_line(target.get('user_id'))} {who}: " + "; ".join(parts)
    if kind in ("class_create", "group_create"):
        name = (changes.get("groupe_nom") or {}).get("new", "")
        return f"{ref} “{one_line(name)}”"
    if kind == "class_rename":
        change = changes.get("groupe_nom") or {}
        return f"{ref}: “{one_line(change.get('old', ''))}” → “{one_line(change.get('new', ''))}”"
    if kind in ("class_retire", "group_retire"):
        name = subject.get("classe") or subject.get("groupe") or target.get("groupe_nom", "")
        return f"{ref} “{one_line(name)}”"
    if kind == "archive":
        size = len(str((changes.get("siecle_import_contenu") or {}).get("new", "")).encode("utf-8"))
        row = one_line(target.get("siecle_import_objet", ""))
        return f"sacoche_siecle_import row {row}: the imported file, {size} bytes"
    if kind in ("membership_add", "membership_remove"):
        user = f"user {one_line(target['user_id'])}" if "user_id" in target else "new pupil"
        sign = "+" if kind == "membership_add" else "−"
        return f"{user} {who} {sign} group {ref}"
    if kind == "decide":
        candidates = ", ".join(one_line(c.get("user_id")) for c in subject.get("candidates") or [])
        answer = item.get("answer") if isinstance(item.get("answer"), dict) else None
        if answer:
            said = one_line(answer.get("decision"))
            chosen = one_line(answer.get("account") or ", ".join(map(str, answer.get("accounts") or [])))
            return f"{who} (line {one_line(subject.get('line'))}): answered {said} {chosen} (next plan)"
        return f"{who} (line {one_line(subject.get('line'))}): same pupil as account {candidates}? decide"
    if str(kind).startswith("parent_"):
        from engine.plan.parents_rules import describe

        return one_line(describe(item))
    return ""


@main.command("show")
@PLAN_DIR_ARGUMENT
def show_cmd(plan_dir: Path) -> None:
    """Print a plan's summary and its items (id, kind, accepted, what changes). No password is shown.

    \b
        onde-sacoche show /tmp/plan
    """
    from engine.render import DIALECTS, load_plan, plan_dialects, sql_path
    from engine.render.apply import checked_script

    try:
        loaded = load_plan(plan_dir)
    except OndeError as exc:
        _fail(exc)
        return
    doc = loaded.doc
    source, state, summary = doc["source"], doc["state"], doc["summary"]
    echo(
        f"{loaded.path}: {one_line(source.get('file'))} ({one_line(source.get('pupils'))} pupils) against "
        f"{one_line(state.get('url'))}, date {one_line(doc.get('today'))}"
        + (", HELD" if doc.get("held") else "")
    )
    from engine.render.summary import summary_text

    del summary  # the counts of plan time: after a review, only the items say what will be applied
    echo(f"  summary: {summary_text(doc)}")
    for hold in doc.get("holds") or []:
        echo(f"  {'allowed' if hold.get('allowed') else 'HELD'}: {one_line(hold.get('message'))}")
    for dialect in DIALECTS:
        if dialect not in plan_dialects(doc) and not sql_path(plan_dir, dialect, "apply").exists():
            continue
        try:
            checked_script(plan_dir, loaded, dialect, "apply")
            status = "up to date"
        except OndeError as exc:
            status = exc.message
        echo(f"  sql/{dialect}: {status}")
    items = doc["items"]
    accepted = sum(1 for i in items if i.get("accepted") and i.get("kind") != "decide")
    echo(f"  items: {len(items)} ({accepted} accepted)")
    for item in items:
        mark = "x" if item.get("accepted") else " "
        item_id, kind = one_line(item.get("id")), one_line(item.get("kind"))
        echo(f"  [{mark}] {item_id:<30} {kind:<18} {_describe_item(item)}")


@main.command("apply")
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
    from engine.render.apply import checked_script, prepare, run_script, run_verify
    from engine.state import redact_url

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
        _fail(exc)
        return
    failed = [row for row in result.rows[:-1] if row[1] != "1"]
    for name, _ok, details in failed:
        echo(f"  differs: {name}: {details}", err=True)
    last = result.rows[-1] if result.rows else ("RESULT", "0", "verify.sql gave no result")
    echo(f"verify.sql: {last[2]}")
    if not result.verified:
        _fail(OndeError("the database does not hold every change of the plan", file=verify))


# --- review without editing plan.json (engine/review.py) ---------------------------------------------

KIND_OPTION = click.option("--kind", default=None, help="Every item of this kind, e.g. membership_remove.")
CLASS_OPTION = click.option(
    "--class", "classe", default=None, help="Every item of this class: its ref (104515_CM2) or its name."
)


def _review(plan_dir: Path, run: Any, verb: str) -> None:
    from engine.review import describe

    try:
        check_output_dir(plan_dir, "PLAN_DIR")
        check_plan_outputs(plan_dir)
        result = run()
    except OndeError as exc:
        _fail(exc)
        return
    for line in describe(result, verb):
        echo(line)


@main.command("accept")
@PLAN_DIR_ARGUMENT
@click.argument("ids", nargs=-1)
@KIND_OPTION
@CLASS_OPTION
def accept_cmd(plan_dir: Path, ids: tuple[str, ...], kind: str | None, classe: str | None) -> None:
    """Accept items (by id, --kind or --class): recorded in plan.json and PLAN_DIR/decisions.yaml,
    everything rendered again. The next `plan` into PLAN_DIR replays it.

    \b
        onde-sacoche accept /tmp/plan class_retire-c1645c6e88
        onde-sacoche accept /tmp/plan --kind membership_add --class 104515_CM2
    """
    from engine.review import set_accepted

    _review(plan_dir, lambda: set_accepted(plan_dir, ids, True, kind=kind, classe=classe), "accepted")


@main.command("reject")
@PLAN_DIR_ARGUMENT
@click.argument("ids", nargs=-1)
@KIND_OPTION
@CLASS_OPTION
def reject_cmd(plan_dir: Path, ids: tuple[str, ...], kind: str | None, classe: str | None) -> None:
    """Reject items (by id, --kind or --class): they will not be applied; recorded like `accept`.

    \b
        onde-sacoche reject /tmp/plan deactivate-0b1a0ae53d
        onde-sacoche reject /tmp/plan --kind membership_remove
    """
    from engine.review import set_accepted

    _review(plan_dir, lambda: set_accepted(plan_dir, ids, False, kind=kind, classe=classe), "rejected")


@main.command("decide")
@PLAN_DIR_ARGUMENT
@click.argument("item_id", metavar="ID")
@click.argument("answer", type=click.Choice(["same", "different"]))
@click.option("--account", type=int, default=None, help="The candidate account (user_id) meant.")
def decide_cmd(plan_dir: Path, item_id: str, answer: str, account: int | None) -> None:
    """Answer a `decide` item: same (the row is this account's pupil) or different (a new pupil).

    Recorded in PLAN_DIR/decisions.yaml; the next `plan` into PLAN_DIR applies it.

    \b
        onde-sacoche decide /tmp/plan decide-3e2c885c71 same
        onde-sacoche decide /tmp/plan decide-3e2c885c71 different --account 43
    """
    from engine.review import decide

    _review(plan_dir, lambda: decide(plan_dir, item_id, answer, account), "answered")


main.add_command(batch_command)

if __name__ == "__main__":  # pragma: no cover
    main()
