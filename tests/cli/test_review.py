"""`accept`, `reject`, `decide` on the example school's plan, then `plan` again into the same directory.

A full review from the command line (no JSON edited): every command records its answer in plan.json and
PLAN/decisions.yaml (0600), renders the SQL, report and summary again, prints the summary computed from
the items; refusals exit 1 and change nothing; the next `plan` replays the answers without being told.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from helpers import EXAMPLES

from engine.cli import main
from engine.plan.seal import reseal

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
TODAY = "2026-11-29"


def cli(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def plan_into(db: Path, out: Path, *extra: Any) -> Result:
    return cli("plan", EXPORT, "--db", f"sqlite:///{db}", "--out", out, "--today", TODAY, *extra)


def items(out: Path) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in json.loads((out / "plan.json").read_text(encoding="utf-8"))["items"]}


def of_kind(out: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in items(out).values() if i["kind"] == kind]


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    out = tmp_path / "plan"
    assert plan_into(db, out).exit_code == 0
    return db, out


def test_full_review_then_replan_replays_every_answer(planned: tuple[Path, Path]) -> None:
    db, out = planned
    (question,) = of_kind(out, "decide")
    (retire,) = of_kind(out, "class_retire")
    removes = of_kind(out, "membership_remove")
    assert removes and all(i["accepted"] for i in removes) and not retire["accepted"]
    account = question["target"]["accounts"][0]

    result = cli("reject", out, "--kind", "membership_remove")
    assert result.exit_code == 0, result.output
    assert "not accepted: class_retire 1, membership_remove 1" in result.output
    result = cli("accept", out, retire["id"])
    assert result.exit_code == 0, result.output
    assert "class_retire 1" in result.output.split("not accepted")[0]
    result = cli("decide", out, question["id"], "same")
    assert result.exit_code == 0, result.output
    assert "to decide: 0 (1 answered" in result.output

    now = items(out)
    assert all(not now[i["id"]]["accepted"] for i in removes) and now[retire["id"]]["accepted"]
    assert now[question["id"]]["answer"] == {"decision": "same", "account": account}
    decisions = out / "decisions.yaml"
    assert stat.S_IMODE(decisions.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert yaml.safe_load(decisions.read_text(encoding="utf-8")) == {
        "accept": [retire["id"]],
        "reject": sorted(i["id"] for i in removes),
        "same": [{"pupil": question["target"]["pupil"], "account": account}],
    }
    # show, resume.md and the report say the same, from the items
    show = cli("show", out)
    assert show.exit_code == 0 and "sql/sqlite: up to date" in show.output
    assert "not accepted: membership_remove 1" in show.output and "to decide: 0" in show.output
    assert f"answered same {account} (next plan)" in show.output
    assert "retrait d'un groupe" not in (out / "resume.md").read_text(encoding="utf-8").split("\n\n")[2]
    assert "Réponse enregistrée" in (out / "rapport.html").read_text(encoding="utf-8")

    result = plan_into(db, out)
    assert result.exit_code == 0, result.output
    again = items(out)
    assert not of_kind(out, "decide"), "the answered question is asked again"
    matched = [i for i in again.values() if i["target"].get("user_id") == account and i["kind"] == "update"]
    assert matched and matched[0]["reason"]["tier"] == "decision"
    assert all(not again[i["id"]]["accepted"] for i in removes)
    assert again[retire["id"]]["accepted"]
    assert "stale decision" not in result.output
    assert "; not accepted: membership_remove 1\n" in result.output  # and no question left: no "; to decide"


def test_decisions_file_still_works_elsewhere(planned: tuple[Path, Path], tmp_path: Path) -> None:
    db, out = planned
    (question,) = of_kind(out, "decide")
    assert cli("decide", out, question["id"], "different").exit_code == 0
    assert cli("reject", out, "--kind", "deactivate").exit_code == 0
    leavers = {i["id"] for i in of_kind(out, "deactivate")}
    answers = tmp_path / "answers.yaml"
    shutil.copy(out / "decisions.yaml", answers)
    other = tmp_path / "other"
    assert plan_into(db, other, "--decisions", answers).exit_code == 0
    assert not of_kind(other, "decide") and not (other / "decisions.yaml").exists()
    again = items(other)
    assert leavers <= set(again) and not any(again[i]["accepted"] for i in leavers)
    # the account said to be another pupil is absent from the file: a new departure, accepted
    (new_leaver,) = [i for i in of_kind(other, "deactivate") if i["id"] not in leavers]
    assert new_leaver["target"]["user_id"] == question["target"]["accounts"][0] and new_leaver["accepted"]
    creates = [i for i in of_kind(other, "create") if i["reason"]["line"] == question["reason"]["line"]]
    assert creates, "a different pupil gets a new account"


def test_reject_by_class_ref_or_name(planned: tuple[Path, Path]) -> None:
    _db, out = planned
    names = json.loads((out / "plan.json").read_text(encoding="utf-8"))["names"]["classes"]
    result = cli("reject", out, "--class", "104515_cm2")
    assert result.exit_code == 0, result.output
    rejected = {i["id"] for i in items(out).values() if not i["accepted"] and i["kind"] != "decide"}
    assert any(i.startswith("class_create-") for i in rejected)
    assert any(i.startswith("update-") for i in rejected)
    assert cli("accept", out, "--class", names["104515_CM2"]).exit_code == 0
    assert {i for i in rejected if items(out)[i]["accepted"]} == rejected - {
        i["id"] for i in of_kind(out, "class_retire")
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("accept", "{out}", "update-0000000000"), "no item update-0000000000 in this plan"),
        (("accept", "{out}", "{decide}"), "a question, not a change"),
        (("reject", "{out}", "--kind", "decide"), "a question, not a change"),
        (("decide", "{out}", "{create}", "same"), "is a create item, not a question"),
        (("decide", "{out}", "{decide}", "same", "--account", "999"), "not a candidate"),
        (("reject", "{out}", "--kind", "nonsense"), "unknown kind"),
        (("reject", "{out}", "--class", "999_CM2"), "no item of class 999_CM2"),
        (("accept", "{out}"), "no item named"),
        (("reject", "{out}", "{class_create}"), "plan.json: refused, nothing changed: update-"),
    ],
)
def test_refusals_exit_1_and_change_nothing(planned: tuple[Path, Path], args: tuple, message: str) -> None:
    _db, out = planned
    ids = {
        "out": out,
        "decide": of_kind(out, "decide")[0]["id"],
        "create": of_kind(out, "create")[0]["id"],
        "class_create": of_kind(out, "class_create")[0]["id"],
    }
    before = snapshot(out)
    result = cli(*(a.format(**ids) for a in args))
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "onde-sacoche-review-" not in result.output  # the plan directory's files, not a staging copy
    assert snapshot(out) == before


def test_accepted_decide_item_in_plan_json_is_refused_with_its_line(planned: tuple[Path, Path]) -> None:
    _db, out = planned
    path = out / "plan.json"
    (question,) = of_kind(out, "decide")
    text = path.read_text(encoding="utf-8")
    start = text.index(f'"id": "{question["id"]}"')
    edited = text[:start] + text[start:].replace('"accepted": false', '"accepted": true', 1)
    path.write_text(edited, encoding="utf-8")
    line = edited[:start].count("\n") + 1
    for command in ("render", "show"):
        result = cli(command, out)
        assert result.exit_code == 1, result.output
        assert f"{path}:{line}: item {question['id']}: a decide item is a question" in result.output


def test_accept_of_a_question_in_a_decisions_file_is_stale_not_applied(
    planned: tuple[Path, Path], tmp_path: Path
) -> None:
    db, out = planned
    (question,) = of_kind(out, "decide")
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"accept: [{question['id']}]\n", encoding="utf-8")
    result = plan_into(db, tmp_path / "again", "--decisions", answers)
    assert result.exit_code == 0, result.output
    assert f"stale decision: accept: {question['id']} (a question" in result.output
    assert not of_kind(tmp_path / "again", "decide")[0]["accepted"]


def test_show_summary_follows_flags_edited_by_hand(planned: tuple[Path, Path]) -> None:
    _db, out = planned
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["items"]:
        if item["kind"] == "deactivate":
            item["accepted"] = False
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    assert cli("render", out).exit_code == 0
    show = cli("show", out)
    assert "not accepted: deactivate 2, class_retire 1" in show.output
    assert "deactivate 2" not in show.output.split("not accepted")[0]


def test_kept_answers_and_a_decisions_file_together(planned: tuple[Path, Path], tmp_path: Path) -> None:
    """The plan directory's answers are replayed with --decisions; the file wins for the same item."""
    db, out = planned
    deactivations = sorted(i["id"] for i in of_kind(out, "deactivate"))
    assert cli("reject", out, *deactivations).exit_code == 0
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"accept: [{deactivations[0]}]\n", encoding="utf-8")
    assert plan_into(db, out, "--decisions", answers).exit_code == 0
    now = items(out)
    assert now[deactivations[0]]["accepted"] and not now[deactivations[1]]["accepted"]


