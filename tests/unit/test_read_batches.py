"""engine.read.normalise reads rows a batch at a time, a field at a time: the pupils, errors and warnings
are those of a reading row by row, wherever the batches and the memos' probe fall."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ONDE2_HEADER, onde2_row, write_csv

from engine.errors import OndeErrorGroup
from engine.read import normalise as normalise_module
from engine.read import read_export
from engine.rules import load_rules

RULES = load_rules(None)


def _rows() -> list[list[str]]:
    """Pupils sharing cells (memo hits inside a batch), one with an invisible character (removed), one
    whose last cells are missing (read as empty), an emoji-free accent mix."""
    rows = [
        onde2_row(ine=f"2034518{n:02d}GH", nom="MARTIN" if n % 2 else "Élodie", prenom=f"Zoé{'e' * (n % 4)}")
        for n in range(14)
    ]
    rows[5][1] = "DU\u200bPONT"  # a zero-width space: removed, the line counted
    rows[8] = rows[8][:6]  # no niveau, class nor groups: empty cells
    return rows


def _read(path: Path) -> tuple[object, object]:
    export = read_export(path, RULES, "onde2-eleves")
    return export.pupils, export.warnings


def _errors(path: Path) -> list[tuple[int | None, int | None, str]]:
    with pytest.raises(OndeErrorGroup) as caught:
        read_export(path, RULES, "onde2-eleves")
    return [(e.line, e.column, e.message) for e in caught.value.errors]


@pytest.mark.parametrize(("batch", "probe"), [(1, 20_000), (3, 20_000), (4, 6), (5, 5), (1_000, 3)])
def test_batches_and_probe_give_the_pupils_of_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, probe: int
) -> None:
    path = write_csv(tmp_path / "eleves.csv", _rows())
    whole = _read(path)
    monkeypatch.setattr(normalise_module, "BATCH", batch)
    monkeypatch.setattr(normalise_module, "PROBE", probe)
    assert _read(path) == whole
    pupils, warnings = whole
    assert len(pupils) == 14 and pupils[5].nom == "DUPONT" and pupils[8].classe_id == ""  # type: ignore[index]
    assert any("invisible" in w for w in warnings)  # type: ignore[union-attr]


def test_a_file_without_a_middle_column_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = ONDE2_HEADER.index("Nom d'usage")
    header = ONDE2_HEADER[:at] + ONDE2_HEADER[at + 1 :]
    path = write_csv(tmp_path / "eleves.csv", [r[:at] + r[at + 1 :] for r in _rows()], header=header)
    monkeypatch.setattr(normalise_module, "BATCH", 3)
    pupils, _ = _read(path)
    assert [p.nom_usage for p in pupils] == [""] * 14  # type: ignore[attr-defined]
    assert pupils[0].prenom == "Zoé" and pupils[0].ine == "203451800GH"  # type: ignore[index]


@pytest.mark.parametrize("batch", [1, 2, 3, 7])
def test_errors_are_those_of_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    rows = _rows()
    rows[2][0] = "NOT-AN-INE"
    rows[3][1] = ""  # the nom every pupil needs
    rows[9][1] = ""
    rows[9][4] = "31/02/2019"  # two errors on one line
    rows[12][0] = rows[11][0]  # the same INE twice
    path = write_csv(tmp_path / "eleves.csv", rows)
    whole = _errors(path)
    assert [line for line, _, _ in whole] == [4, 5, 11, 11, 14]
    monkeypatch.setattr(normalise_module, "BATCH", batch)
    assert _errors(path) == whole
