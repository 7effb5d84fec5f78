"""`plan` and `inspect` on an ONDE v1 export holding a pupil admitted but not yet in a class."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from helpers import EXAMPLES

from engine.cli import main


def unassigned_export(path: Path) -> Path:
    """The example's ONDE v1 file plus one new pupil without a class, and one known pupil's class emptied."""
    with (EXAMPLES / "onde1-ecole-des-tilleuls.csv").open(encoding="cp1252", newline="") as handle:
        lines = [row for row in csv.reader(handle, delimiter=";") if row]
    header = lines[0]
    label, ident = header.index("Libellé classe"), header.index("Identifiant classe")
    new = list(lines[1])
    new[header.index("Nom élève")], new[header.index("INE")] = "NOUVEAU", "203459999ZZ"
    new[label] = new[ident] = ""
    lines[2][label] = lines[2][ident] = ""
    with path.open("w", encoding="cp1252", newline="") as out:
        csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([*lines, new])
    return path


def test_plan_and_inspect_count_pupils_without_a_class(tmp_path: Path) -> None:
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    export = unassigned_export(tmp_path / "onde1.csv")
    shown = CliRunner().invoke(main, ["inspect", str(export)])
    assert shown.exit_code == 0, shown.output
    assert "2 pupils without a class (admitted, not yet assigned)" in shown.output
    out = tmp_path / "plan"
    args = ["plan", str(export), "--db", f"sqlite:///{db}", "--out", str(out), "--today", "2026-11-29"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 3), result.output
    assert "without a class: 2 (1 ignored, 1 deactivated, 0 former unchanged)" in result.output
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["summary"]["without_class"] == 2
    assert [e["line"] for e in doc["without_class"] if e["action"] == "ignored"] == [57]
    assert "NOUVEAU" not in result.output  # names stay out of the terminal
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert "2 élèves du fichier sans classe" in report and "NOUVEAU" in report
