"""Rule files: schema checks with YAML positions, cross-references, and the rules-as-data promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import ONDE2_HEADER, copy_rules, onde2_row, write_csv

from engine.cli import main
from engine.errors import OndeErrorGroup
from engine.read import read_export
from engine.rules import check_rules, load_rules


def test_builtin_rules_are_valid_and_versioned() -> None:
    rules = load_rules()
    assert {"onde2-eleves", "onde1-eleves", "onde1-responsables"} <= set(rules.sources)
    assert rules.full_version.startswith(rules.version + "+")
    assert rules.sources["onde2-eleves"].confirmed is False


def test_digest_changes_with_any_rule_file(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    before = load_rules(directory).full_version
    table = directory / "tables" / "sexe.yaml"
    table.write_text(table.read_text(encoding="utf-8") + "  Homme: M\n", encoding="utf-8")
    assert load_rules(directory).full_version != before


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_unknown_key_points_at_its_line(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    _edit(source, "    required: true\n", "    requird: true\n")
    _, errors = check_rules(directory)
    assert len(errors) == 1
    error = errors[0]
    assert error.file == str(source)
    assert error.line == _line_of(source, "requird:")
    assert error.column == 5
    assert "requird" in error.message


def test_unknown_operation_and_missing_table_are_located(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde1-eleves.yaml"
    _edit(source, "steps: [remove_controls, title_case,", "steps: [remove_controls, titlecase,")
    _edit(source, "{map: {table: sexe}}", "{map: {table: genres}}")
    _, errors = check_rules(directory)
    messages = sorted(e.message for e in errors)
    assert any("unknown operation 'titlecase'" in m for m in messages)
    assert any("table 'genres', which does not exist" in m for m in messages)
    lines = {e.line for e in errors}
    assert _line_of(source, "titlecase") in lines and _line_of(source, "genres") in lines


def test_bad_argument_type_is_reported(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    _edit(source, "{truncate: 8}", "{truncate: vingt}")
    _, errors = check_rules(directory)
    assert len(errors) == 1 and "'truncate'" in errors[0].message
    assert errors[0].line == _line_of(source, "truncate: vingt")


def test_yaml_syntax_and_duplicate_keys(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    table = directory / "tables" / "sexe.yaml"
    table.write_text(table.read_text(encoding="utf-8") + "  M: F\n", encoding="utf-8")
    _, errors = check_rules(directory)
    assert len(errors) == 1 and "written twice" in errors[0].message
    assert errors[0].line == len(table.read_text(encoding="utf-8").splitlines())


def test_same_header_for_two_fields_is_refused(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    _edit(source, 'headers: ["Classe", "Libellé classe"]', 'headers: ["Classe", "Nom"]')
    _, errors = check_rules(directory)
    assert any("also a header of field 'nom'" in e.message for e in errors)


def test_rules_check_command_prints_file_line_column(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    _edit(source, "kind: pupils", "kind: eleves")
    result = CliRunner().invoke(main, ["rules", "check", str(directory)])
    assert result.exit_code == 1
    line = _line_of(source, "kind: eleves")
    assert f"{source}:{line}:1:" in result.output
    ok = CliRunner().invoke(main, ["rules", "check"])
    assert ok.exit_code == 0 and "OK" in ok.output


def test_load_rules_raises_all_problems(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    _edit(directory / "sources" / "onde2-eleves.yaml", "kind: pupils", "kind: eleves")
    _edit(directory / "tables" / "niveaux.yaml", "kind: map", "kind: carte")
    with pytest.raises(OndeErrorGroup) as caught:
        load_rules(directory)
    assert len(caught.value.errors) == 2


def test_renamed_onde2_header_needs_only_a_yaml_edit(tmp_path: Path) -> None:
    """The design's promise: ONDE renames a column; a rule edit (no Python) reads the new file."""
    header = [("Identifiant de la classe" if h == "Identifiant classe" else h) for h in ONDE2_HEADER]
    header = [("Prénom usuel" if h == "Prénom" else h) for h in header]
    export = write_csv(
        tmp_path / "new-onde2.csv", [onde2_row(), onde2_row(ine="203452218AC", prenom="Zoé")], header=header
    )
    result = CliRunner().invoke(main, ["inspect", str(export), "--json"])
    assert result.exit_code == 1
    assert "Identifiant classe" in result.output  # says which column it lacks

    directory = copy_rules(tmp_path)
    source = directory / "sources" / "onde2-eleves.yaml"
    _edit(
        source,
        '"Identifiant classe", "Id classe"',
        '"Identifiant de la classe", "Identifiant classe", "Id classe"',
    )
    _edit(source, '"Prénom", "Prénom élève"', '"Prénom", "Prénom usuel", "Prénom élève"')
    assert check_rules(directory)[1] == []
    result = CliRunner().invoke(main, ["inspect", str(export), "--json", "--rules", str(directory)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["format"] == "onde2-eleves"
    assert info["pupils"] == 2
    assert info["classes"][0]["id"] == "104511"
    pupils = read_export(export, load_rules(directory)).pupils
    assert [p.prenom for p in pupils] == ["Noé", "Zoé"]


def test_new_date_format_and_value_are_yaml_edits(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "e.csv", [onde2_row(naissance="2022.03.14", sexe="Masc.")])
    with pytest.raises(OndeErrorGroup):
        read_export(export, load_rules())
    directory = copy_rules(tmp_path)
    _edit(
        directory / "sources" / "onde2-eleves.yaml",
        '"%d/%m/%Y", "%Y-%m-%d"',
        '"%d/%m/%Y", "%Y.%m.%d", "%Y-%m-%d"',
    )
    _edit(directory / "tables" / "sexe.yaml", "  Masculin: M\n", "  Masculin: M\n  Masc.: M\n")
    pupil = read_export(export, load_rules(directory)).pupils[0]
    assert (pupil.naissance, pupil.genre) == ("2022-03-14", "M")
