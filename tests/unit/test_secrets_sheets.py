"""Re-planning keeps the passwords of a printed login sheet and says when cards of it no longer work;
identifiants.csv cells cannot become spreadsheet formulas; new passwords have 8 characters or more."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import copy_rules, write_csv
from schools import SchoolDB, row

from engine.cli import main
from engine.pipeline import make_plan
from engine.plan.logins import password_hash
from engine.plan.planio import credentials_csv, neutralise_cell, read_credentials, restore_cell
from engine.rules import load_rules

CE2 = {"niveau": "CE2", "classe": "CE2-CM1 M. Framboisier", "classe_id": "104514"}
NAMES = ("ALPHA", "Albane", "BETA", "Bérénice", "GAMMA", "Gaspard", "Camille")


@pytest.fixture
def db(tmp_path: Path) -> SchoolDB:
    school = SchoolDB(tmp_path / "sacoche.db")
    school.klass("104513", "CE1", "CE1 Mme Ancolie")
    school.klass("104514", "CE2", "CE2-CM1 M. Framboisier")
    return school


def _export(tmp_path: Path, rows: list[list[str]]) -> Path:
    return write_csv(tmp_path / "export.csv", rows)


FIRST = [
    row("ALPHA", "Albane", ine="100000001AA"),
    row("BETA", "Bérénice", ine="100000002BB"),
    row("GAMMA", "Gaspard", ine="100000003CC", **CE2),
]


def _sheet(out: Path) -> dict[str, tuple[str, str]]:
    return {r["item"]: (r["login"], r["mot_de_passe"]) for r in read_credentials(out)}


def _hashes(out: Path) -> dict[str, str]:
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    return {i["id"]: i["changes"]["user_password"]["new"] for i in doc["items"] if i["kind"] == "create"}


def test_replanning_keeps_the_passwords_of_the_sheet(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    first, first_hashes = _sheet(out), _hashes(out)
    result = make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(2))  # other draws
    assert _sheet(out) == first and _hashes(out) == first_hashes
    assert result.login_sheet == {
        "previous_cards": 3,
        "kept_passwords": 3,
        "still_valid": 3,
        "already_created": 0,
        "changed": {},
        "no_longer_created": {},
        "obsolete": 0,
    }
    assert "OBSOLETE" not in result.text_summary()
    assert "périmée" not in (out / "resume.md").read_text(encoding="utf-8")
    html = (out / "identifiants.html").read_text(encoding="utf-8")
    assert all(password in html for _, password in first.values())


def test_changed_and_vanished_cards_are_reported_by_class(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    first = _sheet(out)
    second = [
        row("BETA", "Camille", ine="100000002BB"),  # same item (same INE), another login
        row("GAMMA", "Gaspard", ine="100000003CC", **CE2),  # unchanged
    ]  # ALPHA left the file: her card no longer works
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["plan", str(_export(tmp_path, second)), "--db", db.url, "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 2), result.output
    assert "OBSOLETE: 2 cards of the printed sheet no longer work" in result.output
    assert "1 changed ([CE1] CE1 Mme Ancoli: 1)" in result.output
    assert "1 no longer to create ([CE1] CE1 Mme Ancoli: 1)" in result.output
    for name in NAMES:  # no pupil's name in the terminal
        assert name not in result.output and name.lower() not in result.output
    now = _sheet(out)
    gamma = next(item for item, (login, _) in first.items() if login.endswith("gamma"))
    assert now[gamma] == first[gamma]
    resume = (out / "resume.md").read_text(encoding="utf-8")
    assert "La feuille d’identifiants du plan précédent est périmée : 2 cartes ne fonctionnent plus" in resume
    assert "CE1 Mme Ancoli : 1" in resume and "1 reste valable" in resume
    assert "est périmée" in (out / "rapport.html").read_text(encoding="utf-8")
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["login_sheet"]["obsolete"] == 2


def test_a_sheet_that_does_not_match_its_plan_is_not_reused(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    rows = read_credentials(out)
    rows[0]["mot_de_passe"] = "zzzzzzzz"  # edited by hand: plan.json's hash is of another password
    (out / "identifiants.csv").write_bytes(credentials_csv(rows))
    result = make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(2))
    now = _sheet(out)
    assert now[rows[0]["item"]][1] != "zzzzzzzz"
    assert result.login_sheet["kept_passwords"] == 2 and result.login_sheet["obsolete"] == 1
    for item, digest in _hashes(out).items():
        assert password_hash(now[item][1]) == digest


def test_another_database_never_lends_its_passwords(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    first = _sheet(out)
    other = SchoolDB(tmp_path / "other.db")
    other.klass("104513", "CE1", "CE1 Mme Ancolie")
    other.klass("104514", "CE2", "CE2-CM1 M. Framboisier")
    make_plan(_export(tmp_path, FIRST), other.url, out, rng=random.Random(2), force=True)
    assert all(_sheet(out)[item][1] != password for item, (_, password) in first.items())


def test_applied_plan_cards_are_not_called_obsolete(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    applied = CliRunner().invoke(main, ["apply", str(out), "--db", db.url, "--yes"])
    assert applied.exit_code == 0, applied.output
    result = make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(2))
    assert result.login_sheet is not None  # the CSV of the applied plan is still there until replaced
    assert result.login_sheet["already_created"] == 3 and result.login_sheet["obsolete"] == 0


def test_passwords_have_8_characters_or_the_profile_minimum(tmp_path: Path, db: SchoolDB) -> None:
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    assert {len(p) for _, p in _sheet(out).values()} == {8}
    db.conn.execute(
        "UPDATE sacoche_user_profil SET user_profil_mdp_longueur_mini = 10 WHERE user_profil_sigle='ELV'"
    )
    result = make_plan(_export(tmp_path, FIRST), db.url, out, rng=random.Random(1))
    assert {len(p) for _, p in _sheet(out).values()} == {10}  # the 8-character ones are not kept
    assert result.login_sheet["kept_passwords"] == 0 and result.login_sheet["obsolete"] == 3
    rules = copy_rules(tmp_path)
    policy = rules / "policy" / "plan.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("password_min_length: 8", "password_min_length: 12"),
        encoding="utf-8",
    )
    make_plan(
        _export(tmp_path, FIRST), db.url, tmp_path / "p12", rules=load_rules(rules), rng=random.Random(1)
    )
    assert {len(p) for _, p in _sheet(tmp_path / "p12").values()} == {12}


def test_policy_minimum_below_sacoche_floor_is_refused_by_the_schema(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    policy = rules / "policy" / "plan.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("password_min_length: 8", "password_min_length: 4"),
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"password_min_length|minimum"):
        load_rules(rules)


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x.example","clic")', "-Marie", "+33 1", "@SUM(A1)", "\tTab", "\rCR", "'quote"],
)
def test_cells_are_neutralised_and_read_back_exactly(text: str) -> None:
    cell = neutralise_cell(text)
    assert cell.startswith("'") and restore_cell(cell) == text
    assert neutralise_cell("Marie-Anne") == "Marie-Anne" and restore_cell("Marie-Anne") == "Marie-Anne"


def test_identifiants_csv_holds_no_formula(tmp_path: Path, db: SchoolDB) -> None:
    rows = [
        row('=HYPERLINK("http://x.example")', "-Marie", ine="100000001AA"),
        row("+DUPONT", "@Léa", ine="100000002BB"),
    ]
    out = tmp_path / "plan"
    make_plan(_export(tmp_path, rows), db.url, out, rng=random.Random(1))
    text = (out / "identifiants.csv").read_text(encoding="utf-8-sig")
    cells = [cell for line in csv.reader(io.StringIO(text), delimiter=";") for cell in line]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK" in text and "'-Marie" in text and "'+DUPONT" in text
    html = (out / "identifiants.html").read_text(encoding="utf-8")
    assert "-Marie" in html and "'-Marie" not in html  # the printed sheet shows the name itself
    again = make_plan(_export(tmp_path, rows), db.url, out, rng=random.Random(2))
    assert again.login_sheet["kept_passwords"] == 2  # read back exactly: the sheet is still valid
    assert sqlite3.connect(db.path).execute("SELECT COUNT(*) FROM sacoche_user").fetchone() == (0,)
