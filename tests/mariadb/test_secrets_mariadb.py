"""A MariaDB account whose password holds / # ? @ : — given raw, percent-encoded, by environment variable
or option file; the password never reaches a message, plan.json or a batch summary; connection failures
name the server and the likely cause."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.batch import batch_command
from engine.cli import main
from engine.dburl import PASSWORD_ENV

pytestmark = pytest.mark.mariadb

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
SECRET = "p/a#s?w@r:d"
USER = "onde_secret"


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> Iterator[SacocheDatabase]:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    with sacoche_mysql.server.connect(None) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE USER '{USER}'@'localhost' IDENTIFIED BY %s", (SECRET,))
        cursor.execute(f"GRANT ALL ON `{sacoche_mysql.name}`.* TO '{USER}'@'localhost'")
    try:
        yield sacoche_mysql
    finally:
        with sacoche_mysql.server.connect(None) as conn, conn.cursor() as cursor:
            cursor.execute(f"DROP USER IF EXISTS '{USER}'@'localhost'")


def _url(db: SacocheDatabase, password: str | None = None, **query: str) -> str:
    secret = f":{password}" if password is not None else ""
    params = "&".join([f"unix_socket={db.server.socket}", *(f"{k}={v}" for k, v in query.items())])
    return f"mysql://{USER}{secret}@localhost/{db.name}?{params}"


def _no_secret(text: str) -> None:
    for form in (SECRET, quote(SECRET, safe=""), "p/a#s", "w@r:d"):
        assert form not in text


def _plan(url: str, out: Path, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(
        main, ["plan", str(EXPORT), "--db", url, "--out", str(out), "--today", "2026-11-29"], env=env
    )


@pytest.mark.parametrize("how", ["raw", "encoded", "env", "option_file"])
def test_every_way_of_giving_the_password_connects(school: SacocheDatabase, tmp_path: Path, how: str) -> None:
    env: dict[str, str | None] = {PASSWORD_ENV: SECRET if how == "env" else None}  # None: unset
    if how == "raw":
        url = _url(school, SECRET)
    elif how == "encoded":
        url = _url(school, quote(SECRET, safe=""))
    elif how == "env":
        url = _url(school)
    else:
        cnf = tmp_path / "my.cnf"
        cnf.write_text(f'[client]\nuser={USER}\npassword="{SECRET}"\n', encoding="utf-8")
        url = f"mysql://localhost/{school.name}?unix_socket={school.server.socket}&option_file={cnf}"
    result = _plan(url, tmp_path / "plan", env)
    assert result.exit_code == 0, result.output
    _no_secret(result.output)
    plan_text = (tmp_path / "plan" / "plan.json").read_text(encoding="utf-8")
    _no_secret(plan_text)
    for path in (tmp_path / "plan").rglob("*"):
        if path.is_file():
            _no_secret(path.read_text(encoding="utf-8-sig", errors="replace"))
    assert json.loads(plan_text)["state"]["url"].startswith("mysql://")


def test_apply_with_the_password_in_the_environment(school: SacocheDatabase, tmp_path: Path) -> None:
    url = _url(school)
    env = {PASSWORD_ENV: SECRET}
    assert _plan(url, tmp_path / "plan", env).exit_code == 0
    result = CliRunner().invoke(main, ["apply", str(tmp_path / "plan"), "--db", url, "--yes"], env=env)
    assert result.exit_code == 0, result.output
    _no_secret(result.output)
    assert school.query("SELECT COUNT(*) FROM sacoche_user WHERE user_login = 'ine.saule1'") == [(1,)]


def test_wrong_password_names_the_user_and_the_server(school: SacocheDatabase, tmp_path: Path) -> None:
    result = _plan(_url(school, "not-" + SECRET), tmp_path / "plan", {PASSWORD_ENV: None})
    assert result.exit_code == 1
    assert f"refused user '{USER}'" in result.output
    assert (
        str(school.server.socket) in result.output and "check the user name and the password" in result.output
    )
    _no_secret(result.output)
    assert "Traceback" not in result.output and not (tmp_path / "plan").exists()
    missing = _plan(_url(school), tmp_path / "plan", {PASSWORD_ENV: None})
    assert "no password was given" in missing.output and PASSWORD_ENV in missing.output


def test_unknown_database_and_missing_socket(school: SacocheDatabase, tmp_path: Path) -> None:
    url = f"mysql://{USER}:{SECRET}@localhost/no_such_db?unix_socket={school.server.socket}"
    result = _plan(url, tmp_path / "plan", {PASSWORD_ENV: None})
    assert result.exit_code == 1 and "may not open the database 'no_such_db'" in result.output
    _no_secret(result.output)
    url = f"mysql://root@localhost/no_such_db?unix_socket={school.server.socket}"
    result = _plan(url, tmp_path / "plan", {PASSWORD_ENV: None})
    assert result.exit_code == 1 and "no database 'no_such_db' at socket" in result.output
    url = f"mysql://{USER}:{SECRET}@localhost/{school.name}?unix_socket={tmp_path}/none.sock"
    result = _plan(url, tmp_path / "plan", {PASSWORD_ENV: None})
    assert result.exit_code == 1
    assert f"cannot reach a MySQL/MariaDB server at the socket {tmp_path}/none.sock" in result.output
    assert "is the server running?" in result.output
    _no_secret(result.output)


def test_batch_summaries_never_hold_the_password(school: SacocheDatabase, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "a.csv").write_bytes(EXPORT.read_bytes())
    (exports / "b.csv").write_bytes(EXPORT.read_bytes())
    db_map = tmp_path / "map.yaml"
    db_map.write_text(
        json.dumps(
            {
                "schools": [
                    {"export": "a.csv", "db": _url(school, SECRET)},
                    {"export": "b.csv", "db": _url(school, "wrong" + SECRET)},
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        batch_command, [str(exports), "--db-map", str(db_map), "--out", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 1, result.output  # b failed, a planned
    _no_secret(result.output)
    summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in summary["schools"]] == ["ok", "error"]
    assert summary["schools"][0]["db"] == _url(school)
    assert "refused user" in summary["schools"][1]["error"]
    for name in ("batch-summary.json", "batch-summary.txt"):
        _no_secret((out / name).read_text(encoding="utf-8"))
