"""The report's French renderings of the tool's English: guards that held the plan, stale answers,
the planner's warnings, the matcher's explanations. What the director reads holds no guard id, option or
item kind as a word; an unknown English text is shown as it is (and said to be English by the template)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from engine.render.french import join_fr, plural
from engine.render.french import pupils_fr as _pupils

GUARD_TITLES = {
    "coverage": "Export incomplet ?",
    "other_school": "Export ou base d'une autre école ?",
    "class_missing": "Classe absente du fichier",
    "niveau_missing": "Niveau absent du fichier",
    "deactivations": "Trop de départs",
    "parents_coverage": "Fichier des responsables incomplet ?",
    "children_unresolved": "Enfants introuvables parmi les élèves",
}


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
        if guard == "parents_coverage":  # the responsables file's guards (docs/parents.md)
            return (
                f"Le fichier des responsables en reconnaît {f['found']} sur les {f['expected']} que SACoche "
                f"connaît pour des élèves encore scolarisés, soit {f['percent']} % (au moins "
                f"{f['min_percent']} % attendus) : le fichier a-t-il été filtré par classe, ou est-il celui "
                "d'une autre école ?"
            )
        if guard == "children_unresolved":
            return (
                f"{plural(f['unresolved'], 'enfant', 'enfants')} sur les {f['children']} du fichier des "
                f"responsables ({f['percent']} %) sont introuvables parmi les élèves, ou trouvés en double "
                f"(seuils : plus de {f['max_count']} et plus de {f['max_percent']} %) : l'export des élèves "
                "est-il filtré, ou le fichier des responsables celui d'une autre école ?"
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
        if guard == "parents_coverage":
            return (
                f"le fichier des responsables n'en reconnaît que {f['found']} sur {f['expected']} — "
                "fichier partiel ?"
            )
        if guard == "children_unresolved":
            return f"{f['unresolved']} enfants sur {f['children']} introuvables — export des élèves filtré ?"
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
    "parents_coverage": "responsables manquants",
    "children_unresolved": "enfants introuvables",
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
    (  # the parents' planner (engine/plan/parents.py, parents_build.py)
        re.compile(r"one parent is on lines (.+) with different details: the first line's are used"),
        lambda m: (
            f"Un même responsable figure aux lignes {m[1]} du fichier des responsables avec des "
            "coordonnées différentes : celles de la première ligne sont retenues."
        ),
    ),
    (
        re.compile(
            r"parents with the same names on lines (.+) are planned as different people \(no e-mail, child "
            r"or address in common\): if one person, give them the same e-mail in ONDE"
        ),
        lambda m: (
            f"Les responsables de mêmes nom et prénom des lignes {m[1]} sont traités comme des personnes "
            "différentes (ni courriel, ni enfant, ni adresse en commun) : s'il s'agit d'une seule personne, "
            "lui donner le même courriel dans ONDE."
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


MATCH_KEYS = {"ine": "INE", "nom": "nom", "prenom": "prénom", "naissance": "date de naissance"}
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
