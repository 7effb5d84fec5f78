"""Last stage for people: the director's report (HTML to print, Markdown summary) and the login sheet.

Everything comes from the parsed ``plan.json`` (and, for the login sheet only, ``identifiants.csv`` in the
same directory): rendering never re-reads the export or the database. Templates live in
``engine/render/templates/report/``; HTML is autoescaped. No password ever reaches ``rapport.html`` or
``resume.md``: the report is only told how many pupils are on the sheet and which item ids lack one.

Optional: when ``summary.by_class`` maps a class name to ``{"pupils_in_file": n, "unchanged": n}``, each class
section says how many of its pupils are in the file and unchanged (plan.json does not carry it yet).

``print_pdf`` prints an HTML file with headless Chromium (no JavaScript in our pages, no network).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.errors import OndeError
from engine.plan.planio import _write_atomic, private_dir, read_credentials, write_chunks_atomic
from engine.render.sheets import notice_fr
from engine.state import ACTIVE, redact_url

REPORT_FILE = "rapport.html"
SUMMARY_FILE = "resume.md"
SHEET_FILE = "identifiants.html"
TEMPLATES = Path(__file__).parent / "templates" / "report"

PUPIL_KINDS = ("create", "deactivate", "reactivate", "update", "membership_add", "membership_remove")
STRUCTURE_KINDS = (
    "class_create",
    "class_rename",
    "class_retire",
    "group_create",
    "group_retire",
    "archive",
)

# (kind, singular, plural) in the order the summary line gives them.
PUPIL_PHRASES = (
    ("create", "nouvel élève", "nouveaux élèves"),
    ("deactivate", "départ", "départs"),
    ("reactivate", "retour", "retours"),
    ("update", "mise à jour", "mises à jour"),
)
STRUCTURE_PHRASES = (
    ("class_create", "classe à créer", "classes à créer"),
    ("class_rename", "classe renommée", "classes renommées"),
    ("class_retire", "classe à retirer", "classes à retirer"),
    ("group_create", "groupe à créer", "groupes à créer"),
    ("group_retire", "groupe à retirer", "groupes à retirer"),
    ("membership_add", "inscription dans un groupe", "inscriptions dans des groupes"),
    ("membership_remove", "retrait d'un groupe", "retraits de groupes"),
)
GUARD_TITLES = {
    "coverage": "Export incomplet ?",
    "other_school": "Export ou base d'une autre école ?",
    "class_missing": "Classe absente du fichier",
    "niveau_missing": "Niveau absent du fichier",
    "deactivations": "Trop de départs",
}


def _pupils(n: int) -> str:
    return f"{n} élève" if n == 1 else f"{n} élèves"


def guard_message_fr(hold: dict[str, Any]) -> str:
    """The guard's explanation in French, from its figures (the English message when figures are missing)."""
    f = hold.get("figures") or {}
    guard = hold.get("guard")
    try:
        if guard == "coverage":
            return (
                f"Le fichier contient {_pupils(f['in_file'])}, soit {f['percent']} % des {f['active']} "
                f"élèves actifs dans SACoche (au moins {f['min_percent']} % attendus) : "
                "l'export a-t-il été filtré par niveau, classe, dispositif ou regroupement ?"
            )
        if guard == "other_school":
            return (
                f"Seuls {f['known']} des {_pupils(f['in_file'])} du fichier ({f['percent']} %) ont déjà un "
                f"compte dans SACoche (au moins {f['min_percent']} % attendus) : s'agit-il de l'export ou de "
                "la base d'une autre école ?"
            )
        if guard == "class_missing":
            return (
                f"La classe {f['classe']} ({f['ref']}) compte {_pupils(f['active'])} actifs dans SACoche "
                "et aucun n'est dans le fichier : tous seraient désactivés."
            )
        if guard == "niveau_missing":
            return (
                f"Le niveau {f['niveau']} compte {_pupils(f['active'])} actifs dans SACoche et aucun "
                "élève dans le fichier."
            )
        if guard == "deactivations":
            return (
                f"{_pupils(f['leaving'])} seraient désactivés, soit {f['percent']} % des {f['active']} "
                f"élèves actifs (seuils : plus de {f['max_count']} et plus de {f['max_percent']} %)."
            )
    except KeyError:
        pass
    return str(hold.get("message", ""))


