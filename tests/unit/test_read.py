"""Tests for engine.read: file sniffing, encodings, delimiters, physical line numbers, xlsx cells."""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import gzip
import inspect
import io
import lzma
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import clevercsv
import openpyxl
import petl
import pytest
from helpers import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import OndeError
from engine.read import RawSource, open_sources

HEADER = ["INE", "Nom de famille", "Prénom", "Date de naissance", "Classe"]
PUPILS = [
    ["203451870GH", "LAVANDIER", "Noé", "14/03/2022", "PS-MS Mme Pivoine"],
    ["203452218AC", "ROSSIGNOL", "Maëlys", "02/11/2021", "PS-MS Mme Pivoine"],
    ["203398815KE", "D'ALBERTIN", "Inès", "30/06/2020", "GS-CP M. Quenouille"],
    ["202976530BJ", "BERTHELOT-NAÏM", "Gaël", "19/01/2019", "GS-CP M. Quenouille"],
]


# ------------------------------------------------------------------------------------ builders


def csv_text(
    rows: Sequence[Sequence[str]], delimiter: str = ";", newline: str = "\r\n", quote_all: bool = False
) -> str:
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting).writerows(rows)
    return buf.getvalue()


def write_bytes(tmp_path: Path, data: bytes, name: str = "eleves.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def write_csv(
    tmp_path: Path,
    rows: Sequence[Sequence[str]] = (HEADER, *PUPILS),
    *,
    encoding: str = "utf-8",
    name: str = "eleves.csv",
    delimiter: str = ";",
    newline: str = "\r\n",
    quote_all: bool = False,
) -> Path:
    text = csv_text(rows, delimiter=delimiter, newline=newline, quote_all=quote_all)
    return write_bytes(tmp_path, text.encode(encoding), name)


