"""ONDE v1 pupil exports since 2018–2019 carry `Dispositif(s)` and `Regroupement(s)`: read into groups."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner
from helpers import SAMPLES, write_csv

from engine.cli import main


def v1_rows() -> tuple[list[str], list[list[str]]]:
    with (SAMPLES / "onde_v1_example.csv").open(encoding="cp1252", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    return header, rows


def inspect_json(path: Path) -> dict:
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_v1_with_groups_and_dispositifs(tmp_path: Path) -> None:
    header, rows = v1_rows()
    extra = [["", "Chorale, Anglais"], ["ULIS école", ""], ["", "Chorale"]]
    rows = [[*row, *(extra[i] if i < len(extra) else ["", ""])] for i, row in enumerate(rows)]
    path = write_csv(
        tmp_path / "v1.csv",
        rows,
        header=[*header, "Dispositif(s)", "Regroupement(s)"],
        encoding="cp1252",
    )
    info = inspect_json(path)
    assert info["format"] == "onde1-eleves"
    assert info["pupils"] == len(rows)
    assert {g["label"]: g["pupils"] for g in info["groups"]} == {"Chorale": 2, "Anglais": 1}
    assert info["dispositifs"] == {"ULIS école": 1}
    assert info["columns"]["regroupements"] == "Regroupement(s)"
    assert info["columns"]["dispositif"] == "Dispositif(s)"
    assert info["unknown_columns"] == []


def test_v1_without_the_columns_still_reads(tmp_path: Path) -> None:
    info = inspect_json(SAMPLES / "onde_v1_example.csv")
    assert info["groups"] == [] and info["dispositifs"] == {}
    assert "regroupements" not in info["columns"]
