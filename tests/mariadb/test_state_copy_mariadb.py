"""tests/support/state_copy.py on a real MariaDB server: SACoche's archive of the previous import is copied
whole even when one statement holding it, once escaped, would exceed the server's max_allowed_packet."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import EXAMPLES
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

pytestmark = pytest.mark.mariadb


def test_an_archive_bigger_than_a_packet_once_escaped_is_copied_whole(
    sacoche_mysql: SacocheDatabase, tmp_path: Path
) -> None:
    db = tmp_path / "state.db"
    shutil.copyfile(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    # 9 MB of JSON-escaped quotes: MEDIUMTEXT holds it, a statement escaping each backslash and quote
    # again (18 MB) does not fit the default 16 MiB packet
    content = json.dumps([["Nom élève"], ['"' * 4_500_000]])
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE sacoche_siecle_import SET siecle_import_date = '2025-09-08', "
            "siecle_import_annee = '2025', siecle_import_contenu = ? WHERE siecle_import_objet = 'Onde'",
            (content,),
        )
    conn.close()
    (packet,) = sacoche_mysql.query("SELECT @@max_allowed_packet")[0]
    assert len(content) < packet < 2 * len(content)
    counts = copy_sqlite_to_mysql(db, sacoche_mysql)
    assert counts["sacoche_siecle_import"] == 5
    rows = sacoche_mysql.query(
        "SELECT siecle_import_objet, siecle_import_annee, LENGTH(siecle_import_contenu), "
        "SHA1(siecle_import_contenu) FROM sacoche_siecle_import ORDER BY siecle_import_objet"
    )
    onde = [row for row in rows if row[0] == "Onde"]
    assert onde == [("Onde", "2025", len(content), hashlib.sha1(content.encode()).hexdigest())]
