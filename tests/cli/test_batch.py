"""``onde-sacoche batch``: many schools, one process each, one summary; a failure never stops the others."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import REPO

from engine.batch import SUMMARY_FILE, SUMMARY_TEXT_FILE, batch_command, read_db_map
from engine.errors import OndeError

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth

TODAY = "2026-11-29"
BAD_LINE = 6  # physical line of the broken export that gets an impossible birth date


def _break(export: Path) -> None:
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    rows[BAD_LINE - 1][4] = "31/02/2019"
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[synth.SchoolFiles]]:
    """Three small generated schools; the second one's export is broken on line BAD_LINE."""
    folder = tmp_path_factory.mktemp("district")
    schools = synth.generate(folder, schools=3, pupils=45, seed=21)
    _break(schools[1].export)
    return folder, synth.write_db_map(folder / "db-map.yaml", schools), schools


def run(folder: Path, db_map: Path, out: Path, *extra: str) -> Result:
    args = [str(folder), "--db-map", str(db_map), "--out", str(out), "--today", TODAY, *extra]
    return CliRunner().invoke(batch_command, args, catch_exceptions=False)


def summary(out: Path) -> dict[str, Any]:
    return json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))


def test_a_broken_school_is_reported_and_the_others_are_planned(
    district: tuple[Path, Path, list[synth.SchoolFiles]], tmp_path: Path
) -> None:
    folder, db_map, schools = district
    result = run(folder, db_map, tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 1, result.output
    body = summary(tmp_path / "out")
    assert [s["status"] for s in body["schools"]] == ["ok", "error", "ok"]
    assert body["counts"] == {"ok": 2, "held": 0, "error": 1}
    assert body["exit_code"] == 1
    broken = body["schools"][1]
    assert broken["error"].startswith(f"{schools[1].export}:{BAD_LINE}:5: ")
    assert "not a valid date" in broken["error"]
    assert broken["errors"][0]["line"] == BAD_LINE
    text = (tmp_path / "out" / SUMMARY_TEXT_FILE).read_text(encoding="utf-8")
    assert text.splitlines() == result.output.strip().splitlines()  # the printed summary, kept
    assert f"{schools[1].export}:{BAD_LINE}:5: " in text and "2 ok, 0 held, 1 failed" in text
    for index in (0, 2):
        planned = body["schools"][index]
        assert (tmp_path / "out" / schools[index].name / "plan.json").is_file()
        assert planned["summary"]["pupils_in_file"] == schools[index].pupils
        assert planned["summary"]["create"] <= schools[index].planted["create"]
    assert not (tmp_path / "out" / schools[1].name / "plan.json").exists()
    lines = result.output.splitlines()
    assert lines[0].startswith("ecole-01") and " ok " in lines[0]
    assert lines[1].startswith("ecole-02") and "ERROR" in lines[1] and f":{BAD_LINE}:5:" in lines[1]
    assert "3 schools: 2 ok, 0 held, 1 failed" in lines[-1]
    assert "planning" not in result.output  # no progress bar when stdout is not a terminal
    for school in schools:  # pupils' names are never printed
        with school.export.open(encoding="utf-8-sig") as handle:
            noms = {row[1] for row in list(csv.reader(handle, delimiter=";"))[1:] if len(row[1]) >= 6}
        assert noms and not any(nom in result.output for nom in noms)


def test_one_job_and_two_jobs_give_the_same_results(
    district: tuple[Path, Path, list[synth.SchoolFiles]], tmp_path: Path
) -> None:
    folder, db_map, schools = district
    one = run(folder, db_map, tmp_path / "one", "--jobs", "1")
    two = run(folder, db_map, tmp_path / "two", "--jobs", "2")
    assert one.exit_code == two.exit_code == 1

    def comparable(out: Path) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in school.items() if k not in ("seconds", "out")}
            for school in summary(out)["schools"]
        ]

    assert comparable(tmp_path / "one") == comparable(tmp_path / "two")
    for school in (schools[0], schools[2]):
        plans = [json.loads((tmp_path / d / school.name / "plan.json").read_text()) for d in ("one", "two")]
        assert [(i["id"], i["accepted"]) for i in plans[0]["items"]] == [
            (i["id"], i["accepted"]) for i in plans[1]["items"]
        ]
        assert plans[0]["summary"] == plans[1]["summary"]


def test_held_plan_exits_3_and_allow_lets_it_through(tmp_path: Path) -> None:
    folder = tmp_path / "schools"
    schools = synth.generate(folder, schools=2, pupils=60, seed=8)
    many_leavers = synth.generate(
        folder, pupils=60, seed=9, shares=synth.Shares(leavers=0.6), prefix="partie"
    )
    db_map = synth.write_db_map(folder / "map.yaml", [*schools, *many_leavers])
    result = run(folder, db_map, tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 3, result.output
    body = summary(tmp_path / "out")
    assert [s["status"] for s in body["schools"]] == ["ok", "ok", "held"]
    assert body["schools"][2]["holds"]
    assert "held:" in result.output
    allowed = run(
        folder, db_map, tmp_path / "out", "--jobs", "1", "--allow", "deactivations", "--allow", "coverage"
    )
    assert allowed.exit_code == 0, allowed.output
    assert summary(tmp_path / "out")["counts"] == {"ok": 3, "held": 0, "error": 0}


def test_csv_map_relative_sqlite_and_missing_export(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    (school,) = synth.generate(folder, pupils=30, seed=2)
    db_map = folder / "map.csv"
    db_map.write_text(
        "export;db;out\n"
        f"{school.export.name};sqlite:///{school.db.name};ici\n"
        f"absente.csv;sqlite:///{school.db.name};\n",
        encoding="utf-8",
    )
    result = run(folder, db_map, tmp_path / "out", "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert [s["school"] for s in body["schools"]] == ["ici", "absente"]
    assert [s["status"] for s in body["schools"]] == ["ok", "error"]
    assert "file not found" in body["schools"][1]["error"]
    assert (tmp_path / "out" / "ici" / "plan.json").is_file()


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("schools:\n  - export: a.csv\n    out: a\n", ":2:5:", "'db'"),
        ("a.csv: sqlite:///a.db\nb.csv: {db: 'sqlite:///b.db', out: a}\n", ":2:1:", "used twice"),
        ("a.csv: {db: 'sqlite:///a.db', out: ../elsewhere}\n", ":1:1:", "folder name under --out"),
        ("a.csv: {db: 'postgres://x/y'}\n", ":1:1:", "unsupported database URL"),
        ("a.csv: {db: 'sqlite:///a.db', dir: x}\n", ":1:1:", "unknown key"),
        ("- a.csv\n", ":1:1:", "a db map is a mapping"),
    ],
)
def test_map_mistakes_are_reported_with_their_place(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    db_map = tmp_path / "db-map.yaml"
    db_map.write_text(text, encoding="utf-8")
    with pytest.raises(OndeError) as caught:
        read_db_map(db_map, tmp_path)
    assert where in str(caught.value) and message in str(caught.value)
    result = run(tmp_path, db_map, tmp_path / "out")
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_unknown_guard_is_refused_before_any_work(
    district: tuple[Path, Path, list[synth.SchoolFiles]], tmp_path: Path
) -> None:
    folder, db_map, _ = district
    result = run(folder, db_map, tmp_path / "out", "--allow", "nonsense")
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()