def guard_headline_fr(hold: Mapping[str, Any]) -> str:
    """The guard in a few words, with its figures: « le fichier ne contient que 6 élèves sur 53 — export
    partiel ? » (the title when figures are missing)."""
    f = hold.get("figures") or {}
    guard = hold.get("guard")
    try:
        if guard == "coverage":
            return f"le fichier ne contient que {_pupils(f['in_file'])} sur {f['active']} — export partiel ?"
        if guard == "other_school":
            return (
                f"seuls {f['known']} des {_pupils(f['in_file'])} du fichier ont un compte dans SACoche — "
                "export ou base d'une autre école ?"
            )
        if guard == "class_missing":
            return f"aucun des {_pupils(f['active'])} de la classe {f['classe']} n'est dans le fichier"
        if guard == "niveau_missing":
            return f"aucun élève de {f['niveau']} dans le fichier ({_pupils(f['active'])} dans SACoche)"
        if guard == "deactivations":
            leaving = plural(f["leaving"], "départ", "départs")
            return f"{leaving} pour {_pupils(f['active'])} — trop de départs ?"
    except KeyError:
        pass
    return GUARD_TITLES.get(str(guard), "un contrôle a échoué").lower()


#: guards that fire once per class or niveau: shown as one block with a line each
GROUPED_GUARDS = {
    "class_missing": (
        "Classes absentes du fichier",
        "Aucun élève de ces classes n'est dans le fichier : tous leurs élèves actifs seraient désactivés.",
        lambda f: f"{f['classe']} (réf. {f['ref']}) : {_pupils(f['active'])} actifs dans SACoche",
        "classes absentes",
    ),
    "niveau_missing": (
        "Niveaux absents du fichier",
        "Aucun élève de ces niveaux n'est dans le fichier :",
        lambda f: f"{f['niveau']} : {_pupils(f['active'])} actifs dans SACoche",
        "niveaux absents",
    ),
}
GUARD_SHORT = {
    "coverage": "export incomplet",
    "other_school": "autre école",
    "class_missing": "classe absente",
    "niveau_missing": "niveau absent",
    "deactivations": "trop de départs",
}


def hold_blocks(holds: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One block per guard that fired: its title, its explanation, and a line per class or niveau when
    a guard fired for several (so that 8 missing classes make one block, not 8)."""
    by_guard: dict[str, list[Mapping[str, Any]]] = {}
    for hold in holds:
        by_guard.setdefault(str(hold.get("guard")), []).append(hold)
    blocks = []
    for guard, fired in by_guard.items():
        grouped = GROUPED_GUARDS.get(guard)
        if grouped and len(fired) > 1:
            try:
                lines = [grouped[2](h.get("figures") or {}) for h in fired]
            except KeyError:
                lines = None
            if lines is not None:
                title = f"{grouped[0]} ({len(fired)})"
                blocks.append({"title": title, "message": grouped[1], "lines": lines})
                continue
        blocks += [{"title": h["title"], "message": h["message"], "lines": []} for h in fired]
    return blocks


def blocked_headline_fr(holds: list[Mapping[str, Any]]) -> str:
    """« Plan bloqué : <first guard> » (+ the other guards in a few words), or empty when nothing holds."""
    if not holds:
        return ""
    text = f"Plan bloqué : {guard_headline_fr(holds[0])}"
    others = Counter(str(h.get("guard")) for h in holds[1:])
    if others:
        said = []
        for guard, count in others.items():
            grouped = GROUPED_GUARDS.get(guard)
            if count > 1 and grouped:
                said.append(f"{grouped[3]} ({count})")
            else:
                said.append(GUARD_SHORT.get(guard, guard) + (f" ({count})" if count > 1 else ""))
        text += f" (aussi : {join_fr(said)})"
    return text


def database_fr(url: str) -> str:
    """The database in words: « fichier SQLite x.db », « base sacoche sur le serveur h:3306 »."""
    m = re.fullmatch(r"sqlite:///(.+)", url)
    if m:
        return f"fichier SQLite {m[1]}"
    m = re.fullmatch(r"(?:mysql|mariadb)[+\w]*://(?:[^@/]*@)?([^/?]*)/([^?]*)(?:\?.*)?", url)
    if m:
        where = m[1] or "serveur local"
        return f"base « {m[2]} » sur le serveur {where}" if m[2] else f"serveur {where}"
    return url


def rules_fr(rules: Mapping[str, Any]) -> str:
    """« règles fournies avec l'outil, version 1.0+… » or « règles « NAME », version … »."""
    name, version = str(rules.get("name") or ""), str(rules.get("version") or "")
    if not name:
        return ""
    said = "règles fournies avec l'outil" if name == DEFAULT_RULES_NAME else f"règles « {name} »"
    return f"{said}, version {version}" if version else said


DEFAULT_RULES_NAME = "onde-sacoche default rules"
ITEM_ID_RE = re.compile(r"\b[a-z_]+-[0-9a-f]{10}\b")


def stale_fr(stale: str) -> str:
    """A stale answer (English, engine/match.py and planio) in French, item ids kept as references."""
    ids = ITEM_ID_RE.findall(stale)
    if stale.startswith(("accept:", "reject:")) and ids:
        verb = "accepter" if stale.startswith("accept:") else "refuser"
        if "(a question" in stale:
            return f"n° {ids[0]} : c'est une question, on y répond (même élève ou non), on ne l'accepte pas"
        return f"« {verb} » le n° {ids[0]} : ce changement n'est plus dans le plan"
    if stale.startswith("same:"):
        return "un rattachement à un compte (« même élève ») ne correspond plus à une ligne ou à un compte"
    if stale.startswith("different:"):
        return "une réponse « élève différent » ne correspond plus à une ligne ou à un compte"
    return "une réponse enregistrée ne correspond plus à ce plan"


WARNINGS_FR: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(
            r"a group named '(.*)' was made by hand in SACoche; the import creates its own \((.*)\) "
            r"and leaves the hand-made one alone"
        ),
        lambda m: (
            f"Un groupe « {m[1]} » a été créé à la main dans SACoche : l'import crée le sien "
            f"(réf. {m[2]}) et laisse l'autre tel quel."
        ),
    ),
    (
        re.compile(r".*decisions\.yaml: not replayed and removed .*"),
        lambda m: (
            "Les réponses enregistrées dans ce dossier portaient sur une autre base SACoche : "
            "elles n'ont pas été reprises."
        ),
    ),
)


