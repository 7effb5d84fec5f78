"""SACoche's archive of a synthetic school's previous import: what its own import wizard left behind.

A school switching to onde-sacoche from SACoche's wizard has, in ``sacoche_siecle_import`` (row ``Onde``),
the ONDE v1 file it imported last: one line per pupil then in the school, in the class SACoche still
holds them in, with that class's label of the time (last year's teacher for a renamed class). That is
what the plan reads to tell a changed ONDE label from a name kept by hand (engine/plan/classes.py).
The columns are the v1 sample's (shared samples/onde_v1_example.csv), addresses left empty, plus the
``Dispositif(s)`` and ``Regroupement(s)`` columns real v1 files carry since 2018; the content is spelled
as the wizard stores it (:func:`engine.archive.file_content`).
"""

from __future__ import annotations

import sqlite3

from benchmarks.synthetic.people import Kid
from engine.archive import OBJET, TABLE, file_content

#: the ONDE v1 pupils' header, as in the v1 sample, then the two columns added in 2018–2019
ONDE1_HEADER = (
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
    "Adresse2",
    "Cp2",
    "Commune2",
    "Pays2",
    " Cycle",
    "Niveau",
    "Libellé classe",
    "Identifiant classe",
    "Attestation fournie",
    "Autorisation associations",
    "Autorisation photo",
    "Décision de passage",
    "Dispositif(s)",
    "Regroupement(s)",
)
CYCLES = {"PS": "CYCLE I", "MS": "CYCLE I", "GS": "CYCLE I", "CP": "CYCLE II", "CE1": "CYCLE II"}
CYCLES |= {"CE2": "CYCLE II", "CM1": "CYCLE III", "CM2": "CYCLE III"}
#: the day the previous import was made (last school year: the archive's siecle_import_annee)
IMPORTED_ON = "2025-09-08"
SCHOOL_YEAR = "2025"
_EMPTY_ADDRESS = ("",) * 8


def onde1_line(kid: Kid, ine: str, prenom: str, klass: tuple[str, str, str]) -> tuple[str, ...]:
    """The v1 line of a pupil with these INE and prénom in ``klass``: (ONDE class id, niveau, label of
    the time)."""
    classe_id, niveau, label = klass
    return (
        kid.nom,
        kid.nom_usage,
        prenom,
        kid.birth,
        kid.sexe,
        ine,
        *_EMPTY_ADDRESS,
        CYCLES.get(niveau, ""),
        niveau,
        label,
        classe_id,
        "Oui",
        "Oui",
        "Oui",
        "",
        kid.dispositif,
        ", ".join(kid.groups),
    )


def write_archive(conn: sqlite3.Connection, lines: list[tuple[str, ...]]) -> int:
    """Store ``lines`` (header excluded) as the wizard's archive; the number of lines archived, 0
    when the file would not fit SACoche's MEDIUMTEXT (from about 100,000 pupils): its row is then left
    empty, as a truncated archive would not read back either."""
    content = file_content([ONDE1_HEADER, *lines])
    if content is None:
        return 0
    conn.execute(  # the schema's reference rows hold it, empty
        f"UPDATE {TABLE} SET siecle_import_date = ?, siecle_import_annee = ?, siecle_import_contenu = ? "
        "WHERE siecle_import_objet = ?",
        (IMPORTED_ON, SCHOOL_YEAR, content, OBJET),
    )
    return len(lines)
