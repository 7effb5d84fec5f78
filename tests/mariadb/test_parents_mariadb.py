"""Parents on a real MariaDB with SACoche's DDL (issue 14): the example school's first import of pupils and
parents, then a later one (a family moving, a parent's new e-mail, a child who left, a new sibling, a
custody change), each applied, verified and re-planned to zero changes; revert.sql gives back
byte-identical tables (CHECKSUM TABLE … EXTENDED); apply.sql cut after each of its writes, then run
again, converges."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLES
from parent_items import FAMILY_SQL, TODAY, family_plan
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.pipeline import make_plan
from engine.render import render_sql, sql_path

pytestmark = pytest.mark.mariadb

PUPILS = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
PARENTS = EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv"
TABLES = (
    "sacoche_user",
    "sacoche_jointure_parent_eleve",
    "sacoche_parent_adresse",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_siecle_import",
)
COUNTED = "SET @onde_sacoche_rows = @onde_sacoche_rows + ROW_COUNT();\n"
ENCODING = "cp1252"


def later_files(tmp_path: Path) -> tuple[Path, Path]:
    """The example's exports a year on: Capucine D'ALBERTIN left (her mother with her), Lina CHAMPFLEURY
    arrived (listed by both parents), the AUBÉPINE family moved, Héloïse BERTHELOT-NAÏM has a new
    e-mail, Jules DE LA BRUYÈRE is no longer listed under his mother (still under his father)."""
    pupils = PUPILS.read_bytes().decode(ENCODING).split("\r\n")
    jules = next(line for line in pupils if line.startswith('"CHAMPFLEURY";"";"Jules"'))
    lina = jules.replace('"Jules";"2016-11-06";"M";"160077592PR"', '"Lina";"2018-03-03";"F";"180077593QS"')
    assert lina != jules
    pupils = [line for line in pupils if not line.startswith('"D\'ALBERTIN";"";"Capucine"')]
    pupils.insert(pupils.index(jules) + 1, lina)
    parents = []
    for line in PARENTS.read_bytes().decode(ENCODING).split("\r\n"):
        if line.startswith('"MME";"";"D\'ALBERTIN";"Jade"'):
            continue
        if ';"AUBÉPINE";' in line[:40]:
            line = line.replace(
                '"11 place du Lavoir";"14990";"BOURG-FICTIF"', '"5 rue Neuve";"14000";"VILLE-FICTIVE"'
            )
        line = line.replace("heloise.1@exemple.invalid", "heloise.nouvelle@exemple.invalid")
        line = line.replace(
            '"CHAMPFLEURY";"Énzo";"CM1-CM2 Mme Églantine";"";"";"";""',
            '"CHAMPFLEURY";"Énzo";"CM1-CM2 Mme Églantine";"";"CHAMPFLEURY";"Lina";"CE2-CM1 M. Framboisier"',
        )
        if line.startswith('"MME";"";"DE LA BRUYÈRE";"Rose"'):
            line = line.replace('"DE LA BRUYÈRE";"Jules";"CE2-CM1 M. Framboisier"', '"";"";""')
        parents.append(line)
    out = tmp_path / "later"
    out.mkdir()
    (out / PUPILS.name).write_bytes("\r\n".join(pupils).encode(ENCODING))
    (out / PARENTS.name).write_bytes("\r\n".join(parents).encode(ENCODING))
    return out / PUPILS.name, out / PARENTS.name


def plan(db: SacocheDatabase, out: Path, pupils: Path = PUPILS, parents: Path = PARENTS) -> dict[str, Any]:
    make_plan(pupils, db.url, out, today=TODAY, rng=random.Random(11), parents_path=parents)
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def checksums(db: SacocheDatabase) -> list[tuple[Any, ...]]:
    return [row[1:] for row in db.query(f"CHECKSUM TABLE {', '.join(TABLES)} EXTENDED")]


def run(db: SacocheDatabase, out: Path, name: str) -> None:
    done = db.execute_file(sql_path(out, "mysql", name))
    assert done.returncode == 0, done.stderr[-800:]


def verified(db: SacocheDatabase, out: Path) -> str:
    rows = db.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names")
    assert rows.returncode == 0, rows.stderr[-800:]
    return rows.stdout.splitlines()[-1]


def accepted(doc: dict[str, Any]) -> list[str]:
    return [i["id"] for i in doc["items"] if i["accepted"]]


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


@pytest.fixture
def imported(school: SacocheDatabase, tmp_path: Path) -> SacocheDatabase:
    """The example school after its first import of pupils and parents, applied."""
    first = plan(school, tmp_path / "first")
    assert sum(i["kind"] == "parent_create" for i in first["items"] if i["accepted"]) == 47
    run(school, tmp_path / "first", "apply")
    return school


def test_first_import_applied_verified_and_replanned_to_nothing(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "first"
    first = plan(school, out)
    kinds = {i["kind"] for i in first["items"] if i["accepted"]}
    assert {"parent_create", "parent_address", "parent_link"} <= kinds
    render_sql(out, ["mysql"], revert_deletes_created=True)
    original = checksums(school)
    assert verified(school, out).startswith("RESULT\t0\tDIFFERS")
    run(school, out, "apply")
    assert verified(school, out).startswith("RESULT\t1\tOK")
    assert school.query("SELECT COUNT(*), COUNT(DISTINCT parent_id) FROM sacoche_jointure_parent_eleve") == [
        (98, 47)
    ]
    assert school.query(
        "SELECT COUNT(*) FROM sacoche_user u JOIN sacoche_parent_adresse a ON a.parent_id = u.user_id "
        "WHERE u.user_profil_sigle = 'TUT' AND u.eleve_classe_id = 0"
    ) == [(47,)]
    assert accepted(plan(school, tmp_path / "again")) == []
    run(school, out, "apply")  # converged: a second run writes nothing
    assert verified(school, out).startswith("RESULT\t1\tOK")
    run(school, out, "revert")
    assert checksums(school) == original


def test_a_later_import_applied_verified_replanned_and_reverted(
    imported: SacocheDatabase, tmp_path: Path
) -> None:
    pupils, parents = later_files(tmp_path)
    out = tmp_path / "later-plan"
    later = plan(imported, out, pupils, parents)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in later["items"]:
        if item["accepted"]:
            by_kind.setdefault(item["kind"], []).append(item)
    assert len(by_kind["parent_address"]) == 2  # the family that moved: both parents
    assert all(i["target"]["row_exists"] for i in by_kind["parent_address"])
    assert [set(i["changes"]) for i in by_kind["parent_update"]] == [{"user_email"}]
    assert len(by_kind["parent_deactivate"]) == 1  # Capucine's mother: no active child left
    links = by_kind["parent_link"]
    assert len(links) == 2 and all(i["target"]["eleve_id"] is None for i in links)  # Lina, new
    assert len(by_kind["parent_unlink"]) == 1
    assert len(by_kind["create"]) == 1 and len(by_kind["deactivate"]) == 1
    render_sql(out, ["mysql"], revert_deletes_created=True)
    before = checksums(imported)
    done = imported.execute_file(sql_path(out, "mysql", "apply"), "--batch", "--skip-column-names")
    assert done.returncode == 0, done.stderr[-800:]
    _, expected, changed = done.stdout.splitlines()[-1].split("\t")
    assert expected == changed  # every write changed its one row, the parents' included
    assert verified(imported, out).startswith("RESULT\t1\tOK")
    assert accepted(plan(imported, tmp_path / "again", pupils, parents)) == []
    unlink = by_kind["parent_unlink"][0]["target"]
    assert imported.query(
        "SELECT COUNT(*) FROM sacoche_jointure_parent_eleve WHERE parent_id = %s AND eleve_id = %s",
        (unlink["parent_id"], unlink["eleve_id"]),
    ) == [(0,)]
    run(imported, out, "revert")
    assert checksums(imported) == before


def test_later_apply_cut_after_every_write_then_run_again_converges(
    imported: SacocheDatabase, tmp_path: Path
) -> None:
    """For every k: apply.sql killed after its k-th write; revert.sql then gives back the same tables; and
    apply.sql run again in full finishes the plan (verify OK, a re-plan finds nothing, a third run writes
    nothing)."""
    pupils, parents = later_files(tmp_path)
    out = tmp_path / "later-plan"
    plan(imported, out, pupils, parents)
    render_sql(out, ["mysql"], revert_deletes_created=True)
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    writes = text.count(COUNTED)
    assert writes >= 10
    original = checksums(imported)
    cut_script = tmp_path / "cut.sql"
    for k in range(writes + 1):
        end = 0
        for _ in range(k):
            end = text.index(COUNTED, end) + len(COUNTED)
        cut_script.write_text(text[: end or text.index("-- All guards passed")], encoding="utf-8")
        cut = imported.execute_file(cut_script)  # the client killed after its k-th write
        assert cut.returncode == 0, (k, cut.stderr[-600:])
        run(imported, out, "revert")
        assert checksums(imported) == original, k
        cut = imported.execute_file(cut_script)
        assert cut.returncode == 0, (k, cut.stderr[-600:])
        run(imported, out, "apply")  # run again, in full
        assert verified(imported, out).startswith("RESULT\t1\tOK"), k
        finished = checksums(imported)
        run(imported, out, "apply")
        assert checksums(imported) == finished, k
        if k in (0, writes // 2, writes):
            assert accepted(plan(imported, tmp_path / f"again-{k}", pupils, parents)) == [], k
        run(imported, out, "revert")
        assert checksums(imported) == original, k


def test_a_parent_row_moved_by_hand_stops_apply_before_any_write(
    imported: SacocheDatabase, tmp_path: Path
) -> None:
    pupils, parents = later_files(tmp_path)
    out = tmp_path / "later-plan"
    later = plan(imported, out, pupils, parents)
    unlink = next(i for i in later["items"] if i["kind"] == "parent_unlink")["target"]
    imported.query(
        "UPDATE sacoche_parent_adresse SET adresse_ligne4 = 'chez Mme X' WHERE parent_id = %s",
        (unlink["parent_id"],),
    )
    before = checksums(imported)
    refused = imported.execute_file(sql_path(out, "mysql", "apply"))
    assert refused.returncode != 0
    assert "GUARD READ sacoche_parent_adresse: table moved" in refused.stderr
    assert checksums(imported) == before


def test_hand_built_items_of_every_kind_apply_cut_anywhere_converge_and_revert(
    school: SacocheDatabase, tmp_path: Path
) -> None:
    """The items of tests/parent_items.py (a new parent linked to an existing and a new pupil, an update,
    a reactivation, a deactivation, an address added and one changed, an unlink) on MariaDB: verify says
    NOT DONE, then for every k apply.sql cut after its k-th write and run again finishes (verify OK, a
    third run writes nothing) and revert.sql gives back identical tables."""
    for statement in FAMILY_SQL:
        school.query(statement)
    out = tmp_path / "plan"
    family_plan(out, school.url)
    render_sql(out, ["mysql"], revert_deletes_created=True)
    rows = school.execute_file(sql_path(out, "mysql", "verify"), "--batch", "--skip-column-names")
    details = {line.split("\t")[0]: line.split("\t")[2] for line in rows.stdout.splitlines()}
    assert details["parent_unlink-0000000009"].startswith("NOT DONE (still as the plan found it)")
    assert details["parent_address-0000000006"].startswith("NOT DONE")
    text = sql_path(out, "mysql", "apply").read_text(encoding="utf-8")
    writes = text.count(COUNTED)
    original = checksums(school)
    cut_script = tmp_path / "cut.sql"
    for k in range(writes + 1):
        end = 0
        for _ in range(k):
            end = text.index(COUNTED, end) + len(COUNTED)
        cut_script.write_text(text[: end or text.index("-- All guards passed")], encoding="utf-8")
        cut = school.execute_file(cut_script)
        assert cut.returncode == 0, (k, cut.stderr[-600:])
        run(school, out, "apply")
        assert verified(school, out).startswith("RESULT\t1\tOK"), k
        finished = checksums(school)
        run(school, out, "apply")
        assert checksums(school) == finished, k
        run(school, out, "revert")
        assert checksums(school) == original, k
    assert school.query("SELECT user_sortie_date FROM sacoche_user WHERE user_id = 901") == [
        (date(2025, 7, 1),)
    ]


def test_parent_rows_brought_by_hand_to_the_plans_new_state_are_accepted(
    imported: SacocheDatabase, tmp_path: Path
) -> None:
    """The link the plan removes, removed by hand meanwhile, and a moved family's address typed in by
    hand: nothing left to write there, apply.sql goes on and the plan is done."""
    pupils, parents = later_files(tmp_path)
    out = tmp_path / "later-plan"
    later = plan(imported, out, pupils, parents)
    unlink = next(i for i in later["items"] if i["kind"] == "parent_unlink")["target"]
    imported.query(
        "DELETE FROM sacoche_jointure_parent_eleve WHERE parent_id = %s AND eleve_id = %s",
        (unlink["parent_id"], unlink["eleve_id"]),
    )
    address = next(i for i in later["items"] if i["kind"] == "parent_address")
    imported.query(
        "UPDATE sacoche_parent_adresse SET adresse_ligne1 = '5 rue Neuve', adresse_postal_code = '14000', "
        "adresse_postal_libelle = 'VILLE-FICTIVE' WHERE parent_id = %s",
        (address["target"]["parent_id"],),
    )
    run(imported, out, "apply")
    assert verified(imported, out).startswith("RESULT\t1\tOK")
    assert accepted(plan(imported, tmp_path / "again", pupils, parents)) == []
