"""Run a rendered apply.sql (then verify.sql) on a database: SQLite in-process, MySQL/MariaDB through the
stock ``mariadb`` / ``mysql`` client, exactly as a DBA would.

The scripts are run as rendered and reviewed, never re-rendered here; a script rendered from another
plan.json than the one in the directory (a reviewer changed a flag and forgot ``render``) is refused.

SQLite: the script holds its own ``BEGIN IMMEDIATE … COMMIT``; any error (a guard or a statement) rolls
the transaction back, so nothing is written. MySQL/MariaDB: the client stops at the first failing
statement; the guards run before any write, so a failing guard leaves the database untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.dburl import parse_url, public_url
from engine.errors import OndeError
from engine.render.loading import LoadedPlan, load_plan
from engine.render.sql import rendered_plan_sha, sql_path
from engine.target import check_target

CLIENTS = ("mariadb", "mysql")


@dataclass(frozen=True, slots=True)
class ScriptRun:
    """What running one script gave: the client's output and, for verify.sql, its rows."""

    script: Path
    output: str
    rows: tuple[tuple[str, str, str], ...] = ()

    @property
    def verified(self) -> bool:
        return bool(self.rows) and self.rows[-1][0] == "RESULT" and str(self.rows[-1][1]) == "1"


def dialect_of(url: str) -> str:
    return parse_url(url).dialect


def sqlite_file(url: str) -> Path:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL (it must exist), parsed as every
    ``--db`` URL is (engine.dburl)."""
    path = parse_url(url).path
    if path is None:
        raise OndeError("a SQLite URL is sqlite:///PATH", file=public_url(url))
    if not path.is_file():
        raise OndeError("no such SQLite database", file=path, hint="check the path in --db sqlite:///PATH")
    return path


def checked_script(plan_dir: Path, loaded: LoadedPlan, dialect: str, name: str) -> Path:
    """The rendered script, refused when it was rendered from another plan.json."""
    script = sql_path(plan_dir, dialect, name)
    if not script.is_file():
        raise OndeError(
            f"{name}.sql was not rendered for {dialect}",
            file=script,
            hint=f"run: onde-sacoche render {plan_dir}",
        )
    if rendered_plan_sha(script) != loaded.sha256:
        raise OndeError(
            f"{name}.sql was rendered from another plan.json (edited since?)",
            file=script,
            hint=f"review plan.json, then run: onde-sacoche render {plan_dir}",
        )
    return script


def prepare(
    plan_dir: Path, db_url: str, name: str = "apply", *, resume: bool = False
) -> tuple[LoadedPlan, str, Path]:
    """Load and check everything before anything runs: plan.json (sealed), holds, the rendered script,
    and that ``db_url`` is the plan's database in the state the plan read (engine.target)."""
    loaded = load_plan(plan_dir)
    dialect = dialect_of(db_url)
    if name == "apply" and loaded.doc.get("held"):
        holds = [h.get("message", "") for h in loaded.doc.get("holds") or [] if not h.get("allowed")]
        raise OndeError(
            "the plan is held by a guard: " + "; ".join(holds),
            file=loaded.path,
            hint="check the figures, then re-plan with the --allow option the hold names",
        )
    script = checked_script(plan_dir, loaded, dialect, name)
    if dialect == "sqlite":
        sqlite_file(db_url)  # a missing file is named before anything reads it
    check_target(loaded.doc, db_url, loaded.path, resume=resume)
    return loaded, dialect, script


# --- SQLite -----------------------------------------------------------------------------------------------


def _sqlite_text(script: Path) -> str:
    """The script without the sqlite3 shell's dot-commands (only `.bail on` is ever rendered)."""
    lines = script.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("."))


def run_sqlite(db_file: Path, script: Path) -> ScriptRun:
    """Run apply.sql / revert.sql in its own transaction; on any error roll back and raise."""
    connection = sqlite3.connect(db_file, isolation_level=None)
    try:
        before = connection.total_changes
        try:
            connection.executescript(_sqlite_text(script))
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            guard = str(exc).startswith("ONDE-SACOCHE GUARD ")  # the database is not as the plan found it
            raise OndeError(
                f"{script.name} stopped and was rolled back: {exc}",
                file=script,
                hint="re-run `onde-sacoche plan` on the database as it is now, review, then apply"
                if guard
                else "nothing was written (one transaction): once the cause is fixed, run the same "
                "command again",
            ) from None
        return ScriptRun(script, f"{connection.total_changes - before} row(s) written")
    finally:
        connection.close()


def _statements(text: str) -> Iterator[str]:
    """The SQL statements of a rendered script, one at a time (statements end a line with ';')."""
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        pending.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("".join(pending)):
            yield "".join(pending)
            pending = []
    rest = "".join(pending)
    if rest.strip() and sqlite3.complete_statement(rest + ";"):
        yield rest


def verify_sqlite(db_file: Path, script: Path) -> ScriptRun:
    """Run verify.sql on a read-only connection (its temporary table lives outside the database file);
    the rows of its last query are the checks."""
    connection = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    rows: list[tuple[Any, ...]] = []
    try:
        for statement in _statements(_sqlite_text(script)):
            cursor = connection.execute(statement)
            if cursor.description is not None:
                rows = cursor.fetchall()
    except sqlite3.Error as exc:
        raise OndeError(f"verify.sql failed: {exc}", file=script) from None
    finally:
        connection.close()
    return ScriptRun(script, "", tuple((str(a), str(b), str(c)) for a, b, c in rows))


# --- MySQL / MariaDB through the client -----------------------------------------------------------------


