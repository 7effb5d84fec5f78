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


def test_lines_are_json_s_reading_whatever_the_shape() -> None:
    """Lines of strings come as they are; numbers, nulls, PHP's objects and big integers as json reads
    them (orjson reads an integer beyond 64 bits as a float: never used for those)."""
    for content in (
        '[["a","b"],["c"]]',
        "[[]]",
        '[["a",1,null,2.5,true],{"0":"x","2":"y"}]',
        '{"0":["a"],"3":["b"]}',
        '[["18446744073709551616","x"],[18446744073709551616,-9223372036854775809]]',
        '[["\\ud800"]]',
        '[["1e400"],[1e400]]',
    ):
        data = json.loads(content)
        data = list(data.values()) if isinstance(data, dict) else data
        expected = [
            ["" if c is None else str(c) for c in (line.values() if isinstance(line, dict) else line)]
            for line in data
        ]
        assert Archive("Onde", None, None, content).lines() == expected, content
    for content in ("[]", "{}", '["a"]', "[[1],2]", "not json", "[[", '"text"'):
        assert Archive("Onde", None, None, content).lines() is None, content


def test_previous_classes_skip_blank_lines_and_read_short_ones() -> None:
    from engine.archive import previous_classes
    from engine.rules import load_rules

    rules = load_rules()
    fields = rules.sources["onde1-eleves"].fields
    header = ["Identifiant classe", "Niveau", "Libellé classe", "Autre"]
    lines = [
        header,
        ["  ", "", " ", ""],  # blank: skipped
        ["104512", "CP", "CP Mme Pivoine", "x"],
        ["104512", "CP", "CP Mme Pivoine", "y"],  # the same class again
        ["104513", "CE1"],  # short: no label
        ["", "CE2", "CE2 sans id", ""],  # no class id: skipped
    ]
    calls: list[tuple[str, str, str]] = []

    def class_of(triple: tuple[str, str, str]) -> tuple[str, str, str]:
        calls.append(triple)
        return f"{triple[0]}_{triple[1]}", f"[{triple[1]}] {triple[2]}", triple[1]

    found = previous_classes(lines, fields, rules.context, class_of, str.lower)
    assert found == {"104512_cp": ("CP Mme Pivoine", "[CP] CP Mme Pivoine"), "104513_ce1": ("", "[CE1] ")}
    assert calls == [("104512", "CP", "CP Mme Pivoine"), ("104513", "CE1", "")]
