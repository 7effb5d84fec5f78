"""Every row of tests/data/sacoche-conformance/names.tsv: ONDE input → the value SACoche 2017-12-22 stores.

The table was computed by running SACoche's own PHP (Clean::nom, Clean::prenom, 50-character columns).
The project's rules must store the same value, or a value that differs ONLY by what the project's cleaner
rules change (the reader's NFC; ``clean_spaces`` folding a no-break space, a tab, inner runs of spaces:
docs/sacoche-fidelity.md), and such a stored value is then *unchanged* for the plan, never an update.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from helpers import CONFORMANCE, onde2_row
from schools import SchoolDB, plan_for, pupil_kinds

from engine.ops import run_steps, title_case
from engine.read import Pupil
from engine.rules import load_rules
from engine.widths import fit_pupils

RULES = load_rules()
WIDTH = 50  # PRENOM_LONGUEUR_MAX / NOM_LONGUEUR_MAX of the run that made the table


def _rows() -> list[tuple[int, str, str, str, str]]:
    rows = []
    lines = (CONFORMANCE / "names.tsv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        cells = [cell.replace("\\t", "\t") for cell in line.split("\t")]  # a tab in a value is written \t
        prenom, nom, stored_prenom, stored_nom = cells
        rows.append((number, prenom, nom, stored_prenom, stored_nom))
    return rows


ROWS = _rows()


def _project(source: str, field: str, value: str) -> str:
    """The value the project stores: the reader's NFC, the source's steps, the plan's fitting."""
    result = run_steps(
        unicodedata.normalize("NFC", value), RULES.sources[source].fields[field].steps, RULES.context
    )
    assert isinstance(result, str)
    fitted = fit_pupils([Pupil(line=0, **{field: result})], {"user_nom": WIDTH, "user_prenom": WIDTH})[0]
    return str(getattr(fitted, field))


def _cleaned(value: str) -> str:
    """What the project's cleaner rules make of a stored value: NFC (the reader), clean_spaces."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def test_the_table_is_whole() -> None:
    assert len(ROWS) == 150


@pytest.mark.parametrize("source", ["onde1-eleves", "onde2-eleves"])
@pytest.mark.parametrize(("number", "prenom", "nom", "stored_prenom", "stored_nom"), ROWS)
def test_row_agrees_with_sacoche(
    source: str, number: int, prenom: str, nom: str, stored_prenom: str, stored_nom: str
) -> None:
    for field, value, stored in (("prenom", prenom, stored_prenom), ("nom", nom, stored_nom)):
        ours = _project(source, field, value)
        if ours != stored:
            # the documented differences: the reader's NFC and clean_spaces, and only them
            assert ours == _cleaned(stored), f"line {number} {field}: {ours!r} != {stored!r}"


def test_the_spacing_rows_are_the_only_differences() -> None:
    differing = [
        number
        for number, prenom, nom, stored_prenom, stored_nom in ROWS
        if _project("onde1-eleves", "prenom", prenom) != stored_prenom
        or _project("onde1-eleves", "nom", nom) != stored_nom
    ]
    assert len(differing) == 3, differing  # "DE  LA  TOUR", the no-break spaces, a decomposed "Zoë"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # pure ASCII: SACoche's preg_replace branch (mb_detect_encoding says ASCII, not UTF-8)
        ("o'neil", "O'Neil"),
        ("pierre_yves", "Pierre_Yves"),
        ("jean.marc", "Jean.Marc"),
        ('le "grand"', 'Le "Grand"'),
        ("ANNE/MARIE", "Anne/Marie"),
        ("2pac", "2Pac"),
        ("a\\b", "A\\B"),  # SACoche's stripslashes would drop the backslash: kept
        # anything else: mb_convert_case(MB_CASE_TITLE), PHP >= 7.3
        ("d'éloïse", "D'éloïse"),
        ("léa.lou", "Léa.lou"),  # '.' is case-ignorable after a letter
        ("léa_lou", "Léa_Lou"),
        ("léa/lou", "Léa/Lou"),
        ('zoé"lou', 'Zoé"Lou'),
        ("ÉLODIE-MARIE", "Élodie-Marie"),
        ("ﬁona", "Fiona"),
        ("ÿ", "Ÿ"),
        ("", ""),
    ],
)
def test_title_case(value: str, expected: str) -> None:
    assert title_case(value) == expected


def test_a_wizard_made_base_plans_to_nothing(tmp_path: Path) -> None:
    """Stored as SACoche's wizard stores them (spacing kept), the same ONDE names are unchanged."""
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    rows = []
    for index, (_n, prenom, nom, stored_prenom, stored_nom) in enumerate(ROWS):
        if not stored_nom.strip() or not stored_prenom.strip():
            continue
        ine = f"{203451000 + index:09d}AB"
        db.pupil(stored_nom, stored_prenom, ine=ine, classe="104513_CE1", login=f"e{index}", genre="M")
        rows.append(
            onde2_row(
                ine=ine,
                nom=nom,
                prenom=prenom,
                naissance="07/05/2018",
                niveau="CE1",
                classe="CE1 Mme Ancolie",
                classe_id="104513",
            )
        )
    plan = plan_for(tmp_path, db, rows)
    assert pupil_kinds(plan) == {}
    assert plan.summary["unchanged"] == len(rows)


def test_a_real_difference_next_to_spacing_is_still_an_update(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    db.pupil("DE  LA  TOUR", "Anne Marie", ine="203451870GH", classe="104513_CE1", genre="M")
    row = onde2_row(
        ine="203451870GH", nom="DE LA TOURS", prenom="Anne Marie", naissance="07/05/2018", niveau="CE1",
        classe="CE1 Mme Ancolie", classe_id="104513",
    )  # fmt: skip
    plan = plan_for(tmp_path, db, [row])
    (update,) = plan.items
    assert update.changes == {"user_nom": {"old": "DE  LA  TOUR", "new": "DE LA TOURS"}}
