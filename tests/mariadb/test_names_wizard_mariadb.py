"""A base whose names SACoche's own wizard wrote, planned again with the same ONDE v1 file: nothing to do.

The stored values come from tests/data/sacoche-conformance/names.tsv (computed by SACoche 2017-12-22's
PHP on 50-character columns), in SACoche's DDL on a real MariaDB; the export is ONDE v1 as ONDE writes
it (Windows-1252, ';', every field quoted, CRLF). Every row Windows-1252 can carry takes part.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import pytest
from helpers import CONFORMANCE
from support.mariadb import SacocheDatabase

from engine.pipeline import make_plan
from engine.plan import class_of
from engine.read import Pupil
from engine.render import load_plan
from engine.rules import load_rules

pytestmark = pytest.mark.mariadb

HEADER = ["Nom élève", "Nom d'usage élève", "Prénom élève", "Date naissance", "Sexe", "INE", " Cycle",
          "Niveau", "Libellé classe", "Identifiant classe"]  # fmt: skip


def _cp1252_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (CONFORMANCE / "names.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        prenom, nom, stored_prenom, stored_nom = (cell.replace("\\t", "\t") for cell in line.split("\t"))
        if not stored_nom.strip() or not stored_prenom.strip():
            continue
        try:
            (prenom + nom).encode("cp1252")
        except UnicodeEncodeError:
            continue
        rows.append((prenom, nom, stored_prenom, stored_nom))
    return rows


def test_wizard_made_names_plan_to_nothing(sacoche_mysql: SacocheDatabase, tmp_path: Path) -> None:
    rows = _cp1252_rows()
    assert len(rows) > 100
    rules = load_rules()
    ref, name, _ = class_of(
        Pupil(line=0, classe_id="104513", niveau="CE1", classe_label="CE1 Mme Ancolie"),
        rules.policy["classes"],
        rules.context,
    )
    sacoche_mysql.query(
        "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id)"
        " VALUES ('classe', %s, %s, 20001)",
        (ref, name),
    )
    (classe_id,) = sacoche_mysql.query("SELECT groupe_id FROM sacoche_groupe")[0]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for index, (prenom, nom, stored_prenom, stored_nom) in enumerate(rows):
        ine = f"{203451000 + index:09d}AB"
        sacoche_mysql.query(
            "INSERT INTO sacoche_user (user_profil_sigle, user_reference, user_nom, user_prenom, user_login,"
            " user_naissance_date, user_genre, eleve_classe_id)"
            " VALUES ('ELV', %s, %s, %s, %s, '2018-05-07', 'M', %s)",
            (ine, stored_nom, stored_prenom, f"eleve{index}", classe_id),
        )
        writer.writerow(
            [nom, "", prenom, "2018-05-07", "M", ine, "CYCLE II", "CE1", "CE1 Mme Ancolie", "104513"]
        )
    export = tmp_path / "onde1.csv"
    export.write_bytes(buffer.getvalue().encode("cp1252"))
    out = tmp_path / "plan"
    make_plan(export, sacoche_mysql.url, out, today=date(2026, 11, 29), rng=random.Random(1))
    summary = load_plan(out).doc["summary"]
    assert summary["pupils_in_file"] == len(rows)
    assert (summary["create"], summary["update"], summary["deactivate"], summary["needs_decision"]) == (
        0,
        0,
        0,
        0,
    )
    assert summary["unchanged"] == len(rows)