def warning_fr(warning: str) -> tuple[str, bool]:
    """(text, in_french): a known remark of the planner in French, else the English text as it is."""
    for pattern, translate in WARNINGS_FR:
        m = pattern.fullmatch(warning)
        if m:
            return translate(m), True
    return warning, False


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
MATCH_KEYS = {"ine": "INE", "nom": "nom", "prenom": "prénom", "naissance": "date de naissance"}
RULE_TEXT = {
    "fuzzy_typo": "noms presque identiques",
    "fuzzy_folded": "mêmes noms aux accents ou tirets près",
    "fuzzy_names": "mêmes nom et prénom",
    "ine": "même INE",
    "nom_prenom_naissance": "mêmes nom, prénom et date de naissance",
    "nom_prenom": "mêmes nom et prénom",
}
# The matcher's explanations (engine/match.py), in French; an unknown one is shown as it is.
WHY_FR: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(r"names differ by at most (\d+) letter\(s\), same birth date"),
        lambda m: (
            f"les noms diffèrent d'au plus {m[1]} lettre{'s' if int(m[1]) > 1 else ''}, "
            "même date de naissance"
        ),
    ),
    (
        re.compile(r"same names except case, accents, hyphens or spaces, same birth date"),
        lambda m: "mêmes noms aux majuscules, accents, tirets ou espaces près, même date de naissance",
    ),
    (
        re.compile(r"same nom and prénom, different or missing birth date or INE"),
        lambda m: "mêmes nom et prénom, mais date de naissance ou INE différents ou absents",
    ),
    (
        re.compile(r"(\d+) rows and (\d+) account\(s\) share the same (.+)"),
        lambda m: f"{m[1]} lignes du fichier et {m[2]} compte(s) ont les mêmes {_keys_fr(m[3])}",
    ),
    (
        re.compile(r"(\d+) accounts have the same (.+)"),
        lambda m: f"{m[1]} comptes ont les mêmes {_keys_fr(m[2])}",
    ),
)
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
NIVEAU_ORDER = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
_NIVEAU_RE = re.compile(r"\b(" + "|".join(NIVEAU_ORDER) + r")\b")
NO_CLASS = ""


