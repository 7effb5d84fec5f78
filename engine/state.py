"""Read the current SACoche state (read-only): pupils, logins, classes, groups, memberships, niveaux,
and parents (profile TUT) with their links to children and their addresses.

``--db`` URLs: ``sqlite:///path/to/file.db`` (embedded demo and fast tests) and
``mysql://user:password@host:port/dbname`` (``?unix_socket=/path`` for a local socket; the password may
come from the environment or an option file instead: see engine.dburl). Only the tables
of the target sheet are read, through a read-only connection; rows are streamed from a DB-API
cursor. The state carries a fingerprint (row counts and a checksum of the columns read) so a plan can
tell, later, whether the database is still the one it was computed from.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.archive import OBJET as ARCHIVE_OBJET
from engine.archive import Archive, read_archive
from engine.connection import connect, redact_url
from engine.errors import OndeError
from engine.widths import DEFAULT_WIDTHS, read_widths

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
#: the parents' tables (profile TUT accounts are rows of sacoche_user): read into the state and its
#: fingerprint always, guarded by apply.sql's read set only in a plan that plans parents (engine.readset)
PARENT_READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "sacoche_jointure_parent_eleve": ("parent_id", "eleve_id", "resp_legal_num"),
    "sacoche_parent_adresse": (
        "parent_id",
        "adresse_ligne1",
        "adresse_ligne2",
        "adresse_ligne3",
        "adresse_ligne4",
        "adresse_postal_code",
        "adresse_postal_libelle",
        "adresse_pays_nom",
    ),
}
#: the address columns of sacoche_parent_adresse, in the order of :attr:`State.parent_addresses` values
ADDRESS_COLUMNS: tuple[str, ...] = PARENT_READ_COLUMNS["sacoche_parent_adresse"][1:]
#: every table read, in reading order
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {**READ_COLUMNS, **PARENT_READ_COLUMNS}
ORDER_BY = {
    "sacoche_user": "user_id",
    "sacoche_groupe": "groupe_id",
    "sacoche_jointure_user_groupe": "user_id, groupe_id",
    "sacoche_niveau": "niveau_id",
    "sacoche_user_profil": "user_profil_sigle",
    "sacoche_jointure_parent_eleve": "parent_id, eleve_id",
    "sacoche_parent_adresse": "parent_id",
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
class ParentAccount:
    """A SACoche parent account (profile TUT), as read."""

    user_id: int
    nom: str
    prenom: str
    genre: str
    email: str
    email_origine: str
    login: str
    sortie_date: str

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
    """A row of sacoche_niveau."""

    niveau_id: int
    ref: str
    nom: str
    actif: bool


@dataclass(frozen=True, slots=True)
class LoginProfile:
    """A profile's settings for new accounts (ELV for pupils, TUT for parents)."""

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
    #: SACoche's archive of the previous ONDE import (row 'Onde' of sacoche_siecle_import); None when the
    #: base has no such table (exists=False when it has no such row)
    archive: Archive | None = None
    #: column widths read from the database (engine.widths.COLUMNS), defaults where unreadable
    widths: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WIDTHS))
    #: parent accounts (profile TUT), current and former
    parents: tuple[ParentAccount, ...] = ()
    #: (parent_id, eleve_id) → resp_legal_num, every row of sacoche_jointure_parent_eleve
    parent_links: Mapping[tuple[int, int], int] = field(default_factory=dict)
    #: parent_id → the address columns (ADDRESS_COLUMNS order), every row of sacoche_parent_adresse
    parent_addresses: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: the TUT profile's settings for new parent accounts
    parent_profile: LoginProfile = field(default_factory=LoginProfile)

    def group_by_id(self) -> dict[int, Group]:
        return {g.groupe_id: g for g in self.groups}


def _text(value: Any) -> str:
    if type(value) is str:  # nearly always: checked first (a million accounts, a dozen columns each)
        return value
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


#: rows fetched (and hashed) at a time: the user table is streamed, never held whole in memory
_FETCH = 20_000


