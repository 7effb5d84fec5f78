"""A base whose classes SACoche's own wizard made, with its archive of the import, planned again with the
same ONDE v1 file on a real MariaDB: nothing at all to do (no class created or renamed, no pupil moved,
no archive rewritten). The classes are the conformance table's (tests/data/sacoche-conformance/
classes.tsv: what SACoche 2017-12-22 stores, trailing spaces included)."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from pathlib import Path

import pytest
from helpers import CONFORMANCE
from support.mariadb import SacocheDatabase

from engine.archive import php_json
from engine.pipeline import make_plan

pytestmark = pytest.mark.mariadb

HEADER = ["Nom élève", "Nom d'usage élève", "Prénom élève", "Date naissance", "Sexe", "INE", " Cycle",
          "Niveau", "Libellé classe", "Identifiant classe"]  # fmt: skip


def _classes() -> list[list[str]]:
    rows = []
    for line in (CONFORMANCE / "classes.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            cells = line.split("\t")
            try:
                "".join(cells).encode("cp1252")  # ONDE v1 is Windows-1252
            except UnicodeEncodeError:
                continue
            rows.append(cells)
    return rows


def test_wizard_made_classes_and_archive_plan_to_nothing(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    classes = _classes()
    assert len(classes) >= 30
    lines = [HEADER]
    for index, (niveau, label, classe_id, _, groupe_ref, groupe_nom) in enumerate(classes):
        sacoche_mysql.query(
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id)"
            " VALUES ('classe', %s, %s, 0)",
            (groupe_ref, groupe_nom),
        )
        ((groupe_id,),) = sacoche_mysql.query("SELECT MAX(groupe_id) FROM sacoche_groupe")
        ine = f"{203451000 + index:09d}AB"
        sacoche_mysql.query(
            "INSERT INTO sacoche_user (user_profil_sigle, user_reference, user_nom, user_prenom, user_login,"
            " user_naissance_date, user_genre, eleve_classe_id)"
            " VALUES ('ELV', %s, 'ELEVE', 'Lou', %s, '2018-05-07', 'F', %s)",
            (ine, f"lou.eleve{index}", groupe_id),
        )
        lines.append(["ELEVE", "", "Lou", "2018-05-07", "F", ine, "CYCLE II", niveau, label, classe_id])
    stored = sacoche_mysql.query("SELECT groupe_ref FROM sacoche_groupe WHERE groupe_ref LIKE '104565%'")
    assert stored == [("104565_CP ",)]  # MariaDB keeps SACoche's trailing space
    sacoche_mysql.query(
        "UPDATE sacoche_siecle_import SET siecle_import_date = '2026-09-03', siecle_import_annee = '2026',"
        " siecle_import_contenu = %s WHERE siecle_import_objet = 'Onde'",
        (php_json(lines),),
    )
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(lines)
    export = tmp_path / "onde1.csv"
    export.write_bytes(buffer.getvalue().encode("cp1252"))
    out = tmp_path / "plan"
    make_plan(export, sacoche_mysql.url, out, today=date(2026, 11, 29), rng=random.Random(1))
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["items"] == [] and not doc["held"]
    assert doc["summary"]["unchanged"] == len(classes)