def find_client() -> str:
    for name in CLIENTS:
        path = shutil.which(name)
        if path:
            return path
    raise OndeError(
        "neither the `mariadb` nor the `mysql` client is on PATH",
        hint="install mariadb-client, or give the SQL to your DBA: mariadb --default-character-set=utf8 "
        "DB < apply.sql",
    )


@contextmanager
def client_command(url: str, *extra: str) -> Iterator[list[str]]:
    """The client command line for a mysql:// URL; a password (from the URL, the environment or an option
    file: engine.dburl) goes through a 0600 option file, never on the command line."""
    db = parse_url(url).resolved()
    options: list[str] = []
    secret: Path | None = None
    if db.password is not None:
        fd, name = tempfile.mkstemp(prefix="onde-sacoche-", suffix=".cnf")
        secret = Path(name)
        password = db.password.replace("\\", "\\\\").replace('"', '\\"')
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f'[client]\npassword="{password}"\n')
        options.append(f"--defaults-extra-file={secret}")
    options += ["--default-character-set=utf8", f"--user={db.user or 'root'}"]
    if db.unix_socket:
        options.append(f"--socket={db.unix_socket}")
    else:
        options.append(f"--host={(db.host or 'localhost').strip('[]')}")
        options.append(f"--port={db.port or 3306}")
    try:
        yield [find_client(), *options, *extra, db.database]
    finally:
        if secret is not None:
            secret.unlink(missing_ok=True)


def _client_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return lines[-1] if lines else stderr.strip()[-500:]


def explain_failure(script: Path, stderr: str) -> tuple[str, bool]:
    """The reason a script stopped, and whether anything may have been written before it stopped.

    A guard's error names its key (``GUARD n/N item: why``); the full explanation is the comment above
    that guard in the script. An error after the guards means a write failed part-way (MyISAM).
    """
    error = _client_error(stderr)
    text = script.read_text(encoding="utf-8")
    guard = re.search(r"Duplicate entry '(GUARD [^']*)'", error)
    if guard:
        key = guard.group(1)
        for line in text.splitlines():
            if line.startswith(f"-- ONDE-SACOCHE {key}. "):
                return line[len("-- ") :], False
        for line in text.splitlines():  # a set guard (MySQL): its comment says <item> or <user_id>
            if line.startswith("-- ONDE-SACOCHE GUARD") and "<" in line:
                head, _, rest = line[len("-- ONDE-SACOCHE ") :].partition(". ")
                pattern = re.escape(head)
                for name, value in (("item", r"[A-Za-z0-9_.-]+"), ("user_id", r"\d+")):
                    pattern = pattern.replace(re.escape(f"<{name}>"), f"(?P<{name}>{value})")
                named = re.fullmatch(pattern, key)
                if named:
                    for name, value in named.groupdict().items():
                        rest = rest.replace(f"<{name}>", value)
                    return f"ONDE-SACOCHE {key}. {rest}", False
        return error, False
    at = re.search(r" at line (\d+)", error)
    lines = text.splitlines()
    last_guard = max(
        (n for n, line in enumerate(lines, 1) if line.startswith("DROP TEMPORARY TABLE onde_sacoche_guard")),
        default=0,
    )
    written = bool(at) and last_guard > 0 and int(at.group(1)) > last_guard
    return error, written


def run_mysql(url: str, script: Path, *, timeout: float = 600) -> ScriptRun:
    """``mariadb --default-character-set=utf8 … DB < script``; raise with the reason it stopped."""
    with client_command(url) as command, script.open("rb") as stdin:
        completed = subprocess.run(command, stdin=stdin, capture_output=True, timeout=timeout, check=False)
    stdout = completed.stdout.decode("utf-8", errors="replace")
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        reason, written = explain_failure(script, stderr)
        if written:
            raise OndeError(
                f"{script.name} failed after its guards ({reason}): the database may be partly changed "
                "(MyISAM has no rollback)",
                file=script,
                hint=(
                    "finish it: run `onde-sacoche apply PLAN_DIR --db … --resume` (or the same script "
                    "again): every write moves only rows still as the plan found them; or undo it with "
                    "revert.sql; verify.sql shows what was applied"
                    if script.name == "apply.sql"
                    else "finish it: run revert.sql again (it only moves rows still as apply.sql left "
                    "them); verify.sql shows what is applied"
                ),
            )
        raise OndeError(
            f"{script.name} stopped before writing anything: {reason}",
            file=script,
            hint="re-run `onde-sacoche plan` on the database as it is now, review, then apply",
        )
    return ScriptRun(script, stdout)


def verify_mysql(url: str, script: Path) -> ScriptRun:
    with (
        client_command(url, "--batch", "--skip-column-names", "--raw") as command,
        script.open("rb") as stdin,
    ):
        completed = subprocess.run(command, stdin=stdin, capture_output=True, timeout=600, check=False)
    stdout = completed.stdout.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", errors="replace")
        raise OndeError(f"verify.sql failed ({_client_error(stderr)})", file=script)
    rows = []
    for line in stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
    return ScriptRun(script, stdout, tuple(rows))


# --- the whole thing ----------------------------------------------------------------------------------


def run_script(db_url: str, dialect: str, script: Path) -> ScriptRun:
    if dialect == "sqlite":
        return run_sqlite(sqlite_file(db_url), script)
    return run_mysql(db_url, script)


def run_verify(db_url: str, dialect: str, script: Path) -> ScriptRun:
    if dialect == "sqlite":
        return verify_sqlite(sqlite_file(db_url), script)
    return verify_mysql(db_url, script)
