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


def add_parent(
    db: object,
    nom: str,
    prenom: str,
    login: str,
    *,
    children: Sequence[tuple[int, int]] = (),
    address: Sequence[str] | None = None,
    genre: str = "F",
    email: str = "",
    email_origine: str = "",
    sortie: str = "9999-12-31",
) -> int:
    """A TUT account in a tests.schools.SchoolDB, linked to children ((eleve_id, resp_legal_num)), with an
    address (the seven columns of sacoche_parent_adresse) when given."""
    user_id = db.user(  # type: ignore[attr-defined]
        "TUT",
        nom,
        prenom,
        login,
        user_genre=genre,
        user_email=email,
        user_email_origine=email_origine,
        user_sortie_date=sortie,
    )
    conn = db.conn  # type: ignore[attr-defined]
    for eleve_id, number in children:
        conn.execute(
            "INSERT INTO sacoche_jointure_parent_eleve (parent_id, eleve_id, resp_legal_num) "
            "VALUES (?, ?, ?)",
            (user_id, eleve_id, number),
        )
    if address is not None:
        conn.execute(
            "INSERT INTO sacoche_parent_adresse VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (user_id, *address)
        )
    return user_id
