"""The whole pipeline for one school: read → normalise → state → match → plan → write.

Kept apart from the CLI so that ``plan`` and later ``batch`` call the same code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.dburl import public_url
from engine.match import Decisions as MatchDecisions
from engine.match import match
from engine.pipeline_parents import (
    keep_parent_passwords,
    parent_answers,
    parents_alone,
    parents_meta,
    parents_source,
    plan_parents_for,
    read_exports,
    sha256_of,
    split_allow,
)
from engine.plan import Decisions as ItemDecisions
from engine.plan import Plan, build_plan
from engine.plan.logins import new_password_length
from engine.plan.parents_build import PARENT_CREDENTIALS_FILE, parent_credentials_rows, with_parents
from engine.plan.planio import (
    DECISIONS_FILE,
    PLAN_FILE,
    check_destination,
    credentials_csv,
    load_decisions,
    stale_item_decisions,
    write_plan,
)
from engine.plan.previous import read_previous
from engine.plan.privatefiles import _write_atomic, make_staging, publish_files, remove_staging, tighten_tree
from engine.read import SHEET_STRIDE, Export, paused_gc, visible
from engine.readset import plan_read_set, read_set
from engine.render import DIALECTS, SCRIPTS, LoadedPlan, load_plan, plan_dialects, render_sql, sql_path
from engine.render.letters import LETTERS_FILE
from engine.render.loading import check_written_plan
from engine.render.report import render_reports
from engine.render.sheets import keep_passwords, previous_cards
from engine.render.sheets import summary_line as sheet_summary_line
from engine.render.summary import summary_text
from engine.rules import RuleSet, load_rules

if TYPE_CHECKING:  # annotations only: a plan without parents never imports their reader
    from engine.read import ParentsExport
from engine.state import State, read_state
from engine.target import db_identity
from engine.widths import fit_export


@dataclass(frozen=True, slots=True)
class PlanResult:
    """What a caller needs once the plan directory is written. ``plan`` has no items (they are in
    plan.json): a big plan's items are released before its SQL and report are rendered."""

    plan: Plan
    has_changes: bool
    export_name: str
    source_id: str
    export_warnings: tuple[str, ...]
    state_url: str
    out: Path
    login_sheet: dict[str, Any] | None = None  # engine.render.sheets: previous sheet's cards, still valid?
    review_line: str = ""  # engine.summary.summary_text: what is accepted, what is not, what is to decide

    def text_summary(self) -> str:
        """A readable summary for the terminal (no pupil names)."""
        s = self.plan.summary
        lines = [
            f"{self.export_name}: {s['pupils_in_file']} pupils ({self.source_id}), database {self.state_url}",
            f"  pupils: {s['create']} to create, {s['update']} to update, {s['deactivate']} to deactivate, "
            f"{s['reactivate']} to reactivate, {s['unchanged']} unchanged, {s['needs_decision']} to decide",
            f"  classes: {s['classes_create']} to create, {s['classes_rename']} to rename, "
            f"{s['classes_retire']} proposed for retirement (unchecked by default)",
            f"  groups: {s['groups_create']} to create, {s['groups_retire']} proposed for retirement "
            f"(unchecked by default); "
            f"memberships: +{s['memberships_add']} −{s['memberships_remove']}",
        ]
        if s.get("without_class"):
            actions = [e.get("action") for e in self.plan.meta.get("without_class", [])]
            lines.append(
                f"  without a class: {s['without_class']} ({actions.count('ignored')} ignored, "
                f"{actions.count('deactivated')} deactivated, {actions.count('unchanged')} former unchanged)"
            )
        if "parents_in_file" in s:
            lines.append(
                f"  parents: {s['parents_in_file']} in the file; {s['parents_create']} to create, "
                f"{s['parents_update'] + s['parents_reactivate']} to update or reactivate, "
                f"{s['parents_deactivate']} to deactivate, "
                f"links +{s['parents_link']} −{s['parents_unlink']}, "
                f"{s['parents_address']} addresses, {s['parents_decide']} to decide"
            )
        if s.get("archive"):
            lines.append("  SACoche's archive of the imported file: updated (as SACoche's wizard keeps it)")
        left = self.plan.left_alone
        if left["classes"] or left["groups"]:
            lines.append(
                f"  left alone (made by hand): {len(left['classes'])} classes, {len(left['groups'])} groups"
            )
        for hold in self.plan.holds:
            state = "allowed" if hold["allowed"] else "HELD"
            lines.append(f"  {state}: {hold['message']} (override: {hold['allow']})")
        for stale in self.plan.stale_decisions:
            lines.append(f"  stale decision: {_without_pupil_key(stale)}")
        for warning in (*self.export_warnings, *self.plan.warnings):
            lines.append(f"  warning: {warning}")
        if self.login_sheet:
            lines.append(f"  {sheet_summary_line(self.login_sheet)}")
        if self.review_line:
            lines.append(f"  {self.review_line}")
        lines.append(f"  plan written to {self.out / 'plan.json'}")
        return "\n".join(lines)


