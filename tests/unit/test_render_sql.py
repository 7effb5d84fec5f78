"""Rendering SQL from plan.json: the literal filters, plan.json validation, golden scripts.

The golden scripts are also executed: the SQLite ones here (on a copy of the example database), the
MySQL ones on a real MariaDB server in tests/mariadb/test_sql_mariadb.py. Regenerate them after a
deliberate change with ``ONDE_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_render_sql.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO

from engine.errors import OndeError
from engine.pipeline import make_plan
from engine.plan.seal import reseal
from engine.render import (
    SCRIPTS,
    load_plan,
    mysql_literal,
    render_scripts,
    render_sql,
    sql_comment,
    sql_path,
    sqlite_literal,
)
from engine.render.apply import run_sqlite, verify_sqlite

GOLDEN = REPO / "tests" / "golden" / "sql"
EXAMPLE_CSV = Path("examples/onde2-ecole-des-tilleuls.csv")
EXAMPLE_DB = "sqlite:///examples/sacoche-ecole-des-tilleuls.db"
TODAY = date(2026, 11, 29)
SEED = 20261129
# Header lines that change with the tool version, the clock or any rule edit: masked in comparisons.
VOLATILE = re.compile(r"^-- (plan\.json sha256|tool: |plan generated: |rules: ).*$", re.MULTILINE)


def golden_plan(out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled example planned with a fixed date and seeded passwords (paths relative to the repo)."""
    monkeypatch.chdir(REPO)
    make_plan(EXAMPLE_CSV, EXAMPLE_DB, out, today=TODAY, rng=random.Random(SEED))
    return out


def masked(text: str) -> str:
    return VOLATILE.sub(lambda m: f"-- {m.group(1).strip()} <varies>", text)


# --- literals -----------------------------------------------------------------------------------------

NASTY = [
    "D'ALBERTIN",
    "O''Brien",
    "back\\slash",
    "\\",
    "ends with \\",
    "semi;colon",
    "dash -- comment",
    "slash /* star */",
    "percent % under _",
    "line\nbreak",
    "tab\there",
    "cr\rhere",
    'dq " and `bt`',
    "Zoé Œdipe Æ",
    "zero\u200bwidth",
    "nb\u00a0sp",
    "",
]


@pytest.mark.parametrize("value", NASTY)
def test_mysql_literal_never_puts_a_backslash_inside_quotes(value: str) -> None:
    literal = mysql_literal(value)
    if literal.startswith("'"):
        body = literal[1:-1]
        assert "\\" not in body and "\n" not in body and "\r" not in body
        assert body.replace("''", "").count("'") == 0
        assert body.replace("''", "'") == value
    else:
        assert literal == "_utf8 X'" + value.encode("utf-8").hex().upper() + "'"


@pytest.mark.parametrize("value", NASTY)
def test_sqlite_literal_round_trips_in_sqlite(value: str) -> None:
    connection = sqlite3.connect(":memory:")
    assert connection.execute(f"SELECT {sqlite_literal(value)}").fetchone()[0] == value


def test_literal_forms() -> None:
    assert mysql_literal("D'ALBERTIN") == "'D''ALBERTIN'"
    assert mysql_literal("a\\b") == "_utf8 X'615C62'"
    assert mysql_literal("Zoé") == "'Zoé'"
    assert mysql_literal("a\nb") == "_utf8 X'610A62'"
    assert mysql_literal(None) == "NULL" and mysql_literal(42) == "42"
    assert sqlite_literal("a\\b'c") == "'a\\b''c'"
    assert sqlite_literal("a\nb") == "CAST(X'610A62' AS TEXT)"
    assert sqlite_literal(None) == "NULL" and sqlite_literal(7) == "7"
    for literal in (mysql_literal, sqlite_literal):
        with pytest.raises(TypeError):
            literal(True)
        with pytest.raises(TypeError):
            literal(1.5)
        with pytest.raises(ValueError, match="BMP"):
            literal("emoji 😀")


