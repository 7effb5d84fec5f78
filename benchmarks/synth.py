"""Synthetic schools at any scale: ONDE 2 exports and the SACoche states they are planned against.

Deterministic: the same arguments and seed give byte-identical files. Every name is made up from lists of
common French family and given names (with accents, hyphens, apostrophes, particles) drawn with a
long-tailed frequency, so that homonyms appear as they do in real schools; INE are synthetic (the real
shape, ``[0-9]{9}[0-9A-Z][A-Z]``, unique across every school of a run) and never a real pupil's.

What one school holds
    Classes of about 25 pupils, single-level (``CE1 Mme Ancolie``) or multi-level (``CE2-CM1 M. Saule``)
    and, in schools of 150 pupils or more, one ULIS class without niveau; ONDE class ids are 6 digits,
    unique across the run. Pupils have a sex, a birth date consistent with their niveau, sometimes a
    nom d'usage, sometimes one or two regroupements (ONDE 2 ``Regroupement(s)`` cell, comma separated),
    and some have no INE. Twins (same family name, same birth date, different given names) and homonyms
    (same names, other birth date) are planted on top of the natural ones.

The SACoche state (SQLite, schema by :func:`engine.sacoche_schema.create_sqlite`)
    One class per ONDE class × niveau with the ref and name :func:`engine.plan.class_of` gives (so refs
    match the engine's), groups ``RG_…`` as :func:`engine.plan.group_ref` names them, one account per
    pupil with the values the normaliser produces (so an untouched pupil plans as "unchanged"), logins
    made like SACoche's, a hand-made group, a retired group, a class that vanished, two staff accounts.
    Then the chosen :class:`Shares` of situations are planted:

    ========================  ==================================================================
    ``arrivals``              pupils of the export without an account (plan: create)
    ``leavers``               active accounts absent from the export (plan: deactivate)
    ``returning``             pupils whose account is former (left last year) (plan: reactivate)
    ``former``                former accounts absent from the export (plan: nothing)
    ``class_changes``         accounts in another class of the school (plan: update)
    ``updates``               accounts with a stale field: accents missing from the prénom, INE
                              not yet known, or genre unknown (plan: update)
    ``renamed_classes``       classes whose SACoche name is last year's (plan: class_rename)
    ``new_classes``           classes SACoche does not have yet; their pupils' accounts sit in
                              another class (plan: class_create, and updates)
    ``membership_changes``    accounts with one regroupement more or less than the export says
    ========================  ==================================================================

    :attr:`SchoolFiles.planted` counts what was planted. The plan may differ slightly where the engine
    rightly refuses to guess: a newcomer whose names resemble a leaver's (same birth date, one letter
    apart, or same names) becomes a decision to take instead of a creation.

Command line (writes one CSV and one SQLite file per school, and ``db-map.yaml`` for ``batch``)::

    python benchmarks/synth.py OUT_DIR --schools 8 --pupils 5000 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from engine.ops import fold, run_steps  # noqa: E402
from engine.plan import class_of, group_ref  # noqa: E402
from engine.plan.logins import login_base, password_hash  # noqa: E402
from engine.read import Pupil  # noqa: E402
from engine.rules import RuleSet, load_rules  # noqa: E402
from engine.sacoche_schema import create_sqlite  # noqa: E402

#: the ONDE 2 header, as in tests/helpers.py
ONDE2_HEADER = (
    "INE",
    "Nom de famille",
    "Nom d'usage",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Niveau",
    "Classe",
    "Identifiant classe",
    "Dispositif",
    "Regroupement(s)",
)

# Most frequent first: drawn with a long-tailed (Zipf-like) frequency.
FAMILY_NAMES = (
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFÈVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MÜLLER",
    "LEFEBVRE",
    "FAURE",
    "ANDRÉ",
    "MERCIER",
    "BLANC",
    "GUÉRIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANÇOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLÉMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "GAUTIER",
    "MASSON",
    "MARCHAND",
    "DUVAL",
    "DENIS",
    "DUMONT",
    "MARIE",
    "LEMAIRE",
    "NOËL",
    "MEYER",
    "DUFOUR",
    "MEUNIER",
    "BRUN",
    "BLANCHARD",
    "GIRAUD",
    "JOLY",
    "RIVIÈRE",
    "LUCAS",
    "BRUNET",
    "GAILLARD",
    "BARBIER",
    "ARNAUD",
    "MARTINEZ",
    "GÉRARD",
    "ROCHE",
    "RENARD",
    "SCHMITT",
    "ROY",
    "LEROUX",
    "COLIN",
    "VIDAL",
    "CARON",
    "PICARD",
    "ROGER",
    "FABRE",
    "AUBERT",
    "LEMOINE",
    "RENAUD",
    "DUMAS",
    "LACROIX",
    "OLIVIER",
    "PHILIPPE",
    "BOURGEOIS",
    "PIERRE",
    "BENOÎT",
    "REY",
    "LECLERC",
    "PAYET",
    "ROLLAND",
    "LECLERCQ",
    "GUILLAUME",
    "LECOMTE",
    "LOPEZ",
    "JEAN",
    "DUPUY",
    "GUILLOT",
    "HUBERT",
    "BERGER",
    "CARPENTIER",
    "SANCHEZ",
    "DUPUIS",
    "MOULIN",
    "LOUIS",
    "DESCHAMPS",
    "HUET",
    "VASSEUR",
    "PEREZ",
    "BOUCHER",
    "FLEURY",
    "ROYER",
    "KLEIN",
    "JACQUET",
    "ADAM",
    "PARIS",
    "POIRIER",
    "MARTY",
    "AUBRY",
    "GUYOT",
    "CARRÉ",
    "CHARLES",
    "RENAULT",
    "CHARPENTIER",
    "MÉNARD",
    "MAILLARD",
    "BARON",
    "BERTIN",
    "BAILLY",
    "HERVÉ",
    "SCHNEIDER",
    "FERNANDEZ",
    "LE GALL",
    "COLLET",
    "LÉGER",
    "BOUVIER",
    "JULIEN",
    "PRÉVOST",
    "MILLET",
    "PERROT",
    "DANIEL",
    "LE ROUX",
    "COUSIN",
    "GERMAIN",
    "BRETON",
    "BESSON",
    "LANGLOIS",
    "RÉMY",
    "LE GOFF",
    "PELLETIER",
    "LÉVÊQUE",
    "PERRIER",
    "LEBLANC",
    "BARRÉ",
    "LEBRUN",
    "MARCHAL",
    "WEBER",
    "MALLET",
    "HAMON",
    "BOULANGER",
    "JACOB",
    "MONNIER",
    "MICHAUD",
    "RODRIGUEZ",
    "GUICHARD",
    "GILLET",
    "ÉTIENNE",
    "GRONDIN",
    "POULAIN",
    "TESSIER",
    "CHEVALLIER",
    "COLLIN",
    "CHAUVIN",
    "DA SILVA",
    "BOUCHET",
    "GAY",
    "LEMAÎTRE",
    "BÉNARD",
    "MARÉCHAL",
    "HUMBERT",
    "REYNAUD",
    "ANTOINE",
    "HOARAU",
    "PERRET",
    "BARTHÉLEMY",
    "CORDIER",
    "PICHON",
    "LEJEUNE",
    "GILBERT",
    "LAMY",
    "DELAUNAY",
    "PASQUIER",
    "CARLIER",
    "LAPORTE",
    "D'ALMEIDA",
    "N'DIAYE",
    "N'GUESSAN",
    "D'HARCOURT",
    "DE LA FONTAINE",
    "DE SOUSA",
    "NGUYEN",
    "TRAN",
    "DIALLO",
    "TRAORÉ",
    "KONÉ",
    "BENALI",
    "HADDAD",
    "KERGOAT",
    "LE BIHAN",
    "QUÉRÉ",
    "OUEDRAOGO",
    "FERREIRA",
    "DOS SANTOS",
    "L'HERMITE",
)
GIVEN_NAMES_F = (
    "Jade",
    "Louise",
    "Emma",
    "Ambre",
    "Alice",
    "Rose",
    "Anna",
    "Alba",
    "Romy",
    "Mia",
    "Léna",
    "Lina",
    "Julia",
    "Iris",
    "Chloé",
    "Inès",
    "Léa",
    "Zoé",
    "Agathe",
    "Jeanne",
    "Mila",
    "Victoire",
    "Lou",
    "Nina",
    "Adèle",
    "Margaux",
    "Lucie",
    "Héloïse",
    "Maëlys",
    "Anaïs",
    "Salomé",
    "Noémie",
    "Capucine",
    "Éloïse",
    "Aïcha",
    "Clémence",
    "Océane",
    "Maëlle",
    "Apolline",
    "Célestine",
    "Éléonore",
    "Joséphine",
    "Daphné",
    "Bérénice",
    "Zélie",
    "Anaëlle",
    "Léonie",
    "Émilie",
    "Hélène",
    "Sarah",
    "Manon",
    "Camille",
    "Juliette",
    "Marie-Lou",
    "Anne-Sophie",
    "Marie-Ange",
    "Lou-Anne",
    "Rose-Marie",
    "Fatoumata",
    "Yasmine",
    "Sofia",
    "Mélodie",
    "Clémentine",
    "Gaëlle",
    "Noëlie",
    "Athénaïs",
    "Thaïs",
    "Ophélie",
    "Aurélie",
    "Maïwenn",
)
GIVEN_NAMES_M = (
    "Gabriel",
    "Léo",
    "Raphaël",
    "Louis",
    "Arthur",
    "Jules",
    "Maël",
    "Adam",
    "Lucas",
    "Hugo",
    "Noah",
    "Sacha",
    "Gabin",
    "Liam",
    "Aaron",
    "Nathan",
    "Tom",
    "Éden",
    "Léon",
    "Théo",
    "Noé",
    "Paul",
    "Mathis",
    "Timothée",
    "Gaël",
    "Énzo",
    "Joël",
    "Loïc",
    "Côme",
    "Aurélien",
    "Clément",
    "Jérôme",
    "Anaël",
    "Benoît",
    "Théophile",
    "Élie",
    "Ibrahim",
    "Yanis",
    "Mohamed",
    "Amir",
    "Ismaël",
    "Rayan",
    "Ethan",
    "Lucien",
    "Valentin",
    "Baptiste",
    "Maxime",
    "Antoine",
    "Mathéo",
    "Évan",
    "Noam",
    "Isaac",
    "Eliott",
    "Jean-Baptiste",
    "Pierre-Louis",
    "Jean-Noël",
    "Marc-Antoine",
    "Louis-Gabriel",
    "Timéo",
    "Loïs",
    "Aymeric",
    "Grégoire",
    "Honoré",
    "Séraphin",
    "Félix",
    "Émile",
    "Léandre",
    "Anatole",
    "Ulysse",
)
# The long tail: family names made of a head and an ending (BEAUCHAMP, DUMOULIN, LAFONTAINE,
# VERNEUIL…), sometimes with a particle (LE, DE, DU, D', N') — tens of thousands of names, each rare,
# as in France where the 200 most frequent family names cover only a small share of pupils.
SURNAME_HEADS = (
    "BEAU",
    "BEL",
    "BON",
    "BOIS",
    "BRU",
    "CHAMP",
    "CHÂTEL",
    "CHEV",
    "COL",
    "COUR",
    "DAM",
    "DEL",
    "DES",
    "DU",
    "FER",
    "FLO",
    "FONT",
    "GAR",
    "GEOF",
    "GRAND",
    "GUIL",
    "HAUT",
    "JOU",
    "LA",
    "LAN",
    "LE",
    "MAR",
    "MAS",
    "MON",
    "MONT",
    "MOU",
    "PER",
    "PIN",
    "POI",
    "QUEN",
    "RAV",
    "RIB",
    "ROCH",
    "SAIN",
    "TAL",
    "THI",
    "VAL",
    "VER",
    "VIL",
    "AU",
    "ÉTI",
    "GRÉ",
    "MÉN",
    "PRÉ",
    "HÉR",
)
SURNAME_LINKS = ("", "", "", "", "E", "AR", "EN", "IL", "ER", "AN", "OL")
SURNAME_ENDINGS = (
    "CHAMP",
    "FORT",
    "VILLE",
    "MONT",
    "LIEU",
    "VAL",
    "AUD",
    "AULT",
    "ET",
    "OT",
    "IER",
    "ELLE",
    "ÈRE",
    "IN",
    "ARD",
    "EAU",
    "ON",
    "AC",
    "Y",
    "OUX",
    "ÉE",
    "ÈS",
    "IOT",
    "ANGE",
    "ERT",
    "MOULIN",
    "FONTAINE",
    "NEUIL",
    "BERT",
    "GEON",
    "GNAC",
    "QUET",
    "RAND",
    "ZIN",
    "LOT",
    "ENNE",
    "IAN",
    "OUIN",
    "ESSE",
    "ÉRY",
)
SURNAME_PARTICLES = ("LE ", "DE ", "DU ", "D'", "N'", "LA ", "DE LA ")
#: share of pupils drawn from FAMILY_NAMES (the rest from the long tail)
COMMON_FAMILY_SHARE = 0.15
#: share of given names drawn from the lists above; the rest are composed (Marie-Lou, Jean-Noël…)
COMPOSED_GIVEN_SHARE = 0.08

TEACHERS = (
    "Ancolie",
    "Pivoine",
    "Quenouille",
    "Framboisier",
    "Églantine",
    "Saule",
    "Bouleau",
    "Fougère",
    "Mésange",
    "Hirondelle",
    "Platane",
    "Marjolaine",
    "Genêt",
    "Aubépine",
    "Cormoran",
    "Ortolan",
    "Pervenche",
    "Rossignol",
    "Tilleul",
    "Châtaignier",
    "Noisetier",
    "Lavande",
    "Bruyère",
    "Myrtille",
)
#: regroupement labels in the export; the last one is new this year (not in SACoche yet)
GROUP_LABELS = (
    "Chorale",
    "Anglais renforcé",
    "APC lecture",
    "Théâtre",
    "Échecs",
    "Natation",
    "Jardin d'école",
    "Classe découverte",
    "Club sciences",
)
HAND_MADE_GROUP = "Aide aux devoirs"
RETIRED_GROUP = "Atelier cirque"

#: (SACoche niveau ref, birth year of the 2026-2027 school year, how ONDE may write it in full)
NIVEAUX = (
    ("PS", 2023, "Petite section"),
    ("MS", 2022, "Moyenne section"),
    ("GS", 2021, "Grande section"),
    ("CP", 2020, "Cours préparatoire"),
    ("CE1", 2019, "Cours élémentaire 1ère année"),
    ("CE2", 2018, "Cours élémentaire 2e année"),
    ("CM1", 2017, "Cours moyen 1ère année"),
    ("CM2", 2016, "Cours moyen 2e année"),
)
CLASS_SIZE = 25
LEFT_LAST_YEAR = "2025-07-04"
LEFT_LONG_AGO = "2024-07-05"
_INE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_INE_STEP = 387_420_489  # 3**18: coprime with 10**9, so i -> i*step mod 10**9 is a bijection


@dataclass(frozen=True, slots=True)
class Shares:
    """How much of each situation to plant (fractions of the export's pupils, or of its classes)."""

    arrivals: float = 0.05
    leavers: float = 0.04
    returning: float = 0.01
    former: float = 0.02
    class_changes: float = 0.03
    updates: float = 0.02
    renamed_classes: float = 0.05  # of classes
    new_classes: float = 0.02  # of classes
    membership_changes: float = 0.02
    without_ine: float = 0.03
    twins: float = 0.01
    homonyms: float = 0.01
    nom_usage: float = 0.04
    groups: float = 0.25  # pupils in at least one regroupement
    multi_level: float = 0.3  # of classes
    long_niveau_labels: float = 0.1  # "Cours élémentaire 1ère année" instead of "CE1"
    upper_case_prenoms: float = 0.05  # "MARIE-LOU" in the export (the normaliser capitalises)


@dataclass(slots=True)
class SchoolFiles:
    """One generated school: its export, its SACoche database and what was planted."""

    name: str
    export: Path
    db: Path
    pupils: int
    accounts: int
    planted: dict[str, int] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db.resolve()}"