# --- small French helpers -----------------------------------------------------------------------------


def plural(count: int, singular: str, plural_form: str) -> str:
    """``1 départ``, ``2 départs``; French puts 0 and 1 in the singular."""
    return f"{count} {singular if count <= 1 else plural_form}"


def join_fr(parts: list[str]) -> str:
    """Comma-separated list (the summary line reads best without a final « et »)."""
    return ", ".join(parts)


def date_fr(value: Any) -> str:
    """``2019-09-21`` → ``21/09/2019``; anything else unchanged; empty → ``—``."""
    if not value:
        return "—"
    text = str(value)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else text


def long_date_fr(value: Any) -> str:
    """``2026-11-29`` → ``29 novembre 2026``."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if not m or not 1 <= int(m[2]) <= 12:
        return str(value or "")
    day = int(m[3])
    return f"{'1er' if day == 1 else day} {MONTHS[int(m[2]) - 1]} {m[1]}"


def _keys_fr(keys: str) -> str:
    return " + ".join(MATCH_KEYS.get(k.strip(), k.strip()) for k in keys.split("+"))


def why_fr(why: str) -> str:
    """The matcher's English explanation in French (each ``;``-separated part; unknown parts kept)."""
    parts = []
    for part in (p.strip() for p in (why or "").split(";")):
        if not part:
            continue
        for pattern, translate in WHY_FR:
            m = pattern.fullmatch(part)
            if m:
                parts.append(translate(m))
                break
        else:
            parts.append(part)
    return " ; ".join(parts)


def pupil_phrases(counts: Mapping[str, int], class_changes: int = 0) -> list[str]:
    """``["3 nouveaux élèves", "9 mises à jour (dont 7 changements de classe)"]``; zeros left out."""
    parts = []
    for kind, one, many in PUPIL_PHRASES:
        n = counts.get(kind, 0)
        if not n:
            continue
        text = plural(n, one, many)
        if kind == "update" and class_changes:
            text += f" (dont {plural(class_changes, 'changement de classe', 'changements de classe')})"
        parts.append(text)
    return parts


def summary_line(counts: Mapping[str, int], class_changes: int, decisions: int) -> str:
    """« 3 nouveaux élèves, 2 départs, …, 1 décision à prendre »; zero categories left out."""
    parts = pupil_phrases(counts, class_changes)
    if decisions:
        parts.append(plural(decisions, "décision à prendre", "décisions à prendre"))
    return join_fr(parts) if parts else "Aucun changement pour les élèves"


def structure_phrases(counts: Mapping[str, int]) -> list[str]:
    return [plural(counts[k], one, many) for k, one, many in STRUCTURE_PHRASES if counts.get(k)]


def class_sort_key(name: str) -> tuple[int, int, str]:
    """Classes in school order (TPS … CM2 by the first niveau in their name), then by name; no class last."""
    if name == NO_CLASS:
        return (2, 0, "")
    m = _NIVEAU_RE.search(name.upper())
    return (0, NIVEAU_ORDER.index(m[1]), name) if m else (1, 0, name)


# --- identifiants.csv ----------------------------------------------------------------------------------