def test_comments_cannot_break_out_of_their_line() -> None:
    assert sql_comment("a\nDROP TABLE x;\r\u2028b") == "a?DROP TABLE x;??b"
    assert "\n" not in sql_comment("x\n" * 3)


# --- golden files ---------------------------------------------------------------------------------------


def test_golden_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)
    update = os.environ.get("ONDE_UPDATE_GOLDEN") == "1"
    for dialect in ("mysql", "sqlite"):
        for name in SCRIPTS:
            rendered = masked(sql_path(plan_dir, dialect, name).read_text(encoding="utf-8"))
            golden = GOLDEN / dialect / f"{name}.sql"
            if update:
                golden.parent.mkdir(parents=True, exist_ok=True)
                golden.write_text(rendered, encoding="utf-8")
            assert golden.is_file(), f"missing golden file {golden}: run with ONDE_UPDATE_GOLDEN=1"
            assert rendered == golden.read_text(encoding="utf-8"), (
                f"{dialect}/{name}.sql differs from {golden}"
            )


def test_golden_sqlite_scripts_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden SQLite scripts themselves (not a re-rendering) on a copy of the example database."""
    db = tmp_path / "sacoche.db"
    shutil.copy(REPO / "examples" / "sacoche-ecole-des-tilleuls.db", db)
    before = dump_sqlite(db)
    assert not verify_sqlite(db, GOLDEN / "sqlite" / "verify.sql").verified
    run_sqlite(db, GOLDEN / "sqlite" / "apply.sql")
    assert verify_sqlite(db, GOLDEN / "sqlite" / "verify.sql").verified
    with pytest.raises(OndeError, match="GUARD 1/"):
        run_sqlite(db, GOLDEN / "sqlite" / "apply.sql")
    run_sqlite(db, GOLDEN / "sqlite" / "revert.sql")
    after = dump_sqlite(db)
    created = {"ine.saule1", "loi.pervench", "sal.aubepine"}
    assert [r for r in after["sacoche_user"] if r[11] not in created] == before["sacoche_user"]
    assert after["sacoche_jointure_user_groupe"] == before["sacoche_jointure_user_groupe"]


def dump_sqlite(path: Path) -> dict[str, list[tuple]]:
    connection = sqlite3.connect(path)
    try:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in (
                "sacoche_user",
                "sacoche_groupe",
                "sacoche_jointure_user_groupe",
                "sacoche_niveau",
                "sacoche_user_profil",
            )
        }
    finally:
        connection.close()


# --- what the scripts contain ---------------------------------------------------------------------------


def _edit_plan(plan_dir: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = plan_dir / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    reseal(doc)  # an odd plan on purpose: sealed again as `plan` would
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_apply_never_deletes_accounts_and_skips_unaccepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)

    def accept_all(doc: dict) -> None:
        for item in doc["items"]:
            item["accepted"] = item["kind"] != "decide" and item["kind"] != "deactivate"

    _edit_plan(plan_dir, accept_all)
    for dialect in ("mysql", "sqlite"):
        scripts = render_scripts(load_plan(plan_dir), dialect)
        assert "DELETE FROM sacoche_user " not in scripts["apply"]
        assert "DELETE FROM sacoche_user\n" not in scripts["apply"]
        assert "DELETE u " not in scripts["apply"]  # MySQL: the multi-table form (set statements)
        assert "class_retire-c1645c6e88" in scripts["apply"]  # accepted now: the group row goes
        assert "deactivate-" not in scripts["apply"].split("GUARDS:")[1]  # rejected: left out
        assert "decide-" not in scripts["apply"].split("GUARDS:")[1]
        assert "DELETE FROM sacoche_user " not in scripts["revert"]
        deleting = render_scripts(load_plan(plan_dir), dialect, revert_deletes_created=True)["revert"]
        # MySQL deletes the accounts it created as a set (a join over its temporary table)
        account_delete = (
            "DELETE u FROM onde_sacoche_pupil_new t"
            if dialect == "mysql"
            else "DELETE FROM sacoche_user WHERE"
        )
        assert account_delete in deleting
        assert "user_connexion_date IS NULL" in deleting


def test_no_password_or_plaintext_in_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)
    credentials = (plan_dir / "identifiants.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    passwords = [line.split(";")[4] for line in credentials]
    assert len(passwords) == 3
    for path in (plan_dir / "sql").rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        assert not any(f"'{p}'" in text for p in passwords), path


def test_held_plan_apply_stops_at_its_first_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)

    def hold(doc: dict) -> None:
        doc["held"] = True
        doc["holds"] = [{"guard": "coverage", "message": "m", "allow": "--allow coverage", "allowed": False}]

    _edit_plan(plan_dir, hold)
    for dialect in ("mysql", "sqlite"):
        apply = render_scripts(load_plan(plan_dir), dialect)["apply"]
        assert "GUARD 1/" in apply and "plan is held" in apply


# --- plan.json validation --------------------------------------------------------------------------------


def _render_error(plan_dir: Path) -> OndeError:
    with pytest.raises(OndeError) as caught:
        render_sql(plan_dir)
    return caught.value


def test_malformed_json_names_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)
    path = plan_dir / "plan.json"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines) if '"accepted": true' in line)
    lines[number] = lines[number].replace("true", "yes")
    path.write_text("".join(lines), encoding="utf-8")
    before = {p: p.read_bytes() for p in (plan_dir / "sql").rglob("*.sql")}
    error = _render_error(plan_dir)
    assert error.file == str(path) and error.line == number + 1 and error.column is not None
    assert "not valid JSON" in error.message
    assert {p: p.read_bytes() for p in (plan_dir / "sql").rglob("*.sql")} == before  # nothing written


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda item: item.__setitem__("accepted", "yes"), "'accepted' must be true or false"),
        (lambda item: item.__setitem__("kind", "delete_everything"), "unknown kind"),
        (lambda item: item["changes"].__setitem__("user_id", {"old": 1, "new": 2}), "cannot be changed"),
        (lambda item: item["changes"]["user_prenom"].__setitem__("new", "x" * 51), "than the database's 50"),
        (lambda item: item["changes"]["user_prenom"].__setitem__("new", "Zoé 😀"), "outside the BMP"),
        (lambda item: item["target"].__setitem__("user_id", "23; DROP"), "user_id (integer)"),
        (lambda item: item.__setitem__("id", "x'); DROP TABLE t; --"), "'id' must be"),
    ],
)
def test_edited_wrong_items_are_refused_with_their_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)
    _edit_plan(plan_dir, lambda doc: edit(next(i for i in doc["items"] if i["id"] == "update-03b50611e7")))
    text = (plan_dir / "plan.json").read_text(encoding="utf-8")
    error = _render_error(plan_dir)
    assert message in str(error)
    assert error.line is not None and error.line <= text.count("\n") + 1
    assert str(error).startswith(f"{plan_dir / 'plan.json'}:")


def test_format_version_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)
    _edit_plan(plan_dir, lambda doc: doc.__setitem__("format_version", 99))
    error = _render_error(plan_dir)
    assert "format_version" in error.message and error.line == 2


def test_accepted_item_needing_a_rejected_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_dir = golden_plan(tmp_path / "plan", monkeypatch)

    def reject_class(doc: dict) -> None:
        next(i for i in doc["items"] if i["kind"] == "class_create")["accepted"] = False

    _edit_plan(plan_dir, reject_class)
    error = _render_error(plan_dir)
    assert "class_create-749c789a11 is not accepted" in error.message
    assert error.file == str(plan_dir / "plan.json")
    text = (plan_dir / "plan.json").read_text(encoding="utf-8")
    first = error.message.split(" ", 1)[0]  # the first accepted item that needs the rejected one
    assert error.line == text[: text.index(f'"id": "{first}"')].count("\n") + 1