# ------------------------------------------------------------------------------------------- helpers


def _cumulative(n: int, exponent: float = 0.9) -> list[float]:
    total, out = 0.0, []
    for i in range(n):
        total += 1.0 / (i + 1) ** exponent
        out.append(total)
    return out


def synthetic_ine(index: int, rng: random.Random) -> str:
    """The ``index``-th INE of a run: unique digits (a bijection of the index), then two random characters."""
    digits = (index * _INE_STEP + 104_729) % 10**9
    tenth = rng.choice("0123456789" + _INE_LETTERS)
    return f"{digits:09d}{tenth}{rng.choice(_INE_LETTERS)}"


class _Normaliser:
    """The values the engine's rules give for a cell, memoised (so the state agrees with the engine)."""

    def __init__(self, rules: RuleSet, source: str = "onde2-eleves") -> None:
        self.fields = rules.sources[source].fields
        self.ctx = rules.context
        self.cache: dict[tuple[str, str], object] = {}

    def __call__(self, name: str, cell: str) -> object:
        key = (name, cell)
        value = self.cache.get(key)
        if value is None:
            value = run_steps(cell, self.fields[name].steps, self.ctx)
            self.cache[key] = value
        return value


@dataclass(slots=True)
class _Class:
    classe_id: str
    label: str
    niveaux: tuple[str, ...]  # SACoche niveau refs; ("",) for the ULIS class
    new: bool = False
    renamed: bool = False
    groupe_ids: dict[str, int] = field(default_factory=dict)  # niveau -> groupe_id in SACoche


