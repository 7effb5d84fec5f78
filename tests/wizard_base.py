"""A SACoche base as SACoche's own import wizard would have written it, and the ONDE v1 file it came from.

The stored values are not computed by this project: they come from the conformance tables
(tests/data/sacoche-conformance/, made by running SACoche 2017-12-22's own PHP on each input). Each name row
becomes one pupil with its own INE and birth date, spread over the classes of the class table; the export is
written in Windows-1252 like a real ONDE v1 file, so rows whose text Windows-1252 cannot hold are left out.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from helpers import CONFORMANCE, SAMPLES

ENCODING = "cp1252"


@dataclass(frozen=True, slots=True)
class WizardClass:
    niveau: str  # as in the ONDE file
    label: str
    classe_id: str
    niveau_ref: str  # as SACoche stored them
    groupe_ref: str
    groupe_nom: str


@dataclass(frozen=True, slots=True)
class WizardPupil:
    prenom: str  # as in the ONDE file
    nom: str
    stored_prenom: str  # as SACoche stored them
    stored_nom: str
    ine: str
    naissance: str
    genre: str
    classe: WizardClass


def _rows(name: str) -> Iterator[list[str]]:
    with (CONFORMANCE / name).open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row and not row[0].startswith("#"):
                yield [cell.replace("\\t", "\t") for cell in row]


def _encodable(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def wizard_classes() -> list[WizardClass]:
    """The class table's rows that a Windows-1252 file can carry."""
    return [WizardClass(*row[:6]) for row in _rows("classes.tsv") if _encodable(*row[:3])]


def _ine(n: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{203400000 + n:09d}{letters[n % len(letters)]}{letters[(n // 7) % len(letters)]}"


def wizard_pupils(classes: Sequence[WizardClass]) -> list[WizardPupil]:
    """One pupil per name row that Windows-1252 can carry, each with a distinct INE and birth date."""
    pupils = []
    for n, row in enumerate(r for r in _rows("names.tsv") if _encodable(r[0], r[1])):
        prenom, nom, stored_prenom, stored_nom = row[:4]
        pupils.append(
            WizardPupil(
                prenom,
                nom,
                stored_prenom,
                stored_nom,
                _ine(n),
                (date(2016, 1, 1) + timedelta(days=n * 9)).isoformat(),
                "MF"[n % 2],
                classes[n % len(classes)],
            )
        )
    return pupils


def write_onde_v1(path: Path, pupils: Sequence[WizardPupil]) -> Path:
    """The ONDE v1 export the base came from: the sample's header, every cell quoted, Windows-1252."""
    header = SAMPLES.joinpath("onde_v1_example.csv").read_bytes().decode(ENCODING).splitlines()[0]
    lines = [header]
    for p in pupils:
        cells = [p.nom, "", p.prenom, p.naissance, p.genre, p.ine, "", "", "", "FRANCE"]
        cells += ["", "", "", "", "CYCLE II", p.classe.niveau, p.classe.label, p.classe.classe_id]
        cells += ["Oui", "Oui", "Oui", ""]
        lines.append(";".join('"' + c.replace('"', '""') + '"' if c else "" for c in cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(ENCODING))
    return path


def archive_content(export: Path) -> str:
    """What the wizard keeps of the file in sacoche_siecle_import (row Onde): PHP's ``json_encode`` of its
    lines, header included, as arrays of cells (no spaces, ``\\uXXXX`` escapes, ``/`` written ``\\/``)."""
    with export.open(encoding=ENCODING, newline="") as handle:
        lines = [row for row in csv.reader(handle, delimiter=";") if row]
    return json.dumps(lines, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def fill_mysql(
    db: object, pupils: Sequence[WizardPupil], classes: Sequence[WizardClass], export: Path | None = None
) -> None:
    """Write the classes and pupils into ``db`` (a SacocheDatabase) as the wizard stored them, and its
    archive of ``export`` when given (the wizard's import of that file on 2026-09-02)."""
    with db.connect() as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
        if export is not None:
            cursor.execute(
                "UPDATE sacoche_siecle_import SET siecle_import_date = '2026-09-02', "
                "siecle_import_annee = '2026', siecle_import_contenu = %s WHERE siecle_import_objet = 'Onde'",
                (archive_content(export),),
            )
        cursor.execute("SELECT niveau_id, niveau_ref FROM sacoche_niveau")
        niveaux = {str(ref).upper(): int(nid) for nid, ref in cursor.fetchall()}
        ids: dict[str, int] = {}
        for cls in classes:
            prefixes = [r for r in niveaux if r and cls.niveau_ref.upper().startswith(r)]
            niveau_id = niveaux[max(prefixes, key=len)] if prefixes else 0
            cursor.execute(
                "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id) "
                "VALUES ('classe', %s, %s, %s)",
                (cls.groupe_ref, cls.groupe_nom, niveau_id),
            )
            ids[cls.classe_id] = cursor.lastrowid
        for n, p in enumerate(pupils):
            cursor.execute(
                "INSERT INTO sacoche_user (user_profil_sigle, user_reference, user_genre, user_nom, "
                "user_prenom, user_naissance_date, user_login, user_password, eleve_classe_id) "
                "VALUES ('ELV', %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    p.ine,
                    p.genre,
                    p.stored_nom,
                    p.stored_prenom,
                    p.naissance,
                    f"eleve.{n:04d}",
                    "0" * 32,
                    ids[p.classe.classe_id],
                ),
            )
        connection.commit()
