"""A private, throw-away MariaDB server for the tests.

The server gets its own data directory, listens only on a unix socket (``--skip-networking``, no TCP
port), reads no option file (``--no-defaults``) and never touches the system service. SQL files are run
through the real ``mariadb`` command-line client, exactly as a DBA would run them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pymysql

from engine.sacoche_schema import schema_sql

__all__ = ["MariaDBServer", "MariaDBUnavailable", "SacocheDatabase", "find_binaries"]

#: Programs needed; mariadb-admin is optional (SQL ``SHUTDOWN`` is the fallback).
REQUIRED_PROGRAMS = ("mariadbd", "mariadb-install-db", "mariadb")
OPTIONAL_PROGRAMS = ("mariadb-admin",)
_EXTRA_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin")
# Unix socket paths are limited to 108 bytes (sun_path) including the final NUL.
_MAX_SOCKET_PATH = 100


class MariaDBUnavailable(RuntimeError):
    """The MariaDB programs needed to run a private server are not installed."""


def find_binaries() -> dict[str, str]:
    """Locate the MariaDB programs on PATH or in the usual sbin/bin directories.

    Returns a mapping program name -> absolute path (optional programs only if found).
    Raises :class:`MariaDBUnavailable` naming the missing programs.
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in REQUIRED_PROGRAMS + OPTIONAL_PROGRAMS:
        path = shutil.which(name)
        if path is None:
            candidates = (Path(d) / name for d in _EXTRA_DIRS)
            path = next((str(c) for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)
        if path is not None:
            found[name] = path
        elif name in REQUIRED_PROGRAMS:
            missing.append(name)
    if missing:
        raise MariaDBUnavailable(
            f"MariaDB programs not found on PATH nor in {', '.join(_EXTRA_DIRS)}: {', '.join(missing)} "
            "(Debian/Ubuntu: apt-get install mariadb-server mariadb-client)"
        )
    return found


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


class MariaDBServer:
    """A private MariaDB server living in ``base_dir`` (data dir, socket, logs).

    Usage::

        server = MariaDBServer(tmp_dir).start()
        db = server.create_database("t1")
        server.load_sacoche_schema(db)
        result = server.execute_file(db, Path("apply.sql"))   # CompletedProcess, never raises
        server.stop()

    Connections use user ``root`` without password (``--auth-root-authentication-method=normal``).
    """

    def __init__(self, base_dir: str | os.PathLike[str] | None = None, *, startup_timeout: float = 30.0):
        """Prepare paths; raises :class:`MariaDBUnavailable` if the programs are missing."""
        self.binaries = find_binaries()
        self._own_base = base_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix="osm") if base_dir is None else base_dir).resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.datadir = self.base_dir / "data"
        self.tmpdir = self.base_dir / "tmp"
        self.pid_file = self.base_dir / "mariadbd.pid"
        self.error_log = self.base_dir / "mariadbd.err"
        self.install_log = self.base_dir / "install-db.log"
        self._socket_dir: Path | None = None
        socket = self.base_dir / "mysql.sock"
        if len(os.fsencode(socket)) > _MAX_SOCKET_PATH:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="osm", dir="/tmp"))
            socket = self._socket_dir / "mysql.sock"
        self.socket = socket
        self.startup_timeout = startup_timeout
        #: Seconds spent in start() (install-db + server boot), for information.
        self.start_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stdio: Path = self.base_dir / "mariadbd.stdio"

    # ------------------------------------------------------------------ lifecycle

    def _as_root_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told --user=root explicitly.
        return ["--user=root"] if os.geteuid() == 0 else []

    def start(self) -> MariaDBServer:
        """Initialise the data directory, start ``mariadbd`` and wait until it accepts connections."""
        if self._process is not None:
            raise RuntimeError("server already started")
        began = time.monotonic()
        self.tmpdir.mkdir(exist_ok=True)
        install = subprocess.run(
            [
                self.binaries["mariadb-install-db"],
                "--no-defaults",  # must come first
                f"--datadir={self.datadir}",
                # its bootstrap server's temporary tables too (in /tmp, two servers set up at once can
                # trip over each other's files: "Could not remove temporary table", then it aborts)
                f"--tmpdir={self.tmpdir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *self._as_root_args(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
        self.install_log.write_bytes(install.stdout)
        if install.returncode != 0:
            message = f"mariadb-install-db failed (exit {install.returncode}):\n{_tail(self.install_log)}"
            self.stop()
            raise RuntimeError(message)
        command = [
            self.binaries["mariadbd"],
            "--no-defaults",  # must come first
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            "--skip-networking",
            f"--pid-file={self.pid_file}",
            f"--log-error={self.error_log}",
            f"--tmpdir={self.tmpdir}",
            "--innodb-buffer-pool-size=16M",
            *self._as_root_args(),
        ]
        with self._stdio.open("wb") as stdio:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stdio, stderr=subprocess.STDOUT
            )
        atexit.register(self.stop)
        self._wait_ready()
        self.start_seconds = time.monotonic() - began
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            exit_code = self._process.poll()
            if exit_code is not None:
                message = (
                    f"mariadbd exited during startup (exit code {exit_code}); "
                    f"error log tail:\n{_tail(self.error_log)}\n{_tail(self._stdio)}"
                )
                self.stop()
                raise RuntimeError(message)
            if self.socket.exists():
                try:
                    self.connect(None).close()
                    return
                except pymysql.err.MySQLError as exc:
                    last_error = exc
            time.sleep(0.05)
        message = (
            f"mariadbd did not accept connections on {self.socket} within {self.startup_timeout:.0f} s "
            f"(last error: {last_error}); error log tail:\n{_tail(self.error_log)}"
        )
        self.stop()
        raise RuntimeError(message)

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Shut the server down cleanly (terminate/kill as fallbacks) and remove its data directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            self._shutdown()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        atexit.unregister(self.stop)
        shutil.rmtree(self.datadir, ignore_errors=True)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        if self._own_base:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _shutdown(self) -> None:
        admin = self.binaries.get("mariadb-admin")
        try:
            if admin is not None:
                subprocess.run(
                    [admin, "--no-defaults", f"--socket={self.socket}", "-u", "root", "shutdown"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=20,
                    check=False,
                )
            else:
                with self.connect(None) as connection, connection.cursor() as cursor:
                    cursor.execute("SHUTDOWN")
        except (OSError, subprocess.TimeoutExpired, pymysql.err.MySQLError):
            pass  # the caller falls back to terminate/kill

    def __enter__(self) -> MariaDBServer:
        return self.start() if self._process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases and SQL

    def create_database(self, name: str) -> str:
        """Create database ``name`` (utf8 / utf8_unicode_ci like SACoche) and return its name."""
        with self.connect(None) as connection, connection.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE {_quote_identifier(name)} CHARACTER SET utf8 COLLATE utf8_unicode_ci"
            )
        return name

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists."""
        with self.connect(None) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote_identifier(name)}")

    def connect(self, db: str | None) -> pymysql.connections.Connection:
        """Open a PyMySQL connection as root over the socket: charset utf8 (as SACoche), autocommit on."""
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            password="",
            database=db,
            charset="utf8",
            autocommit=True,
            connect_timeout=5,
        )

    def url(self, db: str) -> str:
        """Connection URL: ``mysql://root@localhost/DB?unix_socket=/path/to/mysql.sock``."""
        socket = urllib.parse.quote(str(self.socket), safe="/")
        return f"mysql://root@localhost/{urllib.parse.quote(db, safe='')}?unix_socket={socket}"

    def client_command(self, db: str | None, *extra_args: str) -> list[str]:
        """The ``mariadb`` client command line used by :meth:`execute_file`."""
        command = [
            self.binaries["mariadb"],
            "--no-defaults",
            f"--socket={self.socket}",
            "-u",
            "root",
            "--default-character-set=utf8",
            *extra_args,
        ]
        if db is not None:
            command.append(db)
        return command

    def execute_file(
        self,
        db: str | None,
        path_or_sql_text: str | os.PathLike[str],
        *extra_args: str,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run SQL through the ``mariadb`` client like ``mariadb … DB < file``; never raises on SQL errors.

        ``path_or_sql_text`` is a file if it is a path object, or a one-line string naming an existing
        file; any other string is SQL text fed on stdin. The client stops at the first failing statement
        (no ``--force``) and exits non-zero. Returns the CompletedProcess (text stdout/stderr).
        """
        if isinstance(path_or_sql_text, os.PathLike) or (
            "\n" not in path_or_sql_text and ";" not in path_or_sql_text and Path(path_or_sql_text).is_file()
        ):
            sql_bytes = Path(path_or_sql_text).read_bytes()
        else:
            sql_bytes = str(path_or_sql_text).encode("utf-8")
        completed = subprocess.run(
            self.client_command(db, *extra_args),
            input=sql_bytes,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            completed.args,
            completed.returncode,
            completed.stdout.decode("utf-8", errors="replace"),
            completed.stderr.decode("utf-8", errors="replace"),
        )

    def load_sacoche_schema(self, db: str) -> subprocess.CompletedProcess[str]:
        """Load ``engine/sacoche_schema/mysql.sql`` into ``db`` through the client; raises if it fails."""
        result = self.execute_file(db, schema_sql("mysql"))
        if result.returncode != 0:
            raise RuntimeError(f"loading the SACoche schema into {db!r} failed:\n{result.stderr}")
        return result


@dataclass(frozen=True)
class SacocheDatabase:
    """A database on a :class:`MariaDBServer` (what the ``sacoche_mysql`` fixture yields)."""

    server: MariaDBServer
    name: str

    @property
    def url(self) -> str:
        """Connection URL, see :meth:`MariaDBServer.url`."""
        return self.server.url(self.name)

    def connect(self) -> pymysql.connections.Connection:
        """New PyMySQL connection to this database."""
        return self.server.connect(self.name)

    def execute_file(
        self, path_or_sql_text: str | os.PathLike[str], *extra_args: str
    ) -> subprocess.CompletedProcess[str]:
        """Run SQL through the ``mariadb`` client on this database (never raises on SQL errors)."""
        return self.server.execute_file(self.name, path_or_sql_text, *extra_args)

    def query(self, sql: str, args: object = None) -> list[tuple[object, ...]]:
        """Run one statement with PyMySQL and return all rows."""
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def use_2016_widths(self) -> None:
        """Narrow the columns back to SACoche's pre-2017-10-10 widths, as an older base still has them:
        user_nom / user_prenom VARCHAR(25), user_login VARCHAR(30), user_email VARCHAR(63),
        user_profil_login_modele VARCHAR(20)."""
        self.query(
            "ALTER TABLE sacoche_user"
            " MODIFY user_nom VARCHAR(25) COLLATE utf8_unicode_ci NOT NULL DEFAULT '',"
            " MODIFY user_prenom VARCHAR(25) COLLATE utf8_unicode_ci NOT NULL DEFAULT '',"
            " MODIFY user_email VARCHAR(63) COLLATE utf8_unicode_ci NOT NULL DEFAULT '',"
            " MODIFY user_login VARCHAR(30) COLLATE utf8_unicode_ci NOT NULL DEFAULT ''"
        )
        self.query(
            "ALTER TABLE sacoche_user_profil MODIFY user_profil_login_modele VARCHAR(20)"
            " COLLATE utf8_unicode_ci NOT NULL DEFAULT 'ppp.nnnnnnnn'"
        )


def _quote_identifier(name: str) -> str:
    if not name or len(name) > 64 or "\x00" in name:
        raise ValueError(f"invalid database name {name!r}")
    return "`" + name.replace("`", "``") + "`"
