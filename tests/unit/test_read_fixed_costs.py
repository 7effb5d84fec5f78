"""The read stage's per-school shortcuts give the plain paths' results: fold's fast paths, one fold per row
when scoring the formats, and the memos a batch worker keeps from one school to the next."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from helpers import REPO

import engine.read.memos as memos
from engine.errors import OndeErrorGroup
from engine.ops import fold
from engine.read import read_export
from engine.read.memos import kept_memos
from engine.rules import load_rules

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth

RULES = load_rules()


def _plain_fold(text: str) -> str:
    """fold as it was first written (one character at a time)."""
    text = text.replace("\ufeff", "").replace("’", "'").replace("`", "'")
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def test_fold_equals_the_plain_fold_on_every_character() -> None:
    for code in range(0x30000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for text in (char, f"a{char}B", f"{char}\u0301", f"\ufeff {char}œ’`"):
            assert fold(text) == _plain_fold(text), hex(code)


@pytest.mark.parametrize(
    "text",
    ["", " ", "Nom de famille", "\x1cNom\x1f", "Date  de\tnaissance ", "D`Arc", "NOM D’USAGE", "Dubœuf Ǆ ﬁ"],
)
def test_fold_equals_the_plain_fold(text: str) -> None:
    assert fold(text) == _plain_fold(text)


@pytest.fixture(scope="module")
def schools(tmp_path_factory: pytest.TempPathFactory) -> list[synth.SchoolFiles]:
    return synth.generate(tmp_path_factory.mktemp("schools"), schools=4, pupils=120, seed=11)


def test_kept_memos_give_the_same_pupils_and_warnings(schools: list[synth.SchoolFiles]) -> None:
    plain = [read_export(s.export, RULES) for s in schools]
    with kept_memos():
        kept = [read_export(s.export, RULES) for s in schools]
    with kept_memos():  # the memos are still there, now full of the first pass's cells
        again = [read_export(s.export, RULES) for s in reversed(schools)][::-1]
    for one, other, third in zip(plain, kept, again, strict=True):
        assert one.pupils == other.pupils == third.pupils
        assert one.warnings == other.warnings == third.warnings
    outside = read_export(schools[0].export, RULES)  # outside the block: a memo of its own again
    assert outside.pupils == plain[0].pupils


def _with_bad_cells(source: Path, target: Path) -> Path:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    for index in (3, 7, 8):  # the same bad cells on several lines: each line gets its own errors
        rows[index][4] = "31/02/2019"
        rows[index][1] = " "
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)
    return target


def test_kept_memos_still_report_every_bad_line(schools: list[synth.SchoolFiles], tmp_path: Path) -> None:
    bad = _with_bad_cells(schools[0].export, tmp_path / "bad.csv")

    def errors() -> list[tuple[int | None, int | None, str]]:
        with pytest.raises(OndeErrorGroup) as caught:
            read_export(bad, RULES)
        return [(e.line, e.column, e.message) for e in caught.value.errors]

    plain = errors()
    with kept_memos():
        read_export(schools[1].export, RULES)
        assert errors() == plain
        assert errors() == plain  # a rejected cell is never remembered


def test_kept_memos_are_bounded_and_given_up_for_cells_that_all_differ(
    schools: list[synth.SchoolFiles], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memos, "_store", {})
    monkeypatch.setattr(memos, "KEPT_MAX", 150)
    monkeypatch.setattr(memos, "PROBE", 200)
    plain = [read_export(s.export, RULES) for s in schools]
    with kept_memos():
        kept = [read_export(s.export, RULES) for s in schools]
    assert [k.pupils for k in kept] == [p.pupils for p in plain]
    fields = RULES.sources[kept[0].source.id].fields
    by_field = {name: memos._store.get(id(rule)) for name, rule in fields.items()}
    assert by_field["ine"] is not None and by_field["ine"].cells is None  # every INE differs: given up
    for name in ("prenom", "genre", "niveau"):
        cells = by_field[name].cells
        assert cells is not None and len(cells) < 150 + 120  # bounded: emptied when full, one school more


def test_the_pupils_side_of_the_pipeline_imports_no_parents_module() -> None:
    script = "import json, sys\nimport engine.pipeline_parents\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    loaded = json.loads(done.stdout)
    assert [m for m in loaded if m.startswith(("engine.plan.parents", "engine.read.parents"))] == []


def test_the_pipeline_imports_the_parents_reader_and_matcher_only_for_a_plan_with_parents() -> None:
    script = "import json, sys\nimport engine.pipeline\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    loaded = set(json.loads(done.stdout))
    heavy = {
        "engine.read.parents",
        "engine.plan.parents",
        "engine.plan.parents_accounts",
        "engine.plan.parents_match",
    }
    assert "engine.plan.parents_build" in loaded  # the pipeline itself is there
    assert sorted(heavy & loaded) == []


def test_a_parents_export_alone_is_still_read(tmp_path: Path) -> None:
    from engine.pipeline_parents import read_exports

    parents = REPO / "examples" / "onde1-responsables-ecole-des-tilleuls.csv"
    export, read = read_exports(parents, RULES, None, None)
    assert export is None and read is not None and read.parents


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%Y-%m-%d", "%Y%m%d"])
@pytest.mark.parametrize(
    "value", ["22/07/2023", "2023-07-22", "20230722", "22/07/2023\n", " 22/07/2023", "٢2/07/2023"]
)
def test_a_date_read_by_its_pattern_is_the_one_strptime_reads(fmt: str, value: str) -> None:
    from datetime import datetime

    from engine.ops import _digits_shape, _parse_date

    try:
        expected = datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        expected = "refused"
    try:
        got = _parse_date(value, fmt, _digits_shape(fmt))
    except ValueError:
        got = "refused"
    assert got == expected
