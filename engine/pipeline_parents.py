"""The parents' side of the pipeline (docs/parents.md): reading a responsables export beside or instead of
the pupils export, planning its parents against the planned pupils, describing it in plan.json."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.errors import OndeError
from engine.read.normalise import normalise, read_source

if TYPE_CHECKING:  # the parents' modules are imported when a plan has parents: a pupils plan needs none
    from engine.match import Decisions as MatchDecisions
    from engine.plan import Decisions as ItemDecisions
    from engine.plan import Plan
    from engine.plan.parents import ParentDecisions, ParentPlan
    from engine.read import Export, ParentsExport
    from engine.rules import RuleSet
    from engine.state import State


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_exports(
    path: Path, rules: RuleSet, format_id: str | None, parents_path: Path | None
) -> tuple[Export | None, ParentsExport | None]:
    """(pupils export or None, responsables export or None): ``path`` is either; ``parents_path`` must be a
    responsables export, given only beside a pupils one."""
    match = read_source(path, rules, format_id, ("pupils", "parents"))
    if match.source.kind == "parents":
        if parents_path is not None:
            raise OndeError(
                "this is a responsables export: --parents goes with the pupils export",
                file=path,
                hint="run `onde-sacoche plan PUPILS_EXPORT --parents RESPONSABLES_EXPORT`, or give the "
                "responsables export alone (its children must already be SACoche pupils)",
            )
        return None, _read_parents(match, rules)
    export = normalise(match, rules)
    if parents_path is None:
        return export, None
    other = read_source(parents_path, rules, None, ("pupils", "parents"))
    if other.source.kind != "parents":
        raise OndeError(
            f"--parents expects the ONDE responsables export, and this is a {other.source.label} file",
            file=parents_path,
            hint="export the responsables from ONDE (all of them, no filter) and give that file to --parents",
        )
    return export, _read_parents(other, rules)


def _read_parents(match: Any, rules: RuleSet) -> ParentsExport:
    from engine.read.parents import read_parents

    return read_parents(match, rules)


def split_allow(allow: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(pupils' guards, parents' guards) of --allow; an unknown name is left to build_plan to refuse."""
    if not allow:
        return (), ()
    from engine.plan.parents import PARENT_GUARDS

    return tuple(a for a in allow if a not in PARENT_GUARDS), tuple(a for a in allow if a in PARENT_GUARDS)


def parents_source(parents: ParentsExport) -> dict[str, Any]:
    return {
        "file": parents.path.name,
        "sha256": sha256_of(parents.path),
        "format": parents.header.source.id,
        "format_confirmed": parents.header.source.confirmed,
        "encoding": parents.raw.encoding,
        "rows": len(parents.parents),
        "child_groups": len(parents.groups),
    }


def plan_parents_for(
    parents: ParentsExport,
    state: State,
    rules: RuleSet,
    item_decisions: ItemDecisions | None,
    day: str,
    allow: tuple[str, ...],
    rng: Any,
    answers: ParentDecisions | None = None,
    **pupils: Any,
) -> ParentPlan:
    """The parents' plan against the pupils (``planned_pupils`` arguments in ``pupils``), with the
    accept/reject answers of the decisions and the questions' ``answers``."""
    from engine.plan.parents import ParentDecisions, plan_parents, planned_pupils

    decisions = ParentDecisions(
        children=answers.children if answers else {},
        parents=answers.parents if answers else {},
        accept=item_decisions.accept if item_decisions else frozenset(),
        reject=item_decisions.reject if item_decisions else frozenset(),
    )
    planned = planned_pupils(state, **{k: v for k, v in pupils.items() if k != "taken_logins"})
    return plan_parents(
        parents,
        state,
        planned,
        rules.policy,
        today=day,
        allow=allow,
        decisions=decisions,
        taken_logins=pupils.get("taken_logins", ()),
        rng=rng,
    )


