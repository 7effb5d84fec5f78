"""Hostile or damaged text at read time: invisible control/format characters, bytes Windows-1252 leaves
undefined, files cut short, dates re-saved with two-digit years."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest
from helpers import ONDE2_HEADER, copy_rules, onde2_row, write_csv

from engine.errors import OndeError, OndeErrorGroup
from engine.read import INVISIBLE, read_export
from engine.rules import load_rules

RULES = load_rules(None)
C1 = [chr(c) for c in range(0x80, 0xA0)]


def rules_with(tmp_path: Path, old: str, new: str) -> object:
    directory = copy_rules(tmp_path)
    target = directory / "policy" / "target.yaml"
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")
    return load_rules(directory)


# ------------------------------------------------------------------------------ control characters

HOSTILE = {
    "ESC": "\x1b",
    "FS": "\x1c",  # a space to Python: becomes one
    "NEL": "\x85",
    "BEL": "\x07",
    "DEL": "\x7f",
    "C1": "\x9b",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "PDI": "\u2069",
    "ZWSP": "\u200b",
    "ZWJ": "\u200d",
    "WJ": "\u2060",
    "BOM": "\ufeff",
    "SHY": "\u00ad",
}


def test_invisible_class_is_every_control_and_format_character_but_tab_and_newlines() -> None:
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        expected = unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"
        assert bool(INVISIBLE.fullmatch(char)) == expected, hex(cp)
        assert not (expected and char.isprintable()), hex(cp)  # normalise's fast path relies on it


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_control_characters_are_removed_and_counted(tmp_path: Path, name: str) -> None:
    bad = HOSTILE[name]
    rows = [
        onde2_row(nom=f"LAVAN{bad}DIER", prenom=f"{bad}Noé"),
        onde2_row(ine="203452218AC", prenom="Zoé", classe=f"PS-MS{bad} Mme Pivoine"),
    ]
    export = read_export(write_csv(tmp_path / "e.csv", rows), RULES)
    first, second = export.pupils
    assert first.nom == ("LAVAN DIER" if bad.isspace() else "LAVANDIER")
    assert first.prenom == "Noé" and second.classe_label == "PS-MS Mme Pivoine"
    for pupil in export.pupils:
        for value in (pupil.nom, pupil.prenom, pupil.classe_label):
            assert not INVISIBLE.search(value)
    count = 2 * len(bad) + len(bad)
    warning = next(w for w in export.warnings if "invisible" in w)
    assert warning.startswith(f"{count} invisible control or formatting character(s) removed (lines 2, 3)")
    assert "Noé" not in warning and "LAVAN" not in warning


def test_tab_newline_and_no_break_space_are_still_folded(tmp_path: Path) -> None:
    rows = [onde2_row(nom="LAVAN\tDIER", prenom="Noé\u00a0Marie")]
    export = read_export(write_csv(tmp_path / "e.csv", rows), RULES)
    assert (export.pupils[0].nom, export.pupils[0].prenom) == ("LAVAN DIER", "Noé Marie")
    assert not any("invisible" in w for w in export.warnings)


def test_control_characters_refused_by_policy_at_line_and_column(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "control_characters: remove", "control_characters: refuse")
    rows = [onde2_row(), onde2_row(ine="203452218AC", prenom="Zo\u202eé")]
    path = write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, rules)
    (error,) = info.value.errors
    assert (error.line, error.column) == (3, 4)
    assert str(error).startswith(f"{path}:3:4: column 4 (Prénom): holds an invisible control")
    assert "U+202E" in error.message and "Zo" not in str(error)


# ------------------------------------------------------------------------------ Windows-1252


def test_one_undefined_byte_does_not_turn_a_cp1252_file_into_latin1(tmp_path: Path) -> None:
    rows = [
        onde2_row(nom="D’ALBERTIN", prenom="Œnone", classe="CE1 – Mme Cœur €"),
        onde2_row(ine="203452218AC", prenom="Zoé"),
    ]
    path = write_csv(tmp_path / "e.csv", rows, encoding="cp1252")
    export = read_export(path, RULES)
    assert export.raw.encoding == "cp1252" and export.pupils[0].nom == "D’ALBERTIN"
    data = path.read_bytes().replace("Zoé".encode("cp1252"), b"Zo\x81")  # one byte cp1252 leaves undefined
    path.write_bytes(data)
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert (info.value.line, info.value.column) == (3, 4)  # before: read as ISO-8859-1, ’ œ € as C1 controls
    assert "Windows-1252 does not define" in info.value.message


@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_no_c1_control_ever_reaches_a_name(tmp_path: Path, byte: int) -> None:
    path = write_csv(tmp_path / "e.csv", [onde2_row(prenom="Zoé"), onde2_row(ine="203452218AC")])
    path.write_bytes(path.read_bytes().replace(b"Zo\xc3\xa9", b"Zo" + bytes([byte])))
    try:
        export = read_export(path, RULES)
    except OndeError as error:
        assert error.line == 2
        return
    for pupil in export.pupils:
        assert not any(c in C1 for c in pupil.prenom + pupil.nom)


def test_latin1_only_refuses_c1_bytes(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    text = source.read_text(encoding="utf-8")
    start = text.index("encodings:")
    end = text.index("\n", start)
    source.write_text(text[:start] + "encodings: [utf-8, iso-8859-1]" + text[end:], encoding="utf-8")
    rules = load_rules(directory)
    path = write_csv(
        tmp_path / "e.csv", [onde2_row(), onde2_row(ine="203452218AC", nom="D’ALBERTIN")], encoding="cp1252"
    )
    with pytest.raises(OndeError) as info:
        read_export(path, rules, "onde2-eleves")
    assert info.value.line == 3 and "invisible control character" in info.value.message


# ------------------------------------------------------------------------------ damaged files


def pupils(count: int, **fields: str) -> list[list[str]]:
    return [onde2_row(ine=f"2034518{n:02d}GH", prenom=f"Zoé{'e' * n}", **fields) for n in range(count)]


def test_cut_inside_a_character_is_truncated(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(4))
    data = path.read_bytes()
    cut = data.rindex("é".encode()) + 1  # keep the first byte of the last é only
    path.write_bytes(data[:cut])
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert str(info.value).startswith(f"{path}:5: the file looks truncated after line 4")
    assert "export it again from ONDE" in (info.value.hint or "")


def test_last_line_with_fewer_cells_is_truncated(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(4))
    data = path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(data[: data.rindex(b";PS;")])  # cut after the birth date and sexe of line 5
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert not isinstance(info.value, OndeErrorGroup)  # before: an error on the empty class id
    assert str(info.value).startswith(f"{path}:5: the file looks truncated after line 4")
    assert "stops after 6 of 11 cells" in info.value.message


def test_last_line_without_line_break_but_complete_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(3))
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    assert len(read_export(path, RULES).pupils) == 3


def test_unclosed_quote_at_the_end_is_truncated(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(3, classe="PS-MS; Mme Pivoine"))  # quoted: holds a ;
    data = path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(data[: data.rindex(b"Mme")])
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert str(info.value).startswith(f"{path}:4: the file looks truncated after line 3")
    assert "quote that is never closed" in info.value.message


def test_stray_quote_in_a_whole_file_is_not_called_truncated(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(3))
    path.write_bytes(path.read_bytes().replace(b"PS-MS", b'"PS-MS', 1))
    with pytest.raises(OndeError) as info:
        read_export(path, RULES)
    assert "truncated" not in info.value.message and "never closed" in info.value.message


def test_two_digit_years_are_one_grouped_message(tmp_path: Path) -> None:
    rows = [*pupils(55, naissance="14/03/22"), onde2_row(ine="203452218AC", naissance="31/02/2020")]
    path = write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, RULES)
    years, other = info.value.errors  # before: 56 errors
    assert str(years).startswith(
        f"{path}:2:5: column 5 (Date de naissance): 55 dates have a two-digit year (dd/mm/yy), "
        "lines 2, 3, 4, 5, 6…"
    )
    assert "export the file again from ONDE" in (years.hint or "")
    assert (other.line, other.column) == (57, 5) and "not a valid date" in other.message
    assert "14/03" not in str(info.value)


def test_many_identical_errors_in_a_column_are_grouped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(12, nom=""))  # (an empty class id is no error: no class yet)
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, RULES)
    (error,) = info.value.errors
    assert error.message == (
        "column 2 (Nom de famille): empty, but every pupil needs it, on 12 lines: lines 2, 3, 4, 5, 6…"
    )


def test_a_few_errors_stay_one_per_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", pupils(3, nom=""))
    with pytest.raises(OndeErrorGroup) as info:
        read_export(path, RULES)
    assert [e.line for e in info.value.errors] == [2, 3, 4]


def test_removal_keeps_nfc(tmp_path: Path) -> None:
    rows = [onde2_row(prenom="Zoe\u200b\u0301")]  # the zero-width space kept the accent apart from its e
    (pupil,) = read_export(write_csv(tmp_path / "e.csv", rows), RULES).pupils
    assert pupil.prenom == "Zoé" and unicodedata.is_normalized("NFC", pupil.prenom)


def test_header_with_invisible_characters_is_known_and_never_echoed(tmp_path: Path) -> None:
    header = list(ONDE2_HEADER)
    header[3] = "Pr\u200bénom\x1b"
    header.append("Remarque\x1b[2J")  # an unknown column: named in a warning, without the ESC
    rows = [[*onde2_row(), "x"]]
    export = read_export(write_csv(tmp_path / "e.csv", rows, header=header), RULES)
    assert export.pupils[0].prenom == "Noé"
    assert export.header.header_of("prenom") == "Prénom"
    assert any("'Remarque[2J' is not used" in w for w in export.warnings)
    assert not any(INVISIBLE.search(w) for w in export.warnings)


def test_one_line_is_said_in_the_singular(tmp_path: Path) -> None:
    export = read_export(write_csv(tmp_path / "e.csv", [onde2_row(prenom="No\u200bé")]), RULES)
    assert "1 invisible control or formatting character(s) removed (line 2)" in " ".join(export.warnings)
