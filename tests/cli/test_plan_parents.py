"""Planning parents end to end (docs/parents.md): the example school's pupils and responsables in one run,
a responsables export alone against the database, the wrong file given, the private credentials file."""

from __future__ import annotations

import json
import random
import shutil
import stat
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES

from engine.cli import main
from engine.errors import OndeError
from engine.pipeline import make_plan
from engine.plan.parents_build import PARENT_CREDENTIALS_FILE

PUPILS = EXAMPLES / "onde1-ecole-des-tilleuls.csv"
PARENTS = EXAMPLES / "onde1-responsables-ecole-des-tilleuls.csv"


@pytest.fixture
def example_db(tmp_path: Path) -> str:
    copy = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", copy)
    return f"sqlite:///{copy}"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def plan_doc(out: Path) -> dict:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def test_pupils_and_parents_in_one_run(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    result = make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(2))
    doc = plan_doc(out)
    kinds = Counter(i["kind"] for i in doc["items"])
    assert kinds["parent_create"] == doc["summary"]["parents_create"] > 40
    assert kinds["parent_link"] == doc["summary"]["parents_link"] > kinds["parent_create"]
    assert doc["source_parents"]["file"] == PARENTS.name and doc["source_parents"]["child_groups"] >= 2
    order = [i["kind"] for i in doc["items"]]
    assert order.index("parent_create") > max(i for i, k in enumerate(order) if not k.startswith("parent_"))
    # a new pupil and its new parent arrive together: linked by the pupil's new login
    new_logins = {i["target"]["login"] for i in doc["items"] if i["kind"] == "create"}
    linked = {i["target"]["eleve_login"] for i in doc["items"] if i["kind"] == "parent_link"}
    assert new_logins and new_logins <= linked
    questions = [i for i in doc["items"] if i["kind"] == "parent_decide"]
    assert {q["reason"]["situation"] for q in questions} >= {"child_not_found"}
    assert not any(q["accepted"] for q in questions)
    # passwords only in the private credentials file, one row per new parent
    credentials = out / PARENT_CREDENTIALS_FILE
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    rows = credentials.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + kinds["parent_create"]
    password = rows[1].split(";")[5]
    assert password and password not in (out / "plan.json").read_text(encoding="utf-8")
    assert "parents:" in result.text_summary()


def test_the_same_files_give_the_same_parent_ids(tmp_path: Path, example_db: str) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two"
    make_plan(PUPILS, example_db, first, parents_path=PARENTS, rng=random.Random(2))
    make_plan(PUPILS, example_db, second, parents_path=PARENTS, rng=random.Random(9))
    ids = [
        [i["id"] for i in plan_doc(d)["items"] if i["kind"].startswith("parent_")] for d in (first, second)
    ]
    assert ids[0] == ids[1] and ids[0]


def test_a_responsables_export_alone_against_the_database(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    result = run("plan", str(PARENTS), "--db", example_db, "--out", str(out), "--today", "2026-12-02")
    assert result.exit_code == 0, result.output
    doc = plan_doc(out)
    assert not [i for i in doc["items"] if not i["kind"].startswith("parent_")]  # no pupil is touched
    assert doc["summary"]["pupils_in_file"] == 0 and doc["summary"]["parents_create"] > 0
    links = [i for i in doc["items"] if i["kind"] == "parent_link"]
    assert links and all(isinstance(i["target"]["eleve_id"], int) for i in links)  # existing pupils only
    missing = [i for i in doc["items"] if i["kind"] == "parent_decide"]
    assert any(
        q["reason"]["situation"] == "child_not_found" for q in missing
    )  # the pupils not yet in SACoche
    assert doc["source"]["file"] == PARENTS.name and doc["source"]["pupils"] == 0
    assert "parents:" in result.stdout


def test_a_pupils_file_given_as_parents_is_refused_and_nothing_written(
    tmp_path: Path, example_db: str
) -> None:
    out = tmp_path / "plan"
    with pytest.raises(OndeError, match="--parents expects the ONDE responsables export") as caught:
        make_plan(PUPILS, example_db, out, parents_path=PUPILS)
    assert caught.value.file == str(PUPILS)
    with pytest.raises(OndeError, match="--parents goes with the pupils export"):
        make_plan(PARENTS, example_db, out, parents_path=PARENTS)
    assert not out.exists()


def test_a_partial_responsables_file_holds_the_plan(tmp_path: Path, example_db: str) -> None:
    first = tmp_path / "first"
    make_plan(PUPILS, example_db, first, parents_path=PARENTS, rng=random.Random(2))
    db = Path(example_db.removeprefix("sqlite:///"))
    _apply_parents(plan_doc(first), db)
    lines = PARENTS.read_text(encoding="cp1252").splitlines(keepends=True)
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(lines[:6]), encoding="cp1252")
    out = tmp_path / "plan"
    result = make_plan(PUPILS, example_db, out, parents_path=partial, rng=random.Random(2))
    assert result.plan.held and [h["guard"] for h in result.plan.holds] == ["parents_coverage"]
    allowed = make_plan(
        PUPILS,
        example_db,
        out,
        parents_path=partial,
        rng=random.Random(2),
        allow=("parents_coverage",),
        force=True,
    )
    assert not allowed.plan.held
    deactivations = [i for i in plan_doc(out)["items"] if i["kind"] == "parent_deactivate"]
    still = [i for i in deactivations if i["reason"]["situation"] == "absent_with_active_child"]
    assert still and not any(i["accepted"] for i in still)  # their children are still at school


