"""Write the bundled synthetic example: one small primary school exported as ONDE 2 and as ONDE v1.

Every name is invented (plants, birds, rivers). Run ``python examples/make_example.py`` to rebuild the
files; the output is deterministic, so a re-run changes nothing.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

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


STREETS = [
    "rue des Tilleuls",
    "impasse des Glycines",
    "chemin du Moulin Vert",
    "allée des Saules",
    "place du Lavoir",
]


def write_responsables(rows: list[dict[str, str]], path: Path) -> int:
    """The ONDE v1 responsables export of the same school (docs/parents.md): one row per parent, a group
    of child columns per child (as many groups as the largest family), siblings by family name; a
    father on one row per child, a one-parent family, a child the pupils file does not hold (a question),
    and the organisations table ONDE appends. Returns the number of parent rows."""
    from engine.ops import fold

    rng = random.Random(20261202)
    families: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        families.setdefault(r["nom"], []).append(r)
    groups = max(len(kids) for kids in families.values())
    parent_header = [
        "Civilité Responsable",
        "Nom usage responsable",
        "Nom responsable",
        "Prénom responsable",
        "Adresse responsable",
        "CP responsable",
        "Commune responsable",
        "Pays",
        "Courriel",
        "Téléphone domicile",
        "Téléphone travail",
        "Numéro de poste",
        "Téléphone portable",
    ]
    child_header = ["Nom d'usage élève", "Nom de famille élève", "Prénom élève", "Classes élèves"]
    lines: list[list[str]] = []
    for number, (nom, kids) in enumerate(sorted(families.items())):
        address = [f"{rng.randint(1, 40)} {rng.choice(STREETS)}", "14990", "BOURG-FICTIF", "FRANCE"]
        children = [["", k["nom"], k["prenom"], k["classe"]] for k in kids]
        if number == 3:
            children.append(["", nom, "Inconnue", "CP Mme Absente"])  # not in the pupils file: asked
        mother = rng.choice(GIVEN_NAMES_F)
        email = f"{fold(mother).replace(' ', '')}.{number}@exemple.invalid"
        lines.append(
            [
                "MME",
                "",
                nom,
                mother,
                *address,
                email,
                "",
                "",
                "",
                "06 00 00 00 00",
                *[cell for child in children for cell in child],
            ]
        )
        if number % 5 == 4:
            continue  # a one-parent family
        father = rng.choice(GIVEN_NAMES_M)
        if len(children) > 1 and number % 2:  # the father on one row per child
            for child in children:
                lines.append(["M.", "", nom, father, *address, "", "", "", "", "07 00 00 00 00", *child])
        else:
            lines.append(
                [
                    "M.",
                    "",
                    nom,
                    father,
                    *address,
                    "",
                    "",
                    "",
                    "",
                    "07 00 00 00 00",
                    *[cell for child in children for cell in child],
                ]
            )
    header = parent_header + child_header * max(groups, max(len(x) - 13 for x in lines) // 4)
    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for line in lines:
            writer.writerow(line + [""] * (len(header) - len(line)))
        writer.writerow(["Intitulé", "Adresse Organisme"])
        writer.writerow(["Association des parents d'élèves", "1 rue des Tilleuls 14990 BOURG-FICTIF"])
    return len(lines)


def add_archive(db: Any, onde1_path: Path) -> None:
    """SACoche's archive of last term's ONDE v1 import (as its wizard keeps it): the same file, but class
    104513 had another teacher then, so the plan proposes renaming it (checked: nobody edited its name)."""
    from engine.archive import php_json

    with onde1_path.open(encoding="cp1252", newline="") as handle:
        lines = [row for row in csv.reader(handle, delimiter=";") if row]
    column = lines[0].index("Libellé classe")
    for row in lines[1:]:
        if row[column + 1] == "104513":
            row[column] = "CE1 M. Ancien"
    db.execute(
        "CREATE TABLE IF NOT EXISTS sacoche_siecle_import (siecle_import_objet VARCHAR(12) NOT NULL "
        "DEFAULT '' PRIMARY KEY, siecle_import_date DATE DEFAULT NULL, siecle_import_annee CHAR(4) "
        "DEFAULT NULL, siecle_import_contenu MEDIUMTEXT NOT NULL)"
    )
    db.execute(
        "INSERT OR REPLACE INTO sacoche_siecle_import VALUES ('Onde', '2026-06-15', '2025', ?)",
        (php_json(lines),),
    )


def write_state(export_path: Path, db_path: Path, onde1_path: Path | None = None) -> dict[str, int]:
    """Build last term's SACoche database for the example school (SQLite), consistent with the export.

    Planned against the export, it yields: new pupils, leavers, a returning pupil, a name whose accents
    were fixed, an INE that appears, a change of class, a look-alike to decide, a renamed class, a class
    that vanished, a new group, a hand-made group left alone, and a teacher whose login a new pupil wants.
    """
    import sqlite3

    from engine.ops import fold
    from engine.plan import class_of, group_ref
    from engine.plan.logins import login_base, password_hash
    from engine.read import read_export
    from engine.rules import load_rules
    from engine.sacoche_schema import create_sqlite

    rules = load_rules()
    export = read_export(export_path, rules)
    class_policy, ctx = rules.policy["classes"], rules.context
    db_path.unlink(missing_ok=True)
    create_sqlite(db_path)
    db = sqlite3.connect(db_path)
    niveau_ids = dict(db.execute("SELECT niveau_ref, niveau_id FROM sacoche_niveau"))

    def add_group(kind: str, ref: str, name: str, niveau: str = "") -> int:
        cursor = db.execute(
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id) VALUES (?, ?, ?, ?)",
            (kind, ref, name, niveau_ids.get(niveau, 0)),
        )
        return int(cursor.lastrowid or 0)

    classes: dict[str, int] = {}
    for pupil in export.pupils:
        ref, name, niveau = class_of(pupil, class_policy, ctx)
        if ref not in classes and ref != "104515_CM2":
            classes[ref] = add_group(
                "classe", ref, "[CE1] CE1 M. Ancien" if ref == "104513_CE1" else name, niveau
            )
    classes["104510_CM2"] = add_group("classe", "104510_CM2", "[CM2] CM2 M. Parti", "CM2")
    chorale = add_group("groupe", group_ref("Chorale", rules.policy["groups"]), "Chorale")
    soutien = add_group("groupe", "", "Soutien lecture")

    def add_user(profil: str, nom: str, prenom: str, login: str, **extra: object) -> int:
        columns = {
            "user_profil_sigle": profil,
            "user_nom": nom,
            "user_prenom": prenom,
            "user_login": login,
            "user_password": password_hash("demo-" + login),
            **extra,
        }
        cursor = db.execute(
            f"INSERT INTO sacoche_user ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            list(columns.values()),
        )
        return int(cursor.lastrowid or 0)

    pupils = list(export.pupils)
    new = {pupils[3].line, pupils[20].line, pupils[40].line}
    returning, accent, ine_appears, moved, lookalike = (pupils[i].line for i in (15, 24, 30, 35, 45))
    counts = {"accounts": 0}
    for pupil in pupils:
        if pupil.line in new:
            continue
        ref = class_of(pupil, class_policy, ctx)[0]
        classe_id = classes["104510_CM2"] if ref == "104515_CM2" else classes[ref]
        nom, prenom, ine = pupil.nom, pupil.prenom, pupil.ine
        if pupil.line == accent:
            prenom = fold(prenom).title()
        if pupil.line == ine_appears:
            ine = ""
        if pupil.line == moved:
            classe_id = next(v for k, v in classes.items() if k != ref and k.startswith("104514"))
        if pupil.line == lookalike:
            nom, ine = nom[:-1] + ("A" if nom[-1] != "A" else "E"), ""
        sortie = "2025-07-04" if pupil.line == returning else "9999-12-31"
        user_id = add_user(
            "ELV",
            nom,
            prenom,
            login_base(prenom, nom) + str(pupil.line),
            user_reference=ine,
            user_genre=pupil.genre,
            user_naissance_date=pupil.naissance,
            user_sortie_date=sortie,
            eleve_classe_id=classe_id,
        )
        counts["accounts"] += 1
        if ("Chorale" in pupil.regroupements and pupil.line % 3) or pupil.line == 8:
            db.execute(
                "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
                (user_id, chorale),
            )
        if pupil.line % 7 == 0:
            db.execute(
                "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
                (user_id, soutien),
            )
    # Leavers (active, not in the file) and a former pupil who stays away.
    add_user(
        "ELV",
        "FICTIF",
        "Ambre",
        "amb.fictif",
        user_reference="190000001AA",
        user_genre="F",
        user_naissance_date="2018-05-02",
        eleve_classe_id=classes["104513_CE1"],
    )
    add_user(
        "ELV",
        "IMAGINAIRE",
        "Basile",
        "bas.imaginair",
        user_reference="150000002BB",
        user_genre="M",
        user_naissance_date="2015-10-12",
        eleve_classe_id=classes["104510_CM2"],
    )
    add_user(
        "ELV",
        "ANCIEN",
        "Côme",
        "com.ancien",
        user_reference="130000003CC",
        user_genre="M",
        user_naissance_date="2013-01-09",
        user_sortie_date="2024-07-05",
    )
    # Staff: a teacher already holds the login the first new pupil would get.
    first_new = next(p for p in pupils if p.line in new)
    add_user("ENS", "ANCOLIE", "Rose", login_base(first_new.prenom, first_new.nom))
    add_user("DIR", "TILLEUL", "Hélène", "hel.tilleul")
    if onde1_path is not None:
        add_archive(db, onde1_path)
    db.commit()
    db.execute("VACUUM")
    db.close()
    return counts


if __name__ == "__main__":
    data = pupils()
    write_onde2(data, HERE / "onde2-ecole-des-tilleuls.csv")
    write_onde1(data, HERE / "onde1-ecole-des-tilleuls.csv")
    counts = write_state(
        HERE / "onde2-ecole-des-tilleuls.csv",
        HERE / "sacoche-ecole-des-tilleuls.db",
        HERE / "onde1-ecole-des-tilleuls.csv",
    )
    parents = write_responsables(data, HERE / "onde1-responsables-ecole-des-tilleuls.csv")
    accounts = counts["accounts"]
    print(
        f"{len(data)} pupils and {parents} parent rows written; SACoche state with {accounts} pupil accounts"
    )