#: the pupil key of a stale pairing answer (``ine:…`` or ``id:nom|prénom|date``, engine.match.pupil_key)
_PUPIL_KEY = re.compile(r"\b(?:ine|id):[^↔]*?(?= ↔)")


def _without_pupil_key(stale: str) -> str:
    """A stale answer for the terminal: the pupil key (an INE, or names and birth date) left out; plan.json,
    a private file, keeps it whole."""
    return _PUPIL_KEY.sub("a row (its key is in plan.json, stale_decisions)", stale)


# A plan builds millions of long-lived, acyclic objects (the export, the state, the items, plan.json's
# document): each collection would walk them all again (at 200,000 pupils, a fifth of the plan's time
# went to collections between the paused stages). Reference counting frees them as usual; the renderers
# break the cycles they make (SqlModel.release), so nothing waits for the collector.
@paused_gc()
def make_plan(
    export_path: Path,
    db_url: str,
    out: Path,
    *,
    rules_dir: Path | None = None,
    rules: RuleSet | None = None,
    format_id: str | None = None,
    decisions_file: Path | None = None,
    today: date | None = None,
    allow: tuple[str, ...] = (),
    force: bool = False,
    rng: Any = None,
    parents_path: Path | None = None,
) -> PlanResult:
    """Run every stage and write the plan directory; raise OndeError (nothing written) on any problem.

    ``export_path`` is a pupils export (with ``parents_path``, a responsables export planned in the same
    run) or a responsables export alone, planned against the database's pupils (docs/parents.md).
    ``rng`` (a ``random.Random``) only makes new passwords deterministic for tests; default: secrets.
    """
    rules = rules or load_rules(rules_dir)
    decisions = load_decisions(decisions_file) if decisions_file else None
    export, parents = read_export(export_path, rules, format_id, parents_path)
    state = read_state(db_url)
    # right after the state: apply.sql recomputes it (engine.readset)
    read_sums = read_set(db_url, parents=parents is not None)
    check_destination(out, state.url, force)
    decisions, replay_notes = replay_decisions(out, state.url, decisions)
    day = (today or date.today()).isoformat()
    answers = None
    if parents is not None:
        kept = out / DECISIONS_FILE
        answers = parent_answers(decisions_file, None if replay_notes else kept)
    if export is None:
        assert parents is not None
        plan = parents_alone(parents, state, rules, decisions, day, allow, rng, answers)
    else:
        export = fit_export(export, state.widths)  # names as SACoche would store them in this database
        plan = _build(export, state, rules, decisions, day, allow, rng, parents, answers)
    if replay_notes:
        plan = replace(plan, warnings=(*plan.warnings, *replay_notes))
    plan, login_sheet = _keep_sheet(plan, out, state, rules)
    if parents is not None:
        accounts = rules.policy.get("accounts", {})
        plan, kept = keep_parent_passwords(
            plan,
            out,
            state.url,
            accounts.get("password_salt", "grain_de_sel"),
            new_password_length(
                state.parent_profile.password_min_length, accounts.get("password_min_length")
            ),
        )
        if kept:  # the family letters printed from the previous plan stay good for these parents
            plan = replace(plan, meta={**plan.meta, "parent_letters": {"kept_passwords": kept}})
    shown = export if export is not None else parents
    assert shown is not None
    light = PlanResult(
        replace(plan, items=(), passwords={}),
        plan.has_changes,
        shown.path.name,
        shown.header.source.id if export is None else export.source.id,
        (*shown.warnings, *(parents.warnings if parents is not None and export is not None else ())),
        state.url,
        out,
        login_sheet,
        summary_text(
            {"held": plan.held, "items": [{"kind": i.kind, "accepted": i.accepted} for i in plan.items]}
        ),
    )
    meta = _meta(export, state, rules, day, db_identity(db_url)) if export is not None else {}
    if parents is not None:
        meta = parents_meta(
            meta, parents, state, rules, day, db_identity(db_url), _state_meta(state, db_identity(db_url))
        )
    if read_sums is not None:
        meta["state"]["read_set"] = plan_read_set(db_url, read_sums, plan.items)
    if login_sheet is not None:
        meta["login_sheet"] = login_sheet
    # a million pupils and accounts: not needed to render (``shown`` is one of the exports)
    del export, parents, shown, state
    staging = make_staging()
    emptied: set[tuple[str, ...]] = set()  # its directories once published: empty
    try:
        written = write_plan(staging, plan, meta)
        parent_rows = parent_credentials_rows(plan)
        if parent_rows:
            _write_atomic(staging / PARENT_CREDENTIALS_FILE, credentials_csv(parent_rows))
        # plan.json's document (``written``) holds it all now: the items, and a copy of ``meta``
        # (its read set has a term per account written)
        del plan, meta, parent_rows, read_sums
        # not read back: what was written; publish() sets the modes in ``out`` (only files move there)
        render_outputs(staging, loaded=check_written_plan(written), tighten=False)
        emptied = publish(staging, out)
        if replay_notes:  # answers for the plan of another database (--force) must not outlive it
            (out / DECISIONS_FILE).unlink(missing_ok=True)
    finally:
        remove_staging(staging, emptied)
    return light


