"""`onde-sacoche rules draft`: exports no format recognises become a working rule directory.

Each variant is a shipped sample rewritten with other header spellings (renamed, reordered, abbreviated,
extra columns, a title line, xlsx): the draft must map every field, pass `rules check`, and read exactly
the pupils the shipped rules read from the original sample.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import SAMPLES, write_csv

from engine.cli import main
from engine.read.normalise import Pupil, read_export
from engine.rules import default_rules_dir, load_rules


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def sample(name: str, encoding: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLES / name).open(encoding=encoding, newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    return header, rows


def rewrite(name: str, encoding: str, renames: dict[str, str], order: Sequence[str] | None = None):
    """The sample's header renamed (old → new), columns reordered as ``order`` (new names; absent ones
    dropped, unknown ones added empty)."""
    header, rows = sample(name, encoding)
    header = [renames.get(h.strip(), h.strip()) for h in header]
    order = list(order or header)
    index = {h: i for i, h in enumerate(header)}
    out = [[row[index[h]] if h in index and index[h] < len(row) else "" for h in order] for row in rows]
    return order, out


def pupils(path: Path, rules: Path | None = None) -> list[Pupil]:
    export = read_export(path, load_rules(rules))
    return [dataclasses.replace(p, line=0) for p in export.pupils]


def draft_ok(export: Path, out: Path, *args: str) -> tuple[str, dict]:
    code, stdout, stderr = run("rules", "draft", export, "--out", out, *args)
    assert code == 0, stderr
    code, _, stderr = run("rules", "check", out)
    assert code == 0, stderr
    code, info, stderr = run("inspect", export, "--rules", out, "--json")
    assert code == 0, stderr
    return stdout, json.loads(info)


ONDE2_VARIANT = {
    "INE": "N° INE",
    "Nom de famille": "NOM",
    "Nom d'usage": "Nom usage",
    "Prénom": "Pré-nom",
    "Date de naissance": "Date de naiss.",
    "Sexe": "Genre",
    "Niveau": "Niv.",
    "Classe": "Libellé de la classe",
    "Identifiant classe": "Id. classe",
    "Dispositif": "Dispositif(s)",
    "Regroupement(s)": "Groupes",
}
ONDE2_ORDER = [
    "Id. classe",
    "NOM",
    "Pré-nom",
    "Nom usage",
    "Adresse",
    "Date de naiss.",
    "N° INE",
    "Niv.",
    "Genre",
    "Libellé de la classe",
    "Téléphone",
    "Remarque",
    "Groupes",
    "Dispositif(s)",
]


def test_onde2_like_renamed_reordered_abbreviated_extra_title(tmp_path: Path) -> None:
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", ONDE2_VARIANT, ONDE2_ORDER)
    export = write_csv(tmp_path / "nouvel-export.csv", rows, header=header, before=["Liste des élèves;;"])
    out = tmp_path / "my-rules"
    stdout, info = draft_ok(export, out)
    assert info["format"] == "draft-eleves" and info["header_line"] == 2
    assert info["columns"] == {
        "ine": "N° INE",
        "nom": "NOM",
        "nom_usage": "Nom usage",
        "prenom": "Pré-nom",
        "naissance": "Date de naiss.",
        "genre": "Genre",
        "niveau": "Niv.",
        "classe_id": "Id. classe",
        "classe_label": "Libellé de la classe",
        "dispositif": "Dispositif(s)",
        "regroupements": "Groupes",
    }
    assert [c["header"] for c in info["unknown_columns"]] == ["Remarque"]  # not clearly irrelevant
    assert pupils(export, out) == pupils(SAMPLES / "onde2_example.csv")
    assert f"next: onde-sacoche inspect {export} --rules {out}" in stdout
    text = (out / "sources" / "draft-eleves.yaml").read_text(encoding="utf-8")
    assert "confirmed: false" in text
    assert re.search(r'ignore_headers:\n  - "Adresse"\n  - "Téléphone"\n', text)
    assert "dd/mm/yyyy in 10/10 cells" in text and '{"date": ["%d/%m/%Y"]}' in text
    assert "confidence: high" in text
    # the --from field's flags are copied: required, and a class id a pupil not yet in a class lacks
    assert re.search(r'headers: \["Id\. classe"\]\n    required: true\n    may_be_empty: true\n', text)


def test_v1_like_from_onde1(tmp_path: Path) -> None:
    renames = {
        "Nom élève": "Nom de l'élève",
        "Nom d'usage élève": "Nom d'usage",
        "Prénom élève": "Prénom de l'élève",
        "Date naissance": "Né(e) le",
        "Sexe": "Sexe",
        "INE": "Identifiant national élève",
        "Libellé classe": "Classe",
        "Identifiant classe": "Code classe",
    }
    header, rows = rewrite("onde_v1_example.csv", "cp1252", renames)
    export = write_csv(tmp_path / "v1.csv", rows, header=header, encoding="cp1252")
    out = tmp_path / "v1-rules"
    _stdout, info = draft_ok(export, out, "--from", "onde1-eleves", "--name", "ecole-v1")
    assert info["format"] == "ecole-v1" and info["encoding"] == "cp1252"
    assert info["unknown_columns"] == []  # addresses, cycle and authorisations: ignored
    assert pupils(export, out) == pupils(SAMPLES / "onde_v1_example.csv")
    text = (out / "sources" / "ecole-v1.yaml").read_text(encoding="utf-8")
    assert "Steps copied from sources/onde1-eleves.yaml" in text
    assert '{"date": ["%Y-%m-%d"]}' in text


def test_xlsx_with_title_line_and_date_cells(tmp_path: Path) -> None:
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", ONDE2_VARIANT, ONDE2_ORDER)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Élèves"
    sheet.append(["Export des élèves de l'école"])
    sheet.append(header)
    born = header.index("Date de naiss.")
    for row in rows:
        cells: list[object] = list(row)
        cells[born] = dt.datetime.strptime(row[born], "%d/%m/%Y")
        cells[0] = int(row[0])  # class ids as numbers, as a spreadsheet stores them
        sheet.append(cells)
    export = tmp_path / "export.xlsx"
    book.save(export)
    out = tmp_path / "x-rules"
    _stdout, info = draft_ok(export, out)
    assert info["sheet"] == "Élèves" and info["header_line"] == 2
    assert pupils(export, out) == pupils(SAMPLES / "onde2_example.csv")
    assert '{"date": ["%Y-%m-%d"]}' in (out / "sources" / "draft-eleves.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("nom", "prenom", "classe_id", "naissance", "delimiter"),
    [
        ("Nom", "Prénom", "Identifiant de classe", "Date de naissance", ","),
        ("NOM ELEVE", "PRENOM ELEVE", "ID CLASSE", "DATE NAISSANCE", "\t"),
        ("nom_famille", "prenom_eleve", "code_classe", "date_naiss", ";"),
        ("Nom de naissance", "Premier prénom", "N° classe", "DDN", ";"),
    ],
)
def test_header_spellings(
    tmp_path: Path, nom: str, prenom: str, classe_id: str, naissance: str, delimiter: str
) -> None:
    renames = {"Nom de famille": nom, "Prénom": prenom, "Identifiant classe": classe_id}
    renames["Date de naissance"] = naissance
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", renames)
    export = write_csv(tmp_path / "e.csv", rows, header=header, delimiter=delimiter)
    out = tmp_path / "r"
    _, info = draft_ok(export, out)
    assert (info["columns"]["nom"], info["columns"]["prenom"]) == (nom, prenom)
    assert (info["columns"]["classe_id"], info["columns"]["naissance"]) == (classe_id, naissance)
    assert pupils(export, out) == pupils(SAMPLES / "onde2_example.csv")


def test_unmapped_required_field_fails_check_at_its_line(tmp_path: Path) -> None:
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", {"Nom de famille": "Champ 2"})
    header, rows = header[:8], [row[:8] for row in rows]  # no class id column
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    out = tmp_path / "r"
    code, stdout, stderr = run("rules", "draft", export, "--out", out)
    assert code == 0, stderr
    source = out / "sources" / "draft-eleves.yaml"
    lines = source.read_text(encoding="utf-8").splitlines()
    todo = [n for n, line in enumerate(lines, 1) if "headers:" in line and "TODO" in line]
    assert len(todo) == 2  # nom ('Champ 2' is unlike any known name) and classe_id
    assert f"{source}:{todo[0]}" in stdout and "TODO" in stdout
    code, _, stderr = run("rules", "check", out)
    assert code == 1
    for line in todo:
        assert re.search(rf"{re.escape(str(source))}:{line}:\d+: field '\w+' has no column yet", stderr)
    code, _, stderr = run("inspect", export, "--rules", out)
    assert code == 1 and "has no column yet" in stderr


def test_nothing_about_pupils_is_printed_or_written(tmp_path: Path) -> None:
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", ONDE2_VARIANT, ONDE2_ORDER)
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    out = tmp_path / "r"
    stdout, _ = draft_ok(export, out)
    written = (out / "sources" / "draft-eleves.yaml").read_text(encoding="utf-8")
    name_cols = [header.index(h) for h in ("NOM", "Pré-nom", "N° INE", "Date de naiss.")]
    values = {row[i] for row in rows for i in name_cols if row[i]}
    assert len(values) > 30
    leaked = [v for v in values if v in stdout or v in written]
    assert leaked == []


def test_refusals_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r"
    code, _, stderr = run("rules", "draft", SAMPLES / "onde2_example.csv", "--out", out)
    assert code == 1 and "onde2-eleves reads this export already" in stderr and not out.exists()
    code, _, stderr = run("rules", "draft", SAMPLES / "onde_v1_responsables_example.csv", "--out", out)
    assert code == 1 and "parents" in stderr and not out.exists()
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", ONDE2_VARIANT)
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    code, _, stderr = run("rules", "draft", export, "--out", out, "--name", "Bad Name")
    assert code == 1 and "not a valid format id" in stderr and not out.exists()
    code, _, stderr = run("rules", "draft", export, "--out", out, "--from", "nope")
    assert code == 1 and "unknown pupils format" in stderr and not out.exists()
    inside = default_rules_dir() / "sources" / "x"
    code, _, stderr = run("rules", "draft", export, "--out", inside)
    assert code == 1 and "inside the shipped rules" in stderr and not inside.exists()
    out.mkdir()
    code, _, stderr = run("rules", "draft", export, "--out", out)
    assert code == 1 and "exists already" in stderr and list(out.iterdir()) == []
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    code, _, stderr = run("rules", "draft", export, "--out", tmp_path / "link")
    assert code == 1 and "dangling symbolic link" in stderr and not (tmp_path / "nowhere").exists()
    (tmp_path / "link").unlink()
    code, _, stderr = run("rules", "draft", export, "--out", tmp_path / "e.csv" / "r")
    assert code == 1 and "which is a file" in stderr
    title_only = write_csv(tmp_path / "t.csv", [["a", "b"], ["c", "d"]], header=["x", "y"])
    code, _, stderr = run("rules", "draft", title_only, "--out", tmp_path / "t")
    assert code == 1 and "no header row found" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "r", "t.csv"]


def test_english_headers_and_odd_characters(tmp_path: Path) -> None:
    renames = {
        "INE": 'Pupil "INE" \\ code',
        "Nom de famille": "Last name",
        "Prénom": "First name",
        "Date de naissance": "Date of birth",
        "Sexe": "Gender",
        "Niveau": "Level",
        "Classe": "Class name",
        "Identifiant classe": "Class id",
        "Regroupement(s)": "Gro\u2028ups",
    }
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", renames)
    export = write_csv(tmp_path / "e.csv", rows, header=header, delimiter=",")
    out = tmp_path / "r"
    _, info = draft_ok(export, out)
    assert info["columns"]["ine"] == 'Pupil "INE" \\ code'  # by its values; the header is kept exactly
    assert info["columns"]["regroupements"] == "Gro\u2028ups"
    assert len(info["columns"]) == 11
    assert pupils(export, out) == pupils(SAMPLES / "onde2_example.csv")


def test_values_inspect_will_refuse_are_announced(tmp_path: Path) -> None:
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", {"Identifiant classe": "Id. classe"})
    genre, born = header.index("Sexe"), header.index("Date de naissance")
    for row in rows:
        row[genre] = {"M": "Masc.", "F": "Fém."}[row[genre]]
    rows[0][born] = "14 mars 2022"
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    out = tmp_path / "r"
    code, stdout, stderr = run("rules", "draft", export, "--out", out)
    assert code == 0, stderr
    assert f"note: {len(rows)} cell(s) hold codes tables/sexe.yaml lacks" in stdout
    assert "note: 1 cell(s) are no date in a known format" in stdout
    text = (out / "sources" / "draft-eleves.yaml").read_text(encoding="utf-8")
    assert text.count("# NOTE: ") == 2 and "14 mars" not in stdout + text
    code, _, stderr = run("inspect", export, "--rules", out)
    assert code == 1 and re.search(r"e\.csv:2:5: column 5 \(Date de naissance\): not a valid date", stderr)


def test_hostile_headers_reach_neither_terminal_nor_yaml_raw(tmp_path: Path) -> None:
    hostile = {"Prénom": "Pré\x85nom\x7f", "Classe": "Classe\u202e", "Dispositif": "Remarque\x9b2J\u2028"}
    header, rows = rewrite("onde2_example.csv", "utf-8-sig", {**hostile, "Identifiant classe": "Id. classe"})
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    out = tmp_path / "r"
    stdout, info = draft_ok(export, out)
    # the invisible characters are dropped as the reader drops them (U+0085, a space, becomes one)
    assert info["columns"]["prenom"] == "Pré nom" and info["columns"]["classe_label"] == "Classe"
    assert not re.search("[\x7f-\x9f\u202e\u2028]", stdout)
    assert "unmapped: column 10 'Remarque2J'" in stdout  # as the reader sees it, on one line
    text = (out / "sources" / "draft-eleves.yaml").read_text(encoding="utf-8")
    assert not re.search("[\x7f-\x9f\u2028]", text)
    expected = [dataclasses.replace(p, dispositif="") for p in pupils(SAMPLES / "onde2_example.csv")]
    assert pupils(export, out) == expected  # the dispositif column is the unmapped one


def test_an_unrecognised_export_points_to_rules_draft(tmp_path: Path) -> None:
    """A file no format reads is refused with the way out: `rules draft` drafts its rules."""
    from helpers import onde2_row, write_csv

    header = ["Identifiant", "Famille", "Prénom usuel", "Née le", "Groupe classe"]
    export = write_csv(tmp_path / "x.csv", [onde2_row()[:5]], header=header)
    result = CliRunner().invoke(main, ["inspect", str(export)])
    assert result.exit_code == 1
    assert "onde-sacoche rules draft FILE" in result.output
