"""Read the current SACoche state (read-only): pupils, logins, classes, groups, memberships, niveaux.

``--db`` URLs: ``sqlite:///path/to/file.db`` (embedded demo and fast tests) and
``mysql://user:password@host:port/dbname`` (``?unix_socket=/path`` for a local socket). Only the tables
of the target sheet are read, through a read-only connection; rows are pulled with petl from the DB-API
connection. The state carries a fingerprint (row counts and a checksum of the columns read) so a plan can
tell, later, whether the database is still the one it was computed from.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from urllib.request import pathname2url

import petl

from engine.errors import OndeError

ACTIVE = "9999-12-31"

#: table → columns read, in the order the fingerprint hashes them
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "sacoche_user": (
        "user_id",
        "user_profil_sigle",
        "user_reference",
        "user_genre",
        "user_nom",
        "user_prenom",
        "user_naissance_date",
        "user_email",
        "user_email_origine",
        "user_login",
        "user_sortie_date",
        "eleve_classe_id",
        "user_sconet_id",
        "user_sconet_elenoet",
    ),
    "sacoche_groupe": ("groupe_id", "groupe_type", "groupe_ref", "groupe_nom", "niveau_id"),
    "sacoche_jointure_user_groupe": ("user_id", "groupe_id"),
    "sacoche_niveau": ("niveau_id", "niveau_ref", "niveau_nom", "niveau_actif"),
    "sacoche_user_profil": (
        "user_profil_sigle",
        "user_profil_login_modele",
        "user_profil_mdp_longueur_mini",
        "user_profil_mdp_date_naissance",
    ),
}
ORDER_BY = {
    "sacoche_user": "user_id",
    "sacoche_groupe": "groupe_id",
    "sacoche_jointure_user_groupe": "user_id, groupe_id",
    "sacoche_niveau": "niveau_id",
    "sacoche_user_profil": "user_profil_sigle",
}


@dataclass(frozen=True, slots=True)
class Account:
    """A SACoche pupil account (profile ELV), as read."""

    user_id: int
    ine: str
    nom: str
    prenom: str
    naissance: str  # yyyy-mm-dd or ""
    genre: str
    email: str
    email_origine: str
    login: str
    sortie_date: str
    classe_id: int
    sconet_id: int = 0
    sconet_elenoet: int = 0

    @property
    def active(self) -> bool:
        return self.sortie_date == ACTIVE


@dataclass(frozen=True, slots=True)
class Group:
    """A row of sacoche_groupe: a class (type 'classe') or a group (type 'groupe', …)."""

    groupe_id: int
    type: str
    ref: str
    nom: str
    niveau_id: int


@dataclass(frozen=True, slots=True)
class Niveau:
    niveau_id: int
    ref: str
    nom: str
    actif: bool


@dataclass(frozen=True, slots=True)
class LoginProfile:
    """The ELV profile's settings for new accounts."""

    model: str = "ppp.nnnnnnnn"
    password_min_length: int = 6
    password_is_birth_date: bool = False


@dataclass(frozen=True, slots=True)
class State:
    """What the plan needs of the database, and the fingerprint of what was read."""

    url: str
    dialect: str
    accounts: tuple[Account, ...]
    taken_logins: frozenset[str]
    groups: tuple[Group, ...]
    memberships: frozenset[tuple[int, int]]
    niveaux: tuple[Niveau, ...]
    profile: LoginProfile
    fingerprint: Mapping[str, Any]

    def group_by_id(self) -> dict[int, Group]:
        return {g.groupe_id: g for g in self.groups}


def redact_url(url: str) -> str:
    """The URL without its password, for plan files and messages."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL."""
    if not url.startswith("sqlite:///"):
        raise OndeError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path", file=url)
    return Path(unquote(url[len("sqlite:///") :].split("?", 1)[0]))