@dataclass(slots=True)
class _Kid:
    ine: str
    nom: str
    nom_usage: str
    prenom: str
    sexe: str
    birth: str  # ISO
    niveau: str
    klass: _Class
    groups: tuple[str, ...] = ()
    dispositif: str = ""


class _Generator:
    def __init__(self, rng: random.Random, rules: RuleSet, shares: Shares) -> None:
        self.rng = rng
        self.rules = rules
        self.shares = shares
        self.norm = _Normaliser(rules)
        self.ine_counter = itertools.count(1)
        self.class_counter = itertools.count(100_000)
        self.family = [str(self.norm("nom", n)) for n in FAMILY_NAMES]
        tail = []
        for head in SURNAME_HEADS:
            for link in SURNAME_LINKS:
                for ending in SURNAME_ENDINGS:
                    tail.append(head + link + ending)
        self.tail = tail
        self.given = {
            "F": [str(self.norm("prenom", n)) for n in GIVEN_NAMES_F],
            "M": [str(self.norm("prenom", n)) for n in GIVEN_NAMES_M],
        }
        self.family_cw = _cumulative(len(self.family))
        self.given_cw = {s: _cumulative(len(v), 0.7) for s, v in self.given.items()}
        self.birth_by_year: dict[int, list[str]] = {}
        for _, year, _ in NIVEAUX:
            first = _ordinal(year, 1, 1)
            self.birth_by_year[year] = [_iso(first + d) for d in range(_days_in_year(year))]
        self.birth_by_year[0] = [d for _, y, _ in NIVEAUX[3:] for d in self.birth_by_year[y]]  # ULIS
        self.year_of = {ref: year for ref, year, _ in NIVEAUX}
        self.long_label = {ref: long for ref, _, long in NIVEAUX}
        self.class_info: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.logins: dict[tuple[str, str], str] = {}

    # identities -------------------------------------------------------------------------------------
    def ine(self) -> str:
        return synthetic_ine(next(self.ine_counter), self.rng)

    def one_nom(self) -> str:
        rng = self.rng
        if rng.random() < COMMON_FAMILY_SHARE:
            return rng.choices(self.family, cum_weights=self.family_cw)[0]
        name = rng.choice(self.tail)
        if rng.random() < 0.06:
            name = rng.choice(SURNAME_PARTICLES) + name
        return name

    def nom(self) -> str:
        first = self.one_nom()
        if self.rng.random() < 0.08:  # a double family name
            second = self.one_nom()
            double = f"{first}-{second}"
            if second != first and len(double) <= 25:
                return str(self.norm("nom", double))
        return str(self.norm("nom", first))

    def prenom(self, sexe: str) -> str:
        rng = self.rng
        first = rng.choices(self.given[sexe], cum_weights=self.given_cw[sexe])[0]
        if rng.random() < COMPOSED_GIVEN_SHARE:
            second = rng.choice(self.given[sexe])
            if second != first and "-" not in first + second and len(first) + len(second) < 25:
                return str(self.norm("prenom", f"{first}-{second}"))
        return first

    def kid(self, klass: _Class, *, with_ine: bool = True) -> _Kid:
        rng = self.rng
        niveau = rng.choice(klass.niveaux)
        sexe = "F" if rng.random() < 0.49 else "M"
        births = self.birth_by_year[self.year_of.get(niveau, 0)]
        groups: tuple[str, ...] = ()
        if rng.random() < self.shares.groups:
            groups = (rng.choice(GROUP_LABELS),)
            if rng.random() < 0.2:
                other = rng.choice(GROUP_LABELS)
                if other != groups[0]:
                    groups = (*groups, other)
        return _Kid(
            ine=self.ine() if with_ine else "",
            nom=self.nom(),
            nom_usage=self.nom() if rng.random() < self.shares.nom_usage else "",
            prenom=self.prenom(sexe),
            sexe=sexe,
            birth=rng.choice(births),
            niveau=niveau,
            klass=klass,
            groups=groups,
            dispositif="ULIS" if niveau == "" else ("UPE2A" if rng.random() < 0.005 else ""),
        )

    # classes ----------------------------------------------------------------------------------------
    def classes(self, pupils: int) -> list[_Class]:
        rng, shares = self.rng, self.shares
        count = max(1, round(pupils / CLASS_SIZE))
        refs = [ref for ref, _, _ in NIVEAUX]
        out: list[_Class] = []
        with_ulis = pupils >= 150
        for index in range(count):
            classe_id = str(next(self.class_counter))
            if with_ulis and index == count - 1:
                niveaux: tuple[str, ...] = ("",)
                label = f"ULIS École {rng.choice(('Mme', 'M.'))} {rng.choice(TEACHERS)}"
            else:
                at = index * len(refs) // max(1, count - with_ulis)
                if rng.random() < shares.multi_level and at + 1 < len(refs):
                    niveaux = (refs[at], refs[at + 1])
                else:
                    niveaux = (refs[at],)
                label = f"{'-'.join(niveaux)} {rng.choice(('Mme', 'M.'))} {rng.choice(TEACHERS)}"
            out.append(_Class(classe_id, label, niveaux))
        for klass in out:
            draw = rng.random()
            if draw < shares.new_classes:
                klass.new = True
            elif draw < shares.new_classes + shares.renamed_classes:
                klass.renamed = True
        return out

    def class_of(self, klass: _Class, niveau: str, label: str | None = None) -> tuple[str, str, str]:
        """(ref, name, niveau) as the engine computes them, memoised per class × niveau × label."""
        label = klass.label if label is None else label
        key = (klass.classe_id, niveau, label)
        found = self.class_info.get(key)
        if found is None:
            pupil = Pupil(line=0, classe_id=klass.classe_id, niveau=niveau, classe_label=label)
            found = class_of(pupil, self.rules.policy["classes"], self.rules.context)
            self.class_info[key] = found
        return found

    def login(self, prenom: str, nom: str, user_id: int) -> str:
        base = self.logins.get((prenom, nom))
        if base is None:
            base = self.logins[(prenom, nom)] = login_base(prenom, nom)
        return f"{base}{user_id}"


