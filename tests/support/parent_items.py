"""Parent plan items written by hand, exactly as docs/parents.md (the planner's contract) describes them.

For the report and letter tests before (and beside) real plans: each builder returns one plan.json item
dict (``id``, ``kind``, ``accepted``, ``target``, ``changes``, ``reason``, ``subject``). Invented names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.plan.planio import credentials_csv

ACTIVE = "9999-12-31"
ADDRESS_COLUMNS = (
    "adresse_ligne1",
    "adresse_ligne2",
    "adresse_ligne3",
    "adresse_ligne4",
    "adresse_postal_code",
    "adresse_postal_libelle",
    "adresse_pays_nom",
)
#: the columns of identifiants-parents.csv, as the planner writes them
CREDENTIAL_COLUMNS = ("famille", "civilite", "nom", "prenom", "login", "mot_de_passe", "enfants", "item")

Child = tuple[str, str, str, int | None, str]  # nom, prénom, classe, user_id (None: new pupil), login


def child(nom: str, prenom: str, classe: str, user_id: int | None = None, login: str = "") -> Child:
    return (nom, prenom, classe, user_id, login or f"{prenom[:1]}{nom}".lower())


def _child_dict(c: Child) -> dict[str, Any]:
    return {"nom": c[0], "prenom": c[1], "classe": c[2], "user_id": c[3], "login": c[4]}


def parent_key(nom: str, prenom: str, children: Sequence[Child]) -> str:
    kids = ";".join(sorted(f"{c[0]}|{c[1]}" for c in children))
    return f"parent:{nom}|{prenom}|{kids}"


def _id(kind: str, *parts: Any) -> str:
    return f"{kind}-{hashlib.sha256(repr(parts).encode()).hexdigest()[:10]}"


def subject(civilite: str, nom: str, prenom: str, children: Sequence[Child], **more: Any) -> dict[str, Any]:
    return {
        "civilite": civilite,
        "nom": nom,
        "prenom": prenom,
        "parent_key": parent_key(nom, prenom, children),
        "children": [_child_dict(c) for c in children],
        **more,
    }


def reason(situation: str, line: int | None, lines: Sequence[int] = (), **more: Any) -> dict[str, Any]:
    return {"situation": situation, "tier": more.pop("tier", None), "rule": more.pop("rule", None)} | {
        "line": line,
        "lines": list(lines) or ([line] if line is not None else []),
        **more,
    }


def _item(kind: str, id_parts: Sequence[Any], accepted: bool, **parts: Any) -> dict[str, Any]:
    return {
        "id": _id(kind, *id_parts),
        "kind": kind,
        "accepted": accepted,
        "target": parts["target"],
        "changes": parts.get("changes", {}),
        "reason": parts["reason"],
        "subject": parts["subject"],
    }


def parent_create(
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    login: str,
    *,
    email: str = "",
    line: int = 2,
    accepted: bool = True,
) -> dict[str, Any]:
    columns = {
        "user_profil_sigle": "TUT",
        "user_genre": civilite,
        "user_nom": nom,
        "user_prenom": prenom,
        "user_email": email,
        "user_login": login,
        "user_password": hashlib.md5(f"pw-{login}".encode()).hexdigest(),
        "user_sortie_date": ACTIVE,
    }
    subj = subject(civilite, nom, prenom, children)
    return _item(
        "parent_create",
        (subj["parent_key"],),
        accepted,
        target={"table": "sacoche_user", "login": login},
        changes={c: {"old": None, "new": v} for c, v in columns.items()},
        reason=reason("parent_new", line),
        subject=subj,
    )


def parent_update(
    user_id: int,
    login: str,
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    changes: Mapping[str, tuple[Any, Any]],
    *,
    line: int = 2,
    accepted: bool = True,
    reactivate_from: str | None = None,
) -> dict[str, Any]:
    kind = "parent_reactivate" if reactivate_from else "parent_update"
    diff = {c: {"old": o, "new": n} for c, (o, n) in changes.items()}
    if reactivate_from:
        diff["user_sortie_date"] = {"old": reactivate_from, "new": ACTIVE}
    situation = "parent_reappeared" if reactivate_from else "parent_changed"
    return _item(
        kind,
        (user_id, diff),
        accepted,
        target={"table": "sacoche_user", "user_id": user_id, "login": login},
        changes=diff,
        reason=reason(situation, line, tier="nom_prenom_child"),
        subject=subject(civilite, nom, prenom, children),
    )


def parent_deactivate(
    user_id: int,
    login: str,
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child] = (),
    *,
    today: str = "2026-09-01",
    active_children: Sequence[int] = (),
    accepted: bool | None = None,
) -> dict[str, Any]:
    situation = "absent_with_active_child" if active_children else "no_active_child"
    return _item(
        "parent_deactivate",
        (user_id,),
        (not active_children) if accepted is None else accepted,
        target={"table": "sacoche_user", "user_id": user_id, "login": login},
        changes={"user_sortie_date": {"old": ACTIVE, "new": today}},
        reason=reason(situation, None, active_children=list(active_children)),
        subject=subject(civilite, nom, prenom, children),
    )


def parent_address(
    parent_id: int | None,
    login: str,
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    new: Sequence[str],
    old: Sequence[str] | None = None,
    *,
    line: int = 2,
    accepted: bool = True,
) -> dict[str, Any]:
    if old is None:
        changes = {c: {"old": None, "new": v} for c, v in zip(ADDRESS_COLUMNS, new, strict=True)}
    else:
        changes = {
            c: {"old": o, "new": v} for c, o, v in zip(ADDRESS_COLUMNS, old, new, strict=True) if o != v
        }
    subj = subject(civilite, nom, prenom, children)
    return _item(
        "parent_address",
        (parent_id or subj["parent_key"], changes),
        accepted,
        target={
            "table": "sacoche_parent_adresse",
            "parent_id": parent_id,
            "parent_login": login,
            "row_exists": old is not None,
        },
        changes=changes,
        reason=reason("address_new" if old is None else "address_changed", line),
        subject=subj,
    )


def parent_link(
    parent_id: int | None,
    login: str,
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    linked: Child,
    number: int = 1,
    *,
    line: int = 2,
    accepted: bool = True,
) -> dict[str, Any]:
    subj = subject(civilite, nom, prenom, children, child=_child_dict(linked))
    return _item(
        "parent_link",
        (parent_id or subj["parent_key"], linked[3] or linked[4]),
        accepted,
        target={
            "table": "sacoche_jointure_parent_eleve",
            "parent_id": parent_id,
            "parent_login": login,
            "eleve_id": linked[3],
            "eleve_login": linked[4],
        },
        changes={"resp_legal_num": {"old": None, "new": number}},
        reason=reason("child_listed", line),
        subject=subj,
    )


def parent_unlink(
    parent_id: int,
    login: str,
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    unlinked: Child,
    number: int = 1,
    *,
    line: int = 2,
    accepted: bool = True,
) -> dict[str, Any]:
    assert unlinked[3] is not None, "an existing link names an existing pupil"
    subj = subject(civilite, nom, prenom, children, child=_child_dict(unlinked))
    return _item(
        "parent_unlink",
        (parent_id, unlinked[3]),
        accepted,
        target={
            "table": "sacoche_jointure_parent_eleve",
            "parent_id": parent_id,
            "parent_login": login,
            "eleve_id": unlinked[3],
            "eleve_login": unlinked[4],
            "resp_legal_num": number,
        },
        changes={},
        reason=reason("child_not_listed", line),
        subject=subj,
    )


def parent_decide_child(
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    asked: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    situation: str,
    *,
    line: int = 2,
) -> dict[str, Any]:
    """A question about one child (``asked``: nom, prenom, classe, naissance, line, group)."""
    subj = subject(
        civilite, nom, prenom, children, child=dict(asked), candidates=[dict(c) for c in candidates]
    )
    ids = sorted(c["user_id"] for c in candidates if c.get("user_id") is not None)
    return _item(
        "parent_decide",
        ("child", subj["parent_key"], asked["nom"], asked["prenom"], ids),
        False,
        target={
            "question": "child",
            "parent_key": subj["parent_key"],
            "child": f"{asked['nom']}|{asked['prenom']}",
            "candidates": ids,
        },
        reason=reason(situation, asked.get("line", line)),
        subject=subj,
    )


def parent_decide_parent(
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    candidates: Sequence[Mapping[str, Any]],
    situation: str = "parent_same_names",
    *,
    line: int = 2,
) -> dict[str, Any]:
    """A question about the parent itself: which account (or a new one)."""
    subj = subject(civilite, nom, prenom, children, candidates=[dict(c) for c in candidates])
    ids = sorted(c["user_id"] for c in candidates)
    return _item(
        "parent_decide",
        ("parent", subj["parent_key"], ids),
        False,
        target={"question": "parent", "parent_key": subj["parent_key"], "candidates": ids},
        reason=reason(situation, line),
        subject=subj,
    )


def new_family(
    civilite: str,
    nom: str,
    prenom: str,
    children: Sequence[Child],
    login: str,
    *,
    address: Sequence[str] | None = None,
    line: int = 2,
) -> list[dict[str, Any]]:
    """What the planner makes of a new parent: parent_create, parent_address, one parent_link per child."""
    items = [parent_create(civilite, nom, prenom, children, login, line=line)]
    if address is not None:
        items.append(parent_address(None, login, civilite, nom, prenom, children, address, line=line))
    items += [parent_link(None, login, civilite, nom, prenom, children, c, 1, line=line) for c in children]
    return items


def credentials_rows(
    items: Iterable[Mapping[str, Any]], passwords: Mapping[str, str]
) -> list[dict[str, str]]:
    """identifiants-parents.csv's rows for the accepted ``parent_create`` items (``passwords`` by login)."""
    rows = []
    for item in items:
        if item["kind"] != "parent_create" or not item["accepted"]:
            continue
        s, login = item["subject"], item["target"]["login"]
        rows.append(
            {
                "famille": s["parent_key"],
                "civilite": s["civilite"],
                "nom": s["nom"],
                "prenom": s["prenom"],
                "login": login,
                "mot_de_passe": passwords[login],
                "enfants": " | ".join(f"{c['nom']} {c['prenom']} ({c['classe']})" for c in s["children"]),
                "item": item["id"],
            }
        )
    return rows


def write_credentials(
    out: Path, rows: Sequence[Mapping[str, str]], name: str = "identifiants-parents.csv"
) -> Path:
    """The private credentials file as the planner writes it (UTF-8 BOM, ``;``, CRLF, mode 0600)."""
    path = out / name
    path.write_bytes(credentials_csv([{c: row[c] for c in CREDENTIAL_COLUMNS} for row in rows]))
    path.chmod(0o600)
    return path