def write_xlsx(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "eleves.xlsx") -> Path:
    """A workbook; ``None`` rows are left empty (the row number is kept)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row or [], start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    path = tmp_path / name
    wb.save(path)
    return path


def only(path: Path, **options: Sequence[str]) -> RawSource:
    """The single source of a CSV file (``options``: open_sources' encodings/delimiters)."""
    sources = open_sources(path, **options)
    assert len(sources) == 1
    return sources[0]


def read_error(path: Path) -> OndeError:
    """open_sources + full read of every source, expecting an OndeError that names the file."""
    with pytest.raises(OndeError) as info:
        for source in open_sources(path):
            list(source.rows())
    err = info.value
    assert err.file == str(path)
    assert path.name in str(err)
    assert err.hint
    return err


def mojibake(text: str) -> str:
    """UTF-8 bytes wrongly decoded as cp1252 (as Windows does: undefined bytes kept as U+0080-U+009F)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8"))


# ------------------------------------------------------------------------------------ samples


def test_shared_samples() -> None:
    onde2 = only(SAMPLES / "onde2_example.csv")
    assert (onde2.kind, onde2.encoding, onde2.delimiter, onde2.sheet) == ("csv", "utf-8-sig", ";", None)
    rows = list(onde2.rows())
    assert len(rows) == 11
    assert [line for line, _ in rows[:3]] == [1, 2, 3]
    assert rows[0][1][0] == "INE"  # BOM removed
    assert rows[1][1][3] == "Noé"

    v1 = only(SAMPLES / "onde_v1_example.csv")
    assert (v1.kind, v1.encoding, v1.delimiter) == ("csv", "cp1252", ";")
    rows = list(v1.rows())
    assert len(rows) == 11
    assert [line for line, _ in rows[:3]] == [1, 2, 3]
    assert rows[0][1][:3] == ["Nom élève", "Nom d'usage élève", "Prénom élève"]
    assert rows[1][1][2] == "Noé"
    assert " Cycle" in rows[0][1]  # not stripped


# ------------------------------------------------------------------------------------ sniffing


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n  \n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    err = read_error(write_bytes(tmp_path, data))
    assert "the file is empty" in err.message


def test_file_with_only_blank_records_is_empty(tmp_path: Path) -> None:
    err = read_error(write_bytes(tmp_path, b";;;\r\n ; ;\r\n\r\n"))
    assert "the file is empty" in err.message


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


PAYLOAD = csv_text([HEADER, *PUPILS]).encode()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_zip_bytes({"eleves.csv": PAYLOAD}), id="zip"),
        pytest.param(gzip.compress(PAYLOAD), id="gzip"),
        pytest.param(bz2.compress(PAYLOAD), id="bz2"),
        pytest.param(lzma.compress(PAYLOAD), id="xz"),
        pytest.param(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(range(256)), id="7z"),
        pytest.param(b"Rar!\x1a\x07\x01\x00" + bytes(range(256)), id="rar"),
    ],
)
def test_compressed_archive(tmp_path: Path, data: bytes) -> None:
    err = read_error(write_bytes(tmp_path, data))
    assert "compressed archive" in err.message
    assert "decompress it first" in err.message


def test_pdf(tmp_path: Path) -> None:
    err = read_error(write_bytes(tmp_path, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
    assert "this is a PDF, not an export" in err.message


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><body><table><tr><td>LAVANDIER</td></tr></table></body></html>",
        b"\xef\xbb\xbf \r\n  <HTML>\n<body>ONDE</body></html>",
        b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>',
    ],
    ids=["doctype", "bom-whitespace-html", "xhtml"],
)
def test_html_page(tmp_path: Path, data: bytes) -> None:
    err = read_error(write_bytes(tmp_path, data))
    assert "web page (HTML)" in err.message


def test_xml_file(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<BEE_ELEVES><ELEVE/></BEE_ELEVES>\n'
    err = read_error(write_bytes(tmp_path, data))
    assert "XML file (SIECLE/STS-like), not an ONDE export" in err.message


def test_old_xls(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"\xfd\xff\xff\xff" + bytes(512)
    err = read_error(write_bytes(tmp_path, data, "eleves.xls"))
    assert ".xls" in err.message
    assert "save it as .xlsx or .csv" in err.message


def test_ods(tmp_path: Path) -> None:
    data = _zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    err = read_error(write_bytes(tmp_path, data, "eleves.ods"))
    assert ".ods" in err.message
    assert "save it as .xlsx or .csv" in err.message


def test_utf16_text_is_refused(tmp_path: Path) -> None:
    data = csv_text([HEADER, *PUPILS], delimiter="\t").encode("utf-16")
    err = read_error(write_bytes(tmp_path, data, "eleves.txt"))
    assert "UTF-16" in err.message


def test_other_binary_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    err = read_error(write_bytes(tmp_path, png))
    assert "not a CSV or spreadsheet export" in err.message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(OndeError, match="file not found"):
        open_sources(tmp_path / "absent.csv")
    with pytest.raises(OndeError, match="folder"):
        open_sources(tmp_path)


def test_xlsx_renamed_csv_is_read_as_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"Élèves": [HEADER, *PUPILS]}, name="export.csv")
    source = only(path)
    assert (source.kind, source.sheet, source.encoding, source.delimiter) == ("xlsx", "Élèves", None, None)
    assert source.warnings == ("file named .csv is an Excel workbook; read as .xlsx",)
    assert [line for line, _ in source.rows()] == [1, 2, 3, 4, 5]


def test_csv_renamed_xlsx_is_read_as_csv(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, name="export.xlsx"))
    assert source.kind == "csv"
    assert any("text (CSV) file" in w for w in source.warnings)
    assert len(list(source.rows())) == 5


# ------------------------------------------------------------------------------------ encodings


def test_utf8_without_bom(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, encoding="utf-8"))
    assert source.encoding == "utf-8"
    assert list(source.rows())[1] == (2, PUPILS[0])


def test_utf8_with_bom(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, encoding="utf-8-sig"))
    assert source.encoding == "utf-8-sig"
    first = next(source.rows())
    assert first == (1, HEADER)


def test_ascii_only_is_utf8(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, [["INE", "Nom"], ["203451870GH", "LAVANDIER"]], encoding="ascii"))
    assert source.encoding == "utf-8"


def test_cp1252_preferred_over_latin1(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, encoding="cp1252"))
    assert source.encoding == "cp1252"
    assert list(source.rows())[3][1][2] == "Inès"


def test_cp1252_specific_characters(tmp_path: Path) -> None:
    rows = [HEADER, *PUPILS, ["202812044DA", "CHAMPFLEURY", "Chloé", "07/05/2018", "CE1 – Mme Œillet’s"]]
    source = only(write_csv(tmp_path, rows, encoding="cp1252"))
    assert source.encoding == "cp1252"
    assert list(source.rows())[-1][1][4] == "CE1 – Mme Œillet’s"


def test_byte_undefined_in_cp1252_is_refused_where_it_stands(tmp_path: Path) -> None:
    # 0x81 is undefined in cp1252 and a C1 control character in ISO-8859-1: never read as ISO-8859-1.
    data = csv_text([HEADER, *PUPILS]).encode("iso-8859-1") + b"2025;X\x81;Z;01/01/2020;CP\r\n"
    source = only(write_bytes(tmp_path, data))
    assert source.encoding == "cp1252"
    with pytest.raises(OndeError) as info:
        list(source.rows())
    assert (info.value.line, info.value.column) == (6, 2)
    assert "Windows-1252 does not define" in info.value.message


def test_allowed_encodings_are_respected(tmp_path: Path) -> None:
    path = write_csv(tmp_path, encoding="cp1252")
    assert only(path, encodings=("utf-8", "iso-8859-1")).encoding == "iso-8859-1"
    assert only(path, encodings=["latin-1"]).encoding == "iso-8859-1"


def test_bom_but_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    good = csv_text([HEADER, *PUPILS[:2]]).encode("utf-8")
    bad = csv_text([PUPILS[2]]).encode("cp1252")
    path = write_bytes(tmp_path, b"\xef\xbb\xbf" + good + bad)
    err = read_error(path)
    assert err.line == 4
    assert "says it is UTF-8 (BOM) but line 4 is not" in err.message
    assert f"{path}:4:" in str(err)
    assert "Inès" not in str(err)


def test_mixed_encodings_names_the_first_bad_line(tmp_path: Path) -> None:
    good = csv_text([HEADER, *PUPILS]).encode("utf-8")
    bad = csv_text([["202645117HF", "OUEDRAOGO", "Zoé", "25/09/2017", "CE2"]]).encode("cp1252")
    err = read_error(write_bytes(tmp_path, good + bad + good))
    assert "mixed encodings" in err.message
    assert err.line == 6
    assert "one encoding" in (err.hint or "")
    assert "Zoé" not in str(err)


def test_invalid_byte_after_1mib_streaming_line_count(tmp_path: Path) -> None:
    filler = "203451870GH;LAVANDIER;Noé;14/03/2022;PS\r\n".encode()
    count = (1 << 20) // len(filler) + 10  # goes past the first 1 MiB chunk
    data = b"\xef\xbb\xbf" + filler * count + b"203452218AC;ROSSIGNOL;Ma\xebl;02/11/2021;MS\r\n"
    err = read_error(write_bytes(tmp_path, data))
    assert err.line == count + 1


def test_utf8_sequence_split_across_chunks_is_valid(tmp_path: Path) -> None:
    line = b"203451870GH;" + b"x" * 87 + b"\n"  # 100 bytes
    count = (1 << 20) // len(line)
    head = line * count
    pad = (1 << 20) - len(head) - len(b"1;") - 1  # "é" (2 bytes) straddles the 1 MiB chunk boundary
    data = head + b"1;" + b"y" * pad + "é\n2;Noé\n".encode()
    source = only(write_bytes(tmp_path, data))
    assert source.encoding == "utf-8"
    records = list(source.rows())
    assert len(records) == count + 2
    assert records[-2][1][1].endswith("é")


# ------------------------------------------------------------------------------------ mojibake


@pytest.mark.parametrize(
    "name", ["Noé", "Gaël", "Inès", "NAÏM", "ÉLODIE", "François", "Jérôme", "D’ALBERTIN"]
)
def test_mojibake_is_refused_with_line_and_column(tmp_path: Path, name: str) -> None:
    rows = [HEADER, *PUPILS[:2], ["203398815KE", "ROSSIGNOL", mojibake(name), "30/06/2020", "GS"]]
    err = read_error(write_csv(tmp_path, rows, encoding="utf-8"))
    assert "garbled accents (mojibake)" in err.message
    assert "re-export it from ONDE" in err.message
    assert (err.line, err.column) == (4, 3)
    assert mojibake(name) not in str(err)


def test_mojibake_in_header_of_double_encoded_file(tmp_path: Path) -> None:
    # The whole file was read as cp1252 and saved again as UTF-8 with a BOM.
    original = "\ufeff" + csv_text([HEADER, *PUPILS])
    path = write_bytes(tmp_path, mojibake(original).encode("utf-8"))
    err = read_error(path)
    assert "mojibake" in err.message
    assert err.line == 1
    assert err.column == 1  # the BOM read as "ï»¿", then "PrÃ©nom" in column 3


def test_mojibake_in_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"Feuil1": [HEADER, PUPILS[0], [None, "LAVANDIER", mojibake("Noé")]]})
    with pytest.raises(OndeError) as info:
        list(only(path).rows())
    err = info.value
    assert (err.file, err.line, err.column) == (f"{path}:Feuil1", 3, 3)
    assert f"{path.name}:Feuil1:3:3:" in str(err)


def test_legitimate_tilde_letters_are_not_mojibake(tmp_path: Path) -> None:
    rows = [HEADER, ["203451870GH", "JOÃO DA SILVA", "Ângela", "01/01/2019", "CP"]]
    source = only(write_csv(tmp_path, rows))
    assert list(source.rows())[1][1][1:3] == ["JOÃO DA SILVA", "Ângela"]


# ------------------------------------------------------------------------------------ CSV dialect


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("quote_all", [False, True])
def test_delimiters_newlines_quoting(tmp_path: Path, delimiter: str, newline: str, quote_all: bool) -> None:
    path = write_csv(tmp_path, delimiter=delimiter, newline=newline, quote_all=quote_all)
    source = only(path)
    assert source.delimiter == delimiter
    assert list(source.rows()) == list(enumerate([HEADER, *PUPILS], start=1))


def test_cells_with_commas_in_semicolon_file(tmp_path: Path) -> None:
    title = ["Liste des élèves, École des Tilleuls, année 2024-2025"]
    rows = [
        title,
        HEADER,
        *[[*p[:4], "CM1, CM2 Mme Églantine"] for p in PUPILS],
        ["1", "A", "B", "12,5", "C"],
    ]
    source = only(write_csv(tmp_path, rows, delimiter=";"))
    assert source.delimiter == ";"
    assert next(source.rows()) == (1, title)


def test_single_column_file(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path, [["INE"], ["203451870GH"], ["203452218AC"]]))
    assert source.delimiter == ";"
    assert [cells for _, cells in source.rows()] == [["INE"], ["203451870GH"], ["203452218AC"]]


def test_restricted_delimiters(tmp_path: Path) -> None:
    path = write_csv(tmp_path, delimiter=";")
    source = only(path, delimiters=(",",))
    assert source.delimiter == ","
    assert next(source.rows())[1] == [";".join(HEADER)]


def test_title_line_and_blank_lines_keep_physical_numbers(tmp_path: Path) -> None:
    text = (
        "Liste des élèves - École des Tilleuls\r\n"
        "\r\n"
        + csv_text([HEADER, PUPILS[0]])
        + ";;;;\r\n"
        + "   \r\n"
        + csv_text(PUPILS[1:])
        + "\r\n\r\n;;;;\r\n\r\n"
    )
    source = only(write_bytes(tmp_path, text.encode("utf-8")))
    assert source.delimiter == ";"
    assert [line for line, _ in source.rows()] == [1, 3, 4, 7, 8, 9]
    assert next(source.rows())[1] == ["Liste des élèves - École des Tilleuls"]


def test_quoted_newline_reports_the_starting_line(tmp_path: Path) -> None:
    rows = [
        ["INE", "Nom", "Adresse"],
        ["203451870GH", "LAVANDIER", "7 impasse des Glycines\nBâtiment B\nEscalier 2"],
        ["203452218AC", "ROSSIGNOL", "3 chemin du Moulin Vert"],
    ]
    source = only(write_csv(tmp_path, rows))
    records = list(source.rows())
    assert [line for line, _ in records] == [1, 2, 5]
    assert records[1][1][2] == "7 impasse des Glycines\nBâtiment B\nEscalier 2"


def test_unclosed_quote_names_the_record_start(tmp_path: Path) -> None:
    text = "INE;Nom\r\n203451870GH;LAVANDIER\r\n203452218AC;\"ROSSIGNOL\r\n203398815KE;D'ALBERTIN\r\n"
    err = read_error(write_bytes(tmp_path, text.encode()))
    assert err.line == 3
    assert "never closed" in err.message
    assert "ROSSIGNOL" not in str(err)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('INE;Nom\r\n203451870GH;"LAVANDIER"X\r\n', 2),
        ('INE;Nom;Adresse\r\n1;LAVANDIER;"7 impasse\r\ndes Glycines"B\r\n', 3),
    ],
)
def test_misplaced_quote_names_the_physical_line(tmp_path: Path, text: str, line: int) -> None:
    err = read_error(write_bytes(tmp_path, text.encode()))
    assert err.line == line
    assert "badly placed quote" in err.message
    assert "LAVANDIER" not in str(err)


def test_delimiter_fallback_when_clevercsv_is_unsure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clevercsv.Detector, "detect", lambda *args, **kwargs: None)
    text = "Liste des élèves, École des Tilleuls\r\n" + csv_text([HEADER, *PUPILS], delimiter="\t")
    assert only(write_bytes(tmp_path, text.encode())).delimiter == "\t"


def test_cells_are_nfc_and_not_stripped(tmp_path: Path) -> None:
    rows = [["INE", " Cycle", "Prénom"], ["203451870GH", " CYCLE I ", "Noe\u0301"]]
    source = only(write_csv(tmp_path, rows))
    records = list(source.rows())
    assert records[0][1] == ["INE", " Cycle", "Prénom"]
    assert records[1][1] == ["203451870GH", " CYCLE I ", "No\u00e9"]


def test_rows_is_lazy_and_repeatable(tmp_path: Path) -> None:
    source = only(write_csv(tmp_path))
    assert inspect.isgenerator(source.rows())
    assert list(source.rows()) == list(source.rows())


# ------------------------------------------------------------------------------------ petl table


def test_table_header_width_and_padding(tmp_path: Path) -> None:
    text = "Liste des élèves\r\n" + csv_text([HEADER, PUPILS[0]]) + "203452218AC;ROSSIGNOL\r\n"
    source = only(write_bytes(tmp_path, text.encode()))
    table = source.table()
    assert isinstance(table, petl.Table)
    assert petl.header(table) == ("_line", "1", "2", "3", "4", "5")
    data = list(petl.data(table))
    assert data[0] == (1, "Liste des élèves", "", "", "", "")
    assert data[2] == (3, *PUPILS[0])
    assert data[3] == (4, "203452218AC", "ROSSIGNOL", "", "", "")
    assert list(table) == list(table)  # re-iterable view
    assert petl.nrows(table) == 4


# ------------------------------------------------------------------------------------ xlsx


def test_xlsx_sheets_rows_and_cell_conversion(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        {
            "Export": [
                None,  # empty first row
                ["Liste des élèves"],
                [*HEADER, "Né le", "Actif", "Note"],
                [
                    "203451870GH",
                    "LAVANDIER",
                    "Noé",
                    dt.date(2022, 3, 14),
                    104511.0,
                    dt.datetime(2022, 3, 14, 8, 30),
                    True,
                    12.5,
                ],
                [None, None, None],
                ["203452218AC", "ROSSIGNOL", "Maëlys", "02/11/2021", 104511, None, False, None],
                None,
            ],
            "Vide": [],
            "Notes": [None, None, ["x", None, "Noe\u0301"]],
        },
    )
    sources = open_sources(path)
    assert [s.sheet for s in sources] == ["Export", "Vide", "Notes"]
    assert all(s.kind == "xlsx" and s.encoding is None and s.delimiter is None for s in sources)
    assert sources[0].warnings == ()
    rows = list(sources[0].rows())
    assert [line for line, _ in rows] == [2, 3, 4, 6]
    assert rows[2][1] == [
        "203451870GH",
        "LAVANDIER",
        "Noé",
        "2022-03-14",
        "104511",
        "2022-03-14",
        "1",
        "12.5",
    ]
    assert rows[3][1] == ["203452218AC", "ROSSIGNOL", "Maëlys", "02/11/2021", "104511", "", "0"]
    assert list(sources[1].rows()) == []
    assert list(sources[2].rows()) == [(3, ["x", "", "No\u00e9"])]
    assert petl.header(sources[0].table())[:2] == ("_line", "1")


def test_xlsx_data_not_starting_in_column_a(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"F": [None, [None, "INE", "Nom"], [None, "203451870GH", "LAVANDIER"]]})
    assert list(only(path).rows()) == [(2, ["", "INE", "Nom"]), (3, ["", "203451870GH", "LAVANDIER"])]


def test_empty_workbook(tmp_path: Path) -> None:
    err = read_error(write_xlsx(tmp_path, {"Feuil1": [], "Feuil2": [None, [None, " "]]}))
    assert "the file is empty" in err.message


def test_damaged_workbook(tmp_path: Path) -> None:
    data = _zip_bytes({"xl/workbook.xml": b"<not really", "[Content_Types].xml": b"<Types/>"})
    err = read_error(write_bytes(tmp_path, data, "eleves.xlsx"))
    assert "cannot read this Excel workbook" in err.message


# ------------------------------------------------------------------------------------ property


CELL = st.text(alphabet="abcXYZ éèêëàçôÉÈÇ'-;,\t\"\n0123456789", max_size=12)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=15),
    delimiter=st.sampled_from([";", ",", "\t"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_roundtrip_line_numbers(rows: list[list[str]], delimiter: str, newline: str, encoding: str) -> None:
    """Whatever csv.writer produces is read back with the physical line where each record starts."""
    text = csv_text(rows, delimiter=delimiter, newline=newline)
    expected, line = [], 1
    for row in rows:
        if "".join(row).strip():
            expected.append((line, row))
        line += csv_text([row], delimiter=delimiter, newline=newline).count("\n")
    if not expected:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_bytes(Path(tmp), text.encode(encoding))
        source = only(path, delimiters=(delimiter,))
        assert list(source.rows()) == expected
        if encoding == "utf-8-sig":
            assert source.encoding == "utf-8-sig"
        elif text.isascii():
            assert source.encoding == "utf-8"
        else:
            assert source.encoding == encoding
