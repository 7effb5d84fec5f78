"""Groups (``sacoche_groupe`` rows of type ``groupe``, one per ONDE regroupement) and pupils' memberships
(``sacoche_jointure_user_groupe``): the plan's ``group_create``, ``group_retire``, ``membership_add`` and
``membership_remove`` items, and the row a retirement (of a group or a class) deletes.

Only a source format that carries regroupements touches groups (``ctx.carries_groups``); groups made by
hand in SACoche (a ref the import does not own) are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.errors import OndeError
from engine.ops import fold
from engine.plan.context import PlanContext, person
from engine.read import Pupil
from engine.state import Group


def plan_groups(ctx: PlanContext) -> None:
    """``group_create`` for each regroupement of the file without its group, ``group_retire`` for each
    owned group the file no longer lists; two regroupements with the same ref are an error."""
    labels: dict[str, str] = {}
    if not ctx.carries_groups:
        return
    first_line: dict[str, int] = {}
    for pupil in ctx.export.pupils:
        for label in pupil.regroupements:
            ref = ctx.group_ref(label)
            known = labels.setdefault(ref, label)
            first_line.setdefault(ref, pupil.line)
            if known != label and fold(known) != fold(label):
                raise OndeError(
                    f"two regroupements get the same SACoche ref {ref!r} (see line {first_line[ref]})",
                    file=ctx.export.path,
                    line=pupil.line,
                    hint="rename one of them in ONDE, or change groups.ref_length in rules/policy/plan.yaml",
                )
    existing = {g.ref.upper(): g for g in ctx.state.groups if g.type == "groupe"}
    length = int(ctx.group_policy.get("name_length", 20))
    manual_names = {fold(g.nom): g for g in existing.values() if not ctx.owned_group.match(g.ref.upper())}
    for ref, label in sorted(labels.items()):
        name = label[:length]
        if existing.get(ref) is not None:
            continue
        ctx.add(
            "group_create",
            {"table": "sacoche_groupe", "groupe_ref": ref},
            {"groupe_nom": {"old": None, "new": name}, "groupe_type": {"old": None, "new": "groupe"}},
            {"rule": "groups.ref_prefix", "line": first_line[ref], "situation": "group_new"},
            {"groupe": name},
            (ref,),
        )
        if fold(name) in manual_names:
            ctx.warnings.append(
                f"a group named '{name}' was made by hand in SACoche; the import creates its own "
                f"({ref}) and leaves the hand-made one alone"
            )
    for ref, group in sorted(existing.items()):
        if ref in labels:
            continue
        if ctx.owned_group.match(ref):
            ctx.add(
                "group_retire",
                retire_target(ctx, group),
                {},
                {"rule": "groups.owned_ref", "situation": "group_absent_from_file"},
                {"groupe": group.nom},
                (group.ref,),
            )
        else:
            ctx.left_alone["groups"].append(
                {"groupe_id": group.groupe_id, "ref": group.ref, "nom": group.nom}
            )


def retire_target(ctx: PlanContext, group: Group) -> dict[str, Any]:
    """The whole row a retirement deletes (and a revert puts back): name, niveau, pupils' memberships."""
    return {
        "table": "sacoche_groupe",
        "groupe_ref": group.ref,
        "groupe_id": group.groupe_id,
        "groupe_type": group.type,
        "groupe_nom": group.nom,
        "niveau_id": group.niveau_id,
        "members": ctx.members_of(group.groupe_id),
    }


def owned_memberships(ctx: PlanContext) -> dict[int, set[str]]:
    """user_id → refs (upper case) of the groups the import owns that the account belongs to now."""
    owned = {
        groupe_id: group.ref.upper()
        for groupe_id, group in ctx.groups_by_id.items()
        if group.type == "groupe" and ctx.owned_group.match(group.ref.upper())
    }
    index: dict[int, set[str]] = defaultdict(set)
    for user_id, groupe_id in ctx.state.memberships:
        ref = owned.get(groupe_id)
        if ref is not None:
            index[user_id].add(ref)
    return index


def _subject(pupil: Pupil, ref: str, classe: str) -> dict[str, Any]:
    subject = person(pupil)  # filled in place: a dict per item, not a copy of one
    subject["groupe"] = ref
    subject["classe"] = classe
    return subject


def plan_memberships(
    ctx: PlanContext, who: dict[str, Any], pupil: Pupil, current: set[str], line: int, classe: str
) -> None:
    """Memberships to add and remove so that ``who`` (an account's target keys) is in exactly the groups of
    the pupil's regroupements; ``current``: its owned groups' refs now."""
    desired = {ctx.group_ref(label) for label in pupil.regroupements}
    if not desired and not current:
        return
    for ref in sorted(desired - current):
        ctx.add(
            "membership_add",
            {"table": "sacoche_jointure_user_groupe", **who, "groupe_ref": ref},
            {},
            {"rule": "regroupements", "line": line, "situation": "listed_in_file"},
            _subject(pupil, ref, classe),
            (who, ref),
        )
    for ref in sorted(current - desired):
        ctx.add(
            "membership_remove",
            {"table": "sacoche_jointure_user_groupe", **who, "groupe_ref": ref},
            {},
            {"rule": "regroupements", "line": line, "situation": "not_listed_in_file"},
            _subject(pupil, ref, classe),
            (who, ref),
        )
