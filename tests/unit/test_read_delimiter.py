"""The delimiter decided from a known header (no clevercsv), and clevercsv's answers everywhere else."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import clevercsv
import pytest
from helpers import ONDE2_HEADER, REPO, SAMPLES, onde2_row, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.read import RawSource, header_hint, open_sources
from engine.rules import load_rules

RULES = load_rules()
IS_HEADER, HEADER_LINES = header_hint(RULES)
ONDE1_HEADER = ["Nom élève", "Prénom élève", "Date naissance", "Identifiant classe", "Libellé classe"]
PUPILS = [
    onde2_row(),
    onde2_row(ine="203452218AC", nom="ROSSIGNOL", prenom="Maëlys", groupes="Chorale, Échecs"),
    onde2_row(ine="203398815KE", nom="D'ALBERTIN", prenom="Inès", classe="GS-CP M. Quenouille; bis"),
]
TITLE = "Liste des élèves, École des Tilleuls; année 2024-2025"


def hinted(path: Path) -> RawSource:
    (source,) = open_sources(path, is_header=IS_HEADER, header_lines=HEADER_LINES)
    return source


def unhinted(path: Path) -> RawSource:
    """open_sources as it was called before the header hint existed: clevercsv decides."""
    (source,) = open_sources(path)
    return source


@pytest.fixture
def detections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every clevercsv detection (still run for real)."""
    calls: list[str] = []
    detect = clevercsv.Detector.detect

    def spy(self: clevercsv.Detector, sample: str, *args: object, **kwargs: object) -> object:
        calls.append(sample)
        return detect(self, sample, *args, **kwargs)

    monkeypatch.setattr(clevercsv.Detector, "detect", spy)
    return calls


