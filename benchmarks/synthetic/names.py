"""The made-up names and fixed lists the synthetic schools are drawn from (never a real pupil's).

Family and given names are common French ones (accents, hyphens, apostrophes, particles), most frequent
first: :mod:`benchmarks.synthetic.people` draws them with a long-tailed frequency. The lists are kept as
``|``-separated text so that this file stays readable; their order matters (same seed, same files).
"""

from __future__ import annotations


def _names(text: str) -> tuple[str, ...]:
    """The names of a ``|``-separated block, in order."""
    return tuple(name.strip() for name in text.split("|"))


# Most frequent first: drawn with a long-tailed (Zipf-like) frequency.
FAMILY_NAMES = _names(
    """
    MARTIN | BERNARD | THOMAS | PETIT | ROBERT | RICHARD | DURAND | DUBOIS | MOREAU | LAURENT | SIMON |
    MICHEL | LEFÈVRE | LEROY | ROUX | DAVID | BERTRAND | MOREL | FOURNIER | GIRARD | BONNET | DUPONT |
    LAMBERT | FONTAINE | ROUSSEAU | VINCENT | MÜLLER | LEFEBVRE | FAURE | ANDRÉ | MERCIER | BLANC |
    GUÉRIN | BOYER | GARNIER | CHEVALIER | FRANÇOIS | LEGRAND | GAUTHIER | GARCIA | PERRIN | ROBIN |
    CLÉMENT | MORIN | NICOLAS | HENRY | ROUSSEL | MATHIEU | GAUTIER | MASSON | MARCHAND | DUVAL | DENIS |
    DUMONT | MARIE | LEMAIRE | NOËL | MEYER | DUFOUR | MEUNIER | BRUN | BLANCHARD | GIRAUD | JOLY |
    RIVIÈRE | LUCAS | BRUNET | GAILLARD | BARBIER | ARNAUD | MARTINEZ | GÉRARD | ROCHE | RENARD |
    SCHMITT | ROY | LEROUX | COLIN | VIDAL | CARON | PICARD | ROGER | FABRE | AUBERT | LEMOINE | RENAUD |
    DUMAS | LACROIX | OLIVIER | PHILIPPE | BOURGEOIS | PIERRE | BENOÎT | REY | LECLERC | PAYET | ROLLAND |
    LECLERCQ | GUILLAUME | LECOMTE | LOPEZ | JEAN | DUPUY | GUILLOT | HUBERT | BERGER | CARPENTIER |
    SANCHEZ | DUPUIS | MOULIN | LOUIS | DESCHAMPS | HUET | VASSEUR | PEREZ | BOUCHER | FLEURY | ROYER |
    KLEIN | JACQUET | ADAM | PARIS | POIRIER | MARTY | AUBRY | GUYOT | CARRÉ | CHARLES | RENAULT |
    CHARPENTIER | MÉNARD | MAILLARD | BARON | BERTIN | BAILLY | HERVÉ | SCHNEIDER | FERNANDEZ | LE GALL |
    COLLET | LÉGER | BOUVIER | JULIEN | PRÉVOST | MILLET | PERROT | DANIEL | LE ROUX | COUSIN | GERMAIN |
    BRETON | BESSON | LANGLOIS | RÉMY | LE GOFF | PELLETIER | LÉVÊQUE | PERRIER | LEBLANC | BARRÉ |
    LEBRUN | MARCHAL | WEBER | MALLET | HAMON | BOULANGER | JACOB | MONNIER | MICHAUD | RODRIGUEZ |
    GUICHARD | GILLET | ÉTIENNE | GRONDIN | POULAIN | TESSIER | CHEVALLIER | COLLIN | CHAUVIN | DA SILVA |
    BOUCHET | GAY | LEMAÎTRE | BÉNARD | MARÉCHAL | HUMBERT | REYNAUD | ANTOINE | HOARAU | PERRET |
    BARTHÉLEMY | CORDIER | PICHON | LEJEUNE | GILBERT | LAMY | DELAUNAY | PASQUIER | CARLIER | LAPORTE |
    D'ALMEIDA | N'DIAYE | N'GUESSAN | D'HARCOURT | DE LA FONTAINE | DE SOUSA | NGUYEN | TRAN | DIALLO |
    TRAORÉ | KONÉ | BENALI | HADDAD | KERGOAT | LE BIHAN | QUÉRÉ | OUEDRAOGO | FERREIRA | DOS SANTOS |
    L'HERMITE
    """
)
GIVEN_NAMES_F = _names(
    """
    Jade | Louise | Emma | Ambre | Alice | Rose | Anna | Alba | Romy | Mia | Léna | Lina | Julia | Iris |
    Chloé | Inès | Léa | Zoé | Agathe | Jeanne | Mila | Victoire | Lou | Nina | Adèle | Margaux | Lucie |
    Héloïse | Maëlys | Anaïs | Salomé | Noémie | Capucine | Éloïse | Aïcha | Clémence | Océane | Maëlle |
    Apolline | Célestine | Éléonore | Joséphine | Daphné | Bérénice | Zélie | Anaëlle | Léonie | Émilie |
    Hélène | Sarah | Manon | Camille | Juliette | Marie-Lou | Anne-Sophie | Marie-Ange | Lou-Anne |
    Rose-Marie | Fatoumata | Yasmine | Sofia | Mélodie | Clémentine | Gaëlle | Noëlie | Athénaïs | Thaïs |
    Ophélie | Aurélie | Maïwenn
    """
)
GIVEN_NAMES_M = _names(
    """
    Gabriel | Léo | Raphaël | Louis | Arthur | Jules | Maël | Adam | Lucas | Hugo | Noah | Sacha | Gabin |
    Liam | Aaron | Nathan | Tom | Éden | Léon | Théo | Noé | Paul | Mathis | Timothée | Gaël | Énzo |
    Joël | Loïc | Côme | Aurélien | Clément | Jérôme | Anaël | Benoît | Théophile | Élie | Ibrahim |
    Yanis | Mohamed | Amir | Ismaël | Rayan | Ethan | Lucien | Valentin | Baptiste | Maxime | Antoine |
    Mathéo | Évan | Noam | Isaac | Eliott | Jean-Baptiste | Pierre-Louis | Jean-Noël | Marc-Antoine |
    Louis-Gabriel | Timéo | Loïs | Aymeric | Grégoire | Honoré | Séraphin | Félix | Émile | Léandre |
    Anatole | Ulysse
    """
)
# The long tail: family names made of a head and an ending (BEAUCHAMP, DUMOULIN, LAFONTAINE,
# VERNEUIL…), sometimes with a particle (LE, DE, DU, D', N') — tens of thousands of names, each rare,
# as in France where the 200 most frequent family names cover only a small share of pupils.
SURNAME_HEADS = _names(
    """
    BEAU | BEL | BON | BOIS | BRU | CHAMP | CHÂTEL | CHEV | COL | COUR | DAM | DEL | DES | DU | FER |
    FLO | FONT | GAR | GEOF | GRAND | GUIL | HAUT | JOU | LA | LAN | LE | MAR | MAS | MON | MONT | MOU |
    PER | PIN | POI | QUEN | RAV | RIB | ROCH | SAIN | TAL | THI | VAL | VER | VIL | AU | ÉTI | GRÉ |
    MÉN | PRÉ | HÉR
    """
)
SURNAME_LINKS = ("", "", "", "", "E", "AR", "EN", "IL", "ER", "AN", "OL")
SURNAME_ENDINGS = _names(
    """
    CHAMP | FORT | VILLE | MONT | LIEU | VAL | AUD | AULT | ET | OT | IER | ELLE | ÈRE | IN | ARD | EAU |
    ON | AC | Y | OUX | ÉE | ÈS | IOT | ANGE | ERT | MOULIN | FONTAINE | NEUIL | BERT | GEON | GNAC |
    QUET | RAND | ZIN | LOT | ENNE | IAN | OUIN | ESSE | ÉRY
    """
)
SURNAME_PARTICLES = ("LE ", "DE ", "DU ", "D'", "N'", "LA ", "DE LA ")
#: share of pupils drawn from FAMILY_NAMES (the rest from the long tail)
COMMON_FAMILY_SHARE = 0.15
#: share of given names drawn from the lists above; the rest are composed (Marie-Lou, Jean-Noël…)
COMPOSED_GIVEN_SHARE = 0.08

#: class teachers' names (ONDE class labels)
TEACHERS = _names(
    """
    Ancolie | Pivoine | Quenouille | Framboisier | Églantine | Saule | Bouleau | Fougère | Mésange |
    Hirondelle | Platane | Marjolaine | Genêt | Aubépine | Cormoran | Ortolan | Pervenche | Rossignol |
    Tilleul | Châtaignier | Noisetier | Lavande | Bruyère | Myrtille
    """
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
INE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
INE_STEP = 387_420_489  # 3**18: coprime with 10**9, so i -> i*step mod 10**9 is a bijection
