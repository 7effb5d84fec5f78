"""Pupils' accounts (``sacoche_user``, profile ELV): the plan's ``create``, ``update``, ``reactivate``,
``deactivate`` and ``decide`` items, and the pupils' memberships through :mod:`~engine.plan.groups`.

:func:`plan_pupils` runs the cases in order: matched pupils (changed, reappeared or unchanged), new
pupils (login and password), pupils of the file without a class, accounts missing from the file
(leavers), ambiguous matches left to the reviewer. Each case follows ``situations`` in the policy.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from engine.match import Ambiguity, Pair, pupil_key, ref_key
from engine.plan.context import PlanContext, account_subject, person
from engine.plan.fields import FieldChanges
from engine.plan.groups import owned_memberships, plan_memberships
from engine.plan.items import id_entry, stable_id, stable_id_of_entries
from engine.plan.logins import (
    birth_date_password,
    new_password_length,
    new_passwords,
    password_hash,
)
from engine.plan.refs import WantedClass
from engine.read import Pupil
from engine.state import ACTIVE, Account


def plan_pupils(ctx: PlanContext) -> None:
    """Every pupil case, in the order the plan has always made them (ids and passwords depend on it)."""
    plan_matched(ctx)
    plan_new(ctx)
    plan_missing(ctx)
    for ambiguity in ctx.matching.ambiguities:
        plan_decide(ctx, ambiguity)


def plan_matched(ctx: PlanContext) -> None:
    """Pupils of the file paired with an account: an update for changed fields or class, a reactivation
    for a former pupil back in the file, else unchanged; then their memberships.

    The common pair (an active account, no field read differs, the same class, its groups the file's)
    costs a few look-ups: the fields compared as two tuples, the class and the groups memoised."""
    field_changes = FieldChanges(ctx.policy.get("fields", {}))
    same = field_changes.same  # (pupil getter, account getter) of every compared field, or None
    memberships_index = owned_memberships(ctx)
    # classe_id → (ref of that SACoche class or "", its ref_key, the end of a move's id entry from it)
    old_refs: dict[int, tuple[str, str, str]] = {}
    move_heads: dict[str, str] = {}  # ref of a class of the file → the start of a move's id entry to it
    returns: dict[str, tuple[dict[str, Any], str]] = {}  # sortie date → a return's change and id entry
    wanted_of: dict[tuple[str, str, str], tuple[WantedClass, str]] = {}  # class key → ctx.wanted_with_key
    desired_of: dict[tuple[str, ...], set[str]] = {}  # regroupements → their groups' refs
    reactivate = ctx.situations.get("reappeared", "reactivate") == "reactivate"
    update = ctx.situations.get("matched_changed", "update") == "update"
    carries_groups = ctx.carries_groups
    no_groups: set[str] = set()
    unchanged: list[str] = []  # the class of each unchanged pair (counted once, at the end)
    for pair in ctx.matching.pairs:
        pupil, account = pair.pupil, pair.account
        if not pupil.classe_id:
            plan_without_class(ctx, pupil, account)
            continue
        found = wanted_of.get(key := (pupil.classe_id, pupil.niveau, pupil.classe_label))  # CLASS_KEY
        if found is None:
            found = wanted_of[key] = ctx.wanted_with_key(pupil)
        cls, cls_key = found
        old = old_refs.get(account.classe_id)
        if old is None:
            old_class = ctx.groups_by_id.get(account.classe_id)
            old_ref = old_class.ref if old_class and old_class.type == "classe" else ""
            old = old_refs[account.classe_id] = (
                old_ref,
                ref_key(old_ref),
                move_tail(old_ref, account.classe_id),
            )
        if (
            same is not None
            and old[1] == cls_key
            and account.sortie_date == ACTIVE  # Account.active
            and same[0](pupil) == same[1](account)
        ):
            unchanged.append(cls.name)  # no field, no class, no return: what the loop below finds too
        else:
            _plan_pair(
                ctx,
                pair,
                field_changes(pupil, account),
                cls,
                cls_key,
                old,
                move_heads,
                returns,
                reactivate,
                update,
            )
        if not carries_groups:
            continue
        current = memberships_index.get(account.user_id, no_groups)
        if pupil.regroupements or current:
            desired = desired_of.get(pupil.regroupements)
            if desired is None:
                desired = desired_of[pupil.regroupements] = {ctx.group_ref(g) for g in pupil.regroupements}
            if desired != current:  # else no membership to add or remove
                plan_memberships(
                    ctx,
                    {"user_id": account.user_id, "login": account.login},
                    pupil,
                    current,
                    pupil.line,
                    cls.name,
                )
    ctx.unchanged += len(unchanged)
    ctx.unchanged_by_class.update(unchanged)


def _plan_pair(
    ctx: PlanContext,
    pair: Pair,
    changes: dict[str, dict[str, Any]],
    cls: WantedClass,
    cls_key: str,
    old: tuple[str, str, str],
    move_heads: dict[str, str],
    returns: dict[str, tuple[dict[str, Any], str]],
    reactivate: bool,
    update: bool,
) -> None:
    """A matched pair whose fields, class or return may change (:func:`plan_matched`'s other pairs):
    an update, a reactivation, or unchanged after all."""
    account = pair.account
    # the id entries of the changes (stable_id_of_entries) while only a move or a return: no field
    entries: dict[str, str] | None = None if changes else {}
    old_ref, old_key, tail = old
    if old_key != cls_key:
        changes["eleve_classe_id"] = {"old": old_ref, "new": cls.ref, "old_id": account.classe_id}
        if entries is not None:
            head = move_heads.get(cls.ref)
            if head is None:
                head = move_heads[cls.ref] = move_head(cls.ref)
            entries["eleve_classe_id"] = head + tail
    classe = cls.name
    if not account.active and reactivate:
        back = returns.get(account.sortie_date)
        if back is None:
            change = {"old": account.sortie_date, "new": ACTIVE}
            back = returns[account.sortie_date] = (change, id_entry("user_sortie_date", change))
        changes["user_sortie_date"] = back[0]  # the same dict for every return from that date
        if entries is not None:
            entries["user_sortie_date"] = back[1]
        _add_pupil_item(ctx, "reactivate", "reappeared", pair, changes, entries, classe)
    elif account.active and changes and update:
        _add_pupil_item(ctx, "update", "matched_changed", pair, changes, entries, classe)
    else:
        ctx.unchanged += 1
        ctx.unchanged_by_class[classe] += 1


def move_head(new_ref: str) -> str:
    """With :func:`move_tail`, the id entry (id_entry) of the class move
    ``{"old": old_ref, "new": new_ref, "old_id": old_id}``, from halves made once per class."""
    return f'"eleve_classe_id": {{"new": {encode_basestring(new_ref)}'


def move_tail(old_ref: str, old_id: int) -> str:
    """The end of a class move's id entry (:func:`move_head`)."""
    assert type(old_ref) is str and type(old_id) is int  # written as json writes them
    return f', "old": {encode_basestring(old_ref)}, "old_id": {int.__repr__(old_id)}}}'


def _add_pupil_item(
    ctx: PlanContext,
    kind: str,
    situation: str,
    pair: Pair,
    changes: dict[str, dict[str, Any]],
    entries: dict[str, str] | None,
    classe: str,
) -> None:
    """An update or a reactivation; ``entries``: the id entries of ``changes`` (id_entry), if made."""
    pupil, account = pair.pupil, pair.account
    subject = person(pupil)  # filled in place: a dict per item, not a copy of one
    subject["classe"] = classe
    subject["account"] = account_subject(account)
    ctx.add_with_id(
        stable_id(kind, account.user_id, changes)
        if entries is None
        else stable_id_of_entries(kind, account.user_id, entries),  # the same id, from the entries
        kind,
        {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
        changes,
        {"tier": pair.tier, "line": pupil.line, "situation": situation},
        subject,
    )


def plan_new(ctx: PlanContext) -> None:
    """Pupils of the file without an account: a ``create`` with a new login and password (the plaintext
    into ``ctx.passwords``), then their memberships."""
    if ctx.situations.get("new", "create") != "create":
        return
    accounts = ctx.policy.get("accounts", {})
    allocator = ctx.logins()
    profile = ctx.state.profile
    passwords = new_passwords(
        min_length=new_password_length(profile.password_min_length, accounts.get("password_min_length")),
        alphabet=accounts.get("password_alphabet", "23456789abcdfghknpqrstuvxyz"),
        rng=ctx.rng,
    )
    for pupil in ctx.matching.new:
        if not pupil.classe_id:
            plan_without_class(ctx, pupil, None)
            continue
        cls = ctx.wanted_for(pupil)
        login = allocator.allocate(pupil.prenom, pupil.nom, profile.model)
        if profile.password_is_birth_date and pupil.naissance:
            password = birth_date_password(pupil.naissance)
        else:
            password = next(passwords)
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
        item = ctx.add(
            "create",
            {"table": "sacoche_user", "login": login},
            {k: {"old": None, "new": v} for k, v in values.items()},
            {"tier": None, "line": pupil.line, "situation": "new"},
            {**person(pupil), "classe": cls.name},
            (pupil_key(pupil),),
        )
        ctx.passwords[item.id] = password
        if ctx.carries_groups:
            plan_memberships(ctx, {"login": login}, pupil, set(), pupil.line, cls.name)


def plan_without_class(ctx: PlanContext, pupil: Pupil, account: Account | None) -> None:
    """SACoche's wizard's cases for a row without a class: unknown → ignored (listed); a current pupil →
    deactivated like a leaver, with its own situation; a former pupil → unchanged."""
    entry = {"line": pupil.line, "nom": pupil.nom, "prenom": pupil.prenom, "naissance": pupil.naissance}
    if account is None:
        ctx.without_class.append({**entry, "action": "ignored"})
        return
    entry["user_id"] = account.user_id
    if not account.active or ctx.situations.get("active_without_class", "deactivate") != "deactivate":
        ctx.without_class.append({**entry, "action": "unchanged"})
        ctx.unchanged += 1
        return
    ctx.without_class.append({**entry, "action": "deactivated"})
    ctx.add(
        "deactivate",
        {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
        {"user_sortie_date": {"old": account.sortie_date, "new": ctx.today}},
        {"tier": None, "line": pupil.line, "situation": "active_without_class"},
        {**person(pupil), "classe": ctx.class_name(account), "account": account_subject(account)},
        (account.user_id,),
    )


def plan_missing(ctx: PlanContext) -> None:
    """Active accounts the file does not have (leavers): deactivated, as ``situations.missing_active``."""
    for account in ctx.matching.missing:
        if not account.active:
            continue
        if ctx.situations.get("missing_active", "deactivate") != "deactivate":
            continue
        ctx.add(
            "deactivate",
            {"table": "sacoche_user", "user_id": account.user_id, "login": account.login},
            {"user_sortie_date": {"old": account.sortie_date, "new": ctx.today}},
            {"tier": None, "line": None, "situation": "missing_active"},
            {
                "nom": account.nom,
                "prenom": account.prenom,
                "naissance": account.naissance,
                "classe": ctx.class_name(account),
            },
            (account.user_id,),
        )


def plan_decide(ctx: PlanContext, ambiguity: Ambiguity) -> None:
    """A ``decide`` item for a pupil the matcher could pair with several accounts."""
    pupil = ambiguity.pupil
    ref = ctx.wanted_for(pupil).ref if pupil.classe_id else ""
    candidates = [account_subject(a) | {"classe": ctx.class_name(a)} for a in ambiguity.candidates]
    ctx.add(
        "decide",
        {"pupil": pupil_key(pupil), "accounts": [a.user_id for a in ambiguity.candidates]},
        {},
        {"rule": ambiguity.rule, "line": pupil.line, "situation": "ambiguous", "why": ambiguity.reason},
        {**person(pupil), "classe_ref": ref, "candidates": candidates},
        (pupil_key(pupil), sorted(a.user_id for a in ambiguity.candidates)),
    )