def sheet_cards(plan: Mapping[str, Any], rows: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Cards for the login sheet: only rows of accepted ``create`` items whose login is the plan's."""
    creates = {i["id"]: i for i in plan.get("items", []) if i.get("kind") == "create" and i.get("accepted")}
    cards = []
    for row in rows:
        item = creates.get(row.get("item", ""))
        if item is None or row.get("login") != item.get("target", {}).get("login"):
            continue
        subject = item.get("subject", {})
        cards.append(
            {
                "item": item["id"],
                "classe": subject.get("classe", row.get("classe", "")),
                "nom": subject.get("nom", row.get("nom", "")),
                "prenom": subject.get("prenom", row.get("prenom", "")),
                "login": row["login"],
                "password": row.get("mot_de_passe", ""),
            }
        )
    return sorted(cards, key=lambda c: (class_sort_key(c["classe"]), c["nom"], c["prenom"]))


# --- the report's view of the plan ---------------------------------------------------------------------


class _Names:
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
        self.pupil_class: dict[Any, str] = {}
        self.renamed: dict[str, str] = {}  # old class name → new name (a leaver's class is its old name)
        source = plan.get("source", {})
        self.sheets: list[str] = list(source.get("sheets") or [])
        self.sheet_stride = int(source.get("sheet_stride") or 0)
        names = plan.get("names", {})
        self.classes.update({str(k).upper(): v for k, v in names.get("classes", {}).items()})
        self.groups.update({str(k).upper(): v for k, v in names.get("groups", {}).items()})
        for entry in plan.get("left_alone", {}).get("classes", []):
            if entry.get("ref"):
                self.classes.setdefault(str(entry["ref"]).upper(), entry.get("nom", ""))
        for entry in plan.get("left_alone", {}).get("groups", []):
            if entry.get("ref"):
                self.groups.setdefault(str(entry["ref"]).upper(), entry.get("nom", ""))
        for item in plan.get("items", []):
            kind, subject, target = item.get("kind"), item.get("subject", {}), item.get("target", {})
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
            if kind in ("create", "update", "reactivate") and subject.get("classe"):
                ref = item.get("changes", {}).get("eleve_classe_id", {}).get("new")
                if ref:
                    self.classes.setdefault(str(ref).upper(), subject["classe"])
                for key in ("user_id", "login"):
                    if target.get(key) is not None:
                        self.pupil_class[(key, target[key])] = subject["classe"]

    def classe(self, ref: Any) -> str:
        if not ref:
            return "(aucune)"
        return self.classes.get(str(ref).upper()) or f"réf. {ref}"

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


def _value_fr(column: str, value: Any, names: _Names) -> str:
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


def _moves(item: Mapping[str, Any]) -> bool:
    """An update that changes the pupil's class."""
    return "eleve_classe_id" in item.get("changes", {})


def _changes_fr(item: Mapping[str, Any], names: _Names, skip: Iterable[str] = ()) -> list[dict[str, str]]:
    return [
        {
            "label": FIELD_LABELS.get(column, column),
            "old": _value_fr(column, change.get("old"), names),
            "new": _value_fr(column, change.get("new"), names),
        }
        for column, change in item.get("changes", {}).items()
        if column not in skip
    ]


def _row(item: Mapping[str, Any], names: _Names) -> dict[str, Any]:
    """What every template row needs: the item, its id, its state, and French renderings."""
    subject, target, reason = item.get("subject", {}), item.get("target", {}), item.get("reason", {})
    kind = item.get("kind", "")
    row: dict[str, Any] = {
        "id": item.get("id", ""),
        "accepted": bool(item.get("accepted")),
        "kind": kind,
        "nom": subject.get("nom", ""),
        "prenom": subject.get("prenom", ""),
        "naissance": date_fr(subject.get("naissance")),
        "ine": subject.get("ine") or "—",
        "login": target.get("login") or "—",
        "line": names.line(reason.get("line")),
        "how": TIER_TEXT.get(reason.get("tier") or "", f"reconnu par la règle {reason.get('tier')}")
        if reason.get("tier")
        else "",
        "changes": [],
        "moves": _moves(item),
    }
    if kind == "create":
        row["genre"] = _value_fr(
            "user_genre", item.get("changes", {}).get("user_genre", {}).get("new"), names
        )
    elif kind == "update":
        row["changes"] = _changes_fr(item, names)
    elif kind == "reactivate":
        row["left_on"] = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("old"))
        row["changes"] = _changes_fr(item, names, skip=("user_sortie_date",))
    elif kind == "deactivate":
        row["ine"] = "—"
        row["leaves_on"] = date_fr(item.get("changes", {}).get("user_sortie_date", {}).get("new"))
        if item.get("reason", {}).get("situation") == "active_without_class":
            row["leaves_on"] += " (dans le fichier, mais sans classe)"
    elif kind.startswith("membership_"):
        row["groupe"] = names.groupe(subject.get("groupe") or target.get("groupe_ref"))
        row["action"] = "ajout" if kind == "membership_add" else "retrait"
    return row


def _structure_row(item: Mapping[str, Any], names: _Names) -> dict[str, Any]:
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


def _decision(item: Mapping[str, Any], names: _Names) -> dict[str, Any]:
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


def counted(rows: list[Mapping[str, Any]], one: str, many: str) -> str:
    """« 2 départs (dont 1 non coché) »: every line of a table is counted, the unchecked ones said."""
    text = plural(len(rows), one, many)
    unchecked = sum(1 for r in rows if not r["accepted"])
    if unchecked:
        text += f" (dont {unchecked} non coché{'s' if unchecked > 1 else ''})"
    return text


