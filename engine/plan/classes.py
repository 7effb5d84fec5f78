"""Classes (``sacoche_groupe`` rows of type ``classe``) and the archive of the imported file
(``sacoche_siecle_import``, row ``Onde``): the plan's ``class_create``, ``class_rename``, ``class_retire``
and ``archive`` items.

As SACoche's wizard: a class is found by its ref (compared as MySQL does), a new one is created, an
existing one keeps its name unless the ONDE label changed since the previous import (known from the
archive). Classes the file no longer has are proposed for retirement when the import owns them.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from engine.archive import OBJET, TABLE, file_content, previous_classes, school_year
from engine.match import ref_key
from engine.plan.context import PlanContext
from engine.plan.groups import retire_target
from engine.plan.refs import WantedClass, wanted_classes


def plan_classes(ctx: PlanContext) -> None:
    """Classes by ref key into ``ctx.wanted`` (then their ref is the stored one), with their items."""
    found = wanted_classes(ctx.export, ctx.class_policy, ctx.rules.context, memo=ctx.class_of)
    existing = {ref_key(g.ref): g for g in ctx.state.groups if g.type == "classe"}
    previous: dict[str, tuple[str, str]] | None = None
    archive_read = False  # the archive is read only for a class whose stored name is not the computed one
    wanted: dict[str, WantedClass] = {}
    for key, cls in sorted(found.items()):
        group = existing.get(key)
        subject = {"classe": cls.name, "onde_classe_id": cls.classe_id, "niveau": cls.niveau}
        reason = {"rule": "classes.ref", "line": cls.first_line}
        if group is None:
            wanted[key] = cls
            ctx.add(
                "class_create",
                {"table": "sacoche_groupe", "groupe_ref": cls.ref},
                {
                    "groupe_nom": {"old": None, "new": cls.name},
                    "niveau_id": {"old": None, "new": ctx.niveau_id(cls.niveau)},
                    "groupe_type": {"old": None, "new": "classe"},
                },
                {**reason, "situation": "class_new"},
                subject,
                (cls.ref,),
            )
            continue
        wanted[key] = _stored(cls, group.ref, group.nom)
        if group.nom == cls.name:
            continue
        if not archive_read:
            previous, archive_read = previous_import(ctx), True
        before = previous.get(key) if previous is not None else None
        if before is None or before[1] == cls.name:
            continue  # no archive, or the label gives the same name as last time: never renamed
        wanted[key] = _stored(cls, group.ref, cls.name)
        edited = group.nom != before[1]
        ctx.add(
            "class_rename",
            {"table": "sacoche_groupe", "groupe_ref": group.ref, "groupe_id": group.groupe_id},
            {"groupe_nom": {"old": group.nom, "new": cls.name}},
            {
                **reason,
                "situation": "class_renamed_by_hand" if edited else "class_label_changed",
                "previous_label": before[0],
                "previous_name": before[1],
                "label": cls.label,
            },
            subject,
            (group.ref, group.nom, cls.name),
            default=False if edited else None,
        )
    active_by_class = Counter(a.classe_id for a in ctx.active_accounts)
    for key, group in sorted(existing.items()):
        if key in wanted:
            continue
        if ctx.owned_class.match(group.ref.upper()):
            ctx.add(
                "class_retire",
                retire_target(ctx, group),
                {},
                {
                    "rule": "classes.owned_ref",
                    "situation": "class_absent_from_file",
                    "active_pupils": active_by_class.get(group.groupe_id, 0),
                },
                {"classe": group.nom},
                (group.ref,),
            )
        else:
            ctx.left_alone["classes"].append(
                {"groupe_id": group.groupe_id, "ref": group.ref, "nom": group.nom}
            )
    ctx.wanted = wanted


def _stored(cls: WantedClass, ref: str, name: str) -> WantedClass:
    """``dataclasses.replace(cls, ref=ref, name=name)``, made directly (replace is several times slower)."""
    return WantedClass(ref, name, cls.niveau, cls.classe_id, cls.label, cls.first_line)


def previous_import(ctx: PlanContext) -> dict[str, tuple[str, str]] | None:
    """(ONDE label, computed name) of each class of the previous import, by ref key; None without one."""
    archive = ctx.state.archive
    lines = archive.lines() if archive is not None else None
    source = ctx.rules.sources.get(ctx.policy.get("archive", {}).get("source", "onde1-eleves"))
    if not lines or source is None:
        return None
    return previous_classes(lines, source.fields, ctx.rules.context, ctx.class_of.by_key, ref_key)


def plan_archive(ctx: PlanContext) -> None:
    """Keep the imported file in SACoche's archive, as its wizard does (row Onde of
    sacoche_siecle_import, read back by SACoche's LSU export and by the next plan): only for the
    format SACoche archives, only when the base has the table, only when the content changed."""
    policy = ctx.policy.get("archive", {})
    old = ctx.state.archive
    if not policy.get("write", True) or old is None:
        return
    if ctx.export.source.id != policy.get("source", "onde1-eleves"):
        return
    header = ctx.export.header.line
    content = file_content(cells for line, cells in ctx.export.raw.rows() if line >= header)
    if content is None:
        ctx.warnings.append(
            "the file is too big for SACoche's archive (MEDIUMTEXT, 16 MB once encoded as SACoche "
            "does): it is not archived; the next plan will not know this year's class labels"
        )
        return
    if content == old.contenu:
        return
    year = school_year(ctx.today, int(policy.get("first_month", 8)))
    ctx.add(
        "archive",
        {"table": TABLE, "siecle_import_objet": OBJET, "row_exists": old.exists},
        {
            "siecle_import_date": {"old": old.date, "new": ctx.today},
            "siecle_import_annee": {"old": old.annee, "new": year},
            "siecle_import_contenu": {"old": old.contenu, "new": content},
        },
        {"rule": "archive", "situation": "archive_import", "bytes": len(content.encode("utf-8"))},
        {"file": ctx.export.path.name},
        (OBJET, hashlib.sha256(content.encode("utf-8")).hexdigest()),
    )
