"""Reading the ONDE parents ("responsables") export: repeated child groups by position, the organisation
block, pre-2019 and 2021 headers, encodings, and refused headers or cells named by file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SAMPLES, write_csv
from parents_files import PARENT_HEADER, child_header, parent, responsables

from engine.errors import OndeError
from engine.read import read_export
from engine.read.parents import ParentsExport, read_parents, read_source
from engine.rules import load_rules


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def read(path: Path, rules) -> ParentsExport:
    return read_parents(read_source(path, rules, None, ("pupils", "parents")), rules)


def test_sample_is_read_positionally(rules) -> None:
    export = read(SAMPLES / "onde_v1_responsables_example.csv", rules)
    assert export.header.source.id == "onde1-responsables" and len(export.groups) == 3
    assert len(export.parents) == 6 and sum(len(p.children) for p in export.parents) == 7
    last = export.parents[-1]
    # the second child of the last parent sits in the header's second group, read by position
    assert [(c.group, c.nom, c.prenom, c.classe) for c in last.children] == [
        (1, "CHAMPFLEURY", "Chloé", "CE1 Mme Ancolie"),
        (2, "TISSERAND", "Énzo", "CM1-CM2 Mme Églantine"),
    ]
    assert last.children[0].nom_usage == "MARTELOT" and last.nom_usage == "MARTELOT"
    assert [p.civilite for p in export.parents] == ["F", "M", "F", "M", "F", "F"]
    assert export.parents[0].email == "solene.lavandier@exemple.invalid"
    assert export.repeated == () and export.warnings == ()


@pytest.mark.parametrize("groups", [1, 3, 6])
def test_one_to_six_child_groups(tmp_path: Path, rules, groups: int) -> None:
    kids = [("", f"FRATRIE{i}", f"Enfant{i}", f"Classe {i}") for i in range(1, groups + 1)]
    path = responsables(tmp_path / "r.csv", [parent(children=kids), parent(prenom="Anselme")], groups)
    export = read(path, rules)
    assert len(export.groups) == groups
    assert [c.group for c in export.parents[0].children] == list(range(1, groups + 1))
    assert export.parents[0].children[-1].nom == f"FRATRIE{groups}"
    assert export.parents[0].children[-1].classe == f"Classe {groups}"
    assert len(export.parents[1].children) == 1


def test_a_child_in_a_later_group_only(tmp_path: Path, rules) -> None:
    kids = [("", "", "", ""), ("", "", "", ""), ("", "SEUL", "Tom", "CM2")]
    export = read(responsables(tmp_path / "r.csv", [parent(children=kids)]), rules)
    assert [(c.group, c.nom) for c in export.parents[0].children] == [(3, "SEUL")]


def test_pre_2019_headers(tmp_path: Path, rules) -> None:
    path = responsables(tmp_path / "r.csv", [parent()], 2, word="enfant")
    export = read(path, rules)
    assert export.header.source.id == "onde1-responsables" and len(export.groups) == 2
    assert export.parents[0].children[0].prenom == "Noé"


def test_trailing_organisation_block_is_skipped(tmp_path: Path, rules) -> None:
    after = [["Intitulé", "Adresse Organisme"], ["Mairie", "1 place de la Mairie"], ["Cantine", ""]]
    path = responsables(tmp_path / "r.csv", [parent(), parent(prenom="Octave")], after=after)
    export = read(path, rules)
    assert len(export.parents) == 2
    assert export.skipped_rows == 3 and export.skipped_from == 4
    assert any("reading stopped at line 4" in w for w in export.warnings)


def test_2021_columns_and_birth_dates(tmp_path: Path, rules) -> None:
    extra = ["Communication de l'adresse", "PCS responsable"]
    kids = [("", "LAVANDIER", "Noé", "CP", "14/03/2019")]
    row = [*parent(children=())[:13], "Oui", "Cadre", *kids[0]]
    path = responsables(tmp_path / "r.csv", [row], 2, birth="Date de naissance élève", extra=extra)
    export = read(path, rules)
    assert export.parents[0].children[0].naissance == "2019-03-14"
    assert not any("Date de naissance" in w or "élève" in w for w in export.warnings)
    assert [w for w in export.warnings if "not used" in w] == [
        f"column {i} '{h}' is not used by format onde1-responsables"
        for i, h in zip((14, 15), extra, strict=True)
    ]


def test_cp1252_and_utf8(tmp_path: Path, rules) -> None:
    kids = [("", "NAÏM", "Gaël", "GS-CP M. Quenouille")]
    for encoding in ("cp1252", "utf-8"):
        path = responsables(
            tmp_path / f"{encoding}.csv", [parent(nom="NAÏM", children=kids)], encoding=encoding
        )
        export = read(path, rules)
        assert export.raw.encoding == encoding
        assert export.parents[0].nom == "NAÏM" and export.parents[0].children[0].prenom == "Gaël"


def test_civilite_table(tmp_path: Path, rules) -> None:
    rows = [parent(civilite=c, prenom=f"P{i}") for i, c in enumerate(["M.", "MME", "MLLE", "", "Dr"])]
    export = read(responsables(tmp_path / "r.csv", rows), rules)
    assert [p.civilite for p in export.parents] == ["M", "F", "F", "I", "I"]


def test_parent_on_two_rows_and_parent_without_child(tmp_path: Path, rules) -> None:
    rows = [
        parent(email="a@exemple.invalid"),
        parent(prenom="Octave", children=()),
        parent(email="A@exemple.invalid", children=[("", "LAVANDIER", "Lou", "CE1")]),
    ]
    export = read(responsables(tmp_path / "r.csv", rows), rules)
    assert export.repeated == ((4, 2),)
    assert sum(1 for p in export.parents if not p.children) == 1
    assert any(
        "1 parent(s) listed on several rows" in w and "line 4 (as line 2)" in w for w in export.warnings
    )


def test_incomplete_child_group_is_refused(tmp_path: Path, rules) -> None:
    header = [*PARENT_HEADER, *child_header(), *child_header()[:3], *child_header()]
    path = write_csv(tmp_path / "r.csv", [parent()], header=header, encoding="cp1252")
    with pytest.raises(OndeError) as caught:
        read(path, rules)
    err = str(caught.value)
    assert err.startswith(f"{path}:1:18: child group 2 of the header (from column 18) lacks 'Classes élèves'")


def test_header_without_child_columns_is_refused(tmp_path: Path, rules) -> None:
    path = write_csv(tmp_path / "r.csv", [parent(children=())], header=PARENT_HEADER, encoding="cp1252")
    with pytest.raises(OndeError) as caught:
        read(path, rules)
    assert str(caught.value).startswith(f"{path}:1: the header has no child column")


def test_bad_cells_are_located_without_their_values(tmp_path: Path, rules) -> None:
    rows = [
        parent(nom=""),
        parent(children=[("", "LAVANDIER", "", "CP")]),
        parent(children=[("", "", "", "", ""), ("", "LAVANDIER", "Noé", "CP", "31/02/2019")]),
    ]
    path = responsables(tmp_path / "r.csv", rows, 2, birth="Date de naissance élève")
    with pytest.raises(OndeError) as caught:
        read(path, rules)
    err = str(caught.value)
    assert f"{path}:2:3: column 3 (Nom responsable): empty, but every parent needs it" in err
    assert f"{path}:3:16: column 16 (Prénom élève, child 1): empty, but every child listed needs it" in err
    assert f"{path}:4:23: column 23 (Date de naissance élève, child 2): not a valid date" in err
    assert "LAVANDIER" not in err and "Noé" not in err and "31/02" not in err


def test_invisible_characters_are_removed(tmp_path: Path, rules) -> None:
    path = responsables(tmp_path / "r.csv", [parent(prenom="So\u200blène")], encoding="utf-8")
    export = read(path, rules)
    assert export.parents[0].prenom == "Solène"
    assert any("invisible" in w and "line 2" in w for w in export.warnings)


def test_pupils_readers_refuse_the_parents_export() -> None:
    rules = load_rules()
    with pytest.raises(OndeError) as caught:
        read_export(SAMPLES / "onde_v1_responsables_example.csv", rules)
    err = str(caught.value)
    assert err.startswith(f"{SAMPLES / 'onde_v1_responsables_example.csv'}:1: this is the ONDE parents")
    assert "onde-sacoche inspect" in err
    with pytest.raises(OndeError, match="parents"):
        read_export(SAMPLES / "onde_v1_responsables_example.csv", rules, "onde1-responsables")


def test_guessed_onde2_parents_format(tmp_path: Path, rules) -> None:
    header = ["Civilité", "Nom du responsable", "Prénom du responsable", "Courriel"]
    header += ["Nom de famille de l'élève", "Prénom de l'élève", "Classe de l'élève"] * 2
    row = ["MME", "LAVANDIER", "Solène", "", "LAVANDIER", "Noé", "CP", "", "", ""]
    export = read(write_csv(tmp_path / "r.csv", [row], header=header), rules)
    assert export.header.source.id == "onde2-responsables" and len(export.groups) == 2
    assert any("not confirmed" in w for w in export.warnings)


def test_workbook(tmp_path: Path, rules) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*PARENT_HEADER, *child_header(), *child_header()])
    sheet.append(parent(children=[("", "LAVANDIER", "Noé", "CP"), ("", "LAVANDIER", "Lou", "CE1")]))
    sheet.append(parent(prenom="Octave"))
    path = tmp_path / "responsables.xlsx"
    book.save(path)
    export = read(path, rules)
    assert export.raw.kind == "xlsx" and len(export.groups) == 2
    assert [len(p.children) for p in export.parents] == [2, 1]


def test_parents_header_lacking_a_signature_column_names_its_headers(tmp_path: Path, rules) -> None:
    header = [h for h in PARENT_HEADER if h != "Civilité Responsable"] + child_header()
    path = write_csv(tmp_path / "r.csv", [parent()[1:]], header=header, encoding="cp1252")
    with pytest.raises(OndeError) as caught:
        read(path, rules)
    err = str(caught.value)
    assert f"{path}:1: unrecognised file: the closest format is onde1-responsables" in err
    assert "lacks 'Civilité Responsable'" in err
