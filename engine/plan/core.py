"""Fourth stage: turn the matching into a reviewable plan of items, as the YAML policy says.

Pure: a function of the export, the state, the matching, the policy and the date; no file or database.
Every item has a stable id derived from what it changes (the same change gets the same id on a re-run),
a kind, its target, old → new values, the reason (tier, rule, source line) and an ``accepted`` flag with
SACoche-like defaults. Guards that detect a partial export put holds on the plan; a held plan is still
written, for review, but nothing should be applied from it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter
from typing import Any

from engine.archive import OBJET, TABLE, file_content, previous_classes, school_year
from engine.errors import OndeError
from engine.match import Ambiguity, Matching, pupil_key, ref_key
from engine.ops import Context, compile_steps, fold, run_steps
from engine.plan.logins import (
    LoginAllocator,
    birth_date_password,
    make_password,
    new_password_length,
    password_hash,
)
from engine.plan.parents_rules import PARENT_KINDS
from engine.read import Export, Pupil, paused_gc, visible
from engine.rules import RuleSet
from engine.state import ACTIVE, Account, State
from engine.widths import DEFAULT_WIDTHS

ITEM_KINDS = (
    "create",
    "update",
    "deactivate",
    "reactivate",
    "class_create",
    "class_rename",
    "class_retire",
    "group_create",
    "group_retire",
    "membership_add",
    "membership_remove",
    "archive",
    "decide",
    *PARENT_KINDS,  # docs/parents.md: planned by engine.plan.parents, after the pupils' items
)
SUMMARY_KEYS = {
    "create": "create",
    "update": "update",
    "deactivate": "deactivate",
    "reactivate": "reactivate",
    "decide": "needs_decision",
    "class_create": "classes_create",
    "class_rename": "classes_rename",
    "class_retire": "classes_retire",
    "group_create": "groups_create",
    "group_retire": "groups_retire",
    "membership_add": "memberships_add",
    "membership_remove": "memberships_remove",
    "archive": "archive",
}
GUARDS = ("coverage", "other_school", "class_missing", "niveau_missing", "deactivations")
ACCOUNT_ATTR = {
    "user_reference": "ine",
    "user_nom": "nom",
    "user_prenom": "prenom",
    "user_genre": "genre",
    "user_naissance_date": "naissance",
    "user_email": "email",
}


@dataclass(frozen=True, slots=True)
class Item:
    """One reviewable change."""

    id: str
    kind: str
    target: dict[str, Any]
    changes: dict[str, dict[str, Any]]
    reason: dict[str, Any]
    accepted: bool
    subject: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "accepted": self.accepted,
            "subject": self.subject,
            "target": self.target,
            "changes": self.changes,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the renderers need; ``passwords`` (item id → plaintext) never goes into plan.json."""

    meta: dict[str, Any]
    summary: dict[str, Any]
    items: tuple[Item, ...]
    holds: tuple[dict[str, str], ...]
    left_alone: dict[str, list[dict[str, Any]]]
    stale_decisions: tuple[str, ...]
    warnings: tuple[str, ...]
    passwords: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def held(self) -> bool:
        return any(not h.get("allowed") for h in self.holds)

    @property
    def has_changes(self) -> bool:
        return any(i.accepted and i.kind != "decide" for i in self.items)

    def to_dict(self, *, items: bool = True) -> dict[str, Any]:
        """The plan as plan.json holds it; ``items=False`` leaves ``"items": []`` in place, for a writer
        that streams the items one by one instead of building them all at once."""
        return {
            "summary": self.summary,
            **self.meta,
            "held": self.held,
            "holds": list(self.holds),
            "items": [i.to_dict() for i in self.items] if items else [],
            "left_alone": self.left_alone,
            "stale_decisions": list(self.stale_decisions),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class Decisions:
    """Accept/reject answers for item ids (pairing answers go to the matcher)."""

    accept: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()


#: json.dumps(..., sort_keys=True, ensure_ascii=False, default=str) without building an encoder per call
_ID_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def stable_id(kind: str, *parts: Any) -> str:
    """``kind-<10 hex>`` from what the item changes: the same change gets the same id on every run."""
    payload = _ID_ENCODER.encode([kind, *parts])
    return f"{kind}-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:10]}"


# --- classes and groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WantedClass:
    """A class as the export wants it (its SACoche ref, name and niveau)."""

    ref: str
    name: str
    niveau: str
    classe_id: str
    label: str
    first_line: int


def class_of(pupil: Pupil, policy: Mapping[str, Any], ctx: Context) -> tuple[str, str, str]:
    """(ref, name, niveau) of the SACoche class for a pupil: one class per ONDE class × niveau."""
    niveau = pupil.niveau or policy.get("niveau_when_empty", "MULTI")
    ref = policy.get("ref", "{classe_id}_{niveau}").format(classe_id=pupil.classe_id, niveau=niveau)
    ref = ref.strip().upper()[: int(policy.get("ref_length", 10))]
    label = pupil.classe_label
    table = policy.get("label_table")
    if table and label:
        label = str(run_steps(label, _shorten_steps(table), ctx))
    name = policy.get("name", "[{niveau}] {label}").format(
        niveau=niveau, label=label, classe_id=pupil.classe_id
    )
    return ref, name[: int(policy.get("name_length", 20))], niveau


@lru_cache(maxsize=16)
def _shorten_steps(table: str) -> list[Any]:
    return compile_steps([{"shorten": table}])


class ClassOf:
    """:func:`class_of` memoised for one policy and context: it depends only on the pupil's class id,
    niveau and class label, and a school has few of those (label shortening per pupil was a hot spot)."""

    __slots__ = ("cache", "ctx", "policy")

    def __init__(self, policy: Mapping[str, Any], ctx: Context) -> None:
        self.policy, self.ctx = policy, ctx
        self.cache: dict[tuple[str, str, str], tuple[str, str, str]] = {}

    def __call__(self, pupil: Pupil) -> tuple[str, str, str]:
        key = (pupil.classe_id, pupil.niveau, pupil.classe_label)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = class_of(pupil, self.policy, self.ctx)
        return found

    def by_key(self, key: tuple[str, str, str]) -> tuple[str, str, str]:
        """The same for a (classe_id, niveau, classe_label) key."""
        found = self.cache.get(key)
        if found is None:
            classe_id, niveau, label = key
            pupil = Pupil(line=0, classe_id=classe_id, niveau=niveau, classe_label=label)
            found = self.cache[key] = class_of(pupil, self.policy, self.ctx)
        return found


def _class_key(pupil: Pupil) -> tuple[str, str, str]:
    return (pupil.classe_id, pupil.niveau, pupil.classe_label)


def wanted_classes(
    export: Export, policy: Mapping[str, Any], ctx: Context, *, memo: ClassOf | None = None
) -> dict[str, WantedClass]:
    """Classes the export implies, by :func:`ref_key` of their ref; two ONDE classes cut to the same ref (as
    MySQL compares refs) are an error."""
    classes: dict[str, WantedClass] = {}
    class_of_pupil = memo or ClassOf(policy, ctx)
    for pupil in export.pupils:
        if not pupil.classe_id:  # admitted, not yet in a class: no class to make
            continue
        ref, name, niveau = class_of_pupil(pupil)
        key = ref_key(ref)
        known = classes.get(key)
        if known is None:
            classes[key] = WantedClass(ref, name, niveau, pupil.classe_id, pupil.classe_label, pupil.line)
        elif (known.classe_id, known.niveau) != (pupil.classe_id, niveau):
            raise OndeError(
                f"two classes get the same SACoche ref {ref!r} once cut to {policy.get('ref_length', 10)} "
                f"characters (class {known.classe_id} niveau {known.niveau} on line {known.first_line}, and "
                f"class {pupil.classe_id} niveau {niveau}); SACoche's own import would merge them silently",
                file=export.path,
                line=pupil.line,
                hint="raise classes.ref_length (up to 20) or change classes.ref in rules/policy/plan.yaml",
            )
    return classes


def group_ref(label: str, policy: Mapping[str, Any]) -> str:
    """A readable, stable ref for an ONDE regroupement: prefix + folded label, hashed when too long."""
    prefix = policy.get("ref_prefix", "RG_")
    length = int(policy.get("ref_length", 20))
    slug = re.sub(r"[^0-9A-Z]+", "_", fold(label).upper()).strip("_") or "GROUPE"
    if len(prefix) + len(slug) <= length:
        return prefix + slug
    digest = hashlib.sha1(label.encode("utf-8")).hexdigest()[:6].upper()
    return f"{prefix}{slug[: length - len(prefix) - 7]}_{digest}"


def niveau_id_for(niveau: str, state: State) -> int:
    """SACoche niveau for a niveau ref: exact match, else the longest niveau_ref that prefixes it, else 0."""
    by_ref = {n.ref.upper(): n.niveau_id for n in state.niveaux}
    if niveau.upper() in by_ref:
        return by_ref[niveau.upper()]
    prefixes = [r for r in by_ref if r and niveau.upper().startswith(r)]
    return by_ref[max(prefixes, key=len)] if prefixes else 0


# --- the planner --------------------------------------------------------------------------------------


class _Planner:
    def __init__(
        self,
        export: Export,
        state: State,
        matching: Matching,
        rules: RuleSet,
        today: str,
        allow: Iterable[str],
        decisions: Decisions,
        rng: Any,
    ) -> None:
        self.export, self.state, self.matching, self.rules = export, state, matching, rules
        self.policy = rules.policy
        self.today = today
        self.allow = set(allow)
        self.decisions = decisions
        self.rng = rng
        self.defaults: Mapping[str, bool] = self.policy.get("accepted_by_default", {})
        self.situations: Mapping[str, str] = self.policy.get("situations", {})
        self.items: list[Item] = []
        self.passwords: dict[str, str] = {}
        self.warnings: list[str] = []
        self.groups_by_id = state.group_by_id()
        self.class_policy = self.policy.get("classes", {})
        self.group_policy = self.policy.get("groups", {})
        self.owned_class = re.compile(self.class_policy.get("owned_ref", r"^[0-9A-Z]+_\S"))
        self.owned_group = re.compile(self.group_policy.get("owned_ref", r"^RG_"))
        self.unchanged = 0
        self.unchanged_by_class: Counter[str] = Counter()
        self.class_of = ClassOf(self.class_policy, rules.context)
        self._group_refs: dict[str, str] = {}
        self._niveau_ids: dict[str, int] = {}
        self._members_by_group: dict[int, list[int]] | None = None
        self._field_specs = _field_specs(self.policy.get("fields", {}))
        self._same_fields = _same_fields(self._field_specs)
        self.active_accounts = [a for a in state.accounts if a.sortie_date == ACTIVE]  # Account.active
        #: pupils of the file without a class (admitted, not yet assigned): situations *_without_class
        self.without_class: list[dict[str, Any]] = []
        self.classed = [p for p in export.pupils if p.classe_id]
        #: a plan only touches what its source format carries: no groups column, no group or membership item
        self.carries_groups = "regroupements" in export.header.columns

    def group_ref(self, label: str) -> str:
        """:func:`group_ref` memoised per label."""
        ref = self._group_refs.get(label)
        if ref is None:
            ref = self._group_refs[label] = group_ref(label, self.group_policy)
        return ref

    def niveau_id(self, niveau: str) -> int:
        """:func:`niveau_id_for` memoised per niveau."""
        found = self._niveau_ids.get(niveau)
        if found is None:
            found = self._niveau_ids[niveau] = niveau_id_for(niveau, self.state)
        return found

    def add(
        self,
        kind: str,
        target: dict[str, Any],
        changes: dict[str, dict[str, Any]],
        reason: dict[str, Any],
        subject: dict[str, Any],
        id_parts: Sequence[Any],
        default: bool | None = None,
    ) -> Item:
        item_id = stable_id(kind, *id_parts)
        accepted = bool(self.defaults.get(kind, kind != "decide")) if default is None else default
        if item_id in self.decisions.accept:
            accepted = True
        if item_id in self.decisions.reject:
            accepted = False
        item = Item(item_id, kind, target, changes, reason, accepted, subject)
        self.items.append(item)
        return item

    # classes ------------------------------------------------------------------------------------------
    def plan_classes(self) -> dict[str, WantedClass]:
        """Classes by ref key, as SACoche's wizard: a class is found by its ref (compared as MySQL does), a
        new one is created, an existing one keeps its name unless the ONDE label changed since the
        previous import (known from SACoche's archive); then its ref is the stored one."""
        found = wanted_classes(self.export, self.class_policy, self.rules.context, memo=self.class_of)
        existing = {ref_key(g.ref): g for g in self.state.groups if g.type == "classe"}
        previous = self.previous_classes()
        wanted: dict[str, WantedClass] = {}
        for key, cls in sorted(found.items()):
            group = existing.get(key)
            subject = {"classe": cls.name, "onde_classe_id": cls.classe_id, "niveau": cls.niveau}
            reason = {"rule": "classes.ref", "line": cls.first_line}
            if group is None:
                wanted[key] = cls
                niveau_id = niveau_id_for(cls.niveau, self.state)
                self.add(
                    "class_create",
                    {"table": "sacoche_groupe", "groupe_ref": cls.ref},
                    {
                        "groupe_nom": {"old": None, "new": cls.name},
                        "niveau_id": {"old": None, "new": niveau_id},
                        "groupe_type": {"old": None, "new": "classe"},
                    },
                    {**reason, "situation": "class_new"},
                    subject,
                    (cls.ref,),
                )
                continue
            wanted[key] = replace(cls, ref=group.ref, name=group.nom)
            before = previous.get(key) if previous is not None else None
            if before is None or before[1] == cls.name or group.nom == cls.name:
                continue  # no archive, or the label gives the same name as last time: never renamed
            wanted[key] = replace(cls, ref=group.ref)
            edited = group.nom != before[1]
            self.add(
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
        active_by_class = Counter(a.classe_id for a in self.active_accounts)
        for key, group in sorted(existing.items()):
            if key in wanted:
                continue
            entry = {"groupe_id": group.groupe_id, "ref": group.ref, "nom": group.nom}
            if self.owned_class.match(group.ref.upper()):
                self.add(
                    "class_retire",
                    self.retire_target(group),
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
                self.left_alone["classes"].append(entry)
        self.wanted = wanted
        return wanted

    def previous_classes(self) -> dict[str, tuple[str, str]] | None:
        """(ONDE label, computed name) of each class of the previous import, by ref key; None without one."""
        archive = self.state.archive
        lines = archive.lines() if archive is not None else None
        source = self.rules.sources.get(self.policy.get("archive", {}).get("source", "onde1-eleves"))
        if not lines or source is None:
            return None
        return previous_classes(lines, source.fields, self.rules.context, self.class_of.by_key, ref_key)

    def plan_archive(self) -> None:
        """Keep the imported file in SACoche's archive, as its wizard does (row Onde of
        sacoche_siecle_import, read back by SACoche's LSU export and by the next plan): only for the
        format SACoche archives, only when the base has the table, only when the content changed."""
        policy = self.policy.get("archive", {})
        old = self.state.archive
        if not policy.get("write", True) or old is None:
            return
        if self.export.source.id != policy.get("source", "onde1-eleves"):
            return
        header = self.export.header.line
        content = file_content(cells for line, cells in self.export.raw.rows() if line >= header)
        if content is None:
            self.warnings.append(
                "the file is too big for SACoche's archive (MEDIUMTEXT, 16 MB once encoded as SACoche "
                "does): it is not archived; the next plan will not know this year's class labels"
            )
            return
        if content == old.contenu:
            return
        year = school_year(self.today, int(policy.get("first_month", 8)))
        self.add(
            "archive",
            {"table": TABLE, "siecle_import_objet": OBJET, "row_exists": old.exists},
            {
                "siecle_import_date": {"old": old.date, "new": self.today},
                "siecle_import_annee": {"old": old.annee, "new": year},
                "siecle_import_contenu": {"old": old.contenu, "new": content},
            },
            {"rule": "archive", "situation": "archive_import", "bytes": len(content.encode("utf-8"))},
            {"file": self.export.path.name},
            (OBJET, hashlib.sha256(content.encode("utf-8")).hexdigest()),
        )

    def wanted_for(self, pupil: Pupil) -> WantedClass:
        """The class a pupil of the file belongs to (its ref the stored one when the class exists)."""
        return self.wanted[ref_key(self.class_of(pupil)[0])]

    def retire_target(self, group: Any) -> dict[str, Any]:
        """The whole row a retirement deletes (and a revert puts back): name, niveau, pupils' memberships."""
        if self._members_by_group is None:  # one pass over the memberships, not one per retired group
            self._members_by_group = defaultdict(list)
            for uid, gid in self.state.memberships:
                self._members_by_group[gid].append(uid)
        members = sorted(self._members_by_group.get(group.groupe_id, ()))
        return {
            "table": "sacoche_groupe",
            "groupe_ref": group.ref,
            "groupe_id": group.groupe_id,
            "groupe_type": group.type,
            "groupe_nom": group.nom,
            "niveau_id": group.niveau_id,
            "members": members,
        }

    # groups -------------------------------------------------------------------------------------------
    def plan_groups(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        if not self.carries_groups:
            return labels
        first_line: dict[str, int] = {}
        for pupil in self.export.pupils:
            for label in pupil.regroupements:
                ref = self.group_ref(label)
                known = labels.setdefault(ref, label)
                first_line.setdefault(ref, pupil.line)
                if known != label and fold(known) != fold(label):
                    raise OndeError(
                        f"two regroupements get the same SACoche ref {ref!r} (see line {first_line[ref]})",
                        file=self.export.path,
                        line=pupil.line,
                        hint="rename one of them in ONDE, or change groups.ref_length in "
                        "rules/policy/plan.yaml",
                    )
        existing = {g.ref.upper(): g for g in self.state.groups if g.type == "groupe"}
        length = int(self.group_policy.get("name_length", 20))
        manual_names = {
            fold(g.nom): g for g in existing.values() if not self.owned_group.match(g.ref.upper())
        }
        for ref, label in sorted(labels.items()):
            name = label[:length]
            group = existing.get(ref)
            subject = {"groupe": name}
            if group is None:
                self.add(
                    "group_create",
                    {"table": "sacoche_groupe", "groupe_ref": ref},
                    {"groupe_nom": {"old": None, "new": name}, "groupe_type": {"old": None, "new": "groupe"}},
                    {"rule": "groups.ref_prefix", "line": first_line[ref], "situation": "group_new"},
                    subject,
                    (ref,),
                )
                if fold(name) in manual_names:
                    self.warnings.append(
                        f"a group named '{name}' was made by hand in SACoche; the import creates its own "
                        f"({ref}) and leaves the hand-made one alone"
                    )
        for ref, group in sorted(existing.items()):
            if ref in labels:
                continue
            entry = {"groupe_id": group.groupe_id, "ref": group.ref, "nom": group.nom}
            if self.owned_group.match(ref):
                self.add(
                    "group_retire",
                    self.retire_target(group),
                    {},
                    {"rule": "groups.owned_ref", "situation": "group_absent_from_file"},
                    {"groupe": group.nom},
                    (group.ref,),
                )
            else:
                self.left_alone["groups"].append(entry)
        return labels

    def plan_memberships(
        self, who: dict[str, Any], pupil: Pupil, current: set[str], line: int, classe: str
    ) -> None:
        desired = {self.group_ref(label) for label in pupil.regroupements}
        if not desired and not current:
            return
        for ref in sorted(desired - current):
            self.add(
                "membership_add",
                {"table": "sacoche_jointure_user_groupe", **who, "groupe_ref": ref},
                {},
                {"rule": "regroupements", "line": line, "situation": "listed_in_file"},
                {**_person(pupil), "groupe": ref, "classe": classe},
                (who, ref),
            )
        for ref in sorted(current - desired):
            self.add(
                "membership_remove",
                {"table": "sacoche_jointure_user_groupe", **who, "groupe_ref": ref},
                {},
                {"rule": "regroupements", "line": line, "situation": "not_listed_in_file"},
                {**_person(pupil), "groupe": ref, "classe": classe},
                (who, ref),
            )

    # pupils -------------------------------------------------------------------------------------------
    def field_changes(self, pupil: Pupil, account: Account) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        if self._same_fields is not None:
            pupil_values, account_values = self._same_fields
            if pupil_values(pupil) == account_values(account):  # nothing differs: no change, protected or not
                return changes
        for column, policy, protect, source, attr, absent in self._field_specs:
            if protect and any(getattr(account, a, "") == v for a, v in protect):
                continue
            new = getattr(pupil, source)
            old = getattr(account, attr if attr is not None else ACCOUNT_ATTR[column])
            if new == old or (column in CLEANED_COLUMNS and _cleaned(old) == new):
                continue
            if policy == "overwrite_if_present" and new in absent:
                continue
            if policy == "fill_if_empty" and old not in absent:
                continue
            changes[column] = {"old": old, "new": new}
        return changes

    def plan_pupils(self, wanted: dict[str, WantedClass]) -> None:
        memberships_index: dict[int, set[str]] = defaultdict(set)
        for user_id, groupe_id in self.state.memberships:
            group = self.groups_by_id.get(groupe_id)
            if group and group.type == "groupe" and self.owned_group.match(group.ref.upper()):
                memberships_index[user_id].add(group.ref.upper())
        old_refs: dict[int, str] = {}  # classe_id → ref of that SACoche class ("" if none)
        reactivate = self.situations.get("reappeared", "reactivate") == "reactivate"
        update = self.situations.get("matched_changed", "update") == "update"
        no_groups: set[str] = set()
        for pair in self.matching.pairs:
            pupil, account = pair.pupil, pair.account
            if not pupil.classe_id:
                self.plan_without_class(pupil, account)
                continue
            changes = self.field_changes(pupil, account)
            cls = self.wanted_for(pupil)
            old_ref = old_refs.get(account.classe_id)
            if old_ref is None:
                old_class = self.groups_by_id.get(account.classe_id)
                old_ref = old_class.ref if old_class and old_class.type == "classe" else ""
                old_refs[account.classe_id] = old_ref
            if ref_key(old_ref) != ref_key(cls.ref):
                changes["eleve_classe_id"] = {"old": old_ref, "new": cls.ref, "old_id": account.classe_id}
            classe = cls.name
            if not account.active and reactivate:
                changes["user_sortie_date"] = {"old": account.sortie_date, "new": ACTIVE}
                self._add_pupil_item("reactivate", "reappeared", pair, changes, classe)
            elif account.active and changes and update:
                self._add_pupil_item("update", "matched_changed", pair, changes, classe)
            else:
                self.unchanged += 1
                self.unchanged_by_class[classe] += 1
            current = memberships_index.get(account.user_id, no_groups)
            if self.carries_groups and (pupil.regroupements or current):
                self.plan_memberships(
                    {"user_id": account.user_id, "login": account.login}, pupil, current, pupil.line, classe
                )
        self.plan_new(wanted)
        self.plan_missing()
        for ambiguity in self.matching.ambiguities:
            self.plan_decide(ambiguity)

    def _add_pupil_item(
        self, kind: str, situation: str, pair: Any, changes: dict[str, dict[str, Any]], classe: str
    ) -> None:
        pupil, account = pair.pupil, pair.account
        self.add(
            kind,
            {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
            changes,
            {"tier": pair.tier, "line": pupil.line, "situation": situation},
            {**_person(pupil), "classe": classe, "account": _account(account)},
            (account.user_id, changes),
        )

    def plan_new(self, wanted: dict[str, WantedClass]) -> None:
        if self.situations.get("new", "create") != "create":
            return
        accounts = self.policy.get("accounts", {})
        allocator = LoginAllocator(self.state.taken_logins, max_length=login_max_length(self.state, accounts))
        profile = self.state.profile
        for pupil in self.matching.new:
            if not pupil.classe_id:
                self.plan_without_class(pupil, None)
                continue
            cls = self.wanted_for(pupil)
            login = allocator.allocate(pupil.prenom, pupil.nom, profile.model)
            if profile.password_is_birth_date and pupil.naissance:
                password = birth_date_password(pupil.naissance)
            else:
                password = make_password(
                    min_length=new_password_length(
                        profile.password_min_length, accounts.get("password_min_length")
                    ),
                    alphabet=accounts.get("password_alphabet", "23456789abcdfghknpqrstuvxyz"),
                    rng=self.rng,
                )
            values = {
                "user_profil_sigle": "ELV",
                "user_reference": pupil.ine,
                "user_nom": pupil.nom,
                "user_prenom": pupil.prenom,
                "user_genre": pupil.genre or "I",
                "user_naissance_date": pupil.naissance or None,
                "user_email": pupil.email,
                "user_login": login,
                "user_password": password_hash(password, accounts.get("password_salt", "grain_de_sel")),
                "user_sortie_date": ACTIVE,
                "eleve_classe_id": cls.ref,
            }
            item = self.add(
                "create",
                {"table": "sacoche_user", "login": login},
                {k: {"old": None, "new": v} for k, v in values.items()},
                {"tier": None, "line": pupil.line, "situation": "new"},
                {**_person(pupil), "classe": cls.name},
                (pupil_key(pupil),),
            )
            self.passwords[item.id] = password
            if self.carries_groups:
                self.plan_memberships({"login": login}, pupil, set(), pupil.line, cls.name)

    def plan_without_class(self, pupil: Pupil, account: Account | None) -> None:
        """SACoche's wizard's cases for a row without a class: unknown → ignored (listed); a current pupil →
        deactivated like a leaver, with its own situation; a former pupil → unchanged."""
        entry = {"line": pupil.line, "nom": pupil.nom, "prenom": pupil.prenom, "naissance": pupil.naissance}
        if account is None:
            self.without_class.append({**entry, "action": "ignored"})
            return
        entry["user_id"] = account.user_id
        if not account.active or self.situations.get("active_without_class", "deactivate") != "deactivate":
            self.without_class.append({**entry, "action": "unchanged"})
            self.unchanged += 1
            return
        self.without_class.append({**entry, "action": "deactivated"})
        self.add(
            "deactivate",
            {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
            {"user_sortie_date": {"old": account.sortie_date, "new": self.today}},
            {"tier": None, "line": pupil.line, "situation": "active_without_class"},
            {**_person(pupil), "classe": self._class_name(account), "account": _account(account)},
            (account.user_id,),
        )

    def plan_missing(self) -> None:
        for account in self.matching.missing:
            if not account.active:
                continue
            action = self.situations.get("missing_active", "deactivate")
            if action != "deactivate":
                continue
            group = self.groups_by_id.get(account.classe_id)
            self.add(
                "deactivate",
                {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
                {"user_sortie_date": {"old": account.sortie_date, "new": self.today}},
                {"tier": None, "line": None, "situation": "missing_active"},
                {
                    "nom": account.nom,
                    "prenom": account.prenom,
                    "naissance": account.naissance,
                    "classe": group.nom if group else "",
                },
                (account.user_id,),
            )

    def plan_decide(self, ambiguity: Ambiguity) -> None:
        pupil = ambiguity.pupil
        ref = self.wanted_for(pupil).ref if pupil.classe_id else ""
        candidates = [_account(a) | {"classe": self._class_name(a)} for a in ambiguity.candidates]
        self.add(
            "decide",
            {"pupil": pupil_key(pupil), "accounts": [a.user_id for a in ambiguity.candidates]},
            {},
            {"rule": ambiguity.rule, "line": pupil.line, "situation": "ambiguous", "why": ambiguity.reason},
            {**_person(pupil), "classe_ref": ref, "candidates": candidates},
            (pupil_key(pupil), sorted(a.user_id for a in ambiguity.candidates)),
        )

    def _class_name(self, account: Account) -> str:
        group = self.groups_by_id.get(account.classe_id)
        return group.nom if group else ""

    # guards -------------------------------------------------------------------------------------------
    def guards(self) -> list[dict[str, str]]:
        policy = self.policy.get("guards", {})
        holds: list[dict[str, str]] = []
        active = self.active_accounts
        # pupils without a class count as absent: they leave their class like leavers do
        present = {p.account.user_id for p in self.matching.pairs if p.pupil.classe_id}
        present |= {a.user_id for amb in self.matching.ambiguities for a in amb.candidates}
        file_count = len(self.classed)

        def hold(guard: str, message: str, **figures: Any) -> None:
            holds.append(
                {
                    "guard": guard,
                    "message": message,
                    "figures": figures,
                    "allow": f"--allow {guard}",
                    "allowed": guard in self.allow,
                }
            )

        coverage = policy.get("coverage", {})
        if active and "min_percent" in coverage:
            share = 100.0 * file_count / len(active)
            if share < float(coverage["min_percent"]):
                hold(
                    "coverage",
                    f"the file holds {file_count} pupils, {share:.0f}% of the {len(active)} active "
                    f"pupils in SACoche (at least {coverage['min_percent']}% expected): is the export "
                    "filtered by niveau, class, dispositif or regroupement?",
                    in_file=file_count,
                    active=len(active),
                    percent=round(share),
                    min_percent=coverage["min_percent"],
                )
        if policy.get("class_missing", True):
            by_class: dict[int, list[Account]] = defaultdict(list)
            for account in active:
                by_class[account.classe_id].append(account)
            for classe_id, members in sorted(by_class.items()):
                group = self.groups_by_id.get(classe_id)
                if group is None or group.type != "classe":
                    continue
                if not any(a.user_id in present for a in members):
                    hold(
                        "class_missing",
                        f"class {group.nom} ({group.ref}) has {len(members)} active pupils in "
                        "SACoche and none of them is in the file: they would all be deactivated",
                        classe=group.nom,
                        ref=group.ref,
                        active=len(members),
                    )
        if policy.get("niveau_missing", True):
            niveau_refs = {n.niveau_id: n.ref for n in self.state.niveaux}
            file_niveaux = {self.niveau_id(p.niveau) for p in self.classed if p.niveau}
            active_niveaux: Counter[int] = Counter()
            for account in active:
                group = self.groups_by_id.get(account.classe_id)
                if group and group.niveau_id:
                    active_niveaux[group.niveau_id] += 1
            for niveau_id, count in sorted(active_niveaux.items()):
                if niveau_id not in file_niveaux:
                    hold(
                        "niveau_missing",
                        f"niveau {niveau_refs.get(niveau_id, niveau_id)} has {count} active "
                        "pupils in SACoche and no pupil in the file",
                        niveau=niveau_refs.get(niveau_id, str(niveau_id)),
                        active=count,
                    )
        known = policy.get("other_school", {})
        if active and file_count and "min_known_percent" in known:
            recognised = sum(1 for p in self.matching.pairs if p.pupil.classe_id)
            recognised += sum(1 for a in self.matching.ambiguities if a.pupil.classe_id)
            share = 100.0 * recognised / file_count
            if share < float(known["min_known_percent"]):
                hold(
                    "other_school",
                    f"only {recognised} of the file's {file_count} pupils ({share:.0f}%) have an account in "
                    f"SACoche (at least {known['min_known_percent']}% expected): is this the export of "
                    "another school, or the database of another school?",
                    known=recognised,
                    in_file=file_count,
                    percent=round(share),
                    min_percent=known["min_known_percent"],
                )
        limits = policy.get("deactivations", {})
        leaving = sum(1 for i in self.items if i.kind == "deactivate" and i.accepted)
        if active and limits:
            share = 100.0 * leaving / len(active)
            if leaving > int(limits.get("max_count", 0)) and share > float(limits.get("max_percent", 0)):
                hold(
                    "deactivations",
                    f"{leaving} pupils would be deactivated, {share:.0f}% of the {len(active)} "
                    f"active pupils (limits: more than {limits.get('max_count')} and more than "
                    f"{limits.get('max_percent')}%)",
                    leaving=leaving,
                    active=len(active),
                    percent=round(share),
                    max_count=limits.get("max_count"),
                    max_percent=limits.get("max_percent"),
                )
        return holds

    def run(self) -> Plan:
        self.left_alone: dict[str, list[dict[str, Any]]] = {"classes": [], "groups": []}
        wanted = self.plan_classes()
        self.plan_groups()
        self.plan_pupils(wanted)
        self.plan_archive()
        holds = self.guards()
        counts = Counter(i.kind for i in self.items)
        summary: dict[str, Any] = {"pupils_in_file": len(self.export.pupils)}
        for kind in ITEM_KINDS:
            if kind in SUMMARY_KEYS:  # the pupils' kinds (the parents' are counted by engine.plan.parents)
                summary[SUMMARY_KEYS[kind]] = counts.get(kind, 0)
        summary["unchanged"] = self.unchanged
        summary["without_class"] = len(self.without_class)  # what became of each: meta["without_class"]
        summary["held"] = any(not h["allowed"] for h in holds)
        summary["holds"] = [h["message"] for h in holds if not h["allowed"]]
        order = {kind: i for i, kind in enumerate(ITEM_KINDS)}
        items = sorted(self.items, key=lambda i: (order[i.kind], i.reason.get("line") or 0, i.id))
        in_file: Counter[str] = Counter()
        for key, count in Counter(_class_key(p) for p in self.classed).items():
            in_file[self.wanted[ref_key(self.class_of.by_key(key)[0])].name] += count
        by_class = {
            name: {"pupils_in_file": count, "unchanged": self.unchanged_by_class.get(name, 0)}
            for name, count in sorted(in_file.items())
        }
        names = {
            "classes": {g.ref.upper(): g.nom for g in self.state.groups if g.type == "classe" and g.ref},
            "groups": {g.ref.upper(): g.nom for g in self.state.groups if g.type == "groupe" and g.ref},
        }
        names["classes"].update({cls.ref.upper(): cls.name for cls in wanted.values()})
        names["labels"] = {cls.name: cls.label for cls in wanted.values() if cls.label}  # the full ONDE label
        for item in self.items:
            if item.kind == "group_create":
                names["groups"][item.target["groupe_ref"]] = item.subject["groupe"]
        return Plan(
            meta={"by_class": by_class, "names": names, "without_class": self.without_class},
            summary=summary,
            items=tuple(items),
            holds=tuple(holds),
            left_alone=self.left_alone,
            stale_decisions=(),
            warnings=tuple(self.warnings),
            passwords=dict(self.passwords),
        )


#: columns the project cleans more than SACoche does (the reader's NFC and removal of invisible characters;
#: clean_spaces folds tabs, no-break spaces and inner runs of spaces, and trims): a stored value that differs
#: from the new one only by that cleaning is unchanged, not an update
CLEANED_COLUMNS = frozenset({"user_nom", "user_prenom"})


def _cleaned(value: str) -> str:
    """A stored value cleaned as a new one is (NFC, invisible characters removed, then ``clean_spaces``)."""
    return " ".join(visible(unicodedata.normalize("NFC", value)).split())


def login_max_length(state: State, accounts: Mapping[str, Any]) -> int:
    """New logins fit the database's user_login column, or the policy's lower ``login_max_length``."""
    width = int(state.widths.get("user_login", DEFAULT_WIDTHS["user_login"]))
    cap = accounts.get("login_max_length")
    return min(width, int(cap)) if cap else width


def _person(pupil: Pupil) -> dict[str, Any]:
    return {
        "nom": pupil.nom,
        "prenom": pupil.prenom,
        "naissance": pupil.naissance,
        "ine": pupil.ine,
        "line": pupil.line,
    }


def _account(account: Account) -> dict[str, Any]:
    return {
        "user_id": account.user_id,
        "nom": account.nom,
        "prenom": account.prenom,
        "naissance": account.naissance,
        "ine": account.ine,
        "login": account.login,
        "sortie_date": account.sortie_date,
    }


def _account_attr(column: str) -> str:
    return {"user_email_origine": "email_origine"}.get(column, ACCOUNT_ATTR.get(column, column))


def _same_fields(specs: Sequence[tuple[Any, ...]]) -> tuple[Any, Any] | None:
    """Getters of every compared field on both sides, for a one-comparison "nothing changed" test."""
    if not specs or any(attr is None for _, _, _, _, attr, _ in specs):
        return None
    return (
        attrgetter(*(source for _, _, _, source, _, _ in specs)),
        attrgetter(*(attr for _, _, _, _, attr, _ in specs)),
    )


def _field_specs(
    fields: Mapping[str, Mapping[str, Any]],
) -> list[tuple[str, str, tuple[tuple[str, Any], ...], str, str | None, frozenset[str]]]:
    """The ``fields`` policy read once: (column, policy, protect_if as (attr, value), pupil attr, account
    attr or None when unknown (KeyError when used, as before), values counted as absent)."""
    specs = []
    for column, spec in fields.items():
        policy = spec["policy"]
        if policy == "never":
            continue
        protect = tuple((_account_attr(c), v) for c, v in spec.get("protect_if", {}).items())
        absent = frozenset(spec.get("absent", ())) | {""}
        specs.append((column, policy, protect, spec["from"], ACCOUNT_ATTR.get(column), absent))
    return specs


def build_plan(
    export: Export,
    state: State,
    matching: Matching,
    rules: RuleSet,
    *,
    today: str,
    allow: Iterable[str] = (),
    decisions: Decisions | None = None,
    rng: Any = None,
) -> Plan:
    """The plan for this export and state; ``rng`` only for deterministic tests (default: secrets)."""
    unknown = set(allow) - set(GUARDS)
    if unknown:
        raise OndeError(
            f"unknown guard(s) for --allow: {', '.join(sorted(unknown))}",
            hint=f"use one of: {', '.join(GUARDS)}",
        )
    planner = _Planner(
        export, state, matching, rules, today, allow, decisions or Decisions(), rng or secrets.SystemRandom()
    )
    with paused_gc():
        return planner.run()