def _apply_parents(doc: dict, db: Path) -> None:
    """What apply.sql will do for parent_create and parent_link (rendering them is another increment):
    enough to plan a second import against the first one's result."""
    import sqlite3

    conn = sqlite3.connect(db)
    ids: dict[str, int] = {}
    for item in doc["items"]:
        if item["kind"] == "parent_create":
            columns = {c: v["new"] for c, v in item["changes"].items()}
            cursor = conn.execute(
                f"INSERT INTO sacoche_user ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                list(columns.values()),
            )
            ids[item["target"]["login"]] = int(cursor.lastrowid or 0)
    for item in doc["items"]:
        if item["kind"] == "parent_link" and item["target"]["eleve_id"] is not None:
            conn.execute(
                "INSERT INTO sacoche_jointure_parent_eleve VALUES (?, ?, ?)",
                (
                    ids[item["target"]["parent_login"]],
                    item["target"]["eleve_id"],
                    item["changes"]["resp_legal_num"]["new"],
                ),
            )
    conn.commit()
    conn.close()


def test_answers_to_parent_questions_in_a_decisions_file(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(2))
    asked = [i for i in plan_doc(out)["items"] if i["kind"] == "parent_decide"]
    question = next(q for q in asked if q["reason"]["situation"] == "child_not_found")
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        "children:\n"
        f"  - {{parent: {json.dumps(question['target']['parent_key'])}, "
        f"child: {json.dumps(question['target']['child'])}, account: null}}\n",
        encoding="utf-8",
    )
    again = tmp_path / "again"
    make_plan(PUPILS, example_db, again, parents_path=PARENTS, rng=random.Random(2), decisions_file=decisions)
    left = [i["id"] for i in plan_doc(again)["items"] if i["kind"] == "parent_decide"]
    assert question["id"] not in left and len(left) == len(asked) - 1
    decisions.write_text("parents:\n  - {parent: 3, account: x}\n", encoding="utf-8")
    with pytest.raises(OndeError) as caught:
        make_plan(PUPILS, example_db, tmp_path / "bad", parents_path=PARENTS, decisions_file=decisions)
    assert str(caught.value).startswith(f"{decisions}:2:5: each 'parents' entry is")
    assert not (tmp_path / "bad").exists()


def test_planning_again_keeps_the_new_parents_passwords(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(2))
    before = (out / PARENT_CREDENTIALS_FILE).read_text(encoding="utf-8-sig")
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(99))
    assert (out / PARENT_CREDENTIALS_FILE).read_text(encoding="utf-8-sig") == before
    doc = plan_doc(out)
    assert doc["parent_letters"]["kept_passwords"] == doc["summary"]["parents_create"]
    # a credentials file that does not match its plan is never trusted
    lines = before.splitlines()
    cells = lines[1].split(";")
    cells[5] = "zzzzzzzz"
    (out / PARENT_CREDENTIALS_FILE).write_text(
        "\ufeff" + "\r\n".join([lines[0], ";".join(cells), *lines[2:]]) + "\r\n", encoding="utf-8"
    )
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(5))
    after = (out / PARENT_CREDENTIALS_FILE).read_text(encoding="utf-8-sig").splitlines()
    changed = [a for a, b in zip(after[1:], before.splitlines()[1:], strict=True) if a != b]
    assert len(changed) == 1 and "zzzzzzzz" not in changed[0]


