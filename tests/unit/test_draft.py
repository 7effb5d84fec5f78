"""The pieces of `rules draft`: header similarity, value shapes, and the proposals they make together."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import onde2_row, write_csv

from engine.draft import analyse, synonyms
from engine.draft_headers import best_synonym, header_score, irrelevant, similarity
from engine.draft_values import evidence, fit, sniff
from engine.errors import OndeError
from engine.ops import compile_steps
from engine.rules import load_rules

RULES = load_rules()
SYNS = synonyms(RULES)
CTX = RULES.context


def field_of(header: str) -> str | None:
    scored = max((best_synonym(header, syns)[0], name) for name, syns in SYNS.items())
    return scored[1] if scored[0] >= 0.75 else None


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Date de naiss.", "naissance"),
        ("DATE NAISSANCE", "naissance"),
        ("Date de naissance (jj/mm/aaaa)", "naissance"),
        ("Né(e) le", "naissance"),
        ("Nom usage", "nom_usage"),
        ("Nom d’usage", "nom_usage"),
        ("Pré-nom", "prenom"),
        ("prénom élève", "prenom"),
        ("NOM", "nom"),
        ("Nom de famille de l'élève", "nom"),
        ("Id. classe", "classe_id"),
        ("Identifiant de la classe", "classe_id"),
        ("Libellé classe", "classe_label"),
        ("Classes", "classe_label"),
        ("N° INE", "ine"),
        ("Regroupement(s)", "regroupements"),
        ("Dispositifs", "dispositif"),
        ("Niv.", "niveau"),
        ("Remarque", None),
        ("Date d'entrée", None),
        ("Cycle", None),
    ],
)
def test_header_names_field(header: str, field: str | None) -> None:
    assert field_of(header) == field


def test_similarity_is_symmetric_and_bounded() -> None:
    for a, b in [("Nom", "Prénom"), ("Date de naiss.", "Date de naissance"), ("Classe", "Code classe")]:
        assert similarity(a, b) == similarity(b, a)
        assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity("Nom", "Prénom") == 0.0
    assert similarity("Nom d'usage", "Nom") < 0.75


def test_header_row_scores_above_a_title_line() -> None:
    title = ["Liste des élèves de l'école des Tilleuls", "", ""]
    header = ["N° INE", "NOM", "Pré-nom", "Date de naiss.", "Id. classe"]
    assert header_score(title, SYNS) == 0
    assert header_score(header, SYNS) == 5


def test_irrelevant_columns() -> None:
    for header in ("Adresse", "Code postal", "Tél. portable", "Nom responsable 1", "Commune1", "Cycle"):
        assert irrelevant(header, ["Cycle"]), header
    for header in ("Remarque", "Nom", "Groupes"):
        assert not irrelevant(header, ["Cycle"]), header


def shape(values: list[str]):
    genre = compile_steps(["strip", {"map": {"table": "sexe"}}])
    niveau = compile_steps(
        [{"map": {"table": "niveaux", "missing": "keep"}}, {"shorten": "libelles"}, "upper"]
    )
    known = frozenset(RULES.tables["niveaux"]["lookup"].values())
    return sniff(values, CTX, genre, niveau, known)


def test_dates_and_their_formats() -> None:
    french = shape(["14/03/2022", "02/11/2021", "01/02/2020", ""])
    assert french.kind == "date" and french.date_formats == ("%d/%m/%Y",)  # ambiguous: French first
    iso = shape(["2022-03-14", "2021-11-02"])
    assert iso.date_formats == ("%Y-%m-%d",)
    mixed = shape(["14/03/2022", "2021-11-02", "30/06/2020"])
    assert mixed.date_formats == ("%d/%m/%Y", "%Y-%m-%d") and mixed.dated == 3
    american = shape(["03/14/2022", "11/02/2021"])
    assert american.date_formats == ("%m/%d/%Y",)
    with_time = shape(["14/03/2022 00:00:00", "02/11/2021 00:00:00"])
    assert with_time.date_formats == ("%d/%m/%Y %H:%M:%S",) and fit(with_time, "naissance") == 1.0
    assert evidence(with_time, "naissance") == "dd/mm/yyyy hh:mm:ss in 2/2 cells"
    assert evidence(french, "naissance") == "dd/mm/yyyy in 3/3 cells"
    assert fit(french, "naissance") == 1.0 and fit(french, "nom") == -1.0


def test_ine_sexe_niveau_groups() -> None:
    ine = shape(["203451870GH", "203452218ac", "", "202976530 BJ"])
    assert ine.kind == "ine" and fit(ine, "ine") == 1.0 and fit(ine, "nom") == -1.0
    assert evidence(ine, "ine") == "INE pattern in 3/3 cells (1 empty)"
    sexe = shape(["M", "F", "F", "M", "G"])
    assert fit(sexe, "genre") == 1.0 and fit(sexe, "nom") == -1.0
    niveaux = shape(["PS", "Cours préparatoire", "CE1", "cm2"])
    assert fit(niveaux, "niveau") == 1.0
    groups = shape(["Chorale, Anglais", "Chorale", "", "Anglais, Théâtre"])
    assert groups.separator == "," and fit(groups, "regroupements") == 0.5
    assert "several groups per cell with ',' in 2" in evidence(groups, "regroupements")


def test_class_ids_repeat_pupil_numbers_do_not() -> None:
    classes = shape(["104511"] * 4 + ["104512"] * 4)
    assert fit(classes, "classe_id") == 1.0 and fit(classes, "classe_label") == -1.0
    pupil_numbers = shape([str(n) for n in range(1000, 1010)])
    assert fit(pupil_numbers, "classe_id") < -0.5


def test_evidence_never_quotes_a_value() -> None:
    values = ["LAVANDIER", "ROSSIGNOL", "D'ALBERTIN"]
    found = shape(values)
    for name in ("nom", "prenom", "classe_label", "regroupements", "genre", "niveau", "ine", "naissance"):
        text = evidence(found, name)
        assert not any(v in text for v in values), text


def test_proposals_use_values_when_headers_say_nothing(tmp_path: Path) -> None:
    header = ["Code", "Nom", "Prénom", "Sexe (M/F)", "Classe", "N° élève", "Date d'entrée"]
    rows = [
        [r[0], r[1], r[3], r[5], r[8], str(900 + i), "01/09/2025"]
        for i, r in enumerate(onde2_row(nom=f"NOM{i}", classe_id="1045" + str(i % 2)) for i in range(8))
    ]
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    found = analyse(export, RULES)
    mapping = {p.field: found.headers[p.column] for p in found.proposals}
    assert mapping["ine"] == "Code"  # INE pattern in every cell
    assert mapping["genre"] == "Sexe (M/F)"
    assert mapping["classe_id"] == "Classe"  # digits that repeat: a class id, not a label
    assert "naissance" not in mapping  # an entry date is not a birth date
    assert "N° élève" not in mapping.values()  # a number per pupil is not a class id
    assert found.missing_required == ()
    assert [found.headers[i] for i in found.unmapped] == ["N° élève", "Date d'entrée"]


def test_a_file_without_header_is_refused(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "e.csv", [["1", "2"]] * 3, header=["a", "b"])
    with pytest.raises(OndeError, match="no header row found in the first 10 lines"):
        analyse(export, RULES)


#: the columns of helpers.onde2_row, in order
ROW_FIELDS = (
    "ine",
    "nom",
    "nom_usage",
    "prenom",
    "naissance",
    "genre",
    "niveau",
    "classe_label",
    "classe_id",
    "dispositif",
    "regroupements",
)
SPELLINGS = [
    [
        "INE de l'élève",
        "Nom de famille de l'élève",
        "Nom d'usage de l'élève",
        "Prénom de l'élève",
        "Date de naissance de l'élève",
        "Sexe de l'élève",
        "Niveau de l'élève",
        "Libellé de la classe",
        "Identifiant de la classe",
        "Dispositifs de l'élève",
        "Regroupements de l'élève",
    ],
    [
        "INE",
        "NOM_FAMILLE",
        "NOM_USAGE",
        "PRENOM",
        "DATE_NAISSANCE",
        "CODE_SEXE",
        "CODE_NIVEAU",
        "LIBELLE_CLASSE",
        "ID_CLASSE",
        "DISPOSITIF",
        "REGROUPEMENT",
    ],
    [
        "Identifiant national",
        "Nom naissance",
        "Nom usuel",
        "Prénom 1",
        "Date naiss",
        "Genre",
        "Niveau scolaire",
        "Classe",
        "N° de classe",
        "Dispositif",
        "Groupes",
    ],
    [
        "ELEVE_INE",
        "ELEVE_NOM",
        "ELEVE_NOM_USAGE",
        "ELEVE_PRENOM",
        "ELEVE_DATE_NAISSANCE",
        "ELEVE_SEXE",
        "NIVEAU_CODE",
        "CLASSE_LIBELLE",
        "CLASSE_ID",
        "DISPOSITIF_LIBELLE",
        "REGROUPEMENTS_LIBELLES",
    ],
    [
        "Ine",
        "Nom Élève",
        "Nom D'Usage Élève",
        "Prénom Élève",
        "Date De Naissance",
        "Sexe",
        "Niveau",
        "Nom de la classe",
        "Code de la classe",
        "Dispositif(s)",
        "Regroupement(s)",
    ],
    [
        "INE",
        "Nom",
        "Nom d'usage",
        "Prénom(s)",
        "Né(e) le",
        "M/F",
        "Niveau",
        "Classe",
        "Numéro de classe",
        "Dispositif",
        "Groupe(s)",
    ],
]


@pytest.mark.parametrize("header", SPELLINGS, ids=[h[1] for h in SPELLINGS])
def test_common_spellings_map_every_column(tmp_path: Path, header: list[str]) -> None:
    rows = [onde2_row(nom=f"NOM{i}", classe_id=f"10451{i % 3}", groupes="Chorale") for i in range(9)]
    export = write_csv(tmp_path / "e.csv", rows, header=header)
    found = analyse(export, RULES)
    mapping = {p.field: found.headers[p.column] for p in found.proposals}
    assert found.missing_required == ()
    assert mapping == dict(zip(ROW_FIELDS, header, strict=True))
