"""How much a header looks like a target field's name, for ``rules draft``.

Headers are folded (case, accents, spacing: :func:`engine.ops.fold`), cut into words, stripped of filler
words (``de``, ``l'``, ``élève``…) and plural ``s``, and compared word by word with every synonym the
shipped pupil formats list for the field (plus a few common spellings below): an abbreviation counts
(``naiss.`` for ``naissance``, ``id`` for ``identifiant``), a near spelling counts (rapidfuzz), and a word
cut in two (``Pré-nom``) is compared glued back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from engine.ops import fold

#: spellings seen in school software exports, besides the synonyms of the shipped rules
EXTRA_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "ine": ("INE", "Numéro INE", "Identifiant national", "INE élève"),
    "nom": (
        "Nom",
        "Nom élève",
        "Nom de famille",
        "Nom de naissance",
        "Nom patronymique",
        "Patronyme",
        "Last name",
        "Family name",
    ),
    "nom_usage": ("Nom d'usage", "Nom usuel"),
    "prenom": ("Prénom", "Prénom usuel", "Prénom 1", "First name", "Given name"),
    "naissance": ("Date de naissance", "Naissance", "Né le", "DDN", "Birth date", "Date of birth"),
    "genre": ("Sexe", "Genre", "Gender"),
    "niveau": ("Niveau", "Niveau scolaire", "Level"),
    "classe_id": (
        "Identifiant classe",
        "Identifiant de la classe",
        "Code classe",
        "Numéro classe",
        "Class id",
    ),
    "classe_label": (
        "Libellé classe",
        "Nom classe",
        "Libellé de la classe",
        "Classe",
        "Division",
        "Class name",
    ),
    "dispositif": ("Dispositif",),
    "regroupements": ("Regroupement", "Groupe", "Groups"),
    "email": ("Courriel élève", "E-mail élève", "Adresse électronique élève"),
}
_FILLER = frozenset({"de", "du", "des", "d", "l", "la", "le", "les", "e", "s", "eleve", "enfant", "a"})
_ABBREVIATIONS = {
    "id": "identifiant",
    "ident": "identifiant",
    "lib": "libelle",
    "dt": "date",
    "no": "numero",
    "num": "numero",
    "n": "numero",
    "nb": "numero",
    "grp": "groupe",
    "niv": "niveau",
    "cl": "classe",
}
#: words of columns that a pupils import never needs (addresses, phones, the responsables)
IRRELEVANT_WORDS = frozenset(
    {
        "adresse",
        "adresse1",
        "adresse2",
        "cp",
        "cp1",
        "cp2",
        "postal",
        "commune",
        "commune1",
        "commune2",
        "ville",
        "pays",
        "pays1",
        "pays2",
        "telephone",
        "tel",
        "portable",
        "mobile",
        "fax",
        "responsable",
        "representant",
        "legal",
    }
)
#: words that qualify a column's name without changing what it holds
_QUALIFIERS = frozenset({"libelle", "code", "liste", "valeur", "texte"})
_WORD = re.compile(r"[0-9a-z]+")
_ACCEPT = 0.75  # a header at least this similar to a synonym names the field


@lru_cache(maxsize=4096)
def words(header: str) -> tuple[str, ...]:
    """A header's significant words: folded, without filler words or plural ``s``, abbreviations spelled
    out (``Date de naiss.`` → ``date``, ``naiss``; ``Id. classe`` → ``identifiant``, ``classe``)."""
    text = fold(header).replace("n°", "numero ").replace("°", " ")
    out = []
    for word in _WORD.findall(text):
        if word in _FILLER:
            continue
        word = _ABBREVIATIONS.get(word, word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return tuple(out)


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and long.startswith(short):
        return 0.9  # an abbreviation: naiss / naissance
    ratio = fuzz.ratio(a, b) / 100
    return ratio if ratio >= 0.8 else 0.0


def _qualifies(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether ``a`` is ``b`` plus qualifier words (and ``b`` has none)."""
    core = tuple(w for w in a if w not in _QUALIFIERS)
    return bool(core) and core != a and core == b and not set(b) & _QUALIFIERS


@lru_cache(maxsize=65536)
def similarity(header: str, synonym: str) -> float:
    """0 (unrelated) to 1 (the same words), symmetric."""
    a, b = words(header), words(synonym)
    if not a or not b:
        return 0.0
    total = sum(max(_word_similarity(x, y) for y in b) for x in a)
    total += sum(max(_word_similarity(y, x) for x in a) for y in b)
    score = total / (len(a) + len(b))
    glued = fuzz.ratio("".join(a), "".join(b)) / 100  # Pré-nom, Nom-usage
    # every word of a longer synonym is in the header: Date de naissance (jj/mm/aaaa)
    cover = sum(max(_word_similarity(y, x) for x in a) for y in b) / len(b)
    contained = 0.8 * cover if len(b) >= 2 and cover >= 0.9 else 0.0
    # a qualifier added to a synonym's words: DISPOSITIF_LIBELLE, CODE_SEXE
    qualified = 0.85 if _qualifies(a, b) or _qualifies(b, a) else 0.0
    return max(score, glued if glued >= 0.9 else 0.0, contained, qualified)


def best_synonym(header: str, synonyms: Sequence[str]) -> tuple[float, str]:
    """The synonym closest to ``header`` and how close (0 to 1)."""
    best = (0.0, "")
    for synonym in synonyms:  # the first of equally close synonyms: the usual name comes first
        score = similarity(header, synonym)
        if score > best[0]:
            best = (score, synonym)
    return best


def names_a_field(header: str, synonyms: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``header`` is close enough to some field's synonym to count in a header row."""
    return any(best_synonym(header, syns)[0] >= _ACCEPT for syns in synonyms.values())


def header_score(cells: Sequence[str], synonyms: Mapping[str, Sequence[str]]) -> int:
    """How many different fields a row's cells name: the header row names the most."""
    named = set()
    for cell in cells:
        if not cell.strip():
            continue
        scored = [(best_synonym(cell, syns)[0], name) for name, syns in synonyms.items()]
        top, name = max(scored)
        if top >= _ACCEPT:
            named.add(name)
    return len(named)


def irrelevant(header: str, known_ignored: Iterable[str]) -> bool:
    """An address, phone or responsable column, or one the shipped formats ignore (``Cycle``…)."""
    folded = fold(header)
    if folded in {fold(h) for h in known_ignored}:
        return True
    return bool(set(_WORD.findall(folded)) & IRRELEVANT_WORDS)
