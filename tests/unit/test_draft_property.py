"""`rules draft` on generated exports: any mix of common spellings, in any order, among extra columns."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from helpers import onde2_row, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.draft import analyse
from engine.rules import load_rules

RULES = load_rules()
#: spellings per field, in the order of helpers.onde2_row's cells (nom_usage, dispositif, groups left out)
SPELLINGS = {
    "ine": ["INE", "N° INE", "Numéro INE", "INE élève", "ine"],
    "nom": ["NOM", "Nom de famille", "Nom élève", "NOM_FAMILLE", "Nom de naissance", "Patronyme"],
    "prenom": ["Prénom", "PRENOM", "Prénom élève", "Pré-nom", "Premier prénom", "prenom_eleve"],
    "naissance": ["Date de naissance", "Date naiss.", "DATE_NAISSANCE", "Né(e) le", "Date de naiss.", "DDN"],
    "genre": ["Sexe", "Genre", "SEXE", "Code sexe", "Sexe (M/F)"],
    "niveau": ["Niveau", "Niv.", "NIVEAU", "Niveau scolaire", "Code niveau"],
    "classe_label": [
        "Classe",
        "Libellé classe",
        "Libellé de la classe",
        "CLASSE_LIBELLE",
        "Nom de la classe",
    ],
    "classe_id": ["Id. classe", "ID_CLASSE", "Code de la classe", "Numéro de classe", "Classe (identifiant)"],
}
CELL = {"ine": 0, "nom": 1, "prenom": 3, "naissance": 4, "genre": 5, "niveau": 6, "classe_label": 7}
CELL["classe_id"] = 8
#: extra columns and their values: irrelevant (ignored) or unknown (left for inspect to report)
EXTRAS = {
    "Adresse": "1 rue des Lilas",
    "Téléphone": "06 00 00 00 01",
    "Commune": "BOURG-FICTIF",
    "Remarque": "",
    "Observations": "RAS",
    "Date d'entrée": "01/09/2025",
}
ROWS = [
    onde2_row(nom=f"NOM{i}", prenom=f"Prénom{i}", classe_id=f"10451{i % 3}", classe=f"Classe {i % 3}")
    for i in range(12)
]


@st.composite
def exports(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    chosen = {field: draw(st.sampled_from(names)) for field, names in SPELLINGS.items()}
    extras = draw(st.lists(st.sampled_from(sorted(EXTRAS)), unique=True, max_size=4))
    columns = draw(st.permutations([*chosen, *extras]))
    return [chosen.get(c, c) for c in columns], columns


@settings(max_examples=int(os.environ.get("ONDE_PROPERTY_EXAMPLES", 40)), deadline=None)
@given(exports())
def test_any_mix_of_spellings_maps_every_field(export: tuple[list[str], list[str]]) -> None:
    header, columns = export
    rows = [[row[CELL[c]] if c in CELL else EXTRAS[c] for c in columns] for row in ROWS]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "e.csv", rows, header=header)
        found = analyse(path, RULES)
    mapping = {p.field: columns[p.column] for p in found.proposals}
    assert mapping == {c: c for c in columns if c in SPELLINGS}, header
    assert found.missing_required == ()
    assert {columns[i] for i in found.ignored} <= {"Adresse", "Téléphone", "Commune"}
    assert {columns[i] for i in found.unmapped} <= {"Remarque", "Observations", "Date d'entrée"}