def test_answers_of_another_database_are_not_replayed(planned: tuple[Path, Path], tmp_path: Path) -> None:
    db, out = planned
    (leaver, *_) = of_kind(out, "deactivate")
    assert cli("reject", out, leaver["id"]).exit_code == 0
    other = tmp_path / "other.db"
    shutil.copy(db, other)
    result = plan_into(other, out, "--force")
    assert result.exit_code == 0, result.output
    assert "decisions.yaml: not replayed and removed (its answers were for another database)" in result.output
    assert items(out)[leaver["id"]]["accepted"] and not (out / "decisions.yaml").exists()


def test_a_question_with_two_candidates_needs_the_account(planned: tuple[Path, Path]) -> None:
    _db, out = planned
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    (question,) = [i for i in doc["items"] if i["kind"] == "decide"]
    first = question["subject"]["candidates"][0]
    question["subject"]["candidates"].append(first | {"user_id": 99, "login": "elo.autre"})
    question["target"]["accounts"] = [first["user_id"], 99]
    reseal(doc)  # a question with two candidates, as `plan` would have sealed it
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    assert cli("render", out).exit_code == 0
    result = cli("decide", out, question["id"], "same")
    assert result.exit_code == 1 and "2 candidate accounts" in result.output and "--account" in result.output
    assert cli("decide", out, question["id"], "same", "--account", 99).exit_code == 0
    assert cli("decide", out, question["id"], "different", "--account", first["user_id"]).exit_code == 0
    answers = yaml.safe_load((out / "decisions.yaml").read_text(encoding="utf-8"))
    pupil = question["target"]["pupil"]
    assert answers == {"different": [{"pupil": pupil, "account": first["user_id"]}]}  # the last answer
    assert items(out)[question["id"]]["answer"] == {"decision": "different", "accounts": [first["user_id"]]}
