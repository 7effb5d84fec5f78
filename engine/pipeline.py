"""The whole pipeline for one school: read → normalise → state → match → plan → write.

Kept apart from the CLI so that ``plan`` and later ``batch`` call the same code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from engine import __version__
from engine.match import match
from engine.normalise import Export, read_export
from engine.plan import Plan, build_plan
from engine.planio import check_destination, load_decisions, stale_item_decisions, write_plan
from engine.rules import RuleSet, load_rules
from engine.state import State, read_state


@dataclass(frozen=True, slots=True)
class PlanResult:
    plan: Plan
    export: Export
    state: State
    out: Path

    def text_summary(self) -> str:
        """A readable summary for the terminal (no pupil names)."""
        s = self.plan.summary
        lines = [
            f"{self.export.path.name}: {s['pupils_in_file']} pupils ({self.export.source.id}), "
            f"database {self.state.url}",
            f"  pupils: {s['create']} to create, {s['update']} to update, {s['deactivate']} to deactivate, "
            f"{s['reactivate']} to reactivate, {s['unchanged']} unchanged, {s['needs_decision']} to decide",
            f"  classes: {s['classes_create']} to create, {s['classes_rename']} to rename, "
            f"{s['classes_retire']} proposed for retirement (unchecked)",
            f"  groups: {s['groups_create']} to create, {s['groups_retire']} proposed for retirement "
            f"(unchecked); "
            f"memberships: +{s['memberships_add']} −{s['memberships_remove']}",
        ]
        left = self.plan.left_alone
        if left["classes"] or left["groups"]:
            lines.append(
                f"  left alone (made by hand): {len(left['classes'])} classes, {len(left['groups'])} groups"
            )
        for hold in self.plan.holds:
            state = "allowed" if hold["allowed"] else "HELD"
            lines.append(f"  {state}: {hold['message']} (override: {hold['allow']})")
        for stale in self.plan.stale_decisions:
            lines.append(f"  stale decision: {stale}")
        for warning in (*self.export.warnings, *self.plan.warnings):
            lines.append(f"  warning: {warning}")
        lines.append(f"  plan written to {self.out / 'plan.json'}")
        return "\n".join(lines)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
) -> PlanResult:
    """Run every stage and write the plan directory; raise OndeError (nothing written) on any problem."""
    rules = rules or load_rules(rules_dir)
    match_decisions, item_decisions = load_decisions(decisions_file) if decisions_file else (None, None)
    export = read_export(export_path, rules, format_id)
    state = read_state(db_url)
    check_destination(out, state.url, force)
    matching = match(export.pupils, state.accounts, rules.policy["matching"], match_decisions)
    day = (today or date.today()).isoformat()
    plan = build_plan(export, state, matching, rules, today=day, allow=allow, decisions=item_decisions)
    stale = list(matching.stale) + (stale_item_decisions(plan, item_decisions) if item_decisions else [])
    plan = Plan(
        plan.meta,
        plan.summary,
        plan.items,
        plan.holds,
        plan.left_alone,
        tuple(stale),
        plan.warnings,
        plan.passwords,
    )
    meta = {
        "tool": f"onde-sacoche {__version__}",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "today": day,
        "source": {
            "file": export.path.name,
            "sha256": _sha256(export.path),
            "format": export.source.id,
            "format_confirmed": export.source.confirmed,
            "encoding": export.raw.encoding,
            "pupils": len(export.pupils),
        },
        "rules": {"name": rules.name, "version": rules.full_version},
        "state": {
            "url": state.url,
            "dialect": state.dialect,
            "fingerprint": dict(state.fingerprint),
            "login_model": state.profile.model,
        },
    }
    write_plan(out, plan, meta)
    return PlanResult(plan, export, state, out)