def read_export(
    path: Path, rules: RuleSet, format_id: str | None = None, parents_path: Path | None = None
) -> tuple[Export | None, ParentsExport | None]:
    """The first stage (benchmarks/run.py times it under this name): the pupils export, the responsables
    export, or both (engine.pipeline_parents.read_exports)."""
    return read_exports(path, rules, format_id, parents_path)


def _build(
    export: Export,
    state: State,
    rules: RuleSet,
    decisions: tuple[MatchDecisions, ItemDecisions] | None,
    day: str,
    allow: tuple[str, ...],
    rng: Any,
    parents: ParentsExport | None = None,
    answers: Any = None,
) -> Plan:
    """Match and plan (the parents against the planned pupils); the matching (as big as the school) is
    released when this returns."""
    match_decisions, item_decisions = decisions or (None, None)
    pupil_allow, parent_allow = split_allow(allow)
    matching = match(export.pupils, state.accounts, rules.policy["matching"], match_decisions)
    plan = build_plan(
        export, state, matching, rules, today=day, allow=pupil_allow, decisions=item_decisions, rng=rng
    )
    if parents is not None:
        result = plan_parents_for(
            parents,
            state,
            rules,
            item_decisions,
            day,
            parent_allow,
            rng,
            answers,
            matching=matching,
            items=plan.items,
            labels={p.line: p.classe_label for p in export.pupils},
            taken_logins=[i.target["login"] for i in plan.items if i.kind == "create"],
        )
        plan = with_parents(plan, result, parents_source(parents))
    stale = list(matching.stale) + (stale_item_decisions(plan, item_decisions) if item_decisions else [])
    questions = [i for i in plan.items if i.kind == "decide" and i.accepted]
    if questions:  # `accept: [decide-…]`: a question is answered with same/different, never accepted
        plan = replace(
            plan, items=tuple(replace(i, accepted=False) if i in questions else i for i in plan.items)
        )
        stale += [f"accept: {i.id} (a question: answer it with same/different)" for i in questions]
    if not stale and not plan.stale_decisions:
        return plan  # nothing stale: not copied
    return replace(plan, stale_decisions=tuple(stale))


Answers = tuple[MatchDecisions, ItemDecisions]


def replay_decisions(out: Path, state_url: str, given: Answers | None) -> tuple[Answers | None, list[str]]:
    """Add the answers kept in ``out/decisions.yaml`` (recorded by accept / reject / decide) to those of
    ``--decisions`` (which win where both answer the same item or pupil). Not replayed when ``out``
    holds a plan of another database (``--force``): its pupils and accounts are not this database's."""
    path = out / DECISIONS_FILE
    if not path.is_file():
        return given, []
    previous = out / PLAN_FILE
    try:
        url = read_previous(previous).url
    except (OSError, ValueError):
        url = None
    if previous.is_file() and (not isinstance(url, str) or public_url(url) != state_url):
        return given, [f"{path}: not replayed and removed (its answers were for another database)"]
    kept_match, kept_items = load_decisions(path)
    if given is None:
        return (kept_match, kept_items), []
    match_given, items_given = given
    answered = set(match_given.same) | {pupil for pupil, _ in match_given.different}
    same = {k: v for k, v in kept_match.same.items() if k not in answered}
    different = {pair for pair in kept_match.different if pair[0] not in answered}
    merged_match = MatchDecisions(
        same=same | dict(match_given.same), different=frozenset(different) | match_given.different
    )
    merged_items = ItemDecisions(
        accept=(kept_items.accept - items_given.reject) | items_given.accept,
        reject=(kept_items.reject - items_given.accept) | items_given.reject,
    )
    return (merged_match, merged_items), []


