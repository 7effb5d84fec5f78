"""Workbooks: every sheet carrying the header is read, formulas without a saved result and decompression
bombs are refused, locations are ``file:sheet:row:column``."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import ONDE2_HEADER, onde2_row

from engine.cli import main
from engine.errors import OndeError, OndeErrorGroup
from engine.read import SHEET_STRIDE, open_sources, read_export, xlsx
from engine.rules import load_rules

RULES = load_rules(None)


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "export.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def pupil(ine: str, prenom: str, classe_id: str = "104511") -> list[object]:
    return onde2_row(ine=ine, prenom=prenom, classe_id=classe_id)


def inspect(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["inspect", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------------ several sheets


def test_every_sheet_with_the_header_is_read(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        {
            "PS-MS": [ONDE2_HEADER, pupil("203451870GH", "Noé"), pupil("203452218AC", "Zoé")],
            "Notes": [["rien à voir"], ["une note"]],
            "CP": [["Export ONDE"], ONDE2_HEADER, pupil("203398815KE", "Inès", "104512")],
        },
    )
    export = read_export(path, RULES)
    assert len(export.pupils) == 3  # the pupil of sheet CP was lost (planned as a leaver) before
    assert [p.line for p in export.pupils] == [2, 3, SHEET_STRIDE + 3]
    assert export.header.ignored == ("Notes",)

    code, out, err = inspect(path, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["pupils"] == 3
    assert info["sheets"] == [
        {"name": "PS-MS", "header_line": 1, "pupils": 2},
        {"name": "CP", "header_line": 2, "pupils": 1},
    ]
    assert info["ignored_sheets"] == ["Notes"]
    code, out, _ = inspect(path)
    assert code == 0
    assert "sheets read: 'PS-MS' (header line 1, 2 pupils), 'CP' (header line 2, 1 pupils)" in out
    assert "ignored (no pupils header): 'Notes'" in out


def test_single_sheet_is_said_simply(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Élèves": [ONDE2_HEADER, pupil("203451870GH", "Noé")]})
    code, out, _ = inspect(path)
    assert code == 0 and "xlsx, sheet 'Élèves', header on line 1" in out
    info = json.loads(inspect(path, "--json")[1])
    assert info["sheets"] == [{"name": "Élèves", "header_line": 1, "pupils": 1}]
    assert info["ignored_sheets"] == []


def test_sheets_that_disagree_are_refused_at_the_header(tmp_path: Path) -> None:
    other = [h for h in ONDE2_HEADER if h != "Dispositif"]  # same format, one column fewer
    row = pupil("203398815KE", "Inès")
    del row[ONDE2_HEADER.index("Dispositif")]
    path = workbook(
        tmp_path,
        {"A": [ONDE2_HEADER, pupil("203451870GH", "Noé")], "B": [["titre"], other, row]},
    )
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert str(info.value).startswith(f"{path}:B:2: this sheet holds pupils too, but its header differs")
    code, _, err = inspect(path)
    assert code == 1 and f"{path}:B:2:" in err and "Traceback" not in err


def test_errors_on_a_later_sheet_name_sheet_and_row(tmp_path: Path) -> None:
    bad = pupil("203398815KE", "Inès")
    bad[4] = "31/02/2020"  # not a date
    path = workbook(
        tmp_path,
        {
            "A": [ONDE2_HEADER, pupil("203451870GH", "Noé")],
            "B": [ONDE2_HEADER, pupil("203452218AC", "Zoé"), bad],
        },
    )
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, RULES)
    (error,) = info.value.errors
    assert (error.file, error.line, error.column) == (f"{path}:B", 3, 5)
    assert "31/02" not in str(error)


def test_same_ine_on_two_sheets_names_both_places(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        {"A": [ONDE2_HEADER, pupil("203451870GH", "Noé")], "B": [ONDE2_HEADER, pupil("203451870GH", "Zoé")]},
    )
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, RULES)
    (error,) = info.value.errors
    assert (error.file, error.line) == (f"{path}:B", 2)
    assert "the same INE as line 2 of sheet 'A'" in error.message


# ------------------------------------------------------------------------------------ formulas


def test_formula_without_saved_result_is_refused_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Feuil1"
    sheet.append(ONDE2_HEADER)
    for n in range(5):
        sheet.append(pupil(f"20345187{n}GH", "Noé"))
    sheet["E6"] = "=DATE(2020,1,1)"  # openpyxl saves the formula and no result, as many programs do
    book.save(path)
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert str(info.value).startswith(f"{path}:Feuil1:E6: this cell holds a formula whose result")
    code, _, err = inspect(path)
    assert code == 1 and "export.xlsx:Feuil1:E6:" in err


def test_formula_with_saved_result_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Feuil1": [ONDE2_HEADER, pupil("203451870GH", "Noé")]})
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    # the birth date as a formula with its cached result, the way a spreadsheet saves it
    start = sheet.index('<c r="E2"')
    end = sheet.index("</c>", start) + 4
    parts["xl/worksheets/sheet1.xml"] = (
        sheet[:start] + '<c r="E2" t="str"><f>"14/03/"&amp;"2022"</f><v>14/03/2022</v></c>' + sheet[end:]
    ).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    (only,) = read_export(path, RULES).pupils
    assert only.naissance == "2022-03-14"


# ------------------------------------------------------------------------------------ bombs


def test_decompression_bomb_is_refused_before_loading(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Feuil1": [ONDE2_HEADER, pupil("203451870GH", "Noé")]})
    zeros = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("xl/media/padding.bin", "w", force_zip64=True) as part,
    ):
        for _ in range(xlsx.MAX_BYTES // len(zeros) + 1):
            part.write(zeros)
    assert path.stat().st_size < 2 * 1024 * 1024  # a small file...
    with pytest.raises(OndeError) as info:
        open_sources(path)
    assert "MB once decompressed, more than the 256 MB allowed" in info.value.message  # ...refused
    code, _, err = inspect(path)
    assert code == 1 and "decompression bomb" in err and "Traceback" not in err


def test_too_many_cells_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = workbook(tmp_path, {"Feuil1": [ONDE2_HEADER, *(pupil("203451870GH", "Noé") for _ in range(9))]})
    monkeypatch.setattr(xlsx, "MAX_CELLS", 5 * len(ONDE2_HEADER))
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert (info.value.file, info.value.line) == (f"{path}:Feuil1", 6)
    assert "more than 55 cells" in info.value.message


def test_one_cell_far_right_counts_its_row_as_wide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    book.active.append(ONDE2_HEADER)
    book.active["XFD2"] = "x"  # a row of 16384 cells
    path = tmp_path / "export.xlsx"
    book.save(path)
    monkeypatch.setattr(xlsx, "MAX_CELLS", 16_000)
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert info.value.line == 2


def test_shared_strings_bomb_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(ONDE2_HEADER)
    source = tmp_path / "small.xlsx"
    book.save(source)
    path = tmp_path / "export.xlsx"
    tiny = b"<si><t>a</t></si>" * (1 << 16)  # 1.1 MB, compresses to a few KB
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/sharedStrings.xml":
                zout.writestr(info, zin.read(info))
        with zout.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            for _ in range(xlsx.MAX_SHARED_STRINGS // len(tiny) + 1):
                part.write(tiny)
    with pytest.raises(OndeError) as info:
        open_sources(path)
    assert "its texts would take 33 MB once decompressed, more than the 32 MB allowed" in info.value.message


def test_sheet_names_are_shown_without_control_characters(tmp_path: Path) -> None:
    bad = pupil("203452218AC", "Zoé")
    bad[4] = "31/02/2020"
    path = workbook(
        tmp_path,
        {
            "A\u202e": [ONDE2_HEADER, pupil("203451870GH", "Noé")],
            "B\u200b": [ONDE2_HEADER, bad],
            "C\u2066": [],
        },
    )
    code, _, err = inspect(path)
    assert code == 1 and f"{path}:B:2:5:" in err and "\u200b" not in err
    bad[4] = "14/03/2020"
    path = workbook(
        tmp_path,
        {
            "A\u202e": [ONDE2_HEADER, pupil("203451870GH", "Noé")],
            "B\u200b": [ONDE2_HEADER, bad],
            "C\u2066": [["x"]],
        },
    )
    code, out, _ = inspect(path)
    assert code == 0 and "sheets read: 'A' (header line 1, 1 pupils), 'B'" in out and "'C'" in out
    info = json.loads(inspect(path, "--json")[1])
    assert [s["name"] for s in info["sheets"]] == ["A", "B"] and info["ignored_sheets"] == ["C"]
    assert info["sheet"] == "A"


def test_workbook_cut_short_is_truncated(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Feuil1": [ONDE2_HEADER, pupil("203451870GH", "Noé")]})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(OndeError) as info:
        open_sources(path)
    assert info.value.message.startswith("the file looks truncated")  # before: "a damaged zip archive"
    assert "export it again from ONDE" in (info.value.hint or "")


def test_broken_sheet_xml_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Feuil1": [ONDE2_HEADER, pupil("203451870GH", "Noé")]})
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: sheet.rindex(b"</row>")] + b"<c r='Z9'><v>1</v>"  # cut XML
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    code, _, err = inspect(path)
    assert code == 1 and "Traceback" not in err
    assert f"{path}:Feuil1: cannot read this sheet: the workbook is damaged" in err


def test_report_names_the_sheet_of_a_later_sheets_line(tmp_path: Path) -> None:
    """Directors read « ligne 3 (feuille « CP ») », never the internal number k × 10,000,000 + row."""
    from schools import SchoolDB

    from engine.pipeline import make_plan

    db = SchoolDB(tmp_path / "s.db")
    db.klass("104511", "PS", "PS-MS Mme Pivoine")
    path = workbook(
        tmp_path,
        {
            "PS-MS": [ONDE2_HEADER, pupil("203451870GH", "Noé"), pupil("203452218AC", "Zoé")],
            "CP": [["Export ONDE"], ONDE2_HEADER, pupil("203398815KE", "Inès", "104512")],
        },
    )
    make_plan(path, db.url, tmp_path / "plan")
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert plan["source"]["sheets"] == ["PS-MS", "CP"]
    report = (tmp_path / "plan" / "rapport.html").read_text(encoding="utf-8")
    assert str(SHEET_STRIDE + 3) not in report
    assert "3 (feuille « CP »)" in report
