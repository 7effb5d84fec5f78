"""Write the bundled synthetic example: one small primary school exported as ONDE 2 and as ONDE v1.

Every name is invented (plants, birds, rivers). Run ``python examples/make_example.py`` to rebuild the
files; the output is deterministic, so a re-run changes nothing.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

FAMILY_NAMES = [
    "LAVANDIER",
    "ROSSIGNOL",
    "D'ALBERTIN",
    "BERTHELOT-NAÏM",
    "CHAMPFLEURY",
    "OUEDRAOGO",
    "VERGNOLLES",
    "PERCEVAL",
    "TISSERAND",
    "KERGOAT",
    "AUBÉPINE",
    "MARRONNIER",
    "LE GOÉLAND",
    "SAULE",
    "PERVENCHE",
    "DE LA BRUYÈRE",
    "ORTOLAN",
    "NGUYEN-CHARME",
    "BOULEAU",
    "ÉPERVIER",
    "FOUGÈRE",
    "MÉSANGE",
    "CORMORAN",
    "GENÊT",
    "HIRONDELLE",
    "LOIRET",
    "MARJOLAINE",
    "N'DIAYE-TILLEUL",
    "PLATANE",
    "QUÉRÉ",
]
GIVEN_NAMES_F = [
    "Maëlys",
    "Inès",
    "Chloé",
    "Zoé",
    "Marie-Lou",
    "Léa",
    "Anaïs",
    "Héloïse",
    "Salomé",
    "Noémie",
    "Jade",
    "Louise",
    "Éloïse",
    "Capucine",
    "Aïcha",
    "Rose",
]
GIVEN_NAMES_M = [
    "Noé",
    "Gaël",
    "Ibrahim",
    "Énzo",
    "Lucien",
    "Théo",
    "Raphaël",
    "Mathis",
    "Joël",
    "Aurélien",
    "Sacha",
    "Jules",
    "Loïc",
    "Timothée",
    "Yanis",
    "Côme",
]

# (ONDE class id, label, niveaux with birth years, dispositif offered)
CLASSES = [
    ("104511", "PS-MS Mme Pivoine", [("PS", 2022), ("MS", 2021)]),
    ("104512", "GS-CP M. Quenouille", [("GS", 2020), ("CP", 2019)]),
    ("104513", "CE1 Mme Ancolie", [("CE1", 2018)]),
    ("104514", "CE2-CM1 M. Framboisier", [("CE2", 2017), ("CM1", 2016)]),
    ("104515", "CM1-CM2 Mme Églantine", [("CM1", 2016), ("CM2", 2015)]),
]
PUPILS_PER_NIVEAU = 6
LONG_NIVEAU = {
    "PS": "Petite section",
    "MS": "Moyenne section",
    "GS": "Grande section",
    "CP": "Cours préparatoire",
    "CE1": "Cours élémentaire 1ère année",
    "CE2": "Cours élémentaire 2e année",
    "CM1": "Cours moyen 1ère année",
    "CM2": "Cours moyen 2e année",
}
CYCLE = {
    "PS": "CYCLE I",
    "MS": "CYCLE I",
    "GS": "CYCLE I",
    "CP": "CYCLE II",
    "CE1": "CYCLE II",
    "CE2": "CYCLE II",
    "CM1": "CYCLE III",
    "CM2": "CYCLE III",
}


def ine(rng: random.Random, year: int) -> str:
    """A synthetic INE with the real shape (9 digits then two letters); never a real pupil's."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{year % 100:02d}{rng.randrange(10**7):07d}{rng.choice(letters)}{rng.choice(letters)}"


def pupils() -> list[dict[str, str]]:
    rng = random.Random(20261129)
    rows = []
    for class_id, label, niveaux in CLASSES:
        for niveau, year in niveaux:
            for _ in range(PUPILS_PER_NIVEAU):
                sexe = rng.choice("MF")
                prenom = rng.choice(GIVEN_NAMES_M if sexe == "M" else GIVEN_NAMES_F)
                groups = []
                if niveau in ("CP", "CE1", "CE2") and rng.random() < 0.4:
                    groups.append("Chorale")
                if niveau in ("CM1", "CM2") and rng.random() < 0.5:
                    groups.append("Anglais renforcé")
                rows.append(
                    {
                        "ine": ine(rng, year) if rng.random() > 0.05 else "",
                        "nom": rng.choice(FAMILY_NAMES),
                        "prenom": prenom,
                        "naissance": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                        "sexe": sexe,
                        "niveau": niveau,
                        "classe": label,
                        "classe_id": class_id,
                        "dispositif": "UPE2A" if rng.random() < 0.04 else "",
                        "groupes": ", ".join(groups),
                    }
                )
    # Twins: same family, same birth date, different first names.
    twin = dict(rows[9], prenom="Capucine", sexe="F", ine=ine(rng, 2019))
    rows.insert(10, twin)
    return rows


def write_onde2(rows: list[dict[str, str]], path: Path) -> None:
    header = [
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
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for r in rows:
            writer.writerow(
                [
                    r["ine"],
                    r["nom"],
                    "",
                    r["prenom"],
                    r["naissance"],
                    r["sexe"],
                    r["niveau"],
                    r["classe"],
                    r["classe_id"],
                    r["dispositif"],
                    r["groupes"],
                ]
            )


def write_onde1(rows: list[dict[str, str]], path: Path) -> None:
    header = [
        "Nom élève",
        "Nom d'usage élève",
        "Prénom élève",
        "Date naissance",
        "Sexe",
        "INE",
        "Adresse1",
        "Cp1",
        "Commune1",
        "Pays1",
        " Cycle",
        "Niveau",
        "Libellé classe",
        "Identifiant classe",
    ]
    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for r in rows:
            day, month, year = r["naissance"].split("/")
            writer.writerow(
                [
                    r["nom"],
                    "",
                    r["prenom"],
                    f"{year}-{month}-{day}",
                    r["sexe"],
                    r["ine"],
                    "1 rue des Tilleuls",
                    "14990",
                    "BOURG-FICTIF",
                    "FRANCE",
                    CYCLE[r["niveau"]],
                    LONG_NIVEAU[r["niveau"]],
                    r["classe"],
                    r["classe_id"],
                ]
            )


if __name__ == "__main__":
    data = pupils()
    write_onde2(data, HERE / "onde2-ecole-des-tilleuls.csv")
    write_onde1(data, HERE / "onde1-ecole-des-tilleuls.csv")
    print(f"{len(data)} pupils written")