def _ordinal(year: int, month: int, day: int) -> int:
    from datetime import date

    return date(year, month, day).toordinal()


def _days_in_year(year: int) -> int:
    return 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365


def _iso(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()


def _onde_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


# ------------------------------------------------------------------------------------------- a school


_USER_COLUMNS = (
    "user_id",
    "user_profil_sigle",
    "user_reference",
    "user_genre",
    "user_nom",
    "user_prenom",
    "user_naissance_date",
    "user_login",
    "user_password",
    "user_sortie_date",
    "eleve_classe_id",
)


def _school(gen: _Generator, name: str, pupils: int, export: Path, db: Path) -> SchoolFiles:
    rng, shares = gen.rng, gen.shares
    classes = gen.classes(pupils)
    kids: list[_Kid] = []
    no_ine_keys: set[tuple[str, str, str]] = set()
    base, extra = divmod(pupils, len(classes))
    per_class = [base + (1 if i < extra else 0) for i in range(len(classes))]
    for klass, size in zip(classes, per_class, strict=True):
        made = 0
        while made < size:
            kid = gen.kid(klass, with_ine=rng.random() >= shares.without_ine)
            if kids and rng.random() < shares.homonyms:
                model = kids[rng.randrange(len(kids))]
                kid.nom, kid.prenom, kid.sexe = model.nom, model.prenom, model.sexe
            if not kid.ine:
                key = (kid.nom, kid.prenom, kid.birth)
                if key in no_ine_keys:  # the engine refuses two lines like this: draw again
                    continue
                no_ine_keys.add(key)
            kids.append(kid)
            made += 1
            if made < size and rng.random() < shares.twins:
                twin_sexe = "F" if rng.random() < 0.5 else "M"
                twin_prenom = gen.prenom(twin_sexe)
                if twin_prenom != kid.prenom:
                    kids.append(
                        _Kid(
                            gen.ine(),
                            kid.nom,
                            kid.nom_usage,
                            twin_prenom,
                            twin_sexe,
                            kid.birth,
                            kid.niveau,
                            klass,
                            kid.groups,
                            kid.dispositif,
                        )
                    )
                    made += 1

    # --- the export ---------------------------------------------------------------------------------
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(ONDE2_HEADER)
        long_share, upper_share = shares.long_niveau_labels, shares.upper_case_prenoms
        writer.writerows(
            [
                k.ine,
                k.nom,
                k.nom_usage,
                k.prenom.upper() if rng.random() < upper_share else k.prenom,
                _onde_date(k.birth),
                k.sexe,
                gen.long_label[k.niveau] if k.niveau and rng.random() < long_share else k.niveau,
                k.klass.label,
                k.klass.classe_id,
                k.dispositif,
                ", ".join(k.groups),
            ]
            for k in kids
        )

    # --- the SACoche state --------------------------------------------------------------------------
    db.unlink(missing_ok=True)
    create_sqlite(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    niveau_ids = dict(conn.execute("SELECT niveau_ref, niveau_id FROM sacoche_niveau"))
    group_rows: list[tuple[int, str, str, str, int]] = []
    groupe_id = itertools.count(1)
    planted = dict.fromkeys(
        (
            "create",
            "update",
            "deactivate",
            "reactivate",
            "class_create",
            "class_rename",
            "class_retire",
            "group_create",
            "group_retire",
        ),
        0,
    )
    existing: list[int] = []
    present: dict[str, list[str]] = {}
    for kid in kids:
        niveaux = present.setdefault(kid.klass.classe_id, [])
        if kid.niveau not in niveaux:
            niveaux.append(kid.niveau)
    for klass in classes:
        for niveau in sorted(present.get(klass.classe_id, ())):
            ref, cls_name, cls_niveau = gen.class_of(klass, niveau)
            if klass.new:
                planted["class_create"] += 1
                continue
            if klass.renamed:
                old_label = f"{'-'.join(n or 'ULIS' for n in klass.niveaux)} M. Ancien"
                cls_name = gen.class_of(klass, niveau, old_label)[1]
                planted["class_rename"] += 1
            gid = next(groupe_id)
            klass.groupe_ids[niveau] = gid
            existing.append(gid)
            group_rows.append((gid, "classe", ref, cls_name, niveau_ids.get(cls_niveau.upper(), 0)))
    vanished = next(groupe_id)
    group_rows.append((vanished, "classe", "099999_CM2", "[CM2] CM2 M. Parti", niveau_ids["CM2"]))
    planted["class_retire"] += 1
    policy = gen.rules.policy["groups"]
    group_ids: dict[str, int] = {}
    for label in GROUP_LABELS[:-1]:
        group_ids[label] = gid = next(groupe_id)
        group_rows.append((gid, "groupe", group_ref(label, policy), label[:20], 0))
    planted["group_create"] += 1  # the last label
    retired = next(groupe_id)
    group_rows.append((retired, "groupe", group_ref(RETIRED_GROUP, policy), RETIRED_GROUP, 0))
    planted["group_retire"] += 1
    hand_made = next(groupe_id)
    group_rows.append((hand_made, "groupe", "", HAND_MADE_GROUP, 0))
    conn.executemany(
        "INSERT INTO sacoche_groupe (groupe_id, groupe_type, groupe_ref, groupe_nom, niveau_id) "
        "VALUES (?, ?, ?, ?, ?)",
        group_rows,
    )

    users: list[tuple[object, ...]] = []
    memberships: list[tuple[int, int]] = []
    secret = password_hash("demo")
    # ids shuffled so that the database's order is not the file's
    user_ids = list(range(1, len(kids) + round(pupils * shares.leavers) + round(pupils * shares.former) + 2))
    rng.shuffle(user_ids)
    next_id = iter(user_ids)
    fold_cache: dict[str, str] = {}

    def add(kid: _Kid, *, ine: str, prenom: str, genre: str, sortie: str, classe_id: int) -> int:
        uid = next(next_id)
        users.append(
            (
                uid,
                "ELV",
                ine,
                genre,
                kid.nom,
                prenom,
                kid.birth,
                gen.login(kid.prenom, kid.nom, uid),
                secret,
                sortie,
                classe_id,
            )
        )
        return uid

    arrivals = shares.arrivals
    returning = arrivals + shares.returning
    changes = returning + shares.class_changes
    updates = changes + shares.updates
    for kid in kids:
        draw = rng.random()
        if draw < arrivals:
            planted["create"] += 1
            continue
        ine, prenom, genre, sortie = kid.ine, kid.prenom, kid.sexe, "9999-12-31"
        own = kid.klass.groupe_ids.get(kid.niveau)
        classe_id = own if own is not None else rng.choice(existing)
        if draw < returning:
            sortie, classe_id = LEFT_LAST_YEAR, 0
            planted["reactivate"] += 1
        elif own is None:
            planted["update"] += 1  # the class is new: the account sits in another one
        elif draw < changes:
            classe_id = rng.choice(existing)
            while classe_id == own and len(existing) > 1:
                classe_id = rng.choice(existing)
            planted["update"] += classe_id != own
        elif draw < updates:
            planted["update"] += 1
            folded = fold_cache.get(prenom)
            if folded is None:
                folded = fold_cache[prenom] = str(gen.norm("prenom", fold(prenom)))
            if folded != prenom and ine:  # without INE, a prénom without accents is a look-alike
                prenom = folded
            elif ine:
                ine = ""
            else:
                genre = "I"
        uid = add(kid, ine=ine, prenom=prenom, genre=genre, sortie=sortie, classe_id=classe_id)
        wanted = [group_ids[g] for g in kid.groups if g in group_ids]
        if rng.random() < shares.membership_changes:
            if wanted and rng.random() < 0.5:
                wanted.pop()
            else:
                extra = group_ids[rng.choice(GROUP_LABELS[:-1])]
                if extra not in wanted:
                    wanted.append(extra)
        memberships.extend((uid, gid) for gid in wanted)
        if rng.random() < 0.01:
            memberships.append((uid, hand_made))

    # leavers (active, absent) and former pupils who stay away
    for count, sortie, key in (
        (round(pupils * shares.leavers), "9999-12-31", "deactivate"),
        (round(pupils * shares.former), LEFT_LONG_AGO, ""),
    ):
        for _ in range(count):
            klass = rng.choice(classes)
            kid = gen.kid(klass)
            gid = klass.groupe_ids.get(kid.niveau, 0) if sortie == "9999-12-31" else 0
            if sortie == "9999-12-31" and not gid:
                gid = rng.choice(existing)
            uid = add(kid, ine=kid.ine, prenom=kid.prenom, genre=kid.sexe, sortie=sortie, classe_id=gid)
            if key:
                planted[key] += 1
                memberships.extend((uid, group_ids[g]) for g in kid.groups if g in group_ids)
    # a pupil of the vanished class who left long ago
    kid = gen.kid(classes[0])
    add(kid, ine=kid.ine, prenom=kid.prenom, genre=kid.sexe, sortie=LEFT_LONG_AGO, classe_id=vanished)

    users.sort()
    conn.executemany(
        f"INSERT INTO sacoche_user ({', '.join(_USER_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_USER_COLUMNS))})",
        users,
    )
    top = users[-1][0] if users else 0
    conn.executemany(
        "INSERT INTO sacoche_user (user_id, user_profil_sigle, user_nom, user_prenom, user_login, "
        "user_password) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (top + 1, "ENS", "ANCOLIE", "Rose", f"ens.{name}"[:30], secret),
            (top + 2, "DIR", "TILLEUL", "Hélène", f"dir.{name}"[:30], secret),
        ],
    )
    conn.executemany(
        "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
        sorted(set(memberships)),
    )
    conn.commit()
    conn.close()
    return SchoolFiles(name, export, db, len(kids), len(users), planted)


# ------------------------------------------------------------------------------------------------ API


def generate(
    out: Path,
    *,
    schools: int = 1,
    pupils: int = 300,
    seed: int = 20261129,
    shares: Shares | None = None,
    rules: RuleSet | None = None,
    prefix: str = "ecole",
) -> list[SchoolFiles]:
    """Write ``schools`` schools of about ``pupils`` pupils each into ``out`` (created if needed).

    Files: ``<prefix>-NN.csv`` (ONDE 2 export: UTF-8 with BOM, ``;``, CRLF) and ``<prefix>-NN.db``
    (SACoche state, SQLite). Returns one :class:`SchoolFiles` per school, in order.
    """
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(random.Random(seed), rules or load_rules(), shares or Shares())
    width = max(2, len(str(schools)))
    result = []
    for index in range(1, schools + 1):
        name = f"{prefix}-{index:0{width}d}"
        result.append(_school(gen, name, pupils, out / f"{name}.csv", out / f"{name}.db"))
    return result


def write_db_map(path: Path, schools: Sequence[SchoolFiles], export_dir: Path | None = None) -> Path:
    """A ``batch --db-map`` YAML file: each export (relative to ``export_dir``) → database, plan dir."""
    base = export_dir or path.parent
    lines = ["# export file (relative to the batch DIR) -> SACoche database and plan directory", "schools:"]
    for school in schools:
        export = school.export.resolve().relative_to(base.resolve()).as_posix()
        lines += [
            f"  - export: {json.dumps(export)}",
            f"    db: {json.dumps(school.db_url)}",
            f"    out: {json.dumps(school.name)}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write the files into")
    parser.add_argument("--schools", type=int, default=1)
    parser.add_argument("--pupils", type=int, default=300, help="pupils per school (about)")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    made = generate(args.out, schools=args.schools, pupils=args.pupils, seed=args.seed)
    write_db_map(args.out / "db-map.yaml", made)
    for school in made:
        print(f"{school.export}: {school.pupils} pupils, {school.accounts} accounts; {school.planted}")
    print(f"written in {time.perf_counter() - started:.1f} s; db map: {args.out / 'db-map.yaml'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
