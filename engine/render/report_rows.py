"""The report's rows: one per item, with what its table shows in French (names of classes and groups
from the plan itself, dates, values before → after, how a pupil was recognised).

Pure functions of the plan's items; :mod:`engine.render.report_model` puts the rows into classes and
sections, and :mod:`engine.render.report_tables` writes the pupils' rows as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.render.french import date_fr, plural
from engine.render.report_fr import why_fr
from engine.state import ACTIVE

FIELD_LABELS = {
    "user_nom": "Nom",
    "user_prenom": "Prénom",
    "user_naissance_date": "Date de naissance",
    "user_reference": "INE",
    "user_genre": "Sexe",
    "eleve_classe_id": "Classe",
    "user_email": "Courriel",
    "user_email_origine": "Origine du courriel",
    "user_sortie_date": "Date de sortie",
    "user_login": "Identifiant",
    "groupe_nom": "Nom",
    "niveau_id": "Niveau",
}
TIER_TEXT = {
    "ine": "reconnu par l'INE",
    "nom_prenom_naissance": "reconnu par nom, prénom et date de naissance",
    "nom_prenom": "reconnu par nom et prénom (seul compte à les porter)",
    "decision": "rattaché par votre décision",
}
RULE_TEXT = {
    "fuzzy_typo": "noms presque identiques",
    "fuzzy_folded": "mêmes noms aux accents ou tirets près",
    "fuzzy_names": "mêmes nom et prénom",
    "ine": "même INE",
    "nom_prenom_naissance": "mêmes nom, prénom et date de naissance",
    "nom_prenom": "mêmes nom et prénom",
}

#: the default of a missing part of an item (only read: a ``{}`` per call cost an allocation per item)
_NO: Mapping[str, Any] = {}
_PUPIL_KINDS = frozenset(("create", "update", "reactivate"))  # their subject's class is the pupil's
_STRUCTURE_KINDS = frozenset(("class_create", "class_rename", "class_retire", "group_create", "group_retire"))


class Names:
    """Display names for class and group refs, gathered from the plan itself; file lines as directors
    read them."""

    def line(self, line: Any) -> Any:
        """A file line for the report: ``40``, or ``40 (feuille « Feuil2 »)`` when the workbook had
        several sheets read (a later sheet's lines are numbered from k × sheet_stride)."""
        if not isinstance(line, int) or len(self.sheets) < 2 or self.sheet_stride <= 0:
            return line
        index, row = divmod(line, self.sheet_stride)
        return f"{row} (feuille « {self.sheets[index]} »)" if index < len(self.sheets) else line

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.classes: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self._pupil_class: dict[Any, str] | None = None  # made when a membership first needs it
        self._class_names: dict[str, str] = {}  # what :meth:`shown` said of each class ref
        self.renamed: dict[str, str] = {}  # old class name → new name (a leaver's class is its old name)
        source = plan.get("source", {})
        self.sheets: list[str] = list(source.get("sheets") or [])
        self.sheet_stride = int(source.get("sheet_stride") or 0)
        self.sheeted = len(self.sheets) > 1 and self.sheet_stride > 0  # else line() gives each line as is
        names = plan.get("names", {})
        self.classes.update({str(k).upper(): v for k, v in names.get("classes", {}).items()})
        self.groups.update({str(k).upper(): v for k, v in names.get("groups", {}).items()})
        for entry in plan.get("left_alone", {}).get("classes", []):
            if entry.get("ref"):
                self.classes.setdefault(str(entry["ref"]).upper(), entry.get("nom", ""))
        for entry in plan.get("left_alone", {}).get("groups", []):
            if entry.get("ref"):
                self.groups.setdefault(str(entry["ref"]).upper(), entry.get("nom", ""))
        self._items = plan.get("items", [])
        seen: set[str] = set()  # refs already named by a pupil's class (setdefault: the first one wins)
        for item in self._items:
            kind = item.get("kind")
            if kind in _PUPIL_KINDS:  # most items: the class a pupil goes to names its ref
                classe = item.get("subject", _NO).get("classe")
                ref = item.get("changes", _NO).get("eleve_classe_id", _NO).get("new") if classe else None
                if type(ref) is not str:
                    if ref:
                        self.classes.setdefault(str(ref).upper(), classe)
                elif ref and ref not in seen:
                    seen.add(ref)
                    self.classes.setdefault(ref.upper(), classe)
                continue
            if kind not in _STRUCTURE_KINDS:
                continue
            subject, target = item.get("subject", {}), item.get("target", {})
            if kind in ("class_create", "class_rename") and target.get("groupe_ref"):
                self.classes[str(target["groupe_ref"]).upper()] = subject.get("classe", "")
            if kind == "class_rename":
                change = item.get("changes", {}).get("groupe_nom", {})
                if change.get("old") and change.get("new"):
                    self.renamed[str(change["old"])] = str(change["new"])
            elif kind == "class_retire" and target.get("groupe_ref"):
                self.classes.setdefault(str(target["groupe_ref"]).upper(), subject.get("classe", ""))
            elif kind in ("group_create", "group_retire") and target.get("groupe_ref"):
                self.groups[str(target["groupe_ref"]).upper()] = subject.get("groupe", "")

    @property
    def pupil_class(self) -> dict[Any, str]:
        """(``user_id`` or ``login``, value) → the class of that pupil's create, update or return."""
        if self._pupil_class is None:
            self._pupil_class = {}
            for item in self._items:
                subject, target = item.get("subject", {}), item.get("target", {})
                if item.get("kind") in _PUPIL_KINDS and subject.get("classe"):
                    for key in ("user_id", "login"):
                        if target.get(key) is not None:
                            self._pupil_class[(key, target[key])] = subject["classe"]
        return self._pupil_class

    def classe(self, ref: Any) -> str:
        if not ref:
            return "(aucune)"
        return self.classes.get(str(ref).upper()) or f"réf. {ref}"

    def shown(self, column: str, value: Any) -> str:
        """:func:`value_fr`, a class ref's name memoised (most changes of a large plan are of class)."""
        if column != "eleve_classe_id" or type(value) is not str:
            return value_fr(column, value, self)
        name = self._class_names.get(value)
        if name is None:
            name = self._class_names[value] = self.classe(value)
        return name

    def groupe(self, ref: Any) -> str:
        return self.groups.get(str(ref).upper()) or str(ref)

    def class_of_member(self, item: Mapping[str, Any]) -> str | None:
        """A membership's class: its own ``subject.classe``, else the class of the same pupil's other item."""
        subject, target = item.get("subject", {}), item.get("target", {})
        if subject.get("classe"):
            return str(subject["classe"])
        for key in ("user_id", "login"):
            if target.get(key) is not None and (key, target[key]) in self.pupil_class:
                return self.pupil_class[(key, target[key])]
        return None


def value_fr(column: str, value: Any, names: Names) -> str:
    """A value of a change as the report shows it (class names, dates, « (vide) »)."""
    if column == "eleve_classe_id":
        return names.classe(value)
    if column == "user_sortie_date":
        return "aucune (compte actif)" if value == ACTIVE else date_fr(value)
    if value is None or value == "":
        return "(vide)"
    if column == "user_naissance_date":
        return date_fr(value)
    if column == "user_genre":
        return {"I": "non précisé"}.get(str(value), str(value))
    return str(value)


def changes_class(item: Mapping[str, Any]) -> bool:
    """An update that changes the pupil's class."""
    return "eleve_classe_id" in item.get("changes", {})


def structure_row(item: Mapping[str, Any], names: Names) -> dict[str, Any]:
    subject, target, reason = item.get("subject", {}), item.get("target", {}), item.get("reason", {})
    kind = item.get("kind", "")
    ref = target.get("groupe_ref", "")
    changes = item.get("changes", {})
    if kind == "class_create":
        what = "Nouvelle classe"
        detail = f"{subject.get('classe', '')} (réf. {ref}, niveau {subject.get('niveau', '?')})"
    elif kind == "class_rename":
        what = "Classe renommée"
        old = changes.get("groupe_nom", {}).get("old", "")
        detail = f"{old} → {changes.get('groupe_nom', {}).get('new', subject.get('classe', ''))} (réf. {ref})"
        if reason.get("previous_label") is not None:
            detail += f" ; libellé ONDE « {reason['previous_label']} » devenu « {reason.get('label', '')} »"
        if reason.get("situation") == "class_renamed_by_hand":
            detail += " ; nom modifié à la main dans SACoche : non coché"
    elif kind == "class_retire":
        what = "Classe à retirer"
        active = reason.get("active_pupils")
        detail = f"{subject.get('classe', '')} (réf. {ref}) : absente du fichier"
        if active is not None:
            detail += f", {plural(int(active), 'élève actif', 'élèves actifs')} aujourd'hui"
    elif kind == "archive":
        what = "Archive SACoche"
        detail = (
            f"fichier importé gardé dans sacoche_siecle_import ({reason.get('bytes', '?')} octets), "
            "comme le fait l'import de SACoche"
        )
    elif kind == "group_create":
        what = "Nouveau groupe"
        detail = f"{subject.get('groupe', '')} (réf. {ref})"
    else:
        what = "Groupe à retirer"
        detail = f"{subject.get('groupe', '')} (réf. {ref}) : absent du fichier"
    return {"id": item.get("id", ""), "accepted": bool(item.get("accepted")), "what": what, "detail": detail}


def decision_row(item: Mapping[str, Any], names: Names) -> dict[str, Any]:
    subject, reason, target = item.get("subject", {}), item.get("reason", {}), item.get("target", {})
    row = {
        "label": f"Fichier ONDE, ligne {names.line(reason.get('line', '?'))}",
        "nom": subject.get("nom", ""),
        "prenom": subject.get("prenom", ""),
        "naissance": date_fr(subject.get("naissance")),
        "ine": subject.get("ine") or "—",
        "classe": names.classe(subject.get("classe_ref")),
        "login": "(nouveau)",
    }
    candidates = []
    for account in subject.get("candidates", []):
        sortie = account.get("sortie_date")
        cand = {
            "label": f"Compte SACoche n° {account.get('user_id', '?')}",
            "status": "" if sortie in (None, "", ACTIVE) else f"ancien élève, sorti le {date_fr(sortie)}",
            "nom": account.get("nom", ""),
            "prenom": account.get("prenom", ""),
            "naissance": date_fr(account.get("naissance")),
            "ine": account.get("ine") or "—",
            "classe": account.get("classe") or "(aucune)",
            "login": account.get("login", ""),
            "user_id": account.get("user_id"),
        }
        cand["differs"] = [k for k in ("nom", "prenom", "naissance", "ine") if cand[k] != row[k]]
        candidates.append(cand)
    rule = reason.get("rule", "")
    return {
        "answer": _answer_fr(item.get("answer")),
        "id": item.get("id", ""),
        "accepted": bool(item.get("accepted")),
        "line": names.line(reason.get("line")),
        "pupil": row,
        "candidates": candidates,
        "why": why_fr(reason.get("why", "")),
        "rule": rule,
        "rule_fr": RULE_TEXT.get(rule, rule),
        "pupil_key": target.get("pupil", ""),
    }


def _answer_fr(answer: Any) -> str:
    """The answer recorded with ``onde-sacoche decide`` (empty when none)."""
    if not isinstance(answer, dict):
        return ""
    if answer.get("decision") == "same":
        return f"même élève que le compte n° {answer.get('account')}"
    accounts = ", ".join(f"n° {a}" for a in answer.get("accounts") or [])
    return f"élève différent (pas le compte {accounts}) : un nouveau compte sera créé"
