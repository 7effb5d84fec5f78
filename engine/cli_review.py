"""Reviewing a plan without editing plan.json: ``show`` prints it, ``accept``/``reject`` set items'
``accepted`` flags, ``decide`` answers a ``decide`` item (engine.review records and renders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli_shared import PLAN_DIR_ARGUMENT, fail
from engine.cliguard import echo, one_line
from engine.errors import OndeError
from engine.outpaths import check_output_dir, check_plan_outputs


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


@click.command("show")
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
        fail(exc)
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
        fail(exc)
        return
    for line in describe(result, verb):
        echo(line)


@click.command("accept")
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


@click.command("reject")
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


@click.command("decide")
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
