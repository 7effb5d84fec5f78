"""engine.archive: SACoche's archive content, its school year, its size limit, reading it back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from engine.archive import Archive, chunks, file_content, php_json, read_archive, school_year


def test_file_content_is_php_json_of_the_lines_and_refuses_beyond_the_limit() -> None:
    lines = [["Nom élève", "Libellé classe"], ["LAVANDIER", "CP / CE1"]]
    assert (
        file_content(lines)
        == php_json(lines)
        == '[["Nom \\u00e9l\\u00e8ve","Libell\\u00e9 classe"],["LAVANDIER","CP \\/ CE1"]]'
    )
    assert file_content(lines, limit=len(php_json(lines))) == php_json(lines)
    assert file_content(lines, limit=len(php_json(lines)) - 1) is None


def test_school_year_starts_in_the_bascule_month() -> None:
    assert school_year("2026-11-29", 8) == "2026"
    assert school_year("2027-06-30", 8) == "2026"
    assert school_year("2027-08-01", 8) == "2027"


def test_chunks_cover_the_text_exactly() -> None:
    assert chunks("", 3) == [""]
    assert chunks("abcdefg", 3) == ["abc", "def", "g"]


def test_read_archive_tolerates_old_bases_and_missing_rows(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    assert read_archive(conn, "Onde") is None  # no table: a base older than the archive
    conn.execute(
        "CREATE TABLE sacoche_siecle_import (siecle_import_objet TEXT PRIMARY KEY, siecle_import_date TEXT, "
        "siecle_import_annee TEXT, siecle_import_contenu TEXT NOT NULL)"
    )
    assert read_archive(conn, "Onde") == Archive("Onde", None, None, "", exists=False)
    conn.execute("INSERT INTO sacoche_siecle_import VALUES ('Onde', NULL, NULL, '')")  # SACoche's seed row
    seed = read_archive(conn, "Onde")
    assert seed is not None and seed.exists and seed.lines() is None
    content = php_json([["Identifiant classe"], ["104512"]])
    conn.execute("UPDATE sacoche_siecle_import SET siecle_import_contenu = ?", (content,))
    found = read_archive(conn, "Onde")
    assert found is not None and found.lines() == json.loads(content)