def parents_alone(
    parents: ParentsExport,
    state: State,
    rules: RuleSet,
    decisions: tuple[MatchDecisions, ItemDecisions] | None,
    day: str,
    allow: tuple[str, ...],
    rng: Any,
    answers: ParentDecisions | None = None,
) -> Plan:
    """A responsables export against the database: the children are SACoche's active pupils."""
    from engine.plan import GUARDS
    from engine.plan.parents import PARENT_GUARDS
    from engine.plan.parents_build import parents_only_plan

    pupil_allow, parent_allow = split_allow(allow)
    unknown = set(pupil_allow) - set(GUARDS)
    if unknown:
        raise OndeError(
            f"unknown guard(s) for --allow: {', '.join(sorted(unknown))}",
            hint=f"use one of: {', '.join((*GUARDS, *PARENT_GUARDS))}",
        )
    item_decisions = decisions[1] if decisions else None
    result = plan_parents_for(parents, state, rules, item_decisions, day, parent_allow, rng, answers)
    return parents_only_plan(result, parents_source(parents))


def parents_meta(
    meta: dict[str, Any],
    parents: ParentsExport,
    state: State,
    rules: RuleSet,
    day: str,
    identity: Any,
    state_meta: dict[str, Any],
) -> dict[str, Any]:
    """plan.json's description with the responsables file: ``source_parents`` (and, for a responsables
    export alone, ``source`` describes it too, with 0 pupils)."""
    if not meta:
        meta = {
            "tool": f"onde-sacoche {__version__}",
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "today": day,
            "source": {**parents_source(parents), "pupils": 0},
            "rules": {"name": rules.name, "version": rules.full_version},
            "state": state_meta,
        }
    meta["state"]["parent_login_model"] = state.parent_profile.model
    return meta


def parent_answers(decisions_file: Path | None, replayed: Path | None) -> ParentDecisions | None:
    """The questions' answers of ``replayed`` (the plan directory's decisions.yaml) and of
    ``--decisions`` (which wins for the same parent or child)."""
    from engine.plan.parents import ParentDecisions
    from engine.plan.parents_rules import load_parent_answers

    found = [load_parent_answers(p) for p in (replayed, decisions_file) if p is not None and p.is_file()]
    if not found:
        return None
    return ParentDecisions(
        children={k: v for f in found for k, v in f.children.items()},
        parents={k: v for f in found for k, v in f.parents.items()},
    )


def keep_parent_passwords(
    plan: Plan, out: Path, state_url: str, salt: str, min_length: int
) -> tuple[Plan, int]:
    """Planning again into ``out`` keeps a new parent's password (so printed family letters stay good)
    when its ``parent_create`` has the same id and login as before and the previous plan.json holds that
    password's hash (a credentials file that does not match its plan is never trusted). Returns the
    plan and how many passwords were kept."""
    from engine.plan.logins import password_hash

    previous = _previous_parent_cards(out, state_url, salt)
    if not previous:
        return plan, 0
    passwords = dict(plan.passwords)
    kept = 0
    for item in plan.items:
        card = previous.get(item.id)
        if item.kind != "parent_create" or card is None or item.id not in passwords:
            continue
        login, password = card
        if login != item.target.get("login") or len(password) < min_length:
            continue
        passwords[item.id] = password
        item.changes["user_password"] = {"old": None, "new": password_hash(password, salt)}
        kept += 1
    return replace(plan, passwords=passwords), kept


def _previous_parent_cards(out: Path, state_url: str, salt: str) -> dict[str, tuple[str, str]]:
    """item id → (login, password) of the previous family letters in ``out``, verified against the
    previous plan.json of the same database; {} when there is none or it does not match."""
    from engine.dburl import public_url
    from engine.plan.logins import password_hash
    from engine.plan.parents_build import PARENT_CREDENTIALS_FILE
    from engine.plan.planio import PLAN_FILE, restore_cell
    from engine.plan.previous import read_previous

    rows, plan_file = out / PARENT_CREDENTIALS_FILE, out / PLAN_FILE
    if not rows.is_file() or not plan_file.is_file():
        return {}
    try:
        previous = read_previous(plan_file, kinds=("parent_create",))
        with rows.open(encoding="utf-8-sig", newline="") as handle:
            cards = [
                {k: restore_cell(v or "") for k, v in row.items() if isinstance(k, str)}
                for row in csv.DictReader(handle, delimiter=";")
            ]
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return {}
    if public_url(str(previous.url or "")) != state_url:
        return {}
    hashes = {
        i.get("id"): ((i.get("changes") or {}).get("user_password") or {}).get("new") for i in previous.items
    }
    found = {}
    for card in cards:
        item, login, password = card.get("item", ""), card.get("login", ""), card.get("mot_de_passe", "")
        if item and password and hashes.get(item) == password_hash(password, salt):
            found[item] = (login, password)
    return found
