"""`onde-sacoche inspect` end to end: the samples, the example, and every kind of bad input.

Each bad input must give a message naming the file and (when it has one) the physical line, exit 1, and
write nothing; messages must not quote pupils' personal data.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import EXAMPLES, ONDE2_HEADER, SAMPLES, onde2_row, write_csv

from engine.cli import main


def inspect(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["inspect", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def inspect_json(path: Path, *args: str) -> dict:
    code, out, err = inspect(path, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_onde2_sample() -> None:
    info = inspect_json(SAMPLES / "onde2_example.csv")
    assert info["format"] == "onde2-eleves"
    assert info["encoding"] == "utf-8-sig" and info["delimiter"] == ";"
    assert info["pupils"] == 10
    classes = {c["id"]: c for c in info["classes"]}
    assert classes["104512"] == {
        "id": "104512",
        "label": "GS-CP M. Quenouille",
        "niveaux": ["CP", "GS"],
        "pupils": 2,
    }
    assert classes["104515"]["niveaux"] == ["CM1", "CM2"] and classes["104515"]["pupils"] == 3
    assert {g["label"]: g["pupils"] for g in info["groups"]} == {"Chorale": 3, "Anglais renforcé": 2}
    assert info["dispositifs"] == {"UPE2A": 1, "ULIS école": 1}
    assert info["errors"] == []
    assert any("not confirmed" in w for w in info["warnings"])


def test_onde1_sample() -> None:
    info = inspect_json(SAMPLES / "onde_v1_example.csv")
    assert info["format"] == "onde1-eleves"
    assert info["encoding"] == "cp1252"
    assert info["pupils"] == 10
    classes = {c["id"]: c for c in info["classes"]}
    assert classes["104516"]["niveaux"] == ["multi"]  # ULIS class without niveau
    assert set(classes) == {"104511", "104512", "104513", "104514", "104515", "104516"}
    assert info["unknown_columns"] == []  # addresses and authorisations are known, unused columns


def test_both_example_files_describe_the_same_school() -> None:
    onde2 = inspect_json(EXAMPLES / "onde2-ecole-des-tilleuls.csv")
    onde1 = inspect_json(EXAMPLES / "onde1-ecole-des-tilleuls.csv")
    assert onde2["pupils"] == onde1["pupils"] > 40
    assert onde2["classes"] == onde1["classes"]
    assert onde2["niveaux"] == onde1["niveaux"]


def test_text_output_names_format_and_classes() -> None:
    code, out, _ = inspect(SAMPLES / "onde2_example.csv")
    assert code == 0
    assert "onde2-eleves" in out and "GS-CP M. Quenouille" in out and "10 pupils" in out


def test_title_line_comma_lf_and_unknown_column(tmp_path: Path) -> None:
    header = [*ONDE2_HEADER, "Observations"]
    rows = [[*onde2_row(), ""], [*onde2_row(ine="203452218AC", prenom="Zoé"), ""]]
    path = write_csv(
        tmp_path / "e.csv",
        rows,
        header=header,
        delimiter=",",
        newline="\n",
        before=["Liste des élèves — école fictive", ""],
    )
    info = inspect_json(path)
    assert info["header_line"] == 3 and info["delimiter"] == ","
    assert info["unknown_columns"] == [{"column": 12, "header": "Observations"}]
    assert any("Observations" in w for w in info["warnings"])


def test_header_synonyms_forgive_case_accents_and_spaces(tmp_path: Path) -> None:
    header = [
        "  ine",
        "NOM DE FAMILLE",
        "nom d'usage",
        "PRENOM",
        "date  de naissance",
        "sexe",
        "niveau",
        "classe",
        "identifiant   classe",
        "dispositif",
        "regroupement(s)",
    ]
    info = inspect_json(write_csv(tmp_path / "e.csv", [onde2_row()], header=header))
    assert info["format"] == "onde2-eleves" and info["pupils"] == 1


def test_xlsx_with_title_rows_on_second_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["rien à voir"])
    sheet = book.create_sheet("Élèves")
    sheet.append(["Export ONDE"])
    sheet.append(ONDE2_HEADER)
    sheet.append(onde2_row(classe_id="104511"))
    row = onde2_row(ine="203452218AC", prenom="Zoé")
    row[8] = 104511  # a number in the sheet
    sheet.append(row)
    book.save(tmp_path / "export.xlsx")
    info = inspect_json(tmp_path / "export.xlsx")
    assert info["kind"] == "xlsx" and info["sheet"] == "Élèves" and info["header_line"] == 2
    assert info["classes"] == [{"id": "104511", "label": "PS-MS Mme Pivoine", "niveaux": ["PS"], "pupils": 2}]


def assert_refused(path: Path, *needles: str, line: int | None = None, private: tuple[str, ...] = ()) -> str:
    before = sorted(p.name for p in path.parent.iterdir())
    code, out, err = inspect(path)
    assert code == 1, (out, err)
    assert str(path) in err
    if line is not None:
        assert f"{path}:{line}" in err
    for needle in needles:
        assert needle.lower() in err.lower(), err
    for secret in private:
        assert secret not in err and secret not in out
    assert sorted(p.name for p in path.parent.iterdir()) == before  # nothing written
    code_json, out_json, _ = inspect(path, "--json")
    assert code_json == 1 and json.loads(out_json)["errors"]
    return err


def test_zip_archive(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export.csv", "INE;Nom\n")
    assert_refused(path, "decompress")


def test_gzip_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(gzip.compress(b"INE;Nom\n"))
    assert_refused(path, "decompress")


def test_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_refused(empty, "empty")
    header_only = write_csv(tmp_path / "header.csv", [])
    assert_refused(header_only, "no pupil", line=1)


def test_html_pdf_and_renamed_xlsx(tmp_path: Path) -> None:
    html = tmp_path / "page.csv"
    html.write_text("<!DOCTYPE html><html><body>Session expirée</body></html>", encoding="utf-8")
    assert_refused(html, "html")
    pdf = tmp_path / "liste.csv"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    assert_refused(pdf, "pdf")
    book = openpyxl.Workbook()
    book.active.append(ONDE2_HEADER)
    book.active.append(onde2_row())
    renamed = tmp_path / "renamed.csv"
    book.save(renamed)
    info = inspect_json(renamed)
    assert info["kind"] == "xlsx" and info["pupils"] == 1
    assert any("xlsx" in w.lower() for w in info["warnings"])


def test_other_sources_are_named(tmp_path: Path) -> None:
    # a parents export is read by inspect (tests/cli/test_inspect_parents.py), refused where pupils are read
    assert inspect_json(SAMPLES / "onde_v1_responsables_example.csv")["kind_of_export"] == "parents"
    siecle = write_csv(
        tmp_path / "siecle.csv",
        [["1234", "DUPONT", "Jean", "3E1"]],
        header=["ELENOET", "NOM_DE_FAMILLE", "PRENOM", "CODE_STRUCTURE"],
    )
    assert_refused(siecle, "does not look like an ONDE pupils export")


def test_missing_required_column_names_closest_format(tmp_path: Path) -> None:
    header = [h for h in ONDE2_HEADER if h != "Identifiant classe"]
    rows = [[c for i, c in enumerate(onde2_row()) if i != 8]]
    err = assert_refused(
        write_csv(tmp_path / "e.csv", rows, header=header), "onde2-eleves", "'Identifiant classe'"
    )
    assert "closest format" in err


def test_rows_missing_values_dates_and_ine(tmp_path: Path) -> None:
    rows = [
        onde2_row(),
        onde2_row(ine="203452218AC", nom=""),
        onde2_row(ine="203452219AC", prenom="  "),
        onde2_row(ine="203452220AC", classe_id=""),
        onde2_row(ine="203452221AC", naissance="31/02/2021"),
        onde2_row(ine="12345", prenom="Zoé"),
    ]
    path = write_csv(tmp_path / "e.csv", rows)
    err = assert_refused(path, private=("12345", "31/02/2021"))
    assert f"{path}:3:2: column 2 (Nom de famille): empty" in err
    assert f"{path}:4:4: column 4 (Prénom): empty" in err
    assert f"{path}:5:9:" not in err  # a pupil without a class (admitted, not yet assigned) is no error
    assert f"{path}:6:5: column 5 (Date de naissance): not a valid date" in err
    assert f"{path}:7:1: column 1 (INE): INE must be 11 characters" in err


def test_duplicate_ine_names_both_lines(tmp_path: Path) -> None:
    rows = [onde2_row(), onde2_row(ine="203452218AC", prenom="Zoé"), onde2_row(prenom="Inès")]
    path = write_csv(tmp_path / "e.csv", rows)
    err = assert_refused(path, "line 2", line=4, private=("203451870GH",))
    assert "same INE" in err


def test_duplicate_pupil_without_ine(tmp_path: Path) -> None:
    rows = [onde2_row(ine=""), onde2_row(ine="203452218AC", prenom="Zoé"), onde2_row(ine="")]
    err = assert_refused(write_csv(tmp_path / "e.csv", rows), "line 2", line=4, private=("LAVANDIER",))
    assert "neither has an INE" in err


def test_twins_are_not_duplicates(tmp_path: Path) -> None:
    rows = [onde2_row(ine=""), onde2_row(ine="", prenom="Capucine", sexe="F")]
    assert inspect_json(write_csv(tmp_path / "e.csv", rows))["pupils"] == 2


def test_invalid_utf8_after_bom(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "e.csv", [onde2_row(), onde2_row(ine="203452218AC", prenom="Zoé")], encoding="utf-8-sig"
    )
    data = path.read_bytes().replace("Zoé".encode(), "Zo\xe9".encode("cp1252"))
    path.write_bytes(data)
    assert_refused(path, "utf-8", line=3)


def test_mojibake_is_refused_with_line(tmp_path: Path) -> None:
    rows = [onde2_row(), onde2_row(ine="203452218AC", prenom="Zoé".encode().decode("latin-1"))]
    path = write_csv(tmp_path / "e.csv", rows)
    assert_refused(path, "mojibake", line=3)


def test_emoji_is_refused_by_default(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [onde2_row(prenom="Zoé 🌼")])
    assert_refused(path, "cannot store", line=2)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_encodings_read_the_same_names(tmp_path: Path, encoding: str) -> None:
    rows = [
        onde2_row(nom="BERTHELOT-NAÏM", prenom="Gaël"),
        onde2_row(ine="203452218AC", nom="ÉPERVIER", prenom="Zoé"),
    ]
    path = write_csv(tmp_path / "e.csv", rows, encoding=encoding)
    from engine.read import read_export
    from engine.rules import load_rules

    pupils = read_export(path, load_rules()).pupils
    assert [(p.nom, p.prenom) for p in pupils] == [("BERTHELOT-NAÏM", "Gaël"), ("ÉPERVIER", "Zoé")]


def test_unknown_forced_format(tmp_path: Path) -> None:
    code, _, err = inspect(SAMPLES / "onde2_example.csv", "--format", "onde3")
    assert code == 1 and "onde2-eleves" in err


def test_forced_format_that_does_not_fit(tmp_path: Path) -> None:
    code, _, err = inspect(SAMPLES / "onde2_example.csv", "--format", "onde1-eleves")
    assert code == 1 and "onde1-eleves" in err
