"""The report's parents part (docs/parents.md's items): counts for the summary, one section per class, the
questions with both sides (the responsables file's guards are in French in :mod:`engine.render.report_fr`).

:func:`parents_view` is the entry: ``None`` for a plan without parent items (the report is then exactly
what it was before parents existed). A parent's own items (new account, details, address) are shown in the
class of its first child in school order, a link or an unlink in the class of the child it concerns, a
deactivation in the class of its active child when the plan says which, else under « sans classe connue ».
Pure: the plan in, a dict out. No password: a new parent's letter is only counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from engine.plan.parents_rules import PARENT_KINDS, SITUATIONS
from engine.render.french import NO_CLASS, class_sort_key, date_fr, join_fr, plural
from engine.render.report_parents_rows import PARENT_TABLES
from engine.state import ACTIVE, ADDRESS_COLUMNS

#: (kind, singular, plural) after « Responsables : » in the summary, in this order
SUMMARY_PHRASES = (
    ("parent_create", "nouveau compte", "nouveaux comptes"),
    ("parent_reactivate", "retour", "retours"),
    ("parent_update", "mise à jour", "mises à jour"),
    ("parent_address", "adresse ajoutée ou modifiée", "adresses ajoutées ou modifiées"),
    ("parent_link", "rattachement à un enfant", "rattachements à des enfants"),
    ("parent_unlink", "détachement d'un enfant", "détachements d'enfants"),
    ("parent_deactivate", "désactivation", "désactivations"),
)
#: the same, standing alone (the list of what is left unchecked)
UNCHECKED_PHRASES = (
    ("parent_create", "nouveau compte de responsable", "nouveaux comptes de responsables"),
    ("parent_reactivate", "retour de responsable", "retours de responsables"),
    ("parent_update", "mise à jour de responsable", "mises à jour de responsables"),
    ("parent_address", "adresse de responsable", "adresses de responsables"),
    ("parent_link", "rattachement d'un responsable", "rattachements de responsables"),
    ("parent_unlink", "détachement d'un responsable", "détachements de responsables"),
    ("parent_deactivate", "désactivation de responsable", "désactivations de responsables"),
)
#: reason.situation → its French phrase (engine.plan.parents_rules.SITUATIONS, docs/parents.md "Reasons")
SITUATIONS_FR = {situation: french for situation, (_, french) in SITUATIONS.items()}
TIER_FR = {
    "nom_prenom_child": "reconnu par ses nom et prénom et un enfant commun",
    "email": "reconnu par son courriel",
    "nom_prenom": "reconnu par ses nom et prénom",
    "decision": "rattaché par votre décision",
}
CIVILITE_FR = {"M": "M.", "F": "Mme"}
FIELD_LABELS = {
    "user_genre": "Civilité",
    "user_nom": "Nom",
    "user_prenom": "Prénom",
    "user_email": "Courriel",
    "user_sortie_date": "Date de sortie",
}
UNKNOWN_CLASS = "sans classe connue"


def phrases(counts: Mapping[str, int], table: Iterable[tuple[str, str, str]] = SUMMARY_PHRASES) -> list[str]:
    return [plural(counts[k], one, many) for k, one, many in table if counts.get(k)]


def _name(subject: Mapping[str, Any]) -> str:
    civilite = CIVILITE_FR.get(str(subject.get("civilite") or ""), "")
    return " ".join(
        p for p in (civilite, str(subject.get("prenom") or ""), str(subject.get("nom") or "")) if p
    )


def class_renames(plan: Mapping[str, Any]) -> dict[str, str]:
    """Old class name → new, from the plan's ``class_rename`` items: a child who stays in a renamed class
    is shown in it under its new name (the planner gives SACoche's name of today)."""
    renamed = {}
    for item in plan.get("items", []):
        if item.get("kind") == "class_rename":
            change = item.get("changes", {}).get("groupe_nom", {})
            if change.get("old") and change.get("new"):
                renamed[str(change["old"])] = str(change["new"])
    return renamed


def _child(c: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, str]:
    classe = str(c.get("classe") or "")
    return {
        "nom": str(c.get("nom") or ""),
        "prenom": str(c.get("prenom") or ""),
        "classe": renamed.get(classe, classe),
        "login": str(c.get("login") or ""),
        "new": c.get("user_id") is None and bool(c.get("login")),
    }


def _value_fr(column: str, value: Any) -> str:
    if column == "user_sortie_date":
        return "aucune (compte actif)" if value == ACTIVE else date_fr(value)
    if value is None or value == "":
        return "(vide)"
    if column == "user_genre":
        return {"M": "M.", "F": "Mme", "I": "non précisée"}.get(str(value), str(value))
    return str(value)


def _address_fr(changes: Mapping[str, Any], side: str) -> str:
    cells = {c: str((changes.get(c) or {}).get(side) or "") for c in ADDRESS_COLUMNS}
    lines = [cells[c] for c in ADDRESS_COLUMNS[:4] if cells[c]]
    lines.append(" ".join(v for v in (cells["adresse_postal_code"], cells["adresse_postal_libelle"]) if v))
    lines.append(cells["adresse_pays_nom"])
    text = ", ".join(line for line in lines if line)
    return text or "(vide)"


class _Children:
    """Each child of the plan: its class and names by account id or new login, from every item naming it."""

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.renamed = class_renames(plan)
        items = plan.get("items", [])
        self.classes: dict[tuple[str, str], str] = {}
        self.names: dict[tuple[str, str], dict[str, str]] = {}
        for item in items:
            subject, target = item.get("subject", {}), item.get("target", {})
            kind = item.get("kind", "")
            if kind in ("create", "update", "reactivate") and subject.get("classe"):
                for key in _keys(target.get("user_id"), target.get("login")):
                    self.classes.setdefault(key, str(subject["classe"]))
                    if key not in self.names:  # the first item naming a child names it
                        self.names[key] = self.child(subject | {"user_id": target.get("user_id")})
            if str(kind).startswith("parent_"):
                found = [*subject.get("children", []), *([subject["child"]] if subject.get("child") else [])]
                for c in found:
                    shown = None
                    for key in _keys(c.get("user_id"), c.get("login")):
                        if key in self.names and key in self.classes:
                            continue  # known already: setdefault would keep what is there
                        shown = shown or self.child(c)
                        if shown["classe"]:
                            self.classes.setdefault(key, shown["classe"])
                        self.names.setdefault(key, shown)

    def child(self, c: Mapping[str, Any]) -> dict[str, str]:
        return _child(c, self.renamed)

    def of(self, user_id: Any, login: Any) -> tuple[str, dict[str, str] | None]:
        for key in _keys(user_id, login):
            if key in self.names or key in self.classes:
                return self.classes.get(key, NO_CLASS), self.names.get(key)
        return NO_CLASS, None


def _keys(user_id: Any, login: Any) -> list[tuple[str, str]]:
    keys = []
    if user_id is not None:
        keys.append(("id", str(user_id)))
    if login:
        keys.append(("login", str(login).lower()))
    return keys


def _first_class(children: list[dict[str, str]]) -> str:
    classes = sorted((c["classe"] for c in children if c["classe"]), key=class_sort_key)
    return classes[0] if classes else NO_CLASS


def _row(item: Mapping[str, Any], where: _Children) -> tuple[str, dict[str, Any]]:
    """(class, row) of one parent item that is not a question."""
    subject, target, reason = item.get("subject", {}), item.get("target", {}), item.get("reason", {})
    kind, changes = str(item.get("kind", "")), item.get("changes", {})
    children = [
        where.child(c) for c in subject.get("children", []) if c.get("user_id") is not None or c.get("login")
    ]
    login = target.get("login") or target.get("parent_login") or (subject.get("account") or {}).get("login")
    row: dict[str, Any] = {
        "id": item.get("id", ""),
        "accepted": bool(item.get("accepted")),
        "kind": kind,
        "name": _name(subject),
        "nom": str(subject.get("nom") or ""),
        "prenom": str(subject.get("prenom") or ""),
        "login": login or "—",
        "new_account": kind == "parent_create" or target.get("parent_id", 0) is None,
        "line": reason.get("line"),
        "why": SITUATIONS_FR.get(str(reason.get("situation")), str(reason.get("situation") or "")),
        "how": TIER_FR.get(str(reason.get("tier") or ""), ""),
        "children": children,
        "changes": [],
    }
    classe = _first_class(children)
    if kind in ("parent_link", "parent_unlink"):
        classe, child = where.of(target.get("eleve_id"), target.get("eleve_login"))
        if subject.get("child"):
            child = where.child(subject["child"])
            classe = child["classe"] or classe
        row["child"] = child or {
            "nom": "",
            "prenom": "",
            "classe": "",
            "login": str(target.get("eleve_login") or ""),
        }
        if kind == "parent_link":
            number = (changes.get("resp_legal_num") or {}).get("new")
            row["action"] = "rattaché(e)" + (f" (responsable n° {number})" if number else "")
        else:
            row["action"] = "détaché(e)"
    elif kind == "parent_create":
        row["email"] = _value_fr("user_email", (changes.get("user_email") or {}).get("new"))
        row["civilite"] = _value_fr("user_genre", (changes.get("user_genre") or {}).get("new"))
    elif kind in ("parent_update", "parent_reactivate"):
        if kind == "parent_reactivate":
            row["left_on"] = date_fr((changes.get("user_sortie_date") or {}).get("old"))
        row["changes"] = [
            {
                "label": FIELD_LABELS.get(c, c),
                "old": _value_fr(c, ch.get("old")),
                "new": _value_fr(c, ch.get("new")),
            }
            for c, ch in changes.items()
            if c != "user_sortie_date" or kind == "parent_update"
        ]
    elif kind == "parent_address":
        row["changes"] = [
            {
                "label": "Adresse",
                "old": "(aucune)" if not target.get("row_exists") else _address_fr(changes, "old"),
                "new": _address_fr(changes, "new"),
            }
        ]
    elif kind == "parent_deactivate":
        row["leaves_on"] = date_fr((changes.get("user_sortie_date") or {}).get("new"))
        active = list(reason.get("active_children") or [])
        found = [where.of(a, None) for a in active]
        named = [c for _, c in found if c is not None]
        row["active_children"] = named
        row["active_count"] = len(active)
        if not children:
            classes = sorted((k for k, _ in found if k), key=class_sort_key)
            classe = classes[0] if classes else NO_CLASS
    return classe, row


def _question(item: Mapping[str, Any], number: int, where: _Children) -> dict[str, Any]:
    """A ``parent_decide``: the file's side (a child as listed, or the parent) and the accounts."""
    subject, target, reason = item.get("subject", {}), item.get("target", {}), item.get("reason", {})
    about_child = target.get("question") == "child"
    asked = subject.get("child") or {}
    file_side = {
        "label": f"Fichier des responsables, ligne {reason.get('line', '?')}",
        "nom": str(asked.get("nom") or "") if about_child else str(subject.get("nom") or ""),
        "prenom": str(asked.get("prenom") or "") if about_child else str(subject.get("prenom") or ""),
        "naissance": date_fr(asked.get("naissance")) if about_child else "",
        "classe": str(asked.get("classe") or "—") if about_child else "",
        "login": "",
    }
    candidates = []
    for account in subject.get("candidates", []):
        sortie = account.get("sortie_date")
        cand = {
            "label": f"Compte SACoche n° {account.get('user_id', '?')}",
            "status": ""
            if sortie in (None, "", ACTIVE)
            else f"{'ancien élève' if about_child else 'ancien responsable'}, sorti le {date_fr(sortie)}",
            "nom": str(account.get("nom") or ""),
            "prenom": str(account.get("prenom") or ""),
            "naissance": date_fr(account.get("naissance")) if about_child else "",
            "classe": str(account.get("classe") or "(aucune)") if about_child else "",
            "login": str(account.get("login") or ""),
            "user_id": account.get("user_id"),
        }
        keys = ("nom", "prenom", "naissance") if about_child else ("nom", "prenom")
        cand["differs"] = [k for k in keys if cand[k] != file_side[k]]
        candidates.append(cand)
    children = [where.child(c) for c in subject.get("children", [])]
    return {
        "number": number,
        "id": item.get("id", ""),
        "about_child": about_child,
        "parent": _name(subject),
        "children": children,
        "line": reason.get("line"),
        "why": SITUATIONS_FR.get(str(reason.get("situation")), str(reason.get("situation") or "")),
        "file": file_side,
        "candidates": candidates,
    }


GROUPS = (
    ("creates", ("parent_create",)),
    ("links", ("parent_link", "parent_unlink")),
    ("details", ("parent_update", "parent_reactivate", "parent_address")),
    ("deactivates", ("parent_deactivate",)),
)


def parents_view(
    plan: Mapping[str, Any], *, first_question: int = 1, letters: int = 0
) -> dict[str, Any] | None:
    """The parents' part of the report, or None when the plan has no parent item. ``first_question``:
    the number of the first parent question (after the pupils'); ``letters``: family letters written."""
    items = [i for i in plan.get("items", []) if i.get("kind") in PARENT_KINDS]
    if not items:
        return None
    where = _Children(plan)
    accepted = Counter(i["kind"] for i in items if i.get("accepted") and i["kind"] != "parent_decide")
    unchecked = Counter(i["kind"] for i in items if not i.get("accepted") and i["kind"] != "parent_decide")
    by_class: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    group_of = {kind: name for name, kinds in GROUPS for kind in kinds}
    questions = []
    for item in items:
        if item["kind"] == "parent_decide":
            questions.append(_question(item, first_question + len(questions), where))
            continue
        classe, row = _row(item, where)
        by_class[classe][group_of[item["kind"]]].append(row)
    classes = []
    for name in sorted(by_class, key=class_sort_key):
        groups = by_class[name]
        for rows in groups.values():
            rows.sort(
                key=lambda r: (r["nom"], r["prenom"], r.get("child", {}).get("nom", ""), r["kind"], r["id"])
            )
        counts = Counter(r["kind"] for rows in groups.values() for r in rows)
        classes.append(
            {"name": name or UNKNOWN_CLASS, "known": bool(name), "line": join_fr(phrases(counts))}
            | {key: groups.get(key, []) for key, _ in GROUPS}
            # each table's rows, as HTML (engine.render.report_parents_rows)
            | {f"{key}_html": PARENT_TABLES[key](groups.get(key, [])) for key, _ in GROUPS}
        )
    summary = plan.get("summary", {})
    decide = sum(1 for i in items if i["kind"] == "parent_decide")
    parts = phrases(accepted)
    if decide:
        parts.append(plural(decide, "question", "questions"))
    unchanged = summary.get("parents_unchanged")
    src = plan.get("source_parents") if isinstance(plan.get("source_parents"), dict) else {}
    pupils_source = plan.get("source", {})
    return {
        "source": {
            "file": str(src.get("file", "")),
            "rows": src.get("rows"),
            "format": str(src.get("format", "")),
            "confirmed": bool(src.get("format_confirmed", True)),
        }
        if src
        else None,
        # a responsables export alone against the database: it is the plan's only file
        "alone": bool(src)
        and pupils_source.get("file") == src.get("file")
        and not pupils_source.get("pupils"),
        "summary_line": join_fr(parts) if parts else "aucun changement",
        "in_file": summary.get("parents_in_file"),
        "unchanged": unchanged if isinstance(unchanged, int) else None,
        "unchecked_parts": phrases(unchecked, UNCHECKED_PHRASES),
        "unchecked_count": sum(unchecked.values()),
        "classes": classes,
        "questions": questions,
        "new_parents": accepted.get("parent_create", 0),
        "letters": letters,
    }
