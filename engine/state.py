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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, repeat
from operator import eq, not_
from typing import Any

from engine.archive import OBJET as ARCHIVE_OBJET
from engine.archive import Archive, read_archive
from engine.connection import connect, redact_url
from engine.errors import OndeError
from engine.read.normalise import paused_gc
from engine.read.records import instances
from engine.state_rows import Fingerprint, read_rows
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
#: MySQL reads a table in chunks of rows by this integer column (engine.state_rows); "" in one chunk
CHUNK_BY = {
    table: "" if table == "sacoche_user_profil" else order.split(",")[0] for table, order in ORDER_BY.items()
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


def _read_widths(conn: Any, dialect: str) -> dict[str, int]:
    """The column widths (engine.widths), read before the tables are streamed."""
    try:
        return read_widths(conn, dialect)
    except Exception as exc:  # driver-specific error classes
        raise OndeError(
            f"cannot read the column widths: {exc}",
            hint="is this a SACoche database? the tables of the target sheet must exist",
        ) from exc


class _Table:
    """A small table's rows, as text, and its fingerprint."""

    def __init__(self, width: int) -> None:
        self.print = Fingerprint()
        self.width = width
        self.values: list[str] = []

    def add_rows(self, lines: str, values: list[str]) -> None:
        self.print.add_rows(lines, len(values) // self.width)
        self.values += values

    def rows(self) -> Iterator[tuple[str, ...]]:
        """The rows' values, a tuple per row."""
        return zip(*[iter(self.values)] * self.width, strict=True)


class _Users:
    """sacoche_user's rows → pupil accounts (ELV), parent accounts (TUT), every login (lower-cased);
    values many accounts share (names, birth dates, sortie dates) are kept once."""

    def __init__(self) -> None:
        self.print = Fingerprint()
        self.accounts: list[Account] = []
        self.parents: list[ParentAccount] = []
        self.logins: set[str] = set()
        self.shared: dict[str, str] = {}

    def add_rows(self, lines: str, values: list[str]) -> None:
        """A batch of rows, read a column at a time (a call per row and field was most of the time)."""
        width = len(READ_COLUMNS["sacoche_user"])
        self.print.add_rows(lines, len(values) // width)
        columns = [values[at::width] for at in range(width)]
        logins = columns[_LOGIN]
        folded = list(map(str.lower, logins))
        same = list(map(eq, folded, logins))
        self.logins.update(filter(None, compress(logins, same)))  # one string, not two, per account
        self.logins.update(compress(folded, map(not_, same)))
        profils = columns[1]
        for sigle, made, found in (("ELV", self._accounts, self.accounts), ("TUT", _parents, self.parents)):
            picked = list(map(eq, profils, repeat(sigle)))
            if all(picked):
                found += made(columns)
            elif any(picked):
                found += made([list(compress(column, picked)) for column in columns])

    def _accounts(self, columns: list[list[str]]) -> list[Account]:
        """The ELV rows' accounts (columns in READ_COLUMNS order)."""
        user_id, _, ine, genre, nom, prenom, naissance, email, origine, login, sortie, *numbers = columns
        one = self.shared.setdefault
        return instances(
            Account,
            len(user_id),
            {
                "user_id": list(map(int, user_id)),
                "ine": list(map(str.upper, map(str.strip, ine))),
                "nom": list(map(one, nom, nom)),
                "prenom": list(map(one, prenom, prenom)),
                "naissance": list(map(one, naissance, naissance)),
                "genre": list(map(one, *[_or(genre, "I")] * 2)),
                "email": email,
                "email_origine": origine,
                "login": login,
                "sortie_date": list(map(one, *[_or(sortie, ACTIVE)] * 2)),
                **{name: _numbers(column) for name, column in zip(_NUMBERS, numbers, strict=True)},
            },
        )


#: sacoche_user's login column, and Account's integer fields read from the last columns
_LOGIN = READ_COLUMNS["sacoche_user"].index("user_login")
_NUMBERS = ("classe_id", "sconet_id", "sconet_elenoet")


def _or(column: list[str], default: str) -> list[str]:
    """``value or default`` for each value of a column."""
    return list(map({"": default}.get, column, column))


def _numbers(column: list[str]) -> list[int]:
    """``int(value or 0)`` for each value of a column."""
    return list(map(int, _or(column, "0")))


def _parents(columns: list[list[str]]) -> list[ParentAccount]:
    """The TUT rows' accounts (columns in READ_COLUMNS order)."""
    user_id, _, _, genre, nom, prenom, _, email, origine, login, sortie, *_ = columns
    return instances(
        ParentAccount,
        len(user_id),
        {
            "user_id": list(map(int, user_id)),
            "nom": nom,
            "prenom": prenom,
            "genre": _or(genre, "I"),
            "email": email,
            "email_origine": origine,
            "login": login,
            "sortie_date": _or(sortie, ACTIVE),
        },
    )


def _number(value: str, default: int = 0) -> int:
    """An integer column's text ("" for NULL) as a number; ``default`` for "" and 0."""
    return int(value or 0) or default


def read_state(url: str) -> State:
    """Read every table the plan needs; nothing is written.

    Every table is streamed (engine.state_rows): each row is hashed into the fingerprint and, for the
    user table, turned into an account as it comes, so memory holds the accounts only (not the raw
    table beside them). The cyclic GC is paused until the state is built (millions of acyclic objects
    would make every collection walk them all).
    """
    with paused_gc():
        return _read_state(url)


def _read_state(url: str) -> State:
    fingerprint: dict[str, Any] = {}
    small: dict[str, _Table] = {}
    with connect(url) as (conn, dialect):
        widths = _read_widths(conn, dialect)
        for table, columns in TABLE_COLUMNS.items():
            sink = _Users if table == "sacoche_user" else partial(_Table, len(columns))
            fed = read_rows(conn, dialect, table, columns, ORDER_BY[table], sink, CHUNK_BY[table])
            fingerprint[table] = fed.print.result()  # type: ignore[attr-defined]
            if isinstance(fed, _Users):
                users = fed
            else:
                small[table] = fed  # type: ignore[assignment]
        archive = read_archive(conn, ARCHIVE_OBJET)
    rows = {table: fed.rows() for table, fed in small.items()}
    groups = tuple(
        Group(int(gid), gtype, ref, nom, _number(niveau))
        for gid, gtype, ref, nom, niveau in rows["sacoche_groupe"]
    )
    niveaux = tuple(
        Niveau(int(nid), ref, nom, bool(_number(actif))) for nid, ref, nom, actif in rows["sacoche_niveau"]
    )
    profile = parent_profile = LoginProfile()
    for sigle, model, min_length, birth in rows["sacoche_user_profil"]:
        if sigle in ("ELV", "TUT"):
            found = LoginProfile(model or profile.model, _number(min_length, 6), bool(_number(birth)))
            if sigle == "ELV":
                profile = found
            else:
                parent_profile = found
    accounts = users.accounts
    pupil_ids = {a.user_id for a in accounts}
    joined = small["sacoche_jointure_user_groupe"].values  # user_id, groupe_id, user_id, …
    pairs = zip(map(int, joined[0::2]), map(int, joined[1::2]), strict=True)
    memberships = frozenset(pair for pair in pairs if pair[0] in pupil_ids)
    return State(
        url=redact_url(url),
        dialect=dialect,
        accounts=tuple(accounts),
        taken_logins=frozenset(users.logins),
        groups=groups,
        memberships=memberships,
        niveaux=niveaux,
        profile=profile,
        fingerprint=fingerprint,
        archive=archive,
        widths=widths,
        parents=tuple(users.parents),
        parent_links={
            (int(pid), int(eid)): _number(num) for pid, eid, num in rows["sacoche_jointure_parent_eleve"]
        },
        parent_addresses={int(row[0]): tuple(row[1:]) for row in rows["sacoche_parent_adresse"]},
        parent_profile=parent_profile,
    )
