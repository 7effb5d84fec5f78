"""Small builders shared by the tests: synthetic exports written from code, rule-directory copies."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from engine.rules import default_rules_dir

REPO = Path(__file__).resolve().parents[1]
#: synthetic exports copied from ../shared/samples (tests never read ../shared: a fresh clone has none)
SAMPLES = REPO / "tests" / "data" / "samples"
#: input → value stored by SACoche 2017-12-22's own PHP, copied from ../shared/sacoche-conformance
CONFORMANCE = REPO / "tests" / "data" / "sacoche-conformance"
EXAMPLES = REPO / "examples"

ONDE2_HEADER = [
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


def onde2_row(
    ine: str = "203451870GH",
    nom: str = "LAVANDIER",
    prenom: str = "Noé",
    naissance: str = "14/03/2022",
    sexe: str = "M",
    niveau: str = "PS",
    classe: str = "PS-MS Mme Pivoine",
    classe_id: str = "104511",
    dispositif: str = "",
    groupes: str = "",
    nom_usage: str = "",
) -> list[str]:
    return [ine, nom, nom_usage, prenom, naissance, sexe, niveau, classe, classe_id, dispositif, groupes]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = ONDE2_HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8",
    newline: str = "\r\n",
    before: Sequence[str] = (),
) -> Path:
    """Write a CSV export the way a spreadsheet would (quoting only when needed)."""
    lines = list(before)
    for row in [header, *rows]:
        cells = []
        for cell in row:
            if any(c in cell for c in (delimiter, '"', "\n")):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        lines.append(delimiter.join(cells))
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def copy_rules(destination: Path) -> Path:
    """A private, editable copy of the built-in rules."""
    target = destination / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


def big_onde1(path: Path, filler: int = 9000) -> Path:
    """The example's ONDE v1 file with long (ignored) address cells: its archive needs several pieces."""
    import csv

    with (EXAMPLES / "onde1-ecole-des-tilleuls.csv").open(encoding="cp1252", newline="") as handle:
        lines = [row for row in csv.reader(handle, delimiter=";") if row]
    column = lines[0].index("Adresse1")
    for n, row in enumerate(lines[1:]):
        row[column] = f"{n} " + "chemin des Tilleuls / " * (filler // 22)
    with path.open("w", encoding="cp1252", newline="") as out:
        csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(lines)
    return path