def _known_header_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Exports with a known header: name → (file, delimiter it was written with)."""
    files: dict[str, tuple[Path, str]] = {}
    for name, delimiter in (("semicolon", ";"), ("comma", ","), ("tab", "\t")):
        files[name] = (write_csv(folder / f"{name}.csv", PUPILS, delimiter=delimiter), delimiter)
        files[f"{name}-title"] = (
            write_csv(folder / f"{name}-title.csv", PUPILS, delimiter=delimiter, before=[TITLE, ""]),
            delimiter,
        )
    files["cp1252-onde1"] = (
        write_csv(
            folder / "onde1.csv",
            [["LAVANDIER", "Noé", "14/03/2022", "104511", "PS-MS"]],
            header=ONDE1_HEADER,
            encoding="cp1252",
        ),
        ";",
    )
    files["header-only"] = (write_csv(folder / "header-only.csv", [], delimiter=","), ",")
    files["accents-case-spaces-bom"] = (
        write_csv(
            folder / "folded.csv",
            PUPILS,
            header=[
                "\ufeffine",
                " NOM DE  FAMILLE",
                "Nom d’usage",
                "PRENOM",
                "date de naissance",
                *ONDE2_HEADER[5:],
            ],
            delimiter="\t",
        ),
        "\t",
    )
    return files


def test_known_headers_decide_without_importing_clevercsv(tmp_path: Path) -> None:
    """In a fresh process, reading exports whose header a format knows never imports clevercsv."""
    files = _known_header_files(tmp_path)
    script = (
        "import json, sys\n"
        "from engine.read import read_export\n"
        "from engine.rules import load_rules\n"
        "rules = load_rules()\n"
        "paths = json.loads(sys.argv[1])\n"
        "found = {name: read_export(path, rules).raw.delimiter for name, path in paths.items()}\n"
        "print(json.dumps({'found': found, 'clevercsv': 'clevercsv' in sys.modules}))\n"
    )
    paths = {name: str(path) for name, (path, _) in files.items() if name != "header-only"}
    run = subprocess.run(
        [sys.executable, "-c", script, json.dumps(paths)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    result = json.loads(run.stdout)
    assert result["found"] == {name: files[name][1] for name in paths}
    assert result["clevercsv"] is False


def test_known_headers_agree_with_clevercsv(tmp_path: Path, detections: list[str]) -> None:
    for name, (path, delimiter) in _known_header_files(tmp_path).items():
        assert hinted(path).delimiter == delimiter, name
        assert not detections, name
        assert unhinted(path).delimiter == delimiter, name
        detections.clear()


def test_shared_samples_agree(detections: list[str]) -> None:
    for sample in sorted(SAMPLES.glob("*.csv")):
        assert hinted(sample).delimiter == unhinted(sample).delimiter, sample.name


def _cases_for_clevercsv(folder: Path) -> dict[str, Path]:
    unknown = [["Code", "Libellé", "Effectif"], ["1", "PS, MS", "24"], ["2", "GS", "27"]]
    ragged = [*PUPILS, [*onde2_row(ine="202976530BJ"), "extra"]]
    # a header that is known read with ';' and read with ',', with as many fields either way
    both = "Nom;Prénom;Date de naissance;Identifiant classe;x,Nom,Prénom,Date de naissance,Identifiant classe"
    deep = [*([f"titre {i}"] for i in range(HEADER_LINES)), ONDE2_HEADER, *PUPILS]
    return {
        "unknown-header": write_csv(folder / "unknown.csv", unknown[1:], header=unknown[0]),
        "unknown-header-tab": write_csv(
            folder / "unknown-tab.csv", unknown[1:], header=unknown[0], delimiter="\t"
        ),
        "row-with-another-width": write_csv(folder / "ragged.csv", ragged),
        "known-with-two-delimiters": _write(
            folder / "both.csv", [both, "a;b;c;d;e,f,g,h,i", "j;k;l;m;n,o,p,q,r"]
        ),
        "header-below-the-search": _write(folder / "deep.csv", [";".join(r) for r in deep]),
        "broken-quote-after-header": _write(folder / "quote.csv", [";".join(ONDE2_HEADER), '1;"AB"C;x']),
    }


def _write(path: Path, lines: Sequence[str]) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def test_other_files_go_through_clevercsv_with_the_same_answer(tmp_path: Path, detections: list[str]) -> None:
    for name, path in _cases_for_clevercsv(tmp_path).items():
        found = hinted(path).delimiter
        assert len(detections) == 1, name  # the header did not decide: clevercsv did
        assert found == unhinted(path).delimiter, name
        detections.clear()


def test_forced_format_only_knows_its_own_header(tmp_path: Path, detections: list[str]) -> None:
    is_onde1, lines = header_hint(RULES, "onde1-eleves")
    path = write_csv(tmp_path / "onde2.csv", PUPILS, delimiter=",")
    (source,) = open_sources(path, is_header=is_onde1, header_lines=lines)
    assert detections and source.delimiter == unhinted(path).delimiter


def test_header_hint_matches_detect() -> None:
    assert IS_HEADER(ONDE2_HEADER) and IS_HEADER(ONDE1_HEADER)
    assert IS_HEADER(
        ["Civilité Responsable", "Nom responsable", "Prénom responsable"]
    )  # known, refused later
    assert not IS_HEADER(ONDE2_HEADER[:3])
    assert not IS_HEADER([";".join(ONDE2_HEADER)])
    assert max(s.header_search_lines for s in RULES.sources.values()) == HEADER_LINES


def _csv(rows: Sequence[Sequence[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


CELL = st.text(alphabet="abcXYZ éèàç'-;,\t\"\n0123456789", max_size=10)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=len(ONDE2_HEADER), max_size=len(ONDE2_HEADER)), max_size=25),
    delimiter=st.sampled_from([";", ",", "\t"]),
    title=st.sampled_from(["", TITLE, "Export ONDE\t2025"]),
)
def test_any_export_with_a_known_header_gets_its_delimiter(
    rows: list[list[str]], delimiter: str, title: str
) -> None:
    """Whatever csv.writer wrote under a known header is read with the delimiter it was written with."""
    text = (title + "\r\n" if title else "") + _csv([ONDE2_HEADER, *rows], delimiter)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_bytes(text.encode("utf-8"))
        assert hinted(path).delimiter == delimiter