@contextmanager
def connect(url: str) -> Iterator[tuple[Any, str]]:
    """A read-only DB-API connection for a ``--db`` URL, and its dialect ('sqlite' or 'mysql')."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = sqlite_path(url)
        if not path.is_file():
            raise OndeError(
                "no such SQLite database", file=path, hint="check the path in --db sqlite:///PATH"
            )
        conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True)
        try:
            yield conn, "sqlite"
        finally:
            conn.close()
        return
    if parsed.scheme in {"mysql", "mariadb"}:
        import pymysql

        query = parse_qs(parsed.query)
        options: dict[str, Any] = {
            "user": unquote(parsed.username or "root"),
            "password": unquote(parsed.password or ""),
            "database": parsed.path.lstrip("/"),
            "charset": "utf8",
        }
        if "unix_socket" in query:
            options["unix_socket"] = query["unix_socket"][0]
        else:
            options["host"] = parsed.hostname or "localhost"
            options["port"] = parsed.port or 3306
        try:
            conn = pymysql.connect(**options)
        except pymysql.MySQLError as exc:
            raise OndeError(
                f"cannot connect to MySQL/MariaDB ({exc.args[0] if exc.args else exc})",
                file=redact_url(url),
                hint="check user, password, host/socket and database name in --db",
            ) from exc
        try:
            with conn.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
            yield conn, "mysql"
        finally:
            conn.close()
        return
    raise OndeError(
        f"unsupported database URL scheme '{parsed.scheme}'",
        file=redact_url(url),
        hint="use sqlite:///path/to/file.db or mysql://user:password@host:port/dbname",
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _read_table(conn: Any, table: str) -> list[tuple[Any, ...]]:
    columns = READ_COLUMNS[table]
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {ORDER_BY[table]}"
    try:
        return [tuple(row) for row in petl.data(petl.fromdb(conn, sql))]
    except Exception as exc:  # driver-specific error classes
        raise OndeError(
            f"cannot read table {table}: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc


def fingerprint_of(tables: Mapping[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Per-table row counts and a SHA-256 of the columns read, dialect-independent."""
    result: dict[str, Any] = {}
    for table, rows in tables.items():
        digest = hashlib.sha256()
        for row in rows:
            digest.update("\x1f".join(_text(v) for v in row).encode("utf-8") + b"\x1e")
        result[table] = {"rows": len(rows), "sha256": digest.hexdigest()}
    return result


def read_state(url: str) -> State:
    """Read every table the plan needs; nothing is written."""
    with connect(url) as (conn, dialect):
        tables = {table: _read_table(conn, table) for table in READ_COLUMNS}
    accounts = []
    logins = set()
    for row in tables["sacoche_user"]:
        (
            user_id,
            profil,
            ine,
            genre,
            nom,
            prenom,
            naissance,
            email,
            email_origine,
            login,
            sortie,
            classe_id,
            sconet_id,
            elenoet,
        ) = row
        if login:
            logins.add(_text(login).lower())
        if profil != "ELV":
            continue
        accounts.append(
            Account(
                user_id=int(user_id),
                ine=_text(ine).strip().upper(),
                nom=_text(nom),
                prenom=_text(prenom),
                naissance=_text(naissance),
                genre=_text(genre) or "I",
                email=_text(email),
                email_origine=_text(email_origine),
                login=_text(login),
                sortie_date=_text(sortie) or ACTIVE,
                classe_id=int(classe_id or 0),
                sconet_id=int(sconet_id or 0),
                sconet_elenoet=int(elenoet or 0),
            )
        )
    groups = tuple(
        Group(int(gid), _text(gtype), _text(ref), _text(nom), int(niveau or 0))
        for gid, gtype, ref, nom, niveau in tables["sacoche_groupe"]
    )
    niveaux = tuple(
        Niveau(int(nid), _text(ref), _text(nom), bool(actif))
        for nid, ref, nom, actif in tables["sacoche_niveau"]
    )
    profile = LoginProfile()
    for sigle, model, min_length, birth in tables["sacoche_user_profil"]:
        if sigle == "ELV":
            profile = LoginProfile(_text(model) or profile.model, int(min_length or 6), bool(int(birth or 0)))
    pupil_ids = {a.user_id for a in accounts}
    memberships = frozenset(
        (int(uid), int(gid)) for uid, gid in tables["sacoche_jointure_user_groupe"] if int(uid) in pupil_ids
    )
    return State(
        url=redact_url(url),
        dialect=dialect,
        accounts=tuple(accounts),
        taken_logins=frozenset(logins),
        groups=groups,
        memberships=memberships,
        niveaux=niveaux,
        profile=profile,
        fingerprint=fingerprint_of(tables),
    )
