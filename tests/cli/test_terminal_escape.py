"""Nothing read from a file can drive the terminal: control and format characters (ESC, BEL, DEL, C1,
bidi overrides and isolates, zero-width) are shown escaped by `show`, `inspect`, `rules check` and every
error; JSON output carries them as \\u escapes (the same data for a program)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES, copy_rules, onde2_row, write_csv

from engine.cli import main
from engine.cliguard import json_text, one_line, terminal_safe
from engine.plan.seal import reseal

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x7f\x85\x9b\u202eTAC\u202c\u2066x\u2069\u200bz\u200d\ufeff"
#: what must never reach a terminal raw (tab and newline are tested separately)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_terminal_safe_escapes_every_dangerous_character() -> None:
    shown = terminal_safe(HOSTILE)
    assert not RAW.search(shown)
    assert shown.startswith("\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\x85\\x9b\\u202eTAC\\u202c\\u2066x\\u2069")
    assert terminal_safe("Zoé Œuvre-d’Été\tA\nB") == "Zoé Œuvre-d’Été\tA\nB"  # letters, tab, newline kept
    assert one_line("A\nB\tC") == "A\\x0aB\\x09C"


def test_json_text_is_the_same_data_without_raw_characters() -> None:
    value = {"nom": HOSTILE, "classe": "CE1 Mme Œillet"}
    text = json_text(value)
    assert not RAW.search(text) and "Œillet" in text
    assert json.loads(text) == value


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", tmp_path / "s.db")
    out = tmp_path / "p"
    result = cli("plan", str(EXPORT), "--db", f"sqlite:///{tmp_path / 's.db'}", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_show_escapes_hostile_values_from_plan_json(plan_dir: Path) -> None:
    path = plan_dir / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["items"]:
        if item["kind"] in ("create", "update", "decide"):
            item["subject"]["nom"] = "NOM" + HOSTILE
            item["subject"]["prenom"] = "Zoé\n  [x] update-0000000000 forged line"
    doc["source"]["file"] = "export" + HOSTILE + ".csv"
    doc["state"]["url"] = "sqlite:///" + HOSTILE
    reseal(doc)  # hostile values as if the plan had held them
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    result = cli("show", str(plan_dir))
    assert result.exit_code == 0, result.output
    assert not RAW.search(result.output)
    assert "NOM\\x1b[2J" in result.stdout and "\\u202eTAC" in result.stdout
    assert "forged line" in result.stdout
    assert not any(line.lstrip().startswith("[x] update-0000000000") for line in result.stdout.splitlines())


def test_inspect_escapes_hostile_labels_in_text_and_json(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "export.csv",
        [onde2_row(classe="CE1" + HOSTILE, groupes="Chorale" + HOSTILE)],
    )
    text = cli("inspect", str(export))
    as_json = cli("inspect", "--json", str(export))
    for result in (text, as_json):
        assert not RAW.search(result.output), result.output
    if text.exit_code == 0:  # removed by the reader (control_characters: remove, said), or shown escaped
        removed = "invisible control or formatting character(s) removed" in text.stdout
        assert removed or "\\x1b" in text.stdout or "\\u202e" in text.stdout
        json.loads(as_json.stdout)


def test_errors_quoting_file_content_are_escaped(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    table = directory / "tables" / "hostile.yaml"
    key = '"k\\e[2J\\a\\x9b\\u202eTAC\\u200b"'  # YAML escapes: the key holds ESC, BEL, CSI, RLO, ZWSP
    table.write_text(f"id: hostile\n{key}: 1\n{key}: 2\n", encoding="utf-8")
    result = cli("rules", "check", str(directory))
    assert result.exit_code == 1
    assert "written twice" in result.stderr and not RAW.search(result.output)
    assert "k\\x1b[2J\\x07\\x9b\\u202eTAC" in result.stderr


def test_raw_control_character_in_yaml_is_refused_with_its_place(tmp_path: Path) -> None:
    directory = copy_rules(tmp_path)
    table = directory / "tables" / "hostile.yaml"
    table.write_text("id: hostile\nvalues:\n  a: b\x1b[2J\n", encoding="utf-8")
    result = cli("rules", "check", str(directory))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{table}:3:7: the file holds a control character (U+001B)" in result.stderr
    assert not RAW.search(result.output)


def test_batch_db_map_error_is_escaped(tmp_path: Path) -> None:
    db_map = tmp_path / "db-map.yaml"
    db_map.write_text('"a\\e[2J\\u202e.csv": [1]\n', encoding="utf-8")
    result = cli("batch", str(tmp_path), "--db-map", str(db_map), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and f"{db_map}:1:1:" in result.stderr
    assert "a\\x1b[2J\\u202e.csv" in result.stderr and not RAW.search(result.output)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_batch_report_escapes_hostile_school_names(tmp_path: Path, as_json: bool) -> None:
    db_map = tmp_path / "db-map.yaml"
    db_map.write_text('"a\\e[2J\\u202e.csv": "sqlite:///missing.db"\n', encoding="utf-8")
    args = ["batch", str(tmp_path), "--db-map", str(db_map), "--out", str(tmp_path / "out"), "--jobs", "1"]
    result = cli(*args, *(["--json"] if as_json else []))
    assert result.exit_code == 1, result.output
    assert not RAW.search(result.output)
    if as_json:
        assert json.loads(result.stdout)["schools"][0]["school"] == "a\x1b[2J\u202e"  # same data
    else:
        assert "a\\x1b[2J\\u202e.csv" in result.stdout
