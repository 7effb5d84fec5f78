"""``--db`` URLs, parsed once, and the connection settings they stand for; a password never leaves here.

Accepted forms::

    sqlite:///relative/path.db            sqlite:////absolute/path.db
    mysql://USER:PASSWORD@HOST:PORT/DB    (mariadb:// is the same)
    mysql://USER@HOST/DB                  password from ONDE_SACOCHE_DB_PASSWORD
    mysql://USER@HOST/DB?password_env=NAME               password from the environment variable NAME
    mysql:///DB?option_file=/home/me/.my.cnf             user, password, host, port, socket from its [client]
    mysql://USER@localhost/DB?unix_socket=/run/mysqld/mysqld.sock

Special characters of a password in the URL should be percent-encoded (``/`` %2F, ``#`` %23, ``?`` %3F,
``@`` %40, ``:`` %3A, ``%`` %25), as in any URL. Raw ``/``, ``#``, ``?``, ``@`` and ``:`` are read too: the
host part is the last ``@…`` after which the URL still reads ``HOST[:PORT]/DB[?QUERY]``. Only a raw ``%``
followed by two hex digits is ambiguous (it is decoded): write it ``%25``.

Where a password comes from, first found: the URL, the variable named by ``password_env``, the variable
``ONDE_SACOCHE_DB_PASSWORD``, the option file (read as PyMySQL and the ``mariadb`` client read it).
:attr:`DbUrl.public` is the URL without any password, the only form ever printed or stored (plan.json,
batch summaries, messages); ``repr`` of a :class:`DbUrl` never shows the password either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from engine.errors import OndeError

PASSWORD_ENV = "ONDE_SACOCHE_DB_PASSWORD"
SCHEMES = {"sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql"}
QUERY_KEYS = ("unix_socket", "option_file", "password_env")
URL_HINT = "use sqlite:///path/to/file.db or mysql://user@host:port/dbname (see README, « Base de données »)"
ENCODE_HINT = (
    "percent-encode the password's special characters (/ %2F, # %23, ? %3F, @ %40, : %3A, % %25), or "
    f"leave it out of the URL and set {PASSWORD_ENV} (or ?option_file=PATH)"
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)
#: what follows the credentials: HOST[:PORT] (or [IPv6]), then /DB, then ?QUERY; no '@' in host or db
_AFTER_AT = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]*\]|[^@/?#\[\]:]*)(?::(?P<port>[^@/?#]*))?(?:/(?P<db>[^@/?#]*))?(?:\?(?P<query>.*))?"
)


@dataclass(frozen=True, slots=True)
class DbUrl:
    """A parsed ``--db`` URL. ``password`` is None when the URL has none (see :meth:`resolved`)."""

    dialect: str  # 'sqlite' or 'mysql'
    scheme: str = ""
    path: Path | None = None  # SQLite file
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str = ""
    unix_socket: str | None = None
    option_file: str | None = None
    password_env: str | None = None
    password_source: str = "none"  # url, env:NAME, option file, none
    written: str = ""  # the public form of the URL as given (kept by resolved())

    @property
    def public(self) -> str:
        """The URL as written, without its password: what plan.json, summaries and messages show."""
        if self.written:
            return self.written
        user = quote(self.user, safe="") + "@" if self.user else ""
        host = self.host or ""
        port = f":{self.port}" if self.port else ""
        query = "&".join(
            f"{key}={value}"
            for key, value in (
                ("unix_socket", self.unix_socket),
                ("option_file", self.option_file),
                ("password_env", self.password_env),
            )
            if value
        )
        return f"{self.scheme}://{user}{host}{port}/{self.database}" + (f"?{query}" if query else "")

    @property
    def where(self) -> str:
        """The server, for messages: ``host:port`` or ``socket PATH``."""
        if self.unix_socket:
            return f"socket {self.unix_socket}"
        return f"{self.host or 'localhost'}:{self.port or 3306}"

    def resolved(self, environ: dict[str, str] | None = None) -> DbUrl:
        """The same URL with the password (and user, host, port, socket left out of the URL) filled in
        from the environment or the option file; :class:`OndeError` when an option file is unusable."""
        if self.dialect != "mysql":
            return self
        environ = dict(os.environ) if environ is None else environ
        values = {"user": self.user, "host": self.host, "port": self.port, "unix_socket": self.unix_socket}
        password, source = self.password, "url" if self.password is not None else "none"
        if password is None and self.password_env:
            if self.password_env not in environ:
                raise OndeError(
                    f"the environment variable {self.password_env} (named by password_env) is not set",
                    file=self.public,
                    hint=f"export {self.password_env}=… before running, or remove password_env from the URL",
                )
            password, source = environ[self.password_env], f"env:{self.password_env}"
        if password is None and environ.get(PASSWORD_ENV) is not None:
            password, source = environ[PASSWORD_ENV], f"env:{PASSWORD_ENV}"
        if self.option_file:
            config = _read_option_file(self.option_file, self.public)
            if password is None and config.get("password") is not None:
                password, source = config["password"], "option file"
            values["user"] = values["user"] or config.get("user")
            values["host"] = values["host"] or config.get("host")
            values["unix_socket"] = values["unix_socket"] or config.get("socket")
            if not values["port"] and config.get("port"):
                try:
                    values["port"] = int(config["port"])
                except ValueError:
                    raise OndeError("the option file's port is not a number", file=self.option_file) from None
        return replace(self, password=password, password_source=source, **values)


def _read_option_file(path_text: str, public: str) -> dict[str, str | None]:
    """The ``[client]`` group of a MySQL option file, as PyMySQL reads it (quotes removed)."""
    from pymysql.optionfile import Parser

    path = Path(os.path.expanduser(path_text))
    if not path.is_file():
        raise OndeError("no such MySQL option file", file=path, hint=f"check option_file= in --db {public}")
    parser = Parser()
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise OndeError(f"cannot read the MySQL option file ({type(exc).__name__})", file=path) from None
    except Exception:  # configparser's errors quote the offending line: it may hold the password
        raise OndeError(
            "the MySQL option file is not in the [client] / key=value format",
            file=path,
            hint="write it as:  [client]  user=…  password=…  host=…",
        ) from None
    if not parser.has_section("client"):
        raise OndeError("the MySQL option file has no [client] group", file=path)
    return {
        key: parser.get("client", key)
        for key in ("user", "password", "host", "port", "socket")
        if parser.has_option("client", key)
    }


def _shown(text: str) -> str:
    """An unparsed URL for a message: its scheme only when it may hold credentials."""
    found = _SCHEME.match(text)
    if not found:
        return "--db" if "@" in text or ":" in text else text
    return text if "@" not in found.group(2) else f"{found.group(1)}://…"


def parse_url(text: str) -> DbUrl:
    """Parse a ``--db`` URL; :class:`OndeError` (never showing a password) when it cannot be used."""
    text = text.strip()
    found = _SCHEME.match(text)
    if not found:
        if "@" in text:
            raise OndeError(
                "this --db looks like a MySQL address without its scheme",
                file="--db",
                hint="write it mysql://user@host/dbname (password in " + PASSWORD_ENV + ")",
            )
        raise OndeError(
            "a database URL starts with sqlite:/// or mysql://",
            file=_shown(text) or "--db",
            hint=f"for a SQLite file, write --db sqlite:///{text}"
            + (" (four slashes before an absolute path)" if text.startswith("/") else ""),
        )
    scheme, rest = found.group(1).lower(), found.group(2)
    dialect = SCHEMES.get(scheme)
    if dialect is None:
        raise OndeError(f"unsupported database URL scheme '{scheme}'", file=_shown(text), hint=URL_HINT)
    if dialect == "sqlite":
        return _parse_sqlite(text, rest)
    return _parse_mysql(scheme, rest, text)


def _parse_sqlite(text: str, rest: str) -> DbUrl:
    if not rest.startswith("/") or len(rest) < 2:
        raise OndeError(
            "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path",
            file=text,
            hint="three slashes before a relative path, four before an absolute one",
        )
    return DbUrl("sqlite", "sqlite", path=Path(unquote(rest[1:].split("?", 1)[0])), written=text)


def _parse_mysql(scheme: str, rest: str, text: str) -> DbUrl:
    userinfo, after = None, None
    if "@" not in rest:
        after = _AFTER_AT.fullmatch(rest)
    else:  # the first '@' after which the rest reads HOST[:PORT]/DB[?QUERY]: raw '@' in a password work
        for at in (m.start() for m in re.finditer("@", rest)):
            after = _AFTER_AT.fullmatch(rest, at + 1)
            if after:
                userinfo = rest[:at]
                break
    if after is None:
        raise OndeError("cannot read this MySQL URL", file=_shown(text), hint=ENCODE_HINT)
    user = password = None
    shown = text
    if userinfo is not None:
        name, colon, secret = userinfo.partition(":")
        user = unquote(name) or None
        password = unquote(secret) if colon else None
        shown = f"{scheme}://{name}@{rest[len(userinfo) + 1 :]}"  # the URL, its password left out
    port_text = after.group("port")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise OndeError(
                "the port of this MySQL URL is not a number",
                file=shown,
                hint="write HOST:PORT, e.g. localhost:3306; " + ENCODE_HINT,
            )
        port = int(port_text)
    query: dict[str, str] = {}
    for key, value in parse_qsl(after.group("query") or "", keep_blank_values=True):
        if key not in QUERY_KEYS:
            raise OndeError(
                f"unknown option '{key}' in the MySQL URL",
                file=shown,
                hint=f"use {', '.join(QUERY_KEYS)}; " + ENCODE_HINT,
            )
        query[key] = value
    database = unquote(after.group("db") or "")
    if not database:
        raise OndeError(
            "the MySQL URL names no database",
            file=shown,
            hint="end it with /DBNAME (SACoche's database, e.g. mysql://user@localhost/sacoche)",
        )
    host = unquote(after.group("host") or "") or None
    db = DbUrl(
        "mysql",
        scheme,
        user=user,
        password=password,
        host=host,
        port=port,
        database=database,
        unix_socket=query.get("unix_socket") or None,
        option_file=query.get("option_file") or None,
        password_env=query.get("password_env") or None,
        password_source="url" if password is not None else "none",
    )
    return replace(db, written=db.public)


def public_url(text: str) -> str:
    """``text`` without any password, even when it cannot be parsed (for messages and stored files)."""
    try:
        return parse_url(text).public
    except OndeError:
        return _shown(text)


def connect_mysql(db: DbUrl) -> object:
    """A PyMySQL connection for a resolved URL; :class:`OndeError` saying which server and the likely
    cause (the password is neither shown nor chained: PyMySQL's messages never hold it)."""
    import pymysql

    options: dict[str, object] = {
        "user": db.user or "root",
        "password": db.password or "",
        "database": db.database,
        "charset": "utf8",
        "connect_timeout": 10,
    }
    if db.unix_socket:
        options["unix_socket"] = db.unix_socket
        # a local socket needs no TLS: PyMySQL would else build a default SSL context (its CA paths read,
        # ~25 ms a connection, three a plan) and wrap the socket whenever the server offers TLS
        options["ssl_disabled"] = True
    else:
        options["host"] = (db.host or "localhost").strip("[]")  # [::1] in a URL, ::1 for the driver
        options["port"] = db.port or 3306
    try:
        return pymysql.connect(**options)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        raise explain_mysql_error(code, str(exc.args[1]) if len(exc.args) > 1 else str(exc), db) from None


def explain_mysql_error(code: int | None, text: str, db: DbUrl) -> OndeError:
    """The message for a failed connection: server, user, and what to check."""
    user = db.user or "root"
    given = {
        "none": "no password was given",
        "url": "password from the URL",
        "option file": f"password from {db.option_file}",
    }.get(db.password_source, f"password from ${db.password_source.removeprefix('env:')}")
    if code in (1045, 1698):
        return OndeError(
            f"MySQL/MariaDB at {db.where} refused user '{user}' ({given})",
            file=db.public,
            hint="check the user name and the password; "
            + (
                f"give the password in {PASSWORD_ENV} or ?option_file=PATH"
                if db.password_source == "none"
                else "special characters in a password in the URL: " + ENCODE_HINT
            ),
        )
    if code == 1044:
        return OndeError(
            f"user '{user}' may not open the database '{db.database}' at {db.where} (no such database, "
            "or no right on it)",
            file=db.public,
            hint="check the name after the last / of --db; if it is right, the DBA grants it: "
            f"GRANT SELECT ON `{db.database}`.* TO '{user}'@…",
        )
    if code == 1049:
        return OndeError(
            f"no database '{db.database}' at {db.where}",
            file=db.public,
            hint="check the name after the last / of --db (SACoche's database, see its config file)",
        )
    if code in (2002, 2003, 2005, 2006, 2013):
        reason = re.search(r"\(([^()]*)\)\s*$", text)
        detail = f" ({reason.group(1)})" if reason else ""
        where = f"the socket {db.unix_socket}" if db.unix_socket else db.where
        return OndeError(
            f"cannot reach a MySQL/MariaDB server at {where}{detail}",
            file=db.public,
            hint="is the server running? "
            + (
                "check the socket path (?unix_socket=/run/mysqld/mysqld.sock on Debian)"
                if db.unix_socket
                else "check the host and port, or connect through the local socket with ?unix_socket=PATH"
            ),
        )
    return OndeError(
        f"cannot connect to MySQL/MariaDB at {db.where} (error {code}: {text})",
        file=db.public,
        hint="check the user, password, host/socket and database name in --db",
    )
