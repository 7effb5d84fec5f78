"""The pupils as a plan leaves them, for the parents' planner (docs/parents.md): from a pupils plan's matching
and items, or from SACoche's state alone (a responsables export planned by itself)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.plan.parents_match import PlannedPupil, Pupils, exact
from engine.state import State


def planned_pupils(
    state: State, *, matching: Any = None, items: Iterable[Any] = (), labels: Mapping[int, str] | None = None
) -> Pupils:
    """The pupils as a plan leaves them (docs/parents.md). With a pupils ``matching`` and the plan's
    ``items``: matched accounts that stay or become active, with the file's names, and the rows created
    (known by login); without: SACoche's active pupils. ``labels``: line → ONDE class label of the rows."""
    groups = state.group_by_id()
    labels = labels or {}
    if matching is None:
        planned = tuple(
            PlannedPupil(
                a.user_id, a.login, a.nom, a.prenom, a.naissance, "", _group_name(groups, a.classe_id)
            )
            for a in state.accounts
            if a.active
        )
        return Pupils(planned, frozenset(a.user_id for a in state.accounts if a.active))
    items = list(items)
    leaving = {i.target["user_id"] for i in items if i.kind == "deactivate" and i.accepted}
    back = {i.target["user_id"] for i in items if i.kind == "reactivate" and i.accepted}
    classe_of = {
        i.target["user_id"]: i.subject.get("classe", "") for i in items if i.kind in ("update", "reactivate")
    }
    found: list[PlannedPupil] = []
    for pair in matching.pairs:
        pupil, account = pair.pupil, pair.account
        if (
            not pupil.classe_id
            or account.user_id in leaving
            or (not account.active and account.user_id not in back)
        ):
            continue
        classe = classe_of.get(account.user_id) or _group_name(groups, account.classe_id)
        found.append(
            PlannedPupil(
                account.user_id,
                account.login,
                pupil.nom,
                pupil.prenom,
                pupil.naissance,
                pupil.classe_label,
                classe,
            )
        )
    for item in items:
        if item.kind != "create" or not item.accepted:
            continue
        new = {column: change["new"] for column, change in item.changes.items()}
        line = item.reason.get("line") or 0
        found.append(
            PlannedPupil(
                None,
                item.target["login"],
                new.get("user_nom", ""),
                new.get("user_prenom", ""),
                new.get("user_naissance_date") or "",
                labels.get(line, ""),
                item.subject.get("classe", ""),
            )
        )
    active = {a.user_id for a in state.accounts if a.active} - leaving | back
    undecided: dict[tuple[str, str], tuple[PlannedPupil, ...]] = {}
    for ambiguity in matching.ambiguities:
        names = (exact(ambiguity.pupil.nom), exact(ambiguity.pupil.prenom))
        undecided[names] = undecided.get(names, ()) + tuple(
            PlannedPupil(
                a.user_id, a.login, a.nom, a.prenom, a.naissance, "", _group_name(groups, a.classe_id)
            )
            for a in ambiguity.candidates
        )
    return Pupils(tuple(found), frozenset(active), undecided)


def _group_name(groups: Mapping[int, Any], classe_id: int) -> str:
    group = groups.get(classe_id)
    return group.nom if group else ""
