"""--db URLs: passwords with / # ? @ : read raw or percent-encoded, never shown; env var and option file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.connection import redact_url
from engine.dburl import PASSWORD_ENV, parse_url, public_url
from engine.errors import OndeError

SECRET = "p/a#s?w@r:d"
ENCODED = "p%2Fa%23s%3Fw%40r%3Ad"


@pytest.mark.parametrize("password", [SECRET, ENCODED])
def test_a_password_with_special_characters_is_read_raw_or_encoded(password: str) -> None:
    db = parse_url(f"mysql://onde:{password}@db.example:3307/sacoche?unix_socket=/run/my.sock")
    assert (db.user, db.password, db.host, db.port, db.database) == (
        "onde",
        SECRET,
        "db.example",
        3307,
        "sacoche",
    )
    assert db.unix_socket == "/run/my.sock"
    assert db.public == "mysql://onde@db.example:3307/sacoche?unix_socket=/run/my.sock"
    assert SECRET not in repr(db) and "p/a" not in repr(db)


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://onde:{SECRET}@localhost/sacoche",
        f"mysql://onde:{SECRET}@localhost:3306/sacoche?unix_socket=/tmp/a@b/s.sock",
        "mysql://onde:50%off@localhost/sacoche",
        "mysql://onde:a@b/c@localhost/sacoche",
    ],
)
def test_redacted_urls_never_hold_the_password(url: str) -> None:
    password = url.split("onde:", 1)[1].rsplit("@localhost", 1)[0]
    for shown in (redact_url(url), public_url(url), parse_url(url).public):
        assert password not in shown and ":" + password[:3] not in shown
        assert shown.startswith("mysql://onde@localhost")


def test_ipv6_host_and_mariadb_scheme() -> None:
    db = parse_url(f"mariadb://onde:{SECRET}@[::1]:3307/sacoche")
    assert (db.dialect, db.host, db.port, db.password) == ("mysql", "[::1]", 3307, SECRET)
    assert db.public == "mariadb://onde@[::1]:3307/sacoche"


def test_raw_at_sign_in_the_query_does_not_confuse_the_password() -> None:
    db = parse_url("mysql://onde:pw@localhost/sacoche?option_file=/home/a@b/.my.cnf")
    assert (db.password, db.host, db.option_file) == ("pw", "localhost", "/home/a@b/.my.cnf")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"mysql://onde:{SECRET}@localhost:33o6/sacoche", "port"),
        (f"mysql://onde:{SECRET}@localhost/", "names no database"),
        (f"mysql://onde:{SECRET}@localhost/sacoche?sslmode=on", "unknown option 'sslmode'"),
        (f"mysql://onde:{SECRET}@", "names no database"),
        (f"mysql://onde:{SECRET}@localhost/a/b", "cannot read this MySQL URL"),
        (f"postgres://onde:{SECRET}@localhost/sacoche", "unsupported database URL scheme"),
        (f"onde:{SECRET}@localhost/sacoche", "without its scheme"),
    ],
)
def test_a_bad_url_is_refused_without_showing_the_password(url: str, message: str) -> None:
    with pytest.raises(OndeError) as caught:
        parse_url(url)
    text = str(caught.value)
    assert message in text
    assert SECRET not in text and "p/a#s" not in text and "w@r" not in text


def test_password_from_the_environment_and_password_env() -> None:
    db = parse_url("mysql://onde@localhost/sacoche")
    assert db.resolved({PASSWORD_ENV: SECRET}).password == SECRET
    assert db.resolved({}).password is None
    named = parse_url("mysql://onde@localhost/sacoche?password_env=SACOCHE_B")
    resolved = named.resolved({"SACOCHE_B": "b-secret", PASSWORD_ENV: "other"})
    assert (resolved.password, resolved.password_source) == ("b-secret", "env:SACOCHE_B")
    assert "b-secret" not in repr(resolved) and "b-secret" not in resolved.public
    with pytest.raises(OndeError, match="SACOCHE_B"):
        named.resolved({})
    # the URL's own password comes first
    assert (
        parse_url("mysql://onde:url-pw@localhost/sacoche").resolved({PASSWORD_ENV: "x"}).password == "url-pw"
    )


def test_option_file(tmp_path: Path) -> None:
    cnf = tmp_path / "my.cnf"
    cnf.write_text(f'[client]\nuser=onde\npassword="{SECRET}"\nsocket=/run/x.sock\n', encoding="utf-8")
    db = parse_url(f"mysql:///sacoche?option_file={cnf}").resolved({})
    assert (db.user, db.password, db.unix_socket, db.password_source) == (
        "onde",
        SECRET,
        "/run/x.sock",
        "option file",
    )
    assert db.public == f"mysql:///sacoche?option_file={cnf}"
    with pytest.raises(OndeError, match="no such MySQL option file"):
        parse_url(f"mysql:///sacoche?option_file={tmp_path / 'none.cnf'}").resolved({})
    broken = tmp_path / "broken.cnf"
    broken.write_text(f"password={SECRET}\n", encoding="utf-8")  # no [client] header
    with pytest.raises(OndeError) as caught:
        parse_url(f"mysql:///sacoche?option_file={broken}").resolved({})
    assert SECRET not in str(caught.value)


def test_sqlite_urls() -> None:
    assert parse_url("sqlite:///a/b.db").path == Path("a/b.db")
    assert parse_url("sqlite:////abs/b.db").path == Path("/abs/b.db")
    assert parse_url("sqlite:///a/b.db").public == "sqlite:///a/b.db"


def test_cli_db_without_scheme_suggests_sqlite(tmp_path: Path) -> None:
    export = Path(__file__).resolve().parents[2] / "examples" / "onde2-ecole-des-tilleuls.csv"
    result = CliRunner().invoke(
        main, ["plan", str(export), "--db", "school.db", "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 1
    assert "sqlite:///school.db" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "p").exists()


def test_cli_raw_password_with_slash_gives_no_traceback(tmp_path: Path) -> None:
    """Before: urlparse read 'p' as a port and a ValueError traceback showed part of the password."""
    export = Path(__file__).resolve().parents[2] / "examples" / "onde2-ecole-des-tilleuls.csv"
    url = f"mysql://onde:{SECRET}@localhost:1/sacoche"  # nothing listens on port 1
    result = CliRunner().invoke(main, ["plan", str(export), "--db", url, "--out", str(tmp_path / "p")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot reach a MySQL/MariaDB server at localhost:1" in result.output
    assert SECRET not in result.output and "p/a" not in result.output


def test_a_plan_of_an_older_version_is_recognised_without_its_password(tmp_path: Path) -> None:
    from engine.plan.planio import check_destination

    (tmp_path / "plan.json").write_text('{"state": {"url": "mysql://onde:***@db.example/sacoche"}}')
    check_destination(tmp_path, "mysql://onde@db.example/sacoche", force=False)  # the same database
    (tmp_path / "plan.json").write_text(f'{{"state": {{"url": "mysql://onde:{SECRET}@db.example/other"}}}}')
    with pytest.raises(OndeError) as caught:
        check_destination(tmp_path, "mysql://onde@db.example/sacoche", force=False)
    assert "another database (mysql://onde@db.example/other)" in str(caught.value)
    assert SECRET not in str(caught.value)
