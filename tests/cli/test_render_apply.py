"""`plan` → `render` / `show` / `apply` end to end on SQLite copies of the example database.

Every scenario compares full table dumps (every column of every row): apply then re-plan gives no
change; a second apply is refused by the guards and writes nothing; revert restores every pre-existing
row; drift between plan and apply is refused with nothing written; odd names round-trip exactly.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES

from engine.cli import main
from engine.errors import OndeError
from engine.plan.seal import reseal
from engine.render import sql_path
from engine.render.apply import run_sqlite, verify_sqlite

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
TODAY = "2026-11-29"
TABLES = (
    "sacoche_user",
    "sacoche_groupe",
    "sacoche_jointure_user_groupe",
    "sacoche_niveau",
    "sacoche_user_profil",
)
CREATED_LOGINS = {"ine.saule1", "loi.pervench", "sal.aubepine"}
ZERO_KEYS = (
    "create",
    "update",
    "deactivate",
    "reactivate",
    "classes_create",
    "classes_rename",
    "groups_create",
    "groups_retire",
    "memberships_add",
    "memberships_remove",
)
STAFF = (
    "INSERT INTO sacoche_user (user_profil_sigle, user_nom, user_prenom, user_login)"
    " VALUES ('ENS', 'X', 'Y', ?)"
)
LOGIN = 11  # column index of user_login in sacoche_user
SORTIE = 16  # column index of user_sortie_date


def cli(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    copy = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", copy)
    return copy


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        connection.close()


def execute(path: Path, sql: str, *args: Any) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(sql, args)
    connection.close()


def make_plan(db: Path, out: Path, *extra: str) -> dict[str, Any]:
    result = cli("plan", str(EXPORT), "--db", url(db), "--out", str(out), "--today", TODAY, *extra)
    assert result.exit_code in (0, 3), result.output
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def edit_plan(out: Path, edit: Any, *, sealed: bool = False) -> None:
    """Edit plan.json by hand; ``sealed``: seal it again as `plan` would (odd plans on purpose)."""
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    if sealed:
        reseal(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for i in doc["items"] if i["id"] == item_id)


def apply(out: Path, db: Path) -> Result:
    return cli("apply", str(out), "--db", url(db))


def assert_no_changes(summary: dict[str, Any]) -> None:
    assert {k: summary[k] for k in ZERO_KEYS} == dict.fromkeys(ZERO_KEYS, 0)


# --- the happy path ---------------------------------------------------------------------------------------


def test_plan_renders_both_dialects(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    for dialect in ("mysql", "sqlite"):
        for name in ("apply", "revert", "verify"):
            assert sql_path(out, dialect, name).is_file()


def test_apply_then_replan_has_no_changes(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    assert doc["summary"]["create"] == 3 and doc["summary"]["needs_decision"] == 1
    result = apply(out, db)
    assert result.exit_code == 0, result.output
    assert "verify.sql: OK: 33 checks passed" in result.output
    again = make_plan(db, tmp_path / "again")
    assert_no_changes(again["summary"])
    assert again["summary"]["needs_decision"] == 1  # the look-alike still waits for a person
    # The hand-made group and its memberships are untouched.
    before, after = dump(EXAMPLES / "sacoche-ecole-des-tilleuls.db"), dump(db)
    assert [g for g in after["sacoche_groupe"] if g[0] == 11] == [
        g for g in before["sacoche_groupe"] if g[0] == 11
    ]
    assert [j for j in after["sacoche_jointure_user_groupe"] if j[1] == 11] == [
        j for j in before["sacoche_jointure_user_groupe"] if j[1] == 11
    ]
    # The created pupils are in their class, found by ref, with the hash of identifiants.csv's password.
    connection = sqlite3.connect(db)
    rows = connection.execute(
        "SELECT u.user_login, g.groupe_ref, u.user_password FROM sacoche_user u"
        " JOIN sacoche_groupe g ON g.groupe_id = u.eleve_classe_id WHERE u.user_login IN (?, ?, ?)",
        sorted(CREATED_LOGINS),
    ).fetchall()
    connection.close()
    assert {(login, ref) for login, ref, _ in rows} == {
        ("ine.saule1", "104511_PS"),
        ("loi.pervench", "104512_CP"),
        ("sal.aubepine", "104514_CM1"),
    }


def test_decisions_then_apply_and_revert(tmp_path: Path, db: Path) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        'same:\n  - {pupil: "ine:160493976AV", account: 43}\naccept: [class_retire-c1645c6e88]\n',
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    doc = make_plan(db, out, "--decisions", str(decisions))
    assert item(doc, "class_retire-c1645c6e88")["accepted"] is True
    assert item(doc, "class_retire-c1645c6e88")["target"]["members"] == []
    assert doc["summary"]["needs_decision"] == 0
    original = dump(db)
    assert apply(out, db).exit_code == 0
    assert not [g for g in dump(db)["sacoche_groupe"] if g[0] == 9]  # the retired class is gone
    again = make_plan(db, tmp_path / "again", "--decisions", str(decisions))
    assert_no_changes(again["summary"])
    assert again["summary"]["needs_decision"] == 0 and again["summary"]["classes_retire"] == 0
    run_sqlite(db, sql_path(out, "sqlite", "revert"))
    reverted = dump(db)
    # Every pre-existing row is back, all columns; the retired class with its old groupe_id.
    assert [r for r in reverted["sacoche_user"] if r[LOGIN] not in CREATED_LOGINS] == original["sacoche_user"]
    assert {
        r[LOGIN]: r[SORTIE] for r in reverted["sacoche_user"] if r[LOGIN] in CREATED_LOGINS
    } == dict.fromkeys(CREATED_LOGINS, TODAY)
    created_groups = {"104515_CM2", "RG_ANGLAIS_RENFORCE"}
    assert [g for g in reverted["sacoche_groupe"] if g[2] not in created_groups] == original["sacoche_groupe"]
    for table in ("sacoche_jointure_user_groupe", "sacoche_niveau", "sacoche_user_profil"):
        assert reverted[table] == original[table]


def test_apply_twice_is_refused_and_writes_nothing(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    assert apply(out, db).exit_code == 0
    applied = dump(db)
    assert "the database changed since the plan was made" in apply(out, db).stderr
    second = cli("apply", str(out), "--db", url(db), "--resume")
    assert second.exit_code == 1
    assert "GUARD 1/34 class_create-749c789a11: ref exists" in second.stderr
    assert "Nothing was written" in second.stderr and str(sql_path(out, "sqlite", "apply")) in second.stderr
    assert dump(db) == applied


def test_apply_revert_restores_every_row(tmp_path: Path, db: Path) -> None:
    original = dump(db)
    out = tmp_path / "plan"
    make_plan(db, out)
    assert apply(out, db).exit_code == 0
    run_sqlite(db, sql_path(out, "sqlite", "revert"))
    reverted = dump(db)
    assert [r for r in reverted["sacoche_user"] if r[LOGIN] not in CREATED_LOGINS] == original["sacoche_user"]
    created = [r for r in reverted["sacoche_user"] if r[LOGIN] in CREATED_LOGINS]
    assert len(created) == 3 and {r[SORTIE] for r in created} == {TODAY}  # deactivated, not deleted
    for table in ("sacoche_jointure_user_groupe", "sacoche_niveau", "sacoche_user_profil"):
        assert reverted[table] == original[table]
    assert reverted["sacoche_groupe"][: len(original["sacoche_groupe"])] == original["sacoche_groupe"]
    # A second revert is refused by its own guards and changes nothing.
    with pytest.raises(OndeError, match="GUARD"):
        run_sqlite(db, sql_path(out, "sqlite", "revert"))
    assert dump(db) == reverted


def test_revert_deletes_created_on_request(tmp_path: Path, db: Path) -> None:
    original = dump(db)
    out = tmp_path / "plan"
    make_plan(db, out)
    rendered = cli("render", str(out), "--dialect", "sqlite", "--revert-deletes-created")
    assert rendered.exit_code == 0, rendered.output
    assert apply(out, db).exit_code == 0
    run_sqlite(db, sql_path(out, "sqlite", "revert"))
    assert dump(db) == original  # every table, every row, every column


def test_revert_deletes_created_only_if_never_used(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    assert cli("render", str(out), "--revert-deletes-created").exit_code == 0
    assert apply(out, db).exit_code == 0
    execute(
        db,
        "UPDATE sacoche_user SET user_connexion_date = '2026-11-30 08:00:00' WHERE user_login = ?",
        "ine.saule1",
    )
    applied = dump(db)
    with pytest.raises(OndeError, match="account changed"):
        run_sqlite(db, sql_path(out, "sqlite", "revert"))
    assert dump(db) == applied


# --- drift between plan and apply --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drift", "args", "guard"),
    [
        (
            "UPDATE sacoche_user SET user_prenom = ? WHERE user_id = 23",
            ("Noé",),
            "update-03b50611e7: row changed",
        ),
        (
            "UPDATE sacoche_user SET user_sortie_date = ? WHERE user_id = 53",
            ("2026-10-01",),
            "deactivate-0b1a0ae53d",
        ),
        (
            "UPDATE sacoche_user SET user_login = ? WHERE user_id = 15",
            ("sal.genet",),
            "reactivate-468a4ec31d",
        ),
        (
            STAFF,
            ("ine.saule1",),
            "create-ff66a3be72: login taken",
        ),
        (
            STAFF,
            ("SAL.Aubepine",),
            "create-96e4e57aad: login taken",
        ),
        (
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom) VALUES ('classe', ?, 'x')",
            ("104515_CM2",),
            "class_create-749c789a11: ref exists",
        ),
        (
            "UPDATE sacoche_groupe SET groupe_nom = ? WHERE groupe_id = 5",
            ("[CE1] autre",),
            "class_rename-75cfc3d095",
        ),
        ("DELETE FROM sacoche_jointure_user_groupe WHERE user_id = ?", (6,), "membership_remove-8995c1d7d1"),
        (
            "DELETE FROM sacoche_groupe WHERE groupe_ref = ?",
            ("104511_PS",),
            "create-ff66a3be72: ref not single",
        ),
    ],
)
def test_drift_is_refused_and_nothing_is_written(
    tmp_path: Path, db: Path, drift: str, args: tuple[Any, ...], guard: str
) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    execute(db, drift, *args)
    before = dump(db)
    result = apply(out, db)  # the fingerprint, recomputed before anything runs
    assert result.exit_code == 1 and "the database changed since the plan was made (sacoche_" in result.stderr
    assert dump(db) == before
    resumed = cli("apply", str(out), "--db", url(db), "--resume")  # the script's own guards
    assert resumed.exit_code == 1
    assert guard in resumed.stderr
    assert dump(db) == before


# --- render, show, apply refusals ---------------------------------------------------------------------------


def test_render_after_a_reviewer_unchecks_an_item(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    edit_plan(out, lambda doc: item(doc, "deactivate-0b1a0ae53d").__setitem__("accepted", False))
    stale = apply(out, db)  # plan.json edited, SQL not re-rendered: refused
    assert stale.exit_code == 1 and "rendered from another plan.json" in stale.stderr
    result = cli("render", str(out))
    assert result.exit_code == 0, result.output
    assert "deactivate-0b1a0ae53d" not in sql_path(out, "sqlite", "apply").read_text(encoding="utf-8")
    assert apply(out, db).exit_code == 0
    again = make_plan(db, tmp_path / "again")
    assert again["summary"]["deactivate"] == 1  # the rejected deactivation is still to do
    assert [i["id"] for i in again["items"] if i["kind"] == "deactivate"] == ["deactivate-0b1a0ae53d"]


def test_render_reports_malformed_plan_with_line_and_writes_nothing(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    path = out / "plan.json"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index('"accepted": false')].count("\n") + 1
    path.write_text(text.replace('"accepted": false', '"accepted": flase', 1), encoding="utf-8")
    before = {p: p.read_bytes() for p in (out / "sql").rglob("*.sql")}
    result = cli("render", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}:{line}:")
    assert {p: p.read_bytes() for p in (out / "sql").rglob("*.sql")} == before
    assert cli("apply", str(out), "--db", url(db)).exit_code == 1
    assert cli("show", str(out)).exit_code == 1


def test_apply_refuses_a_held_plan(tmp_path: Path, db: Path) -> None:
    partial = tmp_path / "partial.csv"
    lines = EXPORT.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    partial.write_text("".join(lines[:8]), encoding="utf-8")
    out = tmp_path / "plan"
    result = cli("plan", str(partial), "--db", url(db), "--out", str(out), "--today", TODAY)
    assert result.exit_code == 3, result.output
    before = dump(db)
    refused = apply(out, db)
    assert refused.exit_code == 1 and "held" in refused.stderr
    assert "plan is held" in sql_path(out, "sqlite", "apply").read_text(encoding="utf-8")
    with pytest.raises(OndeError, match="GUARD 1/"):  # even run by hand, the script stops
        run_sqlite(db, sql_path(out, "sqlite", "apply"))
    assert dump(db) == before


def test_show_lists_items_without_passwords(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    result = cli("show", str(out))
    assert result.exit_code == 0, result.output
    assert "sql/sqlite: up to date" in result.output
    assert "[x] create-ff66a3be72" in result.output and "[ ] class_retire-c1645c6e88" in result.output
    assert "[ ] decide-3e2c885c71" in result.output
    hashes = [i["changes"]["user_password"]["new"] for i in doc["items"] if i["kind"] == "create"]
    passwords = [
        line.split(";")[4] for line in (out / "identifiants.csv").read_text("utf-8-sig").splitlines()[1:]
    ]
    for secret in [*hashes, *passwords]:
        assert secret not in result.output
    assert len(result.output.splitlines()) == len(doc["items"]) + 5


def test_apply_on_an_empty_plan_does_nothing(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    edit_plan(out, lambda doc: [i.__setitem__("accepted", False) for i in doc["items"]])
    assert cli("render", str(out)).exit_code == 0
    before = dump(db)
    result = apply(out, db)
    assert result.exit_code == 0 and "nothing to apply" in result.output
    assert dump(db) == before


# --- odd text ---------------------------------------------------------------------------------------------

NASTY_NOM = "D'A\\B;--/*%_\"`"  # 14 characters: quote, backslash, ;, --, /*, %, _, ", `
NASTY_PRENOM = "Zoé\nŒ\t'x'\u200b"
NASTY_EMAIL = "o'h\\ara;-- DROP TABLE sacoche_user;/* x */%_@\r\nexample.org"
NASTY_CLASS = "[CM2] L'É\\c;--/*%"


def test_odd_names_round_trip_exactly(tmp_path: Path, db: Path) -> None:
    # A value already in the database (an old value the guards and the revert must match exactly)…
    execute(
        db,
        "UPDATE sacoche_user SET user_nom = ?, user_prenom = ? WHERE user_id = 23",
        NASTY_NOM,
        NASTY_PRENOM,
    )
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    update = next(i for i in doc["items"] if i["kind"] == "update" and i["target"]["user_id"] == 23)
    assert update["changes"]["user_nom"]["old"] == NASTY_NOM

    # …and new values written by the scripts.
    def odd(doc: dict[str, Any]) -> None:
        create = item(doc, "create-ff66a3be72")["changes"]
        create["user_nom"]["new"], create["user_prenom"]["new"] = NASTY_NOM, NASTY_PRENOM
        create["user_email"]["new"] = NASTY_EMAIL
        item(doc, "class_create-749c789a11")["changes"]["groupe_nom"]["new"] = NASTY_CLASS

    edit_plan(out, odd, sealed=True)
    assert cli("render", str(out)).exit_code == 0
    original = dump(db)
    result = apply(out, db)
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(db)
    assert connection.execute(
        "SELECT user_nom, user_prenom, user_email FROM sacoche_user WHERE user_login = 'ine.saule1'"
    ).fetchone() == (NASTY_NOM, NASTY_PRENOM, NASTY_EMAIL)
    assert connection.execute(
        "SELECT groupe_nom FROM sacoche_groupe WHERE groupe_ref = '104515_CM2'"
    ).fetchone() == (NASTY_CLASS,)
    connection.close()
    run_sqlite(db, sql_path(out, "sqlite", "revert"))
    reverted = dump(db)
    assert [r for r in reverted["sacoche_user"] if r[LOGIN] not in CREATED_LOGINS] == original["sacoche_user"]


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_sqlite3_shell_stops_at_a_failing_guard(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    script = sql_path(out, "sqlite", "apply").read_bytes()
    first = subprocess.run(["sqlite3", str(db)], input=script, capture_output=True, check=False)
    assert first.returncode == 0, first.stderr
    applied = dump(db)
    second = subprocess.run(["sqlite3", str(db)], input=script, capture_output=True, check=False)
    assert second.returncode != 0 and b"GUARD 1/34" in second.stderr
    assert dump(db) == applied


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_sqlite_apply_interrupted_is_rolled_back_and_a_rerun_finishes(tmp_path: Path, db: Path) -> None:
    """SQLite runs apply.sql in one transaction: a client gone after any write leaves nothing behind, and
    `onde-sacoche apply` then runs the whole plan."""
    out = tmp_path / "plan"
    make_plan(db, out)
    original = dump(db)
    text = sql_path(out, "sqlite", "apply").read_text(encoding="utf-8")
    writes = [i for i in range(len(text)) if text.startswith("\nUPDATE sacoche_user SET", i)]
    assert len(writes) > 5
    for cut in (writes[0], writes[-1], text.index("\nCOMMIT;")):
        killed = subprocess.run(
            ["sqlite3", str(db)], input=text[:cut].encode("utf-8"), capture_output=True, check=False
        )
        assert killed.returncode == 0, killed.stderr
        assert dump(db) == original, cut  # rolled back: never committed
    result = apply(out, db)
    assert result.exit_code == 0, result.output
    assert "verify.sql: OK: 33 checks passed" in result.output


# --- retiring a group that has members -----------------------------------------------------------------


def _theatre(db: Path, *members: int) -> int:
    connection = sqlite3.connect(db)
    with connection:
        groupe_id = connection.execute(
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom)"
            " VALUES ('groupe', 'RG_THEATRE', 'Théâtre')"
        ).lastrowid
        for user_id in members:
            connection.execute(
                "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
                (user_id, groupe_id),
            )
    connection.close()
    return int(groupe_id or 0)


def _retire_plan(tmp_path: Path, db: Path) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    retire = next(i for i in doc["items"] if i["kind"] == "group_retire")
    edit_plan(out, lambda d: item(d, retire["id"]).__setitem__("accepted", True))
    assert cli("render", str(out)).exit_code == 0
    return out, retire


def test_retired_group_and_its_memberships_come_back(tmp_path: Path, db: Path) -> None:
    groupe_id = _theatre(db, 23, 29)
    out, retire = _retire_plan(tmp_path, db)
    assert retire["target"]["members"] == [23, 29] and retire["target"]["groupe_id"] == groupe_id
    original = dump(db)
    result = apply(out, db)
    assert result.exit_code == 0, result.output
    after = dump(db)
    assert not [g for g in after["sacoche_groupe"] if g[0] == groupe_id]
    assert not [j for j in after["sacoche_jointure_user_groupe"] if j[1] == groupe_id]
    assert {r[0] for r in after["sacoche_user"]} >= {23, 29}  # the accounts stay
    run_sqlite(db, sql_path(out, "sqlite", "revert"))
    reverted = dump(db)
    assert [g for g in reverted["sacoche_groupe"] if g[0] == groupe_id] == [
        g for g in original["sacoche_groupe"] if g[0] == groupe_id
    ]
    assert reverted["sacoche_jointure_user_groupe"] == original["sacoche_jointure_user_groupe"]


def test_retire_refused_when_the_group_has_members_the_plan_did_not_see(tmp_path: Path, db: Path) -> None:
    groupe_id = _theatre(db, 23)
    out, _ = _retire_plan(tmp_path, db)
    teacher = 56  # ANCOLIE Rose (ENS): the plan only records pupils' memberships
    execute(
        db,
        "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id, jointure_pp) VALUES (?, ?, 1)",
        teacher,
        groupe_id,
    )
    before = dump(db)
    result = cli("apply", str(out), "--db", url(db), "--resume")  # past the fingerprint: the guards
    assert result.exit_code == 1 and "group changed" in result.stderr
    assert dump(db) == before


# --- plan.json is sealed except `accepted` ------------------------------------------------------------


def test_an_item_added_by_hand_is_refused_by_render_show_and_apply(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    groupe_id = _theatre(db, 23, 29)  # a hand-made group the plan never saw
    other = tmp_path / "other.db"  # a plan that retires it, to copy the item from
    shutil.copy(db, other)
    retire = next(i for i in make_plan(other, tmp_path / "p2")["items"] if i["kind"] == "group_retire")

    def forge(d: dict[str, Any]) -> None:
        forged = {k: v for k, v in retire.items() if k != "seal"}
        forged["id"], forged["accepted"] = "group_retire-00000000aa", True
        forged["target"] = {
            **retire["target"],
            "groupe_id": groupe_id,
            "ref": "RG_THEATRE",
            "members": [23, 29],
        }
        d["items"].append(forged)

    edit_plan(out, forge)
    before = dump(db)
    for command in (["render", str(out)], ["show", str(out)], ["apply", str(out), "--db", url(db)]):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "plan.json:" in result.stderr and "group_retire-00000000aa was added by hand" in result.stderr
        assert "Traceback" not in result.output
    line = (
        (out / "plan.json")
        .read_text(encoding="utf-8")
        .splitlines()
        .index(
            next(x for x in (out / "plan.json").read_text(encoding="utf-8").splitlines() if "00000000aa" in x)
        )
    )
    assert f"plan.json:{line + 1}:" in cli("render", str(out)).stderr
    assert dump(db) == before


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda d: d["items"][0]["changes"]["user_nom"].__setitem__("new", "AUTRE"), "was changed after"),
        (lambda d: d["items"].pop(), "removed or reordered"),
        (lambda d: d["summary"].__setitem__("create", 0), "'summary' was changed"),
        (lambda d: d["state"]["fingerprint"].clear(), "'state' was changed"),
        (lambda d: d.__setitem__("held", not d.get("held")), "'held' was changed"),
    ],
)
def test_figures_or_items_edited_by_hand_are_refused(
    tmp_path: Path, db: Path, edit: Any, needle: str
) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    edit_plan(out, edit)
    result = cli("render", str(out))
    assert result.exit_code == 1 and needle in result.stderr, result.output


def test_accepted_flags_may_change(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)

    def flip(d: dict[str, Any]) -> None:
        for i in d["items"]:
            if i["kind"] != "decide":  # a question is answered, never accepted
                i["accepted"] = not i["accepted"]

    edit_plan(out, flip)
    assert cli("render", str(out)).exit_code == 0


def test_apply_announces_what_will_run_not_the_summary(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    assert doc["summary"]["create"] == 3
    edit_plan(out, lambda d: [i.__setitem__("accepted", False) for i in d["items"] if i["kind"] == "create"])
    assert cli("render", str(out)).exit_code == 0
    result = apply(out, db)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert "accepted change(s) to run" in first and " create " not in first and "update 9" in first


# --- the right database ----------------------------------------------------------------------------


def test_a_plan_applied_to_another_schools_database_is_refused(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    make_plan(db, out)
    other = tmp_path / "other-school.db"
    shutil.copy(db, other)  # the same content, another database: still refused
    before = dump(other)
    for extra in ((), ("--resume",)):
        result = cli("apply", str(out), "--db", url(other), *extra)
        assert result.exit_code == 1
        assert "--db is not the database the plan was made from" in result.stderr
        assert "Traceback" not in result.output
    assert dump(other) == before
    assert apply(out, db).exit_code == 0  # the right one is accepted


# --- verify.sql says done, not done, or unexpected ---------------------------------------------------


def test_verify_says_which_items_are_not_done_or_unexpected(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "plan"
    doc = make_plan(db, out)
    update = next(i for i in doc["items"] if i["kind"] == "update" and i["accepted"])
    user_id = update["target"]["user_id"]
    column = next(iter(update["changes"]))
    execute(db, f"UPDATE sacoche_user SET {column} = 'ailleurs' WHERE user_id = ?", user_id)
    rows = {
        name: (ok, details) for name, ok, details in verify_sqlite(db, sql_path(out, "sqlite", "verify")).rows
    }
    assert rows[update["id"]][0] == "0"
    assert rows[update["id"]][1].startswith("UNEXPECTED (neither as the plan found it nor as planned)")
    accepted = [
        i["id"] for i in doc["items"] if i["accepted"] and i["kind"] != "decide" and i["id"] != update["id"]
    ]
    for item_id in accepted:  # nothing applied yet: each one still as the plan found it
        assert rows[item_id][0] == "0" and rows[item_id][1].startswith(
            "NOT DONE (still as the plan found it)"
        ), (
            item_id,
            rows[item_id],
        )
    assert rows["RESULT"][0] == "0"
