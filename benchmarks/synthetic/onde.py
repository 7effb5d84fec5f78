"""The ONDE export of a synthetic school: an ONDE 2 pupils' file as ONDE writes it.

UTF-8 with a BOM, ``;`` between cells, CRLF line ends; niveaux sometimes written in full ("Cours
élémentaire 1ère année") and prénoms sometimes in capitals, as the normaliser must undo.
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.synthetic.people import Generator, Kid

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


def onde_date(iso: str) -> str:
    """``2019-03-04`` as ONDE writes it: ``04/03/2019``."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def write_onde2(export: Path, gen: Generator, kids: list[Kid]) -> None:
    """Write ``kids`` into ``export`` as an ONDE 2 file (draws from ``gen``'s random state)."""
    rng, shares = gen.rng, gen.shares
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
                onde_date(k.birth),
                k.sexe,
                gen.long_label[k.niveau] if k.niveau and rng.random() < long_share else k.niveau,
                k.klass.label,
                k.klass.classe_id,
                k.dispositif,
                ", ".join(k.groups),
            ]
            for k in kids
        )
