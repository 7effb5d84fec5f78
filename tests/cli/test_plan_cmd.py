"""`onde-sacoche plan` end to end on files and SQLite: outputs, exit codes, guards, decisions."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES
from schools import SchoolDB, row

from engine.cli import main

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


@pytest.fixture
def example_db(tmp_path: Path) -> str:
    copy = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", copy)
    return f"sqlite:///{copy}"


def plan(*args: str) -> Result:
    return CliRunner().invoke(main, ["plan", *args])


def test_example_plan_summary_and_files(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    result = plan(str(EXPORT), "--db", example_db, "--out", str(out), "--today", "2026-11-29", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["out"] == str(out)
    summary = body["summary"]
    assert summary == json.loads((out / "plan.json").read_text(encoding="utf-8"))["summary"]
    expected_keys = {
        "pupils_in_file",
        "create",
        "update",
        "deactivate",
        "reactivate",
        "unchanged",
        "without_class",
        "archive",
        "needs_decision",
        "classes_create",
        "classes_rename",
        "classes_retire",
        "groups_create",
        "groups_retire",
        "memberships_add",
        "memberships_remove",
        "held",
        "holds",
    }
    assert set(summary) == expected_keys
    assert all(isinstance(summary[k], int) for k in expected_keys - {"held", "holds"})
    assert (
        summary["pupils_in_file"],
        summary["create"],
        summary["deactivate"],
        summary["reactivate"],
        summary["needs_decision"],
        summary["classes_rename"],
    ) == (55, 3, 2, 1, 1, 1)
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["source"]["file"] == EXPORT.name and len(document["source"]["sha256"]) == 64
    assert document["rules"]["version"].startswith("1.0+")
    assert document["state"]["fingerprint"]["sacoche_user"]["rows"] == 57
    assert document["today"] == "2026-11-29"
    assert all({"id", "kind", "target", "changes", "reason", "accepted"} <= set(i) for i in document["items"])
    credentials = out / "identifiants.csv"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    passwords = [line.split(";")[4] for line in credentials.read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert len(passwords) == 3
    plan_text = (out / "plan.json").read_text(encoding="utf-8")
    assert not any(p in plan_text for p in passwords)


def test_text_summary_and_detailed_exitcode(tmp_path: Path, example_db: str) -> None:
    result = plan(str(EXPORT), "--db", example_db, "--out", str(tmp_path / "p"), "--detailed-exitcode")
    assert result.exit_code == 2
    assert "3 to create" in result.stdout and "1 to decide" in result.stdout
    assert "LAVANDIER" not in result.stdout  # no pupil data in terminal logs


def test_held_plan_is_written_and_exits_3(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "s.db")
    db.klass("104513", "CE1", "CE1 Mme Ancolie")
    for n in range(12):
        db.pupil(f"ELEVE{n}", "Zoé", ine=f"2034{n:05d}AB", classe="104513_CE1")
    export = tmp_path / "e.csv"
    from helpers import write_csv

    write_csv(export, [row("ELEVE0", "Zoé", ine="203400000AB")])
    out = tmp_path / "p"
    result = plan(str(export), "--db", db.url, "--out", str(out))
    assert result.exit_code == 3
    assert "HELD" in result.stdout and "--allow coverage" in result.stdout
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["held"] is True and document["summary"]["held"] is True
    allowed = plan(
        str(export),
        "--db",
        db.url,
        "--out",
        str(out),
        "--allow",
        "coverage",
        "--allow",
        "deactivations",
        "--allow",
        "class_missing",
    )
    assert allowed.exit_code == 0, allowed.output


def test_error_writes_nothing(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "p"
    bad = tmp_path / "bad.csv"
    bad.write_text("INE;Nom\n", encoding="utf-8")
    result = plan(str(bad), "--db", example_db, "--out", str(out))
    assert result.exit_code == 1 and not out.exists()
    missing = plan(str(EXPORT), "--db", f"sqlite:///{tmp_path}/none.db", "--out", str(out))
    assert missing.exit_code == 1 and "no such SQLite database" in missing.stderr and not out.exists()
    scheme = plan(str(EXPORT), "--db", "postgres://x/y", "--out", str(out))
    assert scheme.exit_code == 1 and "unsupported" in scheme.stderr


def test_refuses_to_overwrite_a_plan_of_another_database(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "p"
    assert plan(str(EXPORT), "--db", example_db, "--out", str(out)).exit_code == 0
    other = tmp_path / "other.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", other)
    refused = plan(str(EXPORT), "--db", f"sqlite:///{other}", "--out", str(out))
    assert refused.exit_code == 1 and "another database" in refused.stderr
    assert plan(str(EXPORT), "--db", f"sqlite:///{other}", "--out", str(out), "--force").exit_code == 0
    assert plan(str(EXPORT), "--db", f"sqlite:///{other}", "--out", str(out)).exit_code == 0  # same DB: fine


def test_decisions_are_replayed_and_stale_ones_reported(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "p"
    assert plan(str(EXPORT), "--db", example_db, "--out", str(out)).exit_code == 0
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    (decide,) = [i for i in document["items"] if i["kind"] == "decide"]
    retire = next(i for i in document["items"] if i["kind"] == "class_retire")
    deactivate = next(i for i in document["items"] if i["kind"] == "deactivate")
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        f"accept: [{retire['id']}, gone-0000000000]\n"
        f"reject: [{deactivate['id']}]\n"
        f'same:\n  - {{pupil: "{decide["target"]["pupil"]}", account: {decide["target"]["accounts"][0]}}}\n',
        encoding="utf-8",
    )
    result = plan(str(EXPORT), "--db", example_db, "--out", str(out), "--decisions", str(decisions))
    assert result.exit_code == 0, result.output
    again = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i for i in again["items"]}
    assert by_id[retire["id"]]["accepted"] is True
    assert by_id[deactivate["id"]]["accepted"] is False
    assert again["summary"]["needs_decision"] == 0
    assert again["stale_decisions"] == ["accept: gone-0000000000 (no such item in this plan)"]
    assert "stale decision" in result.stdout


def test_bad_decisions_file_names_its_line(tmp_path: Path, example_db: str) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("accept: []\nsame:\n  - {pupil: x}\n", encoding="utf-8")
    result = plan(
        str(EXPORT), "--db", example_db, "--out", str(tmp_path / "p"), "--decisions", str(decisions)
    )
    assert result.exit_code == 1 and f"{decisions}:3:5" in result.stderr
    assert not (tmp_path / "p").exists()


def test_stale_pairing_answer_keeps_the_pupil_out_of_the_terminal(tmp_path: Path, example_db: str) -> None:
    """A pairing answer whose row is gone is reported, but its key (an INE, or names and birth date) stays
    in plan.json (private), never on the terminal."""
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        'same:\n  - {pupil: "ine:209999999ZZ", account: 1}\n'
        'different:\n  - {pupil: "id:FICTIF|Zoé|2019-01-01", account: 2}\n',
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    result = plan(str(EXPORT), "--db", example_db, "--out", str(out), "--decisions", str(decisions))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("stale decision:") == 2
    for secret in ("209999999ZZ", "FICTIF", "Zoé", "2019-01-01"):
        assert secret not in result.output
    stale = json.loads((out / "plan.json").read_text(encoding="utf-8"))["stale_decisions"]
    assert any("209999999ZZ" in s for s in stale)