def _iter_table(conn: Any, dialect: str, table: str) -> Iterator[tuple[Any, ...]]:
    """The rows of one table, in ORDER_BY order, streamed from the cursor (MySQL: unbuffered cursor)."""
    columns = TABLE_COLUMNS[table]
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {ORDER_BY[table]}"

    def cursor() -> Any:
        if dialect == "mysql":
            import pymysql.cursors

            return conn.cursor(pymysql.cursors.SSCursor)
        return conn.cursor()

    try:
        cur = cursor()
        try:
            cur.execute(sql)
            yield from cur  # rows as the driver gives them (what petl.fromdb yielded; petl costs ~12 ms)
        finally:
            cur.close()
    except Exception as exc:  # driver-specific error classes
        raise OndeError(
            f"cannot read table {table}: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc


def _read_widths(conn: Any, dialect: str) -> dict[str, int]:
    """The column widths (engine.widths), read before the tables are streamed."""
    try:
        return read_widths(conn, dialect)
    except Exception as exc:  # driver-specific error classes
        raise OndeError(
            f"cannot read the column widths: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc


class _Fingerprint:
    """Row count and SHA-256 of one table's columns read, dialect-independent, fed row by row."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.pending: list[str] = []
        self.rows = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.pending.append("\x1f".join([v if type(v) is str else _text(v) for v in row]))
        self.rows += 1
        if len(self.pending) >= _FETCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.digest.update(("\x1e".join(self.pending) + "\x1e").encode("utf-8"))
            self.pending = []

    def result(self) -> dict[str, Any]:
        self._flush()
        return {"rows": self.rows, "sha256": self.digest.hexdigest()}


def read_state(url: str) -> State:
    """Read every table the plan needs; nothing is written.

    The user table is streamed: each row is hashed into the fingerprint and turned into an Account as it
    comes, so memory holds the accounts only (not the raw table beside them); values many accounts share
    (names, birth dates, sortie dates) are kept once. The cyclic GC is paused meanwhile (millions of
    acyclic objects would make every collection walk them all).
    """
    fingerprint: dict[str, Any] = {}
    small: dict[str, list[tuple[Any, ...]]] = {}
    accounts: list[Account] = []
    logins: set[str] = set()
    parents: list[ParentAccount] = []
    shared: dict[str, str] = {}
    one = shared.setdefault
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with connect(url) as (conn, dialect):
            widths = _read_widths(conn, dialect)
            for table in TABLE_COLUMNS:
                table_print = _Fingerprint()
                if table != "sacoche_user":
                    rows = []
                    for row in _iter_table(conn, dialect, table):
                        table_print.add(row)
                        rows.append(row)
                    small[table] = rows
                    fingerprint[table] = table_print.result()
                    continue
                for row in _iter_table(conn, dialect, table):
                    table_print.add(row)
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
                    login = _text(login)
                    if login:
                        folded = login.lower()
                        logins.add(login if folded == login else folded)  # one string, not two, per account
                    if profil == "TUT":
                        parents.append(_parent_account(row, login))
                    if profil != "ELV":
                        continue
                    nom, prenom, naissance = _text(nom), _text(prenom), _text(naissance)
                    genre, sortie = _text(genre) or "I", _text(sortie) or ACTIVE
                    accounts.append(
                        Account(
                            user_id=int(user_id),
                            ine=_text(ine).strip().upper(),
                            nom=one(nom, nom),
                            prenom=one(prenom, prenom),
                            naissance=one(naissance, naissance),
                            genre=one(genre, genre),
                            email=_text(email),
                            email_origine=_text(email_origine),
                            login=login,
                            sortie_date=one(sortie, sortie),
                            classe_id=int(classe_id or 0),
                            sconet_id=int(sconet_id or 0),
                            sconet_elenoet=int(elenoet or 0),
                        )
                    )
                fingerprint[table] = table_print.result()
            archive = read_archive(conn, ARCHIVE_OBJET)
    finally:
        if gc_was_enabled:
            gc.enable()
    groups = tuple(
        Group(int(gid), _text(gtype), _text(ref), _text(nom), int(niveau or 0))
        for gid, gtype, ref, nom, niveau in small["sacoche_groupe"]
    )
    niveaux = tuple(
        Niveau(int(nid), _text(ref), _text(nom), bool(actif))
        for nid, ref, nom, actif in small["sacoche_niveau"]
    )
    profile = parent_profile = LoginProfile()
    for sigle, model, min_length, birth in small["sacoche_user_profil"]:
        if sigle in ("ELV", "TUT"):
            found = LoginProfile(_text(model) or profile.model, int(min_length or 6), bool(int(birth or 0)))
            if sigle == "ELV":
                profile = found
            else:
                parent_profile = found
    pupil_ids = {a.user_id for a in accounts}
    memberships = frozenset(
        (int(uid), int(gid)) for uid, gid in small["sacoche_jointure_user_groupe"] if int(uid) in pupil_ids
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
        fingerprint=fingerprint,
        archive=archive,
        widths=widths,
        parents=tuple(parents),
        parent_links={
            (int(pid), int(eid)): int(num or 0) for pid, eid, num in small["sacoche_jointure_parent_eleve"]
        },
        parent_addresses={
            int(row[0]): tuple(_text(v) for v in row[1:]) for row in small["sacoche_parent_adresse"]
        },
        parent_profile=parent_profile,
    )


def _parent_account(row: tuple[Any, ...], login: str) -> ParentAccount:
    """A TUT row of sacoche_user (READ_COLUMNS order) as a :class:`ParentAccount`."""
    user_id, _profil, _ine, genre, nom, prenom, _naissance, email, email_origine = row[:9]
    sortie = row[10]
    return ParentAccount(
        user_id=int(user_id),
        nom=_text(nom),
        prenom=_text(prenom),
        genre=_text(genre) or "I",
        email=_text(email),
        email_origine=_text(email_origine),
        login=login,
        sortie_date=_text(sortie) or ACTIVE,
    )