def class_lines(
    groups: Mapping[str, list[dict[str, Any]]], stats: Mapping[str, Any] | None, questions: int
) -> dict[str, str]:
    """A class's counts, each the number of lines of its table. ``in_file``: the pupils of the file by
    what happens to them (new, updated, back, to decide, unchanged: they add up to the class's pupils);
    ``out_of_file``: departures; ``groups``: group memberships."""
    updates = groups.get("update", [])
    moved = sum(1 for r in updates if r["moves"])
    parts = []
    if groups.get("create"):
        parts.append(counted(groups["create"], "nouvel élève", "nouveaux élèves"))
    if updates:
        text = counted(updates, "mise à jour", "mises à jour")
        if moved:
            text += f", {plural(moved, 'changement de classe', 'changements de classe')} compris"
        parts.append(text)
    if groups.get("reactivate"):
        parts.append(counted(groups["reactivate"], "retour", "retours"))
    if questions:
        parts.append(f"{questions} à décider")
    in_file = ""
    if stats and isinstance(stats.get("pupils_in_file"), int):
        total, unchanged = stats["pupils_in_file"], stats.get("unchanged")
        listed = sum(len(groups.get(k, [])) for k in ("create", "update", "reactivate")) + questions
        if isinstance(unchanged, int) and listed + unchanged == total:
            parts.append(f"{unchanged} sans changement")
            in_file = f"{_pupils(total)} dans le fichier : {join_fr(parts)}"
        else:
            in_file = f"{_pupils(total)} dans le fichier" + (f", dont {join_fr(parts)}" if parts else "")
    elif parts:
        in_file = f"Dans le fichier : {join_fr(parts)}"
    members = groups.get("memberships", [])
    adds = [r for r in members if r["action"] == "ajout"]
    removes = [r for r in members if r["action"] == "retrait"]
    group_parts = [
        counted(rows, one, many)
        for rows, one, many in (
            (adds, "inscription dans un groupe", "inscriptions dans des groupes"),
            (removes, "retrait d'un groupe", "retraits de groupes"),
        )
        if rows
    ]
    return {
        "in_file": in_file,
        "out_of_file": counted(groups["deactivate"], "départ", "départs") if groups.get("deactivate") else "",
        "groups": join_fr(group_parts),
    }


