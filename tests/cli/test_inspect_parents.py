"""`onde-sacoche inspect` on a parents ("responsables") export: counts, never names; `plan` refuses it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import EXAMPLES, SAMPLES, copy_rules, write_csv
from parents_files import PARENT_HEADER, child_header, parent, responsables

from engine.cli import main

SAMPLE = SAMPLES / "onde_v1_responsables_example.csv"
NAMES = ("LAVANDIER", "Solène", "Noé", "VERGNOLLES", "TISSERAND", "exemple.invalid", "Glycines")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_sample_json() -> None:
    result = run("inspect", str(SAMPLE), "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["kind_of_export"] == "parents" and info["format"] == "onde1-responsables"
    assert info["encoding"] == "cp1252" and info["delimiter"] == ";"
    assert (info["parents"], info["children_links"], info["child_groups"]) == (6, 7, 3)
    assert info["parents_without_child"] == 0 and info["skipped_rows"] == 0
    assert info["unknown_columns"] == [] and info["warnings"] == []
    assert not any(name in result.stdout for name in NAMES)


def test_text_output_counts_and_no_names(tmp_path: Path) -> None:
    after = [["Intitulé", "Adresse Organisme"], ["Mairie de BOURG-FICTIF", "1 place"]]
    rows = [parent(), parent(prenom="Octave", children=()), parent()]
    path = responsables(tmp_path / "r.csv", rows, 6, after=after)
    result = run("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "3 parents, 2 links to children, 6 child groups in the header" in out
    assert "1 parents with no child listed" in out
    assert "1 parents listed on several rows" in out
    assert "2 rows of another table (organisations) skipped, from line 5" in out
    assert "--parents FILE" in out
    assert not any(name in out for name in (*NAMES, "Mairie", "BOURG"))


def test_incomplete_group_refused_with_location(tmp_path: Path) -> None:
    header = [*PARENT_HEADER, *child_header(), *child_header()[:3], *child_header()]
    path = write_csv(tmp_path / "r.csv", [parent()], header=header, encoding="cp1252")
    result = run("inspect", str(path), "--json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert errors[0]["line"] == 1 and errors[0]["column"] == 18 and "Classes élèves" in errors[0]["message"]
    text = run("inspect", str(path))
    assert text.exit_code == 1 and f"{path}:1:18: child group 2" in text.stderr
    assert "Traceback" not in text.stderr + text.stdout


def test_plan_takes_a_parents_export_alone_and_plans_parents_only(tmp_path: Path) -> None:
    """Once refused, a responsables export alone is now planned against the database (docs/parents.md)."""
    db = tmp_path / "sacoche.db"
    db.write_bytes((EXAMPLES / "sacoche-ecole-des-tilleuls.db").read_bytes())
    out = tmp_path / "plan"
    result = run("plan", str(SAMPLE), "--db", f"sqlite:///{db}", "--out", str(out))
    assert result.exit_code in (0, 3), result.stderr
    items = json.loads((out / "plan.json").read_text(encoding="utf-8"))["items"]
    assert items and all(i["kind"].startswith("parent_") for i in items)


def test_rules_check_locates_a_bad_children_block(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    source = rules / "sources" / "onde1-responsables.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("  repeated: true\n", "  repeated: true\n  repeat: 6\n"), encoding="utf-8")
    result = run("rules", "check", str(rules))
    assert result.exit_code == 1
    line = text.splitlines().index("  repeated: true") + 2
    assert f"{source}:{line}:3: unknown key 'repeat'" in result.stderr + result.stdout
    pupils = rules / "sources" / "onde1-eleves.yaml"
    source.write_text(text, encoding="utf-8")
    pupils.write_text(
        pupils.read_text(encoding="utf-8") + "stop_at_row_starting: [Intitulé]\n", encoding="utf-8"
    )
    result = run("rules", "check", str(rules))
    assert result.exit_code == 1 and f"{pupils}:" in result.stderr + result.stdout


def test_rules_check_refuses_a_child_field_unknown(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path)
    source = rules / "sources" / "onde1-responsables.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("    classe:\n", "    classes:\n"), encoding="utf-8")
    result = run("rules", "check", str(rules))
    assert result.exit_code == 1 and f"{source}:" in result.stderr + result.stdout
    assert "classes" in result.stderr + result.stdout
