"""The SACoche test schema on a real MariaDB server, and the server behaviours the design relies on."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pymysql
import pytest
from support.mariadb import MariaDBServer, SacocheDatabase

pytestmark = pytest.mark.mariadb

TABLES = {
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
    "sacoche_siecle_import",
    "sacoche_jointure_parent_eleve",
    "sacoche_parent_adresse",
}
PRIMARY_LEVELS = {
    1011: "TPS",
    1031: "PS",
    1032: "MS",
    1033: "GS",
    10001: "CP",
    20001: "CE1",
    20002: "CE2",
    30001: "CM1",
    30002: "CM2",
    60002: "1UPE2A",
    61001: "ADAP",
    62001: "CLIS",
}
# MariaDB >= 10.6 reports the 3-byte utf8 as "utf8mb3"; MySQL 5.7 and older MariaDB say "utf8".
UTF8_NAMES = {"utf8", "utf8mb3"}
UNICODE_CI = {"utf8_unicode_ci", "utf8mb3_unicode_ci"}
ER_DUP_ENTRY = 1062
ER_TRUNCATED_WRONG_VALUE_FOR_FIELD = 1366  # "Incorrect string value"


def _counts(db: SacocheDatabase) -> dict[str, int]:
    return {table: int(db.query(f"SELECT COUNT(*) FROM {table}")[0][0]) for table in sorted(TABLES)}


def test_server_is_private_and_uses_default_sql_mode(mariadb_server: MariaDBServer) -> None:
    with mariadb_server.connect(None) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT @@skip_networking, @@socket, @@GLOBAL.sql_mode, @@version")
        skip_networking, socket, sql_mode, version = cursor.fetchone()
    assert skip_networking == 1
    assert socket == str(mariadb_server.socket)
    # MariaDB 10.2.4+ default; the emoji test below depends on STRICT_TRANS_TABLES being on.
    assert "STRICT_TRANS_TABLES" in sql_mode.split(","), (version, sql_mode)
    assert mariadb_server.url("x") == f"mysql://root@localhost/x?unix_socket={mariadb_server.socket}"


def test_every_table_is_myisam_utf8_unicode_ci(sacoche_mysql: SacocheDatabase) -> None:
    rows = sacoche_mysql.query(
        "SELECT t.TABLE_NAME, t.ENGINE, t.TABLE_COLLATION, c.CHARACTER_SET_NAME"
        " FROM information_schema.TABLES t"
        " JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c"
        "   ON c.COLLATION_NAME = t.TABLE_COLLATION"
        " WHERE t.TABLE_SCHEMA = DATABASE()"
    )
    assert {row[0] for row in rows} == TABLES
    for table, engine, collation, charset in rows:
        assert engine == "MyISAM", table
        assert collation in UNICODE_CI, (table, collation)
        assert charset in UTF8_NAMES, (table, charset)
    text_columns = sacoche_mysql.query(
        "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL"
    )
    assert len(text_columns) > 20
    for table, column, charset, collation in text_columns:
        assert charset in UTF8_NAMES and collation in UNICODE_CI, (table, column, charset, collation)


def test_user_columns_match_the_sheet(sacoche_mysql: SacocheDatabase) -> None:
    rows = sacoche_mysql.query(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sacoche_user' ORDER BY ORDINAL_POSITION"
    )
    columns = {name: (ctype, nullable, default, extra) for name, ctype, nullable, default, extra in rows}
    assert list(columns)[:3] == ["user_id", "user_sconet_id", "user_sconet_elenoet"]
    assert columns["user_id"][0] == "mediumint(6) unsigned" and "auto_increment" in columns["user_id"][3]
    assert columns["user_reference"][:3] == ("char(11)", "NO", "''")
    assert columns["user_genre"][:3] == ("enum('I','M','F')", "NO", "'I'")
    assert columns["user_email_origine"][:3] == ("enum('','user','admin')", "NO", "''")
    # SACoche's 2017-10-10 widths (SACoche's own _sql/structure/sacoche_user.sql).
    assert columns["user_nom"][:3] == ("varchar(50)", "NO", "''")
    assert columns["user_prenom"][:3] == ("varchar(50)", "NO", "''")
    assert columns["user_login"][:3] == ("varchar(50)", "NO", "''")
    assert columns["user_email"][:3] == ("varchar(100)", "NO", "''")
    assert columns["user_password"][:3] == ("char(32)", "NO", "''")
    assert columns["user_naissance_date"][:2] == ("date", "YES")
    assert columns["user_sortie_date"][:3] == ("date", "NO", "'9999-12-31'")
    assert columns["eleve_lv1"][:3] == ("tinyint(3) unsigned", "NO", "100")
    assert columns["eleve_lv2"][:3] == ("tinyint(3) unsigned", "NO", "100")
    assert columns["user_param_menu"][:2] == ("text", "YES")
    assert columns["user_param_favori"][:2] == ("tinytext", "YES")
    assert len(columns) == 27
    indexes = sacoche_mysql.query(
        "SELECT INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)"
        " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sacoche_user'"
        " GROUP BY INDEX_NAME, NON_UNIQUE"
    )
    by_columns = {cols: non_unique for _, non_unique, cols in indexes}
    assert by_columns["user_id"] == 0
    assert by_columns["user_login"] == 0
    for column in ("user_profil_sigle", "user_sortie_date", "eleve_classe_id", "user_id_ent", "user_id_gepi"):
        assert by_columns[column] == 1, column
    join_pk = sacoche_mysql.query(
        "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sacoche_jointure_user_groupe'"
        " AND INDEX_NAME = 'PRIMARY'"
    )
    assert join_pk == [("user_id,groupe_id",)]


def test_collation_ignores_case_and_accents_on_stored_rows(sacoche_mysql: SacocheDatabase) -> None:
    # Compare against a *column*: its utf8_unicode_ci wins over the connection collation
    # (a bare literal comparison would use collation_connection, utf8mb3_general_ci for SET NAMES utf8).
    sacoche_mysql.query(
        "INSERT INTO sacoche_user (user_login, user_nom, user_prenom, user_profil_sigle)"
        " VALUES ('elodie.x', 'ŒUVRE', 'Élodie', 'ELV')"
    )
    assert sacoche_mysql.query("SELECT user_prenom FROM sacoche_user WHERE user_prenom = 'elodie'") == [
        ("Élodie",)
    ]
    assert sacoche_mysql.query("SELECT user_prenom = 'ELODIE ' FROM sacoche_user") == [(1,)]  # PAD SPACE
    # utf8_unicode_ci expands the ligature Œ to OE ...
    assert sacoche_mysql.query("SELECT COUNT(*) FROM sacoche_user WHERE user_nom = 'oeuvre'") == [(1,)]
    # ... but does not treat a hyphen as ignorable.
    assert sacoche_mysql.query("SELECT COUNT(*) FROM sacoche_user WHERE user_prenom = 'e-lodie'") == [(0,)]


def test_unique_login_rejects_duplicates_even_modulo_case_and_accents(sacoche_mysql: SacocheDatabase) -> None:
    sacoche_mysql.query("INSERT INTO sacoche_user (user_login) VALUES ('noe.lavandie')")
    for duplicate in ("noe.lavandie", "Noé.Lavandie", "NOE.LAVANDIE "):
        with pytest.raises(pymysql.err.IntegrityError) as excinfo:
            sacoche_mysql.query("INSERT INTO sacoche_user (user_login) VALUES (%s)", (duplicate,))
        assert excinfo.value.args[0] == ER_DUP_ENTRY, duplicate
    result = sacoche_mysql.execute_file("INSERT INTO sacoche_user (user_login) VALUES ('NOE.lavandie');\n")
    assert result.returncode != 0
    assert "ERROR 1062" in result.stderr and "Duplicate entry" in result.stderr
    assert sacoche_mysql.query("SELECT COUNT(*) FROM sacoche_user") == [(1,)]


def test_characters_outside_the_bmp(sacoche_mysql: SacocheDatabase) -> None:
    """What 3-byte utf8 does with an emoji under MariaDB 10.11's default sql_mode (STRICT_TRANS_TABLES).

    Measured facts (the engine must therefore refuse or replace such characters itself, never rely on
    the server):
    * single-row INSERT, or the first row of a multi-row INSERT: error 1366 "Incorrect string value",
      nothing written (strict mode aborts a non-transactional statement only on its FIRST row);
    * a later row of a multi-row INSERT into MyISAM: NOT refused - the row is written with each of the
      4 bytes replaced by '?', and only a warning 1366 is raised (strict mode cannot undo the earlier rows
      of a MyISAM statement, so it degrades to a warning);
    * with a non-strict sql_mode (sql_mode=''): always written mangled as '????' with a warning.
    The mariadb command-line client with --default-character-set=utf8 behaves the same (error 1366).
    """
    emoji = "A\U0001f600B"
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        sacoche_mysql.query("INSERT INTO sacoche_user (user_login, user_nom) VALUES ('e1', %s)", (emoji,))
    assert excinfo.value.args[0] == ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    assert sacoche_mysql.query("SELECT COUNT(*) FROM sacoche_user") == [(0,)]

    with sacoche_mysql.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sacoche_user (user_login, user_nom) VALUES ('e2', 'ok'), ('e3', %s)", (emoji,)
        )
        cursor.execute("SHOW WARNINGS")
        warnings = cursor.fetchall()
        assert [w[1] for w in warnings] == [ER_TRUNCATED_WRONG_VALUE_FOR_FIELD]
        cursor.execute("SET SESSION sql_mode = ''")
        cursor.execute("INSERT INTO sacoche_user (user_login, user_nom) VALUES ('e4', %s)", (emoji,))
    assert sacoche_mysql.query("SELECT user_login, user_nom FROM sacoche_user ORDER BY user_login") == [
        ("e2", "ok"),
        ("e3", "A????B"),
        ("e4", "A????B"),
    ]

    result = sacoche_mysql.execute_file(
        f"INSERT INTO sacoche_user (user_login, user_nom) VALUES ('e5', '{emoji}');\n"
    )
    assert result.returncode != 0
    assert "ERROR 1366" in result.stderr
    assert sacoche_mysql.query("SELECT COUNT(*) FROM sacoche_user WHERE user_login = 'e5'") == [(0,)]


def test_defaults_of_a_minimal_user_row(sacoche_mysql: SacocheDatabase) -> None:
    sacoche_mysql.query("INSERT INTO sacoche_user (user_login) VALUES ('minimal')")
    rows = sacoche_mysql.query(
        "SELECT user_sortie_date, user_genre, user_email_origine, eleve_classe_id, eleve_lv1, eleve_lv2,"
        " user_naissance_date, user_sconet_id, user_reference FROM sacoche_user"
    )
    assert rows == [(dt.date(9999, 12, 31), "I", "", 0, 100, 100, None, 0, "")]


def test_reference_rows(sacoche_mysql: SacocheDatabase) -> None:
    levels = sacoche_mysql.query(
        "SELECT niveau_id, niveau_ref, niveau_famille_id, niveau_nom FROM sacoche_niveau"
        " WHERE niveau_famille_id IN (60, 61, 62)"
    )
    assert {row[0]: row[1] for row in levels} == PRIMARY_LEVELS
    assert all(row[3] for row in levels)
    assert sacoche_mysql.query("SELECT niveau_nom FROM sacoche_niveau WHERE niveau_id = 10001") == [
        ("CP (cours préparatoire)",)
    ]
    refs = {row[0] for row in sacoche_mysql.query("SELECT niveau_ref FROM sacoche_niveau")}
    assert refs >= {"P1", "P2", "P3"}  # the cycles
    profiles = sacoche_mysql.query(
        "SELECT user_profil_sigle, user_profil_login_modele, user_profil_mdp_longueur_mini,"
        " user_profil_mdp_date_naissance FROM sacoche_user_profil"
    )
    assert {row[0] for row in profiles} >= {"ELV", "TUT", "ENS", "DIR", "ADM"}
    assert len(profiles) == 19
    assert ("ELV", "ppp.nnnnnnnn", 6, 0) in profiles


def test_groupe_and_profile_columns_follow_sacoche(sacoche_mysql: SacocheDatabase) -> None:
    rows = sacoche_mysql.query(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_DEFAULT FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('sacoche_groupe', 'sacoche_user_profil',"
        " 'sacoche_siecle_import')"
    )
    types = {(table, column): (ctype, default) for table, column, ctype, default in rows}
    for kind in ("releve", "bulletin", "livret"):
        assert types["sacoche_groupe", f"groupe_configuration_{kind}"] == ("varchar(15)", "''")
    assert types["sacoche_groupe", "groupe_ref"][0] == "varchar(20)"
    assert types["sacoche_groupe", "groupe_nom"][0] == "varchar(20)"
    assert types["sacoche_user_profil", "user_profil_login_modele"] == ("varchar(50)", "'ppp.nnnnnnnn'")
    assert types["sacoche_siecle_import", "siecle_import_contenu"][0] == "mediumtext"
    assert sacoche_mysql.query(
        "SELECT siecle_import_objet, siecle_import_contenu FROM sacoche_siecle_import"
        " WHERE siecle_import_objet = 'Onde'"
    ) == [("Onde", "")]


def test_schema_loads_twice_harmlessly(sacoche_mysql: SacocheDatabase) -> None:
    sacoche_mysql.query("INSERT INTO sacoche_user (user_login) VALUES ('kept')")
    sacoche_mysql.query(
        "UPDATE sacoche_user_profil SET user_profil_login_modele = 'p.nnnn' WHERE user_profil_sigle = 'ELV'"
    )
    before = _counts(sacoche_mysql)
    result = sacoche_mysql.server.load_sacoche_schema(sacoche_mysql.name)
    assert result.returncode == 0, result.stderr
    assert _counts(sacoche_mysql) == before
    # INSERT IGNORE leaves an edited reference row alone.
    assert sacoche_mysql.query(
        "SELECT user_profil_login_modele FROM sacoche_user_profil WHERE user_profil_sigle = 'ELV'"
    ) == [("p.nnnn",)]


def test_client_stops_at_the_first_failing_statement(sacoche_mysql: SacocheDatabase, tmp_path: Path) -> None:
    script = tmp_path / "apply.sql"
    script.write_text(
        "INSERT INTO sacoche_groupe (groupe_ref, groupe_nom) VALUES ('S1', 'statement 1');\n"
        "INSERT INTO sacoche_no_such_table VALUES (2);\n"
        "INSERT INTO sacoche_groupe (groupe_ref, groupe_nom) VALUES ('S3', 'statement 3');\n",
        encoding="utf-8",
    )
    for source in (script, str(script)):  # a Path, and a one-line string naming a file
        sacoche_mysql.query("DELETE FROM sacoche_groupe")
        result = sacoche_mysql.execute_file(source)
        assert isinstance(result, subprocess.CompletedProcess)
        assert result.returncode != 0
        assert "ERROR 1146" in result.stderr and "at line 2" in result.stderr
        assert sacoche_mysql.query("SELECT groupe_ref FROM sacoche_groupe") == [("S1",)]


def test_myisam_rollback_protects_nothing(sacoche_mysql: SacocheDatabase) -> None:
    result = sacoche_mysql.execute_file(
        "START TRANSACTION;\n"
        "INSERT INTO sacoche_groupe (groupe_ref) VALUES ('WRITTEN');\n"
        "ROLLBACK;\n"
        "SHOW WARNINGS;\n"
    )
    assert result.returncode == 0, result.stderr
    assert "1196" in result.stdout  # "Some non-transactional changed tables couldn't be rolled back"
    assert sacoche_mysql.query("SELECT groupe_ref FROM sacoche_groupe") == [("WRITTEN",)]


def test_accented_text_round_trips_through_the_client(sacoche_mysql: SacocheDatabase) -> None:
    result = sacoche_mysql.execute_file(
        "INSERT INTO sacoche_user (user_login, user_nom, user_prenom)"
        " VALUES ('zoe', 'LÆTITIA-ŒDIPE', 'Zoé');\n"
        "SELECT user_prenom FROM sacoche_user WHERE user_login = 'zoe';\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Zoé" in result.stdout
    assert sacoche_mysql.query("SELECT user_nom, user_prenom FROM sacoche_user") == [("LÆTITIA-ŒDIPE", "Zoé")]