def build_view(plan: Mapping[str, Any], credentials: Iterable[Mapping[str, str]] = ()) -> dict[str, Any]:
    """Everything the templates show, computed from the plan (pure; ``credentials`` only for their ids)."""
    items = list(plan.get("items", []))
    names = _Names(plan)
    accepted = Counter(i["kind"] for i in items if i.get("accepted") and i.get("kind") != "decide")
    unchecked = Counter(i["kind"] for i in items if not i.get("accepted") and i.get("kind") != "decide")
    decisions = [i for i in items if i.get("kind") == "decide"]
    moves = Counter(bool(i.get("accepted")) for i in items if i.get("kind") == "update" and _moves(i))
    unchecked_parts = pupil_phrases(unchecked, moves[False]) + structure_phrases(unchecked)

    # per class --------------------------------------------------------------------------------------
    by_class: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    loose_members: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("kind")
        if kind not in PUPIL_KINDS:
            continue
        if kind.startswith("membership_"):
            classe = names.class_of_member(item)
            if classe is None:
                loose_members.append(_row(item, names))
                continue
            by_class[classe]["memberships"].append(_row(item, names))
        else:
            classe = str(item.get("subject", {}).get("classe") or NO_CLASS)
            if kind == "deactivate":
                classe = names.renamed.get(classe, classe)
            by_class[classe][kind].append(_row(item, names))
    stats = plan.get("by_class") or plan.get("summary", {}).get("by_class", {}) or {}
    labels = plan.get("names", {}).get("labels", {}) or {}  # short SACoche name → full ONDE label
    formerly: dict[str, list[str]] = defaultdict(list)
    for old, new in names.renamed.items():
        formerly[new].append(old)
    questions: Counter[str] = Counter(
        names.classe(i.get("subject", {}).get("classe_ref")) for i in items if i.get("kind") == "decide"
    )
    classes = []
    for name in sorted(by_class, key=class_sort_key):
        groups = by_class[name]
        for rows in groups.values():
            rows.sort(key=lambda r: (r["nom"], r["prenom"], r.get("groupe", ""), r["id"]))
        members = groups.get("memberships", [])
        classes.append(
            {
                "name": name or "Élèves sans classe",
                "label": labels.get(name, ""),
                "formerly": formerly.get(name, []),
                **class_lines(groups, stats.get(name), questions.get(name, 0)),
                "creates": groups.get("create", []),
                "deactivates": groups.get("deactivate", []),
                "reactivates": groups.get("reactivate", []),
                "updates": groups.get("update", []),
                "memberships": sorted(
                    members, key=lambda r: (r["groupe"], r["action"], r["nom"], r["prenom"])
                ),
                "stats": stats.get(name),
                "counts": {k: len(groups.get(k, [])) for k in PUPIL_KINDS[:4]}
                | {"memberships": len(members)},
            }
        )
    loose_members.sort(key=lambda r: (r["groupe"], r["action"], r["nom"], r["prenom"]))

    # the rest ----------------------------------------------------------------------------------------
    structure = [_structure_row(i, names) for i in items if i.get("kind") in STRUCTURE_KINDS]
    holds = [
        {
            "guard": h.get("guard", ""),
            "title": GUARD_TITLES.get(h.get("guard", ""), h.get("guard", "")),
            "message": guard_message_fr(h),
            "figures": h.get("figures") or {},
            "allow": h.get("allow") or f"--allow {h.get('guard', '')}",
            "allowed": bool(h.get("allowed")),
        }
        for h in plan.get("holds", [])
    ]
    left_alone = {
        key: sorted(plan.get("left_alone", {}).get(key, []), key=lambda e: e.get("nom", ""))
        for key in ("classes", "groups")
    }
    accepted_creates = [i["id"] for i in items if i.get("kind") == "create" and i.get("accepted")]
    on_sheet = {c["item"] for c in sheet_cards(plan, credentials)}
    source, state = plan.get("source", {}), plan.get("state", {})
    summary = plan.get("summary", {})
    return {
        "source": {
            "file": source.get("file", "?"),
            "format": source.get("format", ""),
            "confirmed": source.get("format_confirmed", True),
            "pupils": source.get("pupils", summary.get("pupils_in_file")),
        },
        "database": database_fr(redact_url(str(state.get("url", "?")))),
        "today": long_date_fr(plan.get("today", "")),
        "tool": plan.get("tool", "onde-sacoche"),
        "rules": plan.get("rules", {}),
        "rules_fr": rules_fr(plan.get("rules", {})),
        "headline": blocked_headline_fr([h for h in holds if not h["allowed"]]),
        "summary_line": summary_line(accepted, moves[True], len(decisions)),
        "structure_line": join_fr(structure_phrases(accepted)),
        "unchecked_line": join_fr(unchecked_parts),
        "unchecked_count": sum(unchecked.values()),
        "unchanged": summary.get("unchanged"),
        "without_class": _without_class(plan),
        "archive": _archive_line(items),
        "held": any(not h["allowed"] for h in holds),
        "holds": [h for h in holds if not h["allowed"]],
        "hold_blocks": hold_blocks([h for h in holds if not h["allowed"]]),
        "allowed_holds": [h for h in holds if h["allowed"]],
        "decisions": [_decision(i, names) for i in decisions],
        "stale": [stale_fr(str(s)) for s in plan.get("stale_decisions", [])],
        "warnings": [warning_fr(str(w)) for w in plan.get("warnings", [])],
        "sheet_notice": notice_fr(plan.get("login_sheet")),
        "structure": structure,
        "left_alone": left_alone,
        "loose_members": loose_members,
        "structure_page": bool(structure or left_alone["classes"] or left_alone["groups"] or loose_members),
        "classes": classes,
        "new_pupils": len(accepted_creates),
        "on_sheet": len(on_sheet),
        "missing_credentials": [i for i in accepted_creates if i not in on_sheet],
        "sheet_file": SHEET_FILE,
    }


def _archive_line(items: Iterable[Mapping[str, Any]]) -> str | None:
    """What the report says of SACoche's archive of the imported file (row Onde of sacoche_siecle_import)."""
    for item in items:
        if item.get("kind") == "archive":
            what = "sera gardé" if item.get("accepted") else "ne sera pas gardé (non coché)"
            return (
                f"Le fichier importé {what} dans l'archive de SACoche, comme le fait son propre import "
                "(SACoche y relit les libellés des classes pour le livret scolaire)"
            )
    return None


