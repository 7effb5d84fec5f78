"""Column widths read from the database, names fitted to them, and the renderer holding plans to them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from schools import SchoolDB, plan_for, pupil_kinds, row

from engine.errors import OndeError
from engine.names import abbreviate
from engine.plan.seal import reseal
from engine.read import Pupil
from engine.render import load_plan
from engine.state import read_state
from engine.widths import DEFAULT_WIDTHS, declared_width, fit_pupils, read_widths

OLD_SQLITE_USER = """CREATE TABLE sacoche_user (
  user_id INTEGER PRIMARY KEY, user_nom TEXT NOT NULL DEFAULT '' CHECK (length(user_nom) <= 25),
  user_prenom VARCHAR(25) NOT NULL DEFAULT '', user_login varchar ( 30 ) NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '')"""


@pytest.mark.parametrize(
    ("ctype", "width"),
    [
        ("VARCHAR(50)", 50),
        ("varchar(25)", 25),
        ("char(11)", 11),
        ("NATIONAL VARCHAR (20)", 20),
        ("varchar(100) COLLATE utf8_unicode_ci", 100),
        ("TEXT", None),
        ("", None),
        (None, None),
        ("MEDIUMINT(6) UNSIGNED", None),
    ],
)
def test_declared_width(ctype: str | None, width: int | None) -> None:
    assert declared_width(ctype) == width


def test_current_schema_widths_are_sacoche_s(sacoche_sqlite: Path) -> None:
    assert read_state(f"sqlite:///{sacoche_sqlite}").widths == DEFAULT_WIDTHS
    assert DEFAULT_WIDTHS["user_nom"] == DEFAULT_WIDTHS["user_login"] == 50


def test_old_widths_are_read_from_types_or_checks_and_missing_ones_default(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.db")
    connection.execute(OLD_SQLITE_USER)
    connection.execute("CREATE TABLE sacoche_groupe (groupe_ref VARCHAR(8), groupe_nom TEXT)")
    widths = read_widths(connection, "sqlite")
    connection.close()
    # declared type, CHECK constraint, odd spacing; no width at all and no table → the current DDL's
    assert widths["user_nom"] == 25 and widths["user_prenom"] == 25 and widths["user_login"] == 30
    assert widths["groupe_ref"] == 8
    assert (
        widths["user_email"] == 100
        and widths["groupe_nom"] == 20
        and widths["user_profil_login_modele"] == 50
    )


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        # SACoche's own example (Clean::tronquer_chaine's comment), upper-cased as Clean::nom stores it
        ("FROILÁN DE MARICHALAR Y DE BORBÓN", 25, "FROILÁN DE M. Y DE B."),
        ("FROILÁN DE MARICHALAR Y DE BORBÓN", 33, "FROILÁN DE MARICHALAR Y DE BORBÓN"),
        ("FROILÁN DE MARICHALAR Y DE BORBÓN", 30, "FROILÁN DE MARICHALAR Y DE B."),
        # runs of at most 3 characters are kept; separators (- ' . space …) stay as they are
        ("Jean-Baptiste-Emmanuel-Xavier", 25, "Jean-Baptiste-Emmanuel-X."),
        ("Jean-Baptiste-Emmanuel-Xavier", 20, "Jean-Baptiste-E.-X."),
        # an accented initial stays a whole character (SACoche's byte-wise cut makes invalid UTF-8 here)
        ("ÉLÉONORE-ÉMILIENNE-ÉGLANTINE", 20, "ÉLÉONORE-É.-É."),
        # nothing left to abbreviate: cut (SACoche would store too long a value)
        ("ABC DEF GHI JKL MNO PQR", 10, "ABC DEF GH"),
        ("ABC DEF GHI JKL MNO PQR", 12, "ABC DEF GHI"),
        ("", 5, ""),
    ],
)
def test_abbreviate(value: str, width: int, expected: str) -> None:
    result = abbreviate(value, width)
    assert result == expected
    assert len(result) <= width
    result.encode("utf-8")  # always valid text


def test_fit_pupils_abbreviates_only_what_does_not_fit() -> None:
    short = Pupil(line=2, nom="LAVANDIER", prenom="Noé")
    long = Pupil(line=3, nom="FROILÁN DE MARICHALAR Y DE BORBÓN", nom_usage="X" * 30, prenom="Noé")
    fitted = fit_pupils([short, long], {"user_nom": 25, "user_prenom": 25})
    assert fitted[0] is short
    # one run longer than 3 characters becomes its initial, as in SACoche
    assert fitted[1].nom == "FROILÁN DE M. Y DE B." and fitted[1].nom_usage == "X."
    assert fit_pupils([long], DEFAULT_WIDTHS)[0] is long


LONG_NOM = "DE LA TOUR DU PIN CHAMBLY DE LA CHARCE"  # 38 characters
LONG_PRENOM = "Maximilien-François-Marie-Isidore"  # 33


def _plan_dir(tmp_path: Path, db: SchoolDB, rows: list[list[str]]) -> Path:
    from helpers import write_csv

    from engine.pipeline import make_plan

    tmp_path.mkdir(exist_ok=True)
    csv = tmp_path / "export.csv"
    write_csv(csv, rows)
    out = tmp_path / "plan"
    make_plan(csv, db.url, out)
    return out


def test_a_stored_name_longer_than_25_does_not_stop_the_plan(tmp_path: Path) -> None:
    """The issue's failure: 'old user_nom holds 33 characters, more than SACoche's 25' (exit 1)."""
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    db.pupil("ANCIEN-NOM-DE-FAMILLE-TRES-LONG-X", "Zoé", classe="104513_CE1", ine="203451870GH")
    out = _plan_dir(tmp_path, db, [row("NOUVEAU", "Zoé", ine="203451870GH")])
    loaded = load_plan(out)  # validated: the stored 33 characters are not held against the plan
    (update,) = [i for i in loaded.doc["items"] if i["kind"] == "update"]
    assert update["changes"]["user_nom"] == {"old": "ANCIEN-NOM-DE-FAMILLE-TRES-LONG-X", "new": "NOUVEAU"}
    assert loaded.doc["state"]["widths"] == DEFAULT_WIDTHS


def test_long_names_are_stored_whole_up_to_50(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    db.pupil("AUTRE", "Léa", classe="104513_CE1")
    plan = plan_for(tmp_path, db, [row(LONG_NOM, LONG_PRENOM), row("AUTRE", "Léa")], allow=["coverage"])
    (create,) = [i for i in plan.items if i.kind == "create"]
    assert create.changes["user_nom"]["new"] == LONG_NOM
    assert create.changes["user_prenom"]["new"] == LONG_PRENOM


def test_an_old_base_gets_abbreviated_names_and_short_logins(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "s.db")
    db.conn.close()
    _narrow_sqlite(db.path)
    db.conn = sqlite3.connect(db.path)
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    # abbreviating every long run leaves 27 characters: cut at 25, the space at the cut dropped
    db.pupil("DE LA T. DU PIN C. DE LA", "Maximilien-François-M.-I.", classe="104513_CE1", ine="203451870GH")
    assert read_state(db.url).widths["user_nom"] == 25
    # the wizard's abbreviation of the same names: unchanged, not an update
    plan = plan_for(
        tmp_path,
        db,
        [row(LONG_NOM, LONG_PRENOM, ine="203451870GH"), row("B" * 40, "Noé")],
        allow=["coverage"],
    )
    assert pupil_kinds(plan) == {"create": 1}
    (create,) = [i for i in plan.items if i.kind == "create"]
    assert create.changes["user_nom"]["new"] == "B."  # one 40-letter run: its initial, as SACoche does
    assert create.changes["user_login"]["new"] == "noe.b"


def test_abbreviated_names_are_reported_by_line_without_the_names(tmp_path: Path) -> None:
    from helpers import write_csv

    from engine.read import read_export
    from engine.rules import load_rules
    from engine.widths import fit_export

    export = read_export(
        write_csv(tmp_path / "e.csv", [row("AUTRE", "Léa"), row(LONG_NOM, "Noé")]), load_rules()
    )
    assert fit_export(export, DEFAULT_WIDTHS) == export
    fitted = fit_export(export, {**DEFAULT_WIDTHS, "user_nom": 25})
    (warning,) = [w for w in fitted.warnings if "abbreviated" in w]
    assert "line(s) 3" in warning and "user_nom 25" in warning
    assert "TOUR" not in warning and "Noé" not in warning


def _narrow_sqlite(path: Path) -> None:
    """Rebuild sacoche_user with the 2016 widths (25/25/30/63) declared, as an older SQLite demo had."""
    connection = sqlite3.connect(path)
    ddl = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'sacoche_user'").fetchone()[0]
    for column, old, new in (
        ("user_nom", 50, 25),
        ("user_prenom", 50, 25),
        ("user_login", 50, 30),
        ("user_email", 100, 63),
    ):
        ddl = ddl.replace(f"VARCHAR({old})", f"VARCHAR({new})", 1).replace(
            f"length({column}) <= {old}", f"length({column}) <= {new}"
        )
    connection.executescript(f"DROP TABLE sacoche_user; {ddl};")
    connection.close()


def test_render_holds_new_values_to_the_plan_s_widths(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    db.pupil("AUTRE", "Léa", classe="104513_CE1")
    out = _plan_dir(tmp_path / "a", db, [row("AUTRE", "Léa"), row("N" * 40, "Noé")])
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert load_plan(out).doc["state"]["widths"]["user_nom"] == 50  # 40 characters fit
    doc["state"]["widths"]["user_nom"] = 25  # a plan made against a 2016 base
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(OndeError, match="user_nom holds 40 characters, more than the database's 25"):
        load_plan(out)
    doc["state"]["widths"] = {"user_nom": "wide"}
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(OndeError, match=r"state\.widths must map column names to positive integers"):
        load_plan(out)


def test_stored_class_names_are_not_held_to_the_width_new_ones_are(tmp_path: Path) -> None:
    from helpers import EXAMPLES

    from engine.pipeline import make_plan

    out = tmp_path / "plan"
    make_plan(
        EXAMPLES / "onde2-ecole-des-tilleuls.csv",
        f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}",
        out,
    )
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    (rename,) = [i for i in doc["items"] if i["kind"] == "class_rename"]
    rename["changes"]["groupe_nom"]["old"] = "N" * 35  # a name stored by hand in a wider column
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    load_plan(out)
    rename["changes"]["groupe_nom"]["new"] = "N" * 21
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(OndeError, match="name must be text of at most 20 characters"):
        load_plan(out)
