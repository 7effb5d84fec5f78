"""New pupils' logins against MariaDB's utf8_unicode_ci (the collation of SACoche's UNIQUE(user_login)):
the planner never makes two that the index holds for one, and apply.sql refuses, before any write, a
plan.json that does (its pupils are inserted by one set INSERT, which would otherwise stop midway)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql
from test_apply_safety_mariadb import EXAMPLES, checksums, plan

from engine.plan.logins import LoginAllocator
from engine.plan.seal import reseal
from engine.render import render_sql, sql_path

pytestmark = pytest.mark.mariadb

#: names alike for utf8_unicode_ci (case, accents, ligatures, ß) and logins already taken like them
NAMES = [
    ("Noé", "Lavandier"),
    ("Noe", "LAVANDIER"),
    ("NOÉ", "Lavandiér"),
    ("noë", "lavandier"),
    ("Zoé", "Strauß"),
    ("Zoe", "Strauss"),
    ("Œdipe", "Cœur"),
    ("Oedipe", "Coeur"),
    ("Ana", "Ruiz"),
    ("Ána", "Ruíz"),
]
TAKEN = ["Noé.Lavandie", "ZOE.STRAUSS", "oed.coeur1"]


def test_the_planner_never_makes_two_logins_the_unique_index_holds_for_one(
    sacoche_mysql: SacocheDatabase,
) -> None:
    allocator = LoginAllocator(TAKEN, max_length=50)
    logins = [allocator.allocate(prenom, nom) for prenom, nom in NAMES * 3]
    assert all(re.fullmatch(r"[a-z0-9._-]+", login) for login in logins)  # ASCII, lower case
    connection = sacoche_mysql.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE t (login VARCHAR(50) NOT NULL, UNIQUE KEY (login)) "
                "ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci"
            )
            # every login, taken ones too: a duplicate for the collation would raise IntegrityError
            cursor.executemany("INSERT INTO t (login) VALUES (%s)", [(x,) for x in TAKEN + logins])
            cursor.execute("SELECT COUNT(*) FROM t")
            assert cursor.fetchone()[0] == len(TAKEN) + len(logins)
    finally:
        connection.close()


def test_apply_refuses_two_new_logins_alike_before_any_write(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    out = tmp_path / "plan"
    doc = plan(sacoche_mysql, out)
    creates = [i for i in doc["items"] if i["kind"] == "create" and i["accepted"]]
    assert len(creates) >= 2
    first, second = creates[0], creates[1]
    # a forged plan.json: the second new pupil gets the first one's login with an accent, which
    # lower() tells apart (render's own check) and utf8_unicode_ci does not
    alike = first["target"]["login"].replace("e", "é", 1).replace("a", "à", 1)
    assert alike.lower() != first["target"]["login"].lower()
    second["target"]["login"] = alike
    second["changes"]["user_login"]["new"] = alike
    (out / "plan.json").write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    render_sql(out, ["mysql"])
    before = checksums(sacoche_mysql)
    run = sacoche_mysql.execute_file(sql_path(out, "mysql", "apply"))
    assert run.returncode != 0
    assert re.search(r"Duplicate entry 'GUARD \d+/\d+ create-[0-9a-f]+: logins alike'", run.stderr), (
        run.stderr
    )
    assert checksums(sacoche_mysql) == before