def _keep_sheet(plan: Plan, out: Path, state: State, rules: RuleSet) -> tuple[Plan, dict[str, Any] | None]:
    """Keep the passwords of the previous sheet in ``out`` where allowed (engine.render.sheets)."""
    accounts = rules.policy.get("accounts", {})
    salt = accounts.get("password_salt", "grain_de_sel")
    cards = previous_cards(out, state.url, salt)
    return keep_passwords(
        plan,
        cards,
        salt=salt,
        min_length=new_password_length(
            state.profile.password_min_length, accounts.get("password_min_length")
        ),
        birth_date_passwords=state.profile.password_is_birth_date,
        taken_logins=state.taken_logins,
    )


def _meta(export: Export, state: State, rules: RuleSet, day: str, identity: dict[str, Any]) -> dict[str, Any]:
    """plan.json's description of its inputs."""
    return {
        "tool": f"onde-sacoche {__version__}",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "today": day,
        "source": {
            "file": export.path.name,
            "sha256": sha256_of(export.path),
            "format": export.source.id,
            "format_confirmed": export.source.confirmed,
            "encoding": export.raw.encoding,
            "pupils": len(export.pupils),
            **_sheets(export),
        },
        "rules": {"name": rules.name, "version": rules.full_version},
        "state": _state_meta(state, identity),
    }


def _state_meta(state: State, identity: Any) -> dict[str, Any]:
    return {
        "url": state.url,
        "dialect": state.dialect,
        "identity": identity,
        "fingerprint": dict(state.fingerprint),
        "login_model": state.profile.model,
        "widths": dict(state.widths),
    }


def _sheets(export: Export) -> dict[str, Any]:
    """The sheets of a workbook read, when there were several (the report names them beside a line)."""
    tables = export.header.tables
    if len(tables) < 2:
        return {}
    return {"sheets": [visible(raw.sheet or "") for raw, _ in tables], "sheet_stride": SHEET_STRIDE}


#: files a plan directory may hold besides sql/: removed when the new plan has no such file
OPTIONAL_OUTPUTS = ("identifiants.csv", "identifiants.html", PARENT_CREDENTIALS_FILE, LETTERS_FILE)
#: …and every script of every dialect (``/``-separated, as publish_files takes them)
_OPTIONAL = (*OPTIONAL_OUTPUTS, *(sql_path(Path(), d, name).as_posix() for d in DIALECTS for name in SCRIPTS))


def render_outputs(
    plan_dir: Path,
    dialects: Iterable[str] | None = None,
    *,
    revert_deletes_created: bool = False,
    loaded: LoadedPlan | None = None,
    tighten: bool = True,
) -> list[Path]:
    """Render everything from ``plan_dir/plan.json`` alone (read once, unless ``loaded`` is it, checked):
    SQL scripts (by default in the dialects of :func:`engine.render.plan_dialects`), report, summary,
    login sheet. ``tighten=False``: the modes are left to :func:`publish` (a staging directory's)."""
    loaded = loaded or load_plan(plan_dir)
    dialects = plan_dialects(loaded.doc) if dialects is None else tuple(dialects)
    paths = render_sql(plan_dir, dialects, revert_deletes_created=revert_deletes_created, loaded=loaded)
    paths += render_reports(loaded.doc, plan_dir)
    if tighten:  # sql/ made under the user's umask, files an older version left 0644
        tighten_tree(Path(plan_dir))
    return paths


def publish(staging: Path, out: Path) -> set[tuple[str, ...]]:
    """Move a complete plan directory from ``staging`` into ``out``, removing the optional files (login
    sheets, scripts of a dialect) an older plan left there and the new one lacks; the directories of
    ``staging`` emptied (engine.plan.planio.remove_staging)."""
    return publish_files(staging, out, _OPTIONAL)
