"""Parents ("responsables") exports built in code for tests: ONDE v1 headers, any number of child groups."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from helpers import write_csv

PARENT_HEADER = [
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


def child_header(word: str = "élève", birth: str | None = None) -> list[str]:
    classes = "Classes élèves" if word == "élève" else "Classes enfants"
    group = [f"Nom d'usage {word}", f"Nom de famille {word}", f"Prénom {word}", classes]
    return [*group, birth] if birth else group


def parent(
    civilite: str = "MME",
    nom: str = "LAVANDIER",
    prenom: str = "Solène",
    email: str = "",
    children: Sequence[Sequence[str]] = (("", "LAVANDIER", "Noé", "CP Mme Pivoine"),),
) -> list[str]:
    row = [civilite, "", nom, prenom, "7 impasse des Glycines", "14990", "BOURG-FICTIF", "FRANCE", email]
    row += ["", "", "", "06 00 00 00 00"]
    for child in children:
        row += list(child)
    return row


def responsables(
    path: Path,
    rows: Sequence[Sequence[str]],
    groups: int = 3,
    *,
    word: str = "élève",
    birth: str | None = None,
    extra: Sequence[str] = (),
    encoding: str = "cp1252",
    after: Sequence[Sequence[str]] = (),
) -> Path:
    header = [*PARENT_HEADER, *extra]
    for _ in range(groups):
        header += child_header(word, birth)
    width = len(header)
    padded = [[*r, *[""] * (width - len(r))] for r in rows]
    return write_csv(path, [*padded, *after], header=header, encoding=encoding)
