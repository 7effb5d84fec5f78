"""Widths read from a real MariaDB: SACoche's current 50-character base and a 2016 one (25/25/30/63/20).

Each base is planned with the same ONDE names, the MySQL apply.sql is run through the stock client, and
what SACoche then holds is read back.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from helpers import onde2_row, write_csv
from support.mariadb import SacocheDatabase

from engine.pipeline import make_plan
from engine.render import load_plan, sql_path
from engine.state import read_state
from engine.widths import DEFAULT_WIDTHS

pytestmark = pytest.mark.mariadb

LONG_NOM = "DE LA TOUR DU PIN CHAMBLY DE LA CHARCE"  # 38 characters
LONG_PRENOM = "Maximilien-François-Marie-Isidore"  # 33
FROILAN = "Froilán de Marichalar y de Borbón"  # 33


def _school(db: SacocheDatabase) -> None:
    db.query(
        "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id)"
        " VALUES ('classe', '104513_CE1', '[CE1] CE1 Mme Ancoli', 20001)"
    )
    db.query(
        "INSERT INTO sacoche_user (user_profil_sigle, user_reference, user_nom, user_prenom, user_login,"
        " user_naissance_date, user_genre, eleve_classe_id) VALUES"
        " ('ELV', '203451870GH', 'AUTRE', 'Léa', 'lea.autre', '2018-05-07', 'F', 1)"
    )


def _plan_and_apply(db: SacocheDatabase, tmp_path: Path) -> dict[str, tuple[str, str]]:
    rows = [
        onde2_row(
            ine="203451870GH", nom="AUTRE", prenom="Léa", naissance="07/05/2018", sexe="F", niveau="CE1",
            classe="CE1 Mme Ancolie", classe_id="104513",
        ),
        onde2_row(
            ine="203451871GH", nom=LONG_NOM, prenom=LONG_PRENOM, naissance="08/05/2018", sexe="M",
            niveau="CE1", classe="CE1 Mme Ancolie", classe_id="104513",
        ),
        onde2_row(
            ine="203451872GH", nom=FROILAN, prenom="Noé", naissance="09/05/2018", sexe="M", niveau="CE1",
            classe="CE1 Mme Ancolie", classe_id="104513",
        ),
    ]  # fmt: skip
    export = write_csv(tmp_path / "export.csv", rows)
    out = tmp_path / "plan"
    make_plan(export, db.url, out, today=date(2026, 11, 29), rng=random.Random(3), allow=("coverage",))
    load_plan(out)  # validated against the widths it records
    result = db.execute_file(sql_path(out, "mysql", "apply"))
    assert result.returncode == 0, result.stderr
    stored = db.query("SELECT user_reference, user_nom, user_prenom, user_login FROM sacoche_user")
    return {str(ine): (str(nom), str(prenom), str(login)) for ine, nom, prenom, login in stored}


def test_current_base_stores_names_of_26_to_50_characters_whole(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    assert read_state(sacoche_mysql.url).widths == DEFAULT_WIDTHS
    _school(sacoche_mysql)
    stored = _plan_and_apply(sacoche_mysql, tmp_path)
    assert stored["203451871GH"][:2] == (LONG_NOM, LONG_PRENOM)
    assert stored["203451872GH"][:2] == (FROILAN.upper(), "Noé")
    assert stored["203451871GH"][2] == "max.delatour"


def test_2016_base_gets_sacoche_s_abbreviations_and_fitting_logins(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    sacoche_mysql.use_2016_widths()
    widths = read_state(sacoche_mysql.url).widths
    assert widths == {**DEFAULT_WIDTHS, "user_nom": 25, "user_prenom": 25, "user_login": 30,
                      "user_email": 63, "user_profil_login_modele": 20}  # fmt: skip
    _school(sacoche_mysql)
    stored = _plan_and_apply(sacoche_mysql, tmp_path)
    assert stored["203451872GH"][0] == "FROILÁN DE M. Y DE B."  # Clean::tronquer_chaine's own example
    assert stored["203451871GH"][:2] == ("DE LA T. DU PIN C. DE LA", "Maximilien-François-M.-I.")
    assert all(
        len(nom) <= 25 and len(prenom) <= 25 and len(login) <= 30 for nom, prenom, login in stored.values()
    )
    # planned again against what was written: nothing to do
    out = tmp_path / "again"
    export = tmp_path / "export.csv"
    make_plan(export, sacoche_mysql.url, out, today=date(2026, 11, 29), rng=random.Random(3))
    assert load_plan(out).doc["summary"]["update"] == 0
    assert load_plan(out).doc["summary"]["create"] == 0


def test_a_long_login_width_is_used_up_to_the_model(sacoche_mysql: SacocheDatabase, tmp_path: Path) -> None:
    """A model longer than the default (SACoche lets it be up to user_profil_login_modele's width)."""
    model = "p" * 20 + "." + "n" * 25
    sacoche_mysql.query(
        "UPDATE sacoche_user_profil SET user_profil_login_modele = %s WHERE user_profil_sigle = 'ELV'",
        (model,),
    )
    _school(sacoche_mysql)
    stored = _plan_and_apply(sacoche_mysql, tmp_path)
    login = stored["203451871GH"][2]
    assert login == "maximilienfrancoisma.delatourdupinchamblydelac"
    assert len(login) == 46 <= 50