def test_the_command_line_plans_parents_with_the_pupils(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    args = ["plan", str(PUPILS), "--parents", str(PARENTS), "--db", example_db, "--out", str(out)]
    result = run(*args, "--today", "2026-12-02", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["parents_create"] > 0 and summary["parents_link"] > 0 and not summary["held"]
    text = run(*args, "--today", "2026-12-02")
    assert text.exit_code == 0 and "parents: " in text.stdout and "to decide" in text.stdout
    first = PARENTS.read_text(encoding="cp1252").splitlines()[1].split(";")
    assert first[2].strip('"') not in text.stdout and first[3].strip('"') not in text.stdout  # no names
    allowed = run(*args, "--allow", "parents_coverage", "--allow", "children_unresolved")
    assert allowed.exit_code == 0, allowed.output


def test_the_command_line_refuses_a_pupils_file_as_parents(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    result = run("plan", str(PUPILS), "--parents", str(PUPILS), "--db", example_db, "--out", str(out))
    assert result.exit_code == 1
    assert f"{PUPILS}: --parents expects the ONDE responsables export" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_review_commands_keep_the_parent_answers_of_decisions_yaml(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    args = ["plan", str(PUPILS), "--parents", str(PARENTS), "--db", example_db, "--out", str(out)]
    assert run(*args).exit_code == 0
    items = plan_doc(out)["items"]
    question = next(i for i in items if i["reason"].get("situation") == "child_not_found")
    answer = {
        "parent": question["target"]["parent_key"],
        "child": question["target"]["child"],
        "account": None,
    }
    (out / "decisions.yaml").write_text("children:\n  - " + json.dumps(answer) + "\n", encoding="utf-8")
    link = next(i["id"] for i in items if i["kind"] == "parent_link")
    rejected = run("reject", str(out), link)
    assert rejected.exit_code == 0, rejected.output
    kept = (out / "decisions.yaml").read_text(encoding="utf-8")
    assert "children:" in kept and link in kept
    assert run(*args).exit_code == 0  # replayed: the answered question is gone, the link stays rejected
    again = {i["id"]: i for i in plan_doc(out)["items"]}
    assert question["id"] not in again and again[link]["accepted"] is False


def test_decide_answers_a_parent_question_and_accept_refuses_it(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    args = ["plan", str(PUPILS), "--parents", str(PARENTS), "--db", example_db, "--out", str(out)]
    assert run(*args).exit_code == 0
    items = plan_doc(out)["items"]
    lost = next(i for i in items if i["reason"].get("situation") == "child_not_found")
    waiting = next(i for i in items if i["reason"].get("situation") == "child_pupil_undecided")
    refused = run("accept", str(out), lost["id"])
    assert refused.exit_code == 1 and "a question, not a change" in refused.stderr
    assert run("decide", str(out), lost["id"], "same").exit_code == 1  # no candidate: nothing to be "same" as
    assert run("decide", str(out), lost["id"], "different").exit_code == 0
    account = waiting["target"]["candidates"][0]
    answered = run("decide", str(out), waiting["id"], "same", "--account", str(account))
    assert answered.exit_code == 0, answered.output
    doc = plan_doc(out)  # still sealed (render and show accept it), the answers recorded
    assert {i["id"]: i.get("answer") for i in doc["items"]}[waiting["id"]] == {
        "decision": "same",
        "account": account,
    }
    assert run("show", str(out)).exit_code == 0
    assert run(*args).exit_code == 0  # replayed: both questions answered
    left = {i["id"] for i in plan_doc(out)["items"]}
    assert lost["id"] not in left and waiting["id"] not in left


def test_show_describes_every_parent_item(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    assert (
        run("plan", str(PUPILS), "--parents", str(PARENTS), "--db", example_db, "--out", str(out)).exit_code
        == 0
    )
    shown = run("show", str(out))
    assert shown.exit_code == 0
    lines = [
        line for line in shown.stdout.splitlines() if line.lstrip().startswith("[") and "parent_" in line
    ]
    assert lines and all(len(line.split(None, 3)) == 4 for line in lines)  # a description on every line
    assert any("+ child" in line for line in lines) and any("address added" in line for line in lines)
    assert any("child not found among the pupils (candidates: none): decide" in line for line in lines)


def test_the_parents_credentials_are_tightened_like_the_pupils(tmp_path: Path, example_db: str) -> None:
    out = tmp_path / "plan"
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(2))
    credentials = out / PARENT_CREDENTIALS_FILE
    credentials.chmod(0o644)  # a copy, a printer driver…
    make_plan(PUPILS, example_db, out, rng=random.Random(2))  # no parents this time: the file goes
    assert not credentials.exists()
    make_plan(PUPILS, example_db, out, parents_path=PARENTS, rng=random.Random(2))
    credentials.chmod(0o644)
    from engine.plan.privatefiles import tighten_tree

    tighten_tree(out)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_a_plan_with_parents_writes_their_sql(tmp_path: Path, example_db: str) -> None:
    result = run(
        "plan", str(PUPILS), "--parents", str(PARENTS), "--db", example_db, "--out", str(tmp_path / "p")
    )
    assert "apply.sql does not write them yet" not in result.stdout
    apply = (tmp_path / "p" / "sql" / "sqlite" / "apply.sql").read_text(encoding="utf-8")
    assert "INSERT INTO sacoche_jointure_parent_eleve" in apply
    assert "INSERT INTO sacoche_parent_adresse" in apply