def _without_class(plan: Mapping[str, Any]) -> dict[str, Any] | None:
    """Pupils the file lists without a class: the ignored ones by name, the others counted."""
    entries = [e for e in plan.get("without_class") or [] if isinstance(e, dict)]
    if not entries:
        return None
    actions = Counter(str(e.get("action", "")) for e in entries)
    parts = []
    for action, one, many in (
        ("ignored", "ignoré (pas de compte)", "ignorés (pas de compte)"),
        ("deactivated", "désactivé comme un départ", "désactivés comme des départs"),
        ("unchanged", "ancien élève inchangé", "anciens élèves inchangés"),
    ):
        if actions.get(action):
            parts.append(plural(actions[action], one, many))
    ignored = sorted(
        (e for e in entries if e.get("action") == "ignored"),
        key=lambda e: (e.get("nom", ""), e.get("line", 0)),
    )
    return {
        "line": f"{plural(len(entries), 'élève', 'élèves')} du fichier sans classe : {join_fr(parts)}",
        "ignored": [
            {"line": e.get("line", "?"), "nom": e.get("nom", ""), "prenom": e.get("prenom", "")}
            | {"naissance": date_fr(e.get("naissance"))}
            for e in ignored
        ],
    }


# --- rendering -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """One environment per process; compiled templates are kept in the user's cache (engine.cache)."""
    from engine.cache import template_cache

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("md",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(),
    )
    env.filters["md"] = _markdown_escape
    env.filters["plural"] = lambda n, one, many: plural(int(n), one, many)
    return env


def _markdown_escape(text: Any) -> str:
    return re.sub(r"([\\`*_|<])", r"\\\1", str(text))


def render_reports(plan: dict, out_dir: Path) -> list[Path]:
    """Write rapport.html, resume.md and (if identifiants.csv exists in out_dir and the plan has accepted
    create items) identifiants.html (mode 0600). Return the paths written.

    A stale identifiants.html (no accepted new pupil any more) is removed, so that no sheet of passwords
    outlives the plan that made it.
    """
    out_dir = Path(out_dir)
    private_dir(out_dir)
    env = _environment()
    credentials = read_credentials(out_dir)
    view = build_view(plan, credentials)
    written = []
    report = out_dir / REPORT_FILE
    write_chunks_atomic(report, env.get_template("rapport.html").generate(view))
    written.append(report)
    summary = out_dir / SUMMARY_FILE
    _write_atomic(summary, env.get_template("resume.md").render(view).encode("utf-8"))
    written.append(summary)
    sheet = out_dir / SHEET_FILE
    cards = sheet_cards(plan, credentials)
    if cards:
        by_class: dict[str, list[dict[str, str]]] = {}
        for card in cards:  # one pass: classes in the order of their first card
            by_class.setdefault(card["classe"], []).append(card)
        pages = [
            {"classe": classe or "Élèves sans classe", "cards": group} for classe, group in by_class.items()
        ]
        html = env.get_template("identifiants.html").generate(view | {"pages": pages, "count": len(cards)})
        write_chunks_atomic(sheet, html)
        written.append(sheet)
    else:
        sheet.unlink(missing_ok=True)
    return written


# --- printing ------------------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)


def find_chromium() -> str | None:
    """``chromium`` (or a Chrome) on PATH, else /usr/bin/chromium, else None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if fallback.is_file() and os.access(fallback, os.X_OK) else None


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print ``html`` to ``pdf`` (A4, no header/footer) with headless Chromium in a fresh profile."""
    binary = chromium or find_chromium()
    if binary is None:
        raise OndeError(
            "Chromium is needed to print a PDF and was not found",
            hint="install it (Debian: apt-get install chromium) or print the HTML from a browser",
        )
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onde-chromium-") as profile:
        env = os.environ | {"XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
        command = [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise OndeError(f"Chromium did not finish printing within {timeout:.0f} s", file=html) from None
        except OSError as exc:
            raise OndeError(f"Chromium could not be started: {exc}", file=html) from None
    if result.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise OndeError(f"Chromium failed to print (exit {result.returncode}): {tail}", file=html)
    return pdf
