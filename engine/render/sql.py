"""Render the SQL a DBA runs — ``apply.sql``, ``revert.sql``, ``verify.sql`` — from ``plan.json`` alone.

Two dialects: ``mysql`` (MySQL / MariaDB, the real target: MyISAM, utf8, no transactions) and ``sqlite``
(embedded demo). Templates live in ``engine/render/templates/sql/<dialect>/``; this module validates
plan.json, turns its accepted items into a small model (guards, writes, checks) and lets the templates
spell the SQL.

Safety rules the scripts follow (see docs in each script header):

* Every guard runs **before the first write** (MyISAM cannot roll back). A guard that fails stops the
  script with a message naming the guard and the item; nothing has been written.
* Every write also carries its own optimistic condition (``WHERE user_id = … AND <old values still
  there>``), so a write can never land on a row the plan did not see.
* ALL SQL literals go through one filter per dialect (:func:`mysql_literal`, :func:`sqlite_literal`);
  identifiers never come from plan.json (columns are whitelisted below).
* ``DELETE FROM sacoche_user`` never appears in apply.sql; only revert.sql rendered with
  ``revert_deletes_created`` deletes the accounts this plan created.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.archive import MEDIUMTEXT_BYTES
from engine.archive import OBJET as ARCHIVE_OBJET
from engine.archive import chunks as text_chunks
from engine.errors import OndeError, OndeErrorGroup
from engine.plan import ITEM_KINDS
from engine.readset import read_guards, touched_sql
from engine.render.plancheck import (
    PLAN_HINT,
    SEAL_HINT,
    document_problems,
    item_problems,
    real_date,
    seal_problems,
)
from engine.render.sqlphrases import PHRASES
from engine.state import ACTIVE

PLAN_FILE = "plan.json"
FORMAT_VERSION = 1
SQL_DIR = "sql"
DIALECTS = ("mysql", "sqlite")
SCRIPTS = ("apply", "revert", "verify")
TEMPLATES = Path(__file__).parent / "templates" / "sql"
USER_KINDS = ("update", "deactivate", "reactivate")

# Columns of sacoche_user a plan may set: (type, default max length or allowed values). Identifiers in the
# SQL only ever come from this table, never from plan.json. The lengths that matter are read from the
# database when planning (plan.json state.widths, engine.widths); these are only SACoche's current DDL's,
# used when a plan does not say.
TEXT, DATE, INT, CLASS = "text", "date", "int", "class"
USER_COLUMNS: dict[str, tuple[str, Any]] = {
    "user_reference": (TEXT, 11),
    "user_profil_sigle": (TEXT, ("ELV",)),
    "user_genre": (TEXT, ("I", "M", "F")),
    "user_nom": (TEXT, 50),
    "user_prenom": (TEXT, 50),
    "user_naissance_date": (DATE, None),
    "user_email": (TEXT, 100),
    "user_email_origine": (TEXT, ("", "user", "admin")),
    "user_login": (TEXT, 50),
    "user_password": (TEXT, 32),
    "user_sortie_date": (DATE, None),
    "eleve_classe_id": (CLASS, None),
}
# Every column of sacoche_user but user_id, in table order, with the value a new pupil gets when the plan
# does not say (the NOT NULL columns are all written explicitly). CLASS = resolved by ref in the script.
CREATE_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("user_sconet_id", INT, 0),
    ("user_sconet_elenoet", INT, 0),
    ("user_reference", TEXT, ""),
    ("user_profil_sigle", TEXT, "ELV"),
    ("user_genre", TEXT, "I"),
    ("user_nom", TEXT, None),
    ("user_prenom", TEXT, None),
    ("user_naissance_date", DATE, None),
    ("user_email", TEXT, ""),
    ("user_email_origine", TEXT, ""),
    ("user_login", TEXT, None),
    ("user_password", TEXT, None),
    ("user_langue", TEXT, ""),
    ("user_daltonisme", INT, 0),
    ("user_connexion_date", DATE, None),
    ("user_sortie_date", DATE, ACTIVE),
    ("eleve_classe_id", CLASS, None),
    ("eleve_lv1", INT, 100),
    ("eleve_lv2", INT, 100),
    ("eleve_uai_origine", TEXT, ""),
    ("user_id_ent", TEXT, ""),
    ("user_id_gepi", TEXT, ""),
    ("user_param_accueil", TEXT, ""),
    ("user_param_menu", TEXT, None),
    ("user_param_favori", TEXT, None),
    ("user_pass_key", TEXT, ""),
)
CREATE_REQUIRED = ("user_nom", "user_prenom", "user_login", "user_password", "eleve_classe_id")
# Columns a re-created account is recognised by (revert guards): identity, not the password (a pupil may
# have changed it since), not the connection date.
CREATED_IDENTITY = (
    "user_profil_sigle",
    "user_reference",
    "user_nom",
    "user_prenom",
    "user_genre",
    "user_naissance_date",
    "user_login",
    "user_sortie_date",
    "eleve_classe_id",
)
ARCHIVE_COLUMNS = ("siecle_import_date", "siecle_import_annee", "siecle_import_contenu")
#: characters of archive content per statement: each statement stays far below the smallest
#: max_allowed_packet (1 MiB), even written as hexadecimal
ARCHIVE_CHUNK = 200_000
GROUP_REF_LENGTH = 20
GROUP_NAME_LENGTH = 20
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# MariaDB shows at most 64 characters of a duplicate key value in its error message.
MAX_GUARD_KEY = 64
MAX_GUARD_MESSAGE = 200


# --- literals -------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _plain(ch: str) -> bool:
    """Characters written as they are inside a quoted literal (anything else goes hex)."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return True
    if code < 0xA0 or code > 0xFFFF:
        return False
    return unicodedata.category(ch)[0] in "LMNPS"


_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_OUTSIDE_BMP = re.compile(r"[\U00010000-\U0010FFFF]")


def _all_plain(text: str) -> bool:
    return _PRINTABLE_ASCII.fullmatch(text) is not None or all(_plain(ch) for ch in text)


def _check_bmp(text: str) -> None:
    if _OUTSIDE_BMP.search(text):
        raise ValueError("a character outside the BMP (emoji…) cannot be stored in SACoche's 3-byte utf8")


def _literal(value: Any, text: Any) -> str:
    """NULL, an integer, or ``text(value)`` for a string; anything else (bool included) is a programming
    error."""
    kind = type(value)
    if kind is str:
        return text(value)
    if kind is int:
        return str(value)
    if value is None:
        return "NULL"
    raise TypeError(f"no SQL literal for {kind.__name__}")


def mysql_literal(value: Any) -> str:
    """The one MySQL/MariaDB literal filter.

    Text is written ``'…'`` with ``'`` doubled when it holds only printable characters and no backslash;
    otherwise as ``_utf8 X'<hex of the UTF-8 bytes>'``. Neither form depends on NO_BACKSLASH_ESCAPES nor
    on the client's character set (the hex form names its charset), and no backslash ever appears
    inside a quoted literal. ``None`` is NULL; integers are written as such.
    """
    return _literal(value, _mysql_text)


@lru_cache(maxsize=65536)
def _mysql_text(value: str) -> str:
    _check_bmp(value)
    if "\\" not in value and _all_plain(value):
        return "'" + value.replace("'", "''") + "'"
    return "_utf8 X'" + value.encode("utf-8").hex().upper() + "'"


def sqlite_literal(value: Any) -> str:
    """The one SQLite literal filter: ``'…'`` with ``'`` doubled (SQLite has no backslash escapes);
    text holding control or invisible characters (newline, NUL, zero-width…) as ``CAST(X'…' AS TEXT)``.
    """
    return _literal(value, _sqlite_text)


@lru_cache(maxsize=65536)
def _sqlite_text(value: str) -> str:
    _check_bmp(value)
    if _all_plain(value):
        return "'" + value.replace("'", "''") + "'"
    return "CAST(X'" + value.encode("utf-8").hex().upper() + "' AS TEXT)"


def sql_comment(value: Any) -> str:
    """Text safe inside a ``-- …`` comment line: no line break, no control or invisible character."""
    text = "" if value is None else str(value)
    if _PRINTABLE_ASCII.fullmatch(text):
        return text
    return "".join(ch if _plain(ch) else "?" for ch in text)


LITERALS = {"mysql": mysql_literal, "sqlite": sqlite_literal}
#: the same filters without their memo, for the archive's big pieces of text (never repeated)
BIG_LITERALS = {
    "mysql": lambda value: _mysql_text.__wrapped__(value),
    "sqlite": lambda value: _sqlite_text.__wrapped__(value),
}


# --- loading and validating plan.json --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedPlan:
    path: Path
    doc: dict[str, Any]
    sha256: str

    def line_of(self, needle: str) -> int | None:
        """The line of plan.json where ``needle`` first appears (read again: only errors need it)."""
        try:
            return _line_of(self.path.read_text(encoding="utf-8"), needle)
        except (OSError, UnicodeDecodeError):
            return None


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def load_plan(plan_dir: Path) -> LoadedPlan:
    """Read and validate ``plan_dir/plan.json``; errors name the file and the line."""
    path = Path(plan_dir) / PLAN_FILE
    if not path.is_file():
        raise OndeError(
            "no plan.json here", file=path, hint="give the directory written by `onde-sacoche plan --out`"
        )
    raw = path.read_bytes()
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OndeError(f"plan.json is not UTF-8 ({exc.reason})", file=path) from None
    del raw  # a million-pupil plan.json is hundreds of MiB: hold one copy at a time
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OndeError(
            f"plan.json is not valid JSON: {exc.msg}",
            file=path,
            line=exc.lineno,
            column=exc.colno,
            hint="undo the last edit (only `accepted` flags are meant to be edited: true or false)",
        ) from None
    except RecursionError:  # lists or objects nested thousands of levels deep: not a plan
        raise OndeError(
            "plan.json is nested far too deeply to be a plan", file=path, line=1, hint=PLAN_HINT
        ) from None
    validate_plan(doc, text, path)
    return LoadedPlan(path, doc, sha256)


def validate_plan(doc: Any, text: str, path: Path) -> None:
    """Check what the renderers rely on; every problem names the line of the item in plan.json."""
    if not isinstance(doc, dict):
        raise OndeError("plan.json must hold one JSON object", file=path, line=1, hint=PLAN_HINT)
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise OndeError(
            f"unsupported plan format_version {version!r} (this tool reads {FORMAT_VERSION})",
            file=path,
            line=_line_of(text, '"format_version"') or 1,
            hint="re-run `onde-sacoche plan` with this version of the tool",
        )
    for key, kind in (("items", list), ("source", dict), ("state", dict), ("summary", dict)):
        if not isinstance(doc.get(key), kind):
            raise OndeError(
                f"plan.json: '{key}' is missing or is not a {kind.__name__}",
                file=path,
                line=_line_of(text, f'"{key}"') or 1,
                hint=PLAN_HINT,
            )
    errors: list[OndeError] = []
    if not (_is_text(doc.get("today")) and DATE_RE.match(doc["today"])):
        errors.append(
            OndeError(
                "'today' must be a date yyyy-mm-dd",
                file=path,
                line=_line_of(text, '"today"') or 1,
                hint=PLAN_HINT,
            )
        )
    errors += [
        OndeError(m, file=path, line=_line_of(text, n) or 1, hint=PLAN_HINT)
        for n, m in document_problems(doc)
    ]
    widths = _plan_widths(doc["state"])
    if isinstance(widths, str):
        errors.append(OndeError(widths, file=path, line=_line_of(text, '"widths"') or 1, hint=PLAN_HINT))
        widths = {}
    seen: set[str] = set()
    for index, item in enumerate(doc["items"]):
        problems = _item_problems(item, widths) + item_problems(item)
        if isinstance(item, dict) and item.get("id") in seen:
            problems.append("the same id appears twice")
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            seen.add(item["id"])
        line = None  # searched only for a faulty item: a search per item is quadratic on big plans
        if problems and isinstance(item, dict) and isinstance(item.get("id"), str):
            line = _line_of(text, json.dumps(item["id"], ensure_ascii=False))
        for problem in problems:
            name = item.get("id") if isinstance(item, dict) else None
            errors.append(OndeError(f"item {name or index}: {problem}", file=path, line=line, hint=PLAN_HINT))
    if not errors:  # the seal is checked on a plan that is otherwise sound: its own messages are clearer
        seal = seal_problems(doc)
        errors = [OndeError(m, file=path, line=_line_of(text, n) or 1, hint=SEAL_HINT) for n, m in seal]
    if errors:
        raise OndeErrorGroup(errors) if len(errors) > 1 else errors[0]


def _plan_widths(state: dict[str, Any]) -> dict[str, int] | str:
    """The column widths the plan was made against (state.widths), or a message saying what is wrong."""
    widths = state.get("widths", {})
    if not isinstance(widths, dict) or not all(_is_int(v) and v > 0 for v in widths.values()):
        return "state.widths must map column names to positive integers: re-run `onde-sacoche plan`"
    return widths


def _width(widths: dict[str, int], column: str, default: int) -> int:
    return widths.get(column, default)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _value_problem(
    column: str, value: Any, *, nullable_date: bool, widths: dict[str, int], stored: bool = False
) -> str | None:
    """What is wrong with a value for this column; ``stored`` values (a change's old side) are already in
    the database, so their length is never held against them."""
    ctype, spec = USER_COLUMNS[column]
    if ctype == TEXT:
        if not _is_text(value):
            return f"{column} must be text"
        if isinstance(spec, tuple) and value not in spec:
            return f"{column} must be one of {', '.join(repr(v) for v in spec)}"
        if isinstance(spec, int) and not stored and len(value) > (width := _width(widths, column, spec)):
            return f"{column} holds {len(value)} characters, more than the database's {width}"
        if any(ord(ch) > 0xFFFF for ch in value):
            return f"{column} holds a character outside the BMP (emoji…) that SACoche's utf8 cannot store"
    elif ctype == DATE:
        if value in (None, "") and nullable_date:
            return None
        if not real_date(value):
            return f"{column} must be a real date yyyy-mm-dd"
    elif ctype == CLASS and (
        not _is_text(value)
        or not value
        or len(value) > (width := _width(widths, "groupe_ref", GROUP_REF_LENGTH))
    ):
        return f"{column} must be a class ref (1 to {width} characters)"
    return None


def _item_problems(item: Any, widths: dict[str, int] | None = None) -> list[str]:
    widths = widths or {}
    if not isinstance(item, dict):
        return ["an item must be an object"]
    problems: list[str] = []
    kind = item.get("kind")
    if not isinstance(item.get("id"), str) or not ITEM_ID_RE.match(item["id"]):
        problems.append("'id' must be kind-<hex> (letters, digits, '_', '-', '.'; at most 40)")
    if kind not in ITEM_KINDS:
        return [*problems, f"unknown kind {kind!r} (one of {', '.join(ITEM_KINDS)})"]
    if not isinstance(item.get("accepted"), bool):
        problems.append(f"'accepted' must be true or false, not {json.dumps(item.get('accepted'))}")
    target, changes = item.get("target"), item.get("changes")
    if not isinstance(target, dict) or not isinstance(changes, dict):
        return [*problems, "'target' and 'changes' must be objects"]
    if kind == "decide":
        if item.get("accepted") is True:
            problems.append(
                "a decide item is a question, it cannot be accepted: set it back to false and answer it "
                "with `onde-sacoche decide PLAN ID same|different`"
            )
        return problems
    if any(not isinstance(c, dict) for c in changes.values()):
        return [*problems, "each change must be an object {old, new}"]
    naissance_nullable = True
    if kind in USER_KINDS:
        if not _is_int(target.get("user_id")) or not _is_text(target.get("login")):
            problems.append("target needs user_id (integer) and login (text)")
        if not changes:
            problems.append("no change")
        for column, change in changes.items():
            if column not in USER_COLUMNS or column in ("user_login", "user_password", "user_profil_sigle"):
                problems.append(f"column {column!r} cannot be changed by this tool")
                continue
            if column == "eleve_classe_id":
                if not _is_int(change.get("old_id")) or not _is_text(change.get("new")) or not change["new"]:
                    problems.append("eleve_classe_id needs old_id (integer) and new (class ref)")
                continue
            for side in ("old", "new"):
                if side not in change:
                    problems.append(f"{column}: '{side}' is missing")
                    continue
                problem = _value_problem(
                    column,
                    change[side],
                    nullable_date=naissance_nullable,
                    widths=widths,
                    stored=side == "old",
                )
                if column == "user_sortie_date" and change[side] in (None, ""):
                    problem = "user_sortie_date must be a date yyyy-mm-dd"
                if problem:
                    problems.append(f"{side} {problem}")
        if kind == "deactivate" and set(changes) != {"user_sortie_date"}:
            problems.append("a deactivation changes user_sortie_date only")
        if kind == "reactivate" and changes.get("user_sortie_date", {}).get("new") != ACTIVE:
            problems.append(f"a reactivation sets user_sortie_date to {ACTIVE}")
    elif kind == "create":
        if not _is_text(target.get("login")):
            problems.append("target needs login (text)")
        for column, change in changes.items():
            if column not in USER_COLUMNS:
                problems.append(f"column {column!r} cannot be set by this tool")
                continue
            if "new" not in change:
                problems.append(f"{column}: 'new' is missing")
                continue
            problem = _value_problem(
                column, change["new"], nullable_date=column == "user_naissance_date", widths=widths
            )
            if problem:
                problems.append(problem)
        for column in CREATE_REQUIRED:
            if column not in changes:
                problems.append(f"{column} is missing")
        if changes.get("user_login", {}).get("new") not in (None, target.get("login")):
            problems.append("user_login differs from target.login")
    elif kind in ("class_create", "group_create"):
        ref, name = target.get("groupe_ref"), changes.get("groupe_nom", {}).get("new")
        problems += _group_problems(ref, name, widths)
        niveau = changes.get("niveau_id", {}).get("new", 0)
        if not _is_int(niveau):
            problems.append("niveau_id must be an integer")
    elif kind == "class_rename":
        change = changes.get("groupe_nom", {})
        if not _is_int(target.get("groupe_id")):
            problems.append("target needs groupe_id (integer)")
        problems += _group_problems(target.get("groupe_ref"), change.get("new"), widths)
        old_problems = _group_problems("x", change.get("old"), widths, stored=True)
        problems += [p.replace("name", "old name") for p in old_problems]
    elif kind in ("class_retire", "group_retire"):
        if not _is_int(target.get("groupe_id")):
            problems.append("target needs groupe_id (integer)")
        problems += _group_problems(
            target.get("groupe_ref"), target.get("groupe_nom"), widths, allow_empty_ref=True, stored=True
        )
        if not _is_int(target.get("niveau_id")):
            problems.append("target needs niveau_id (integer): re-run `onde-sacoche plan`")
        members = target.get("members")
        if not isinstance(members, list) or not all(_is_int(m) for m in members):
            problems.append("target needs members (list of user_id): re-run `onde-sacoche plan`")
    elif kind in ("membership_add", "membership_remove"):
        ref = target.get("groupe_ref")
        if not _is_text(ref) or not ref:
            problems.append("target needs groupe_ref")
        if not _is_text(target.get("login")) or not target.get("login"):
            problems.append("target needs login")
        if "user_id" in target and not _is_int(target["user_id"]):
            problems.append("user_id must be an integer")
        if kind == "membership_remove" and "user_id" not in target:
            problems.append("target needs user_id")
    elif kind == "archive":
        problems += _archive_problems(target, changes)
    return problems


def _archive_problems(target: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    problems = []
    if target.get("siecle_import_objet") != ARCHIVE_OBJET or not isinstance(target.get("row_exists"), bool):
        problems.append(f"target needs siecle_import_objet {ARCHIVE_OBJET!r} and row_exists (true or false)")
    for column in ARCHIVE_COLUMNS:
        change = changes.get(column)
        if not isinstance(change, dict) or "old" not in change or "new" not in change:
            problems.append(f"{column}: old and new are needed")
            continue
        for side in ("old", "new"):
            value = change[side]
            if column == "siecle_import_contenu":
                ok = _is_text(value) and len(value.encode("utf-8")) <= MEDIUMTEXT_BYTES
            elif column == "siecle_import_date":
                ok = value is None or (_is_text(value) and DATE_RE.match(value) is not None)
            else:
                ok = value is None or (_is_text(value) and len(value) <= 4)
            if side == "new" and value is None:
                ok = False
            if not ok:
                problems.append(f"{side} {column} is not what SACoche's archive holds")
    return problems


def _group_problems(
    ref: Any, name: Any, widths: dict[str, int], *, allow_empty_ref: bool = False, stored: bool = False
) -> list[str]:
    """What is wrong with a group's ref and name; ``stored`` ones are not held to the widths."""
    problems = []
    ref_width = 10**9 if stored else _width(widths, "groupe_ref", GROUP_REF_LENGTH)
    name_width = 10**9 if stored else _width(widths, "groupe_nom", GROUP_NAME_LENGTH)
    if not _is_text(ref) or (not ref and not allow_empty_ref) or len(ref) > ref_width:
        problems.append(f"groupe_ref must be text of 1 to {ref_width} characters")
    elif any(ord(ch) > 0xFFFF for ch in ref):
        problems.append("groupe_ref holds a character outside the BMP")
    if not _is_text(name) or len(name) > name_width:
        problems.append(f"name must be text of at most {name_width} characters")
    elif any(ord(ch) > 0xFFFF for ch in name):
        problems.append("name holds a character outside the BMP (emoji…)")
    return problems


# --- the model the templates spell ------------------------------------------------------------------------
#
# Views over the accepted items of plan.json. They hold a reference to their item (already in memory) and
# compute lists (columns, old and new values) when a template asks: a million-pupil plan has hundreds of
# thousands of items, and materialising every list up front doubled the memory of rendering.


class Fact(NamedTuple):
    """One ``column = value`` fact; dates '' mean NULL, class refs are resolved in SQL."""

    col: str
    type: str
    value: Any


def _fact(column: str, ctype: str, value: Any) -> Fact:
    return Fact(column, ctype, None if ctype == DATE and value == "" else value)


def _describe_changes(changes: Mapping[str, Any]) -> str:
    return "; ".join(f"{column} {c.get('old')!r} -> {c.get('new')!r}" for column, c in changes.items())


@dataclass(slots=True)
class GroupCreate:
    id: str
    type: str
    ref: str
    nom: str
    niveau_id: int
    # set by revert_guards when revert.sql deletes what apply.sql created
    created_logins: list[str] = field(default_factory=list)
    moved_users: list[int] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)
    added_logins: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rename:
    id: str
    groupe_id: int
    ref: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Retire:
    id: str
    type: str
    groupe_id: int
    ref: str
    nom: str
    niveau_id: int
    members: list[int]


@dataclass(frozen=True, slots=True)
class LeftAlone:
    type: str
    groupe_id: int
    ref: str
    nom: str


class Create:
    """A new pupil: every column of sacoche_user, from the item or the column's default."""

    __slots__ = ("class_ref", "id", "item", "login")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.login: str = item["target"]["login"]
        self.class_ref: str = item["changes"]["eleve_classe_id"]["new"]

    @property
    def columns(self) -> list[Fact]:
        changes = self.item["changes"]
        facts = []
        for column, ctype, default in CREATE_COLUMNS:
            value = changes[column]["new"] if column in changes else default
            if column == "user_email_origine" and column not in changes:
                value = "admin" if changes.get("user_email", {}).get("new") else ""
            facts.append(_fact(column, ctype, value))
        return facts

    @property
    def identity(self) -> list[Fact]:
        """The columns a re-created account is recognised by (revert)."""
        by_column = {f.col: f for f in self.columns}
        return [by_column[column] for column in CREATED_IDENTITY]

    @property
    def all(self) -> list[Fact]:
        """Every column the plan may set (verify)."""
        return [f for f in self.columns if f.col in USER_COLUMNS]

    @property
    def describe(self) -> str:
        changes = self.item["changes"]
        return (
            f"{changes['user_nom']['new']} {changes['user_prenom']['new']}, login {self.login}, "
            f"class {self.class_ref}"
        )


class UserChange:
    """An update, reactivation or deactivation: old and new values of the changed columns."""

    __slots__ = ("id", "item", "login", "user_id")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.user_id: int = item["target"]["user_id"]
        self.login: str = item["target"]["login"]

    @property
    def kind(self) -> str:
        return self.item["kind"]

    @property
    def olds(self) -> list[Fact]:
        facts = []
        for column, change in self.item["changes"].items():
            if column == "eleve_classe_id":
                facts.append(_fact(column, INT, change["old_id"]))
            else:
                facts.append(_fact(column, USER_COLUMNS[column][0], change["old"]))
        return facts

    @property
    def news(self) -> list[Fact]:
        return [
            _fact(column, CLASS if column == "eleve_classe_id" else USER_COLUMNS[column][0], change["new"])
            for column, change in self.item["changes"].items()
        ]

    @property
    def new_class_refs(self) -> list[str]:
        return [f.value for f in self.news if f.type == CLASS]

    @property
    def describe(self) -> str:
        return f"user_id {self.user_id} ({self.login}): {_describe_changes(self.item['changes'])}"


class Membership:
    """A membership to add or remove; ``user_id`` is None for a pupil this plan creates."""

    __slots__ = ("id", "item", "login", "ref", "user_id")

    def __init__(self, item: Mapping[str, Any]) -> None:
        target = item["target"]
        self.item = item
        self.id: str = item["id"]
        self.user_id: int | None = target.get("user_id")
        self.login: str = target["login"]
        self.ref: str = target["groupe_ref"]

    @property
    def describe(self) -> str:
        who = (
            f"user_id {self.user_id} ({self.login})"
            if self.user_id is not None
            else f"new pupil {self.login}"
        )
        return f"{who}, group {self.ref}"


class ArchiveWrite:
    """SACoche's archive of the imported file (row Onde of sacoche_siecle_import): old and new row."""

    __slots__ = ("id", "item", "row_exists")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.item = item
        self.id: str = item["id"]
        self.row_exists: bool = item["target"]["row_exists"]

    def side(self, side: str) -> tuple[str | None, str | None, str]:
        changes = self.item["changes"]
        return tuple(changes[c][side] for c in ARCHIVE_COLUMNS)  # type: ignore[return-value]

    def chunks(self, side: str) -> list[str]:
        return text_chunks(self.side(side)[2], ARCHIVE_CHUNK)

    def digest(self, side: str) -> tuple[int, str]:
        """(bytes, SHA-256 hex) of one side's content, as MySQL's LENGTH and SHA2(…, 256) give them."""
        data = self.side(side)[2].encode("utf-8")
        return len(data), hashlib.sha256(data).hexdigest()

    def prefixes(self, side: str) -> list[tuple[int, str]]:
        """(bytes, SHA-256 hex) of the content written before each piece after the first."""
        found, data = [], b""
        for piece in self.chunks(side)[:-1]:
            data += piece.encode("utf-8")
            found.append((len(data), hashlib.sha256(data).hexdigest()))
        return found

    @property
    def describe(self) -> str:
        size, _ = self.digest("new")
        return f"archive of the imported ONDE file, row {ARCHIVE_OBJET}, {size} bytes"


class Check:
    """One guard (must hold before a script writes) or verify check (must hold after apply).

    ``check`` names the condition (spelled by :class:`engine.sqlphrases.Phrases`), ``subject`` is what it
    is about (a view, a login, a (kind, ref) pair). Key and message are made when a template asks."""

    __slots__ = ("check", "either", "item", "n", "short", "subject", "text", "total")

    def __init__(self, item: str, short: str, text: str, check: str, subject: Any = None) -> None:
        self.item, self.short, self.text, self.check, self.subject = item, short, text, check, subject
        self.n = self.total = 0
        #: revert.sql: the item's own apply guards, any of which lets the guard pass too (the item was
        #: never applied: its row is still in the plan's old state, there is nothing to revert)
        self.either: list[Check] = []

    @property
    def key(self) -> str:
        """At most 64 characters (what MariaDB shows of a duplicate entry): the guard and its item."""
        return sql_comment(f"GUARD {self.n}/{self.total} {self.item}: {self.short}"[:MAX_GUARD_KEY])

    @property
    def message(self) -> str:
        text = sql_comment(self.text)[:MAX_GUARD_MESSAGE]
        return f"ONDE-SACOCHE {self.key}. {text}. Nothing was written."

    # verify checks are named by their item and explained by their text
    @property
    def name(self) -> str:
        return self.item

    @property
    def details(self) -> str:
        return sql_comment(self.text)


#: the apply guards that check an item's own row in the plan's old state (not the ones on other items)
OWN_ROW_GUARDS = frozenset({"group_absent", "rename", "login_free", "user", "membership", "retire"})


def _numbered(checks: list[Check]) -> list[Check]:
    for n, check in enumerate(checks, 1):
        check.n, check.total = n, len(checks)
    return checks


class _Model:
    """Accepted items turned into guards, writes and checks for one plan."""

    def __init__(self, doc: Mapping[str, Any], *, revert_deletes_created: bool) -> None:
        self.doc = doc
        self.deletes_created = revert_deletes_created
        items = [i for i in doc["items"] if i["kind"] != "decide"]
        self.accepted = [i for i in items if i["accepted"]]
        self.skipped = [i for i in items if not i["accepted"]]
        self.decide = [i for i in doc["items"] if i["kind"] == "decide"]
        by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in ITEM_KINDS}
        for item in self.accepted:
            by_kind[item["kind"]].append(item)
        self.by_kind = by_kind
        self.today = str(doc.get("today") or "")
        self._check_dependencies(items)
        self.group_creates = [
            self._group_create(i) for i in by_kind["class_create"] + by_kind["group_create"]
        ]
        self.renames = [self._rename(i) for i in by_kind["class_rename"]]
        self.creates = [Create(i) for i in by_kind["create"]]
        self.user_changes = [UserChange(i) for k in USER_KINDS for i in by_kind[k]]
        self.memberships_add = [Membership(i) for i in by_kind["membership_add"]]
        self.memberships_remove = [Membership(i) for i in by_kind["membership_remove"]]
        self.retires = [self._retire(i) for i in by_kind["class_retire"] + by_kind["group_retire"]]
        self.archives = [ArchiveWrite(i) for i in by_kind["archive"]]
        self.left_alone = self._left_alone()
        self.new_refs = {(g.type, g.ref.upper()) for g in self.group_creates}
        self.retired_refs = {(r.type, r.ref.upper()) for r in self.retires}

    # items --------------------------------------------------------------------------------------------
    def _check_dependencies(self, items: Sequence[Mapping[str, Any]]) -> None:
        """An accepted item may not need an item the reviewer rejected (the script would stop anyway)."""
        creations = {
            ("classe" if i["kind"] == "class_create" else "groupe", i["target"]["groupe_ref"].upper()): i
            for i in items
            if i["kind"] in ("class_create", "group_create")
        }
        logins = {i["target"]["login"].lower(): i for i in items if i["kind"] == "create"}
        problems = []

        def need(item: Mapping[str, Any], other: Mapping[str, Any] | None, what: str) -> None:
            if other is not None and not other["accepted"]:
                problems.append(
                    f"{item['id']} is accepted but needs {what}, whose item {other['id']} is not accepted"
                )

        for item in self.accepted:
            changes, target = item["changes"], item["target"]
            if "eleve_classe_id" in changes:
                ref = str(changes["eleve_classe_id"]["new"]).upper()
                need(item, creations.get(("classe", ref)), f"class {ref}")
            if item["kind"] == "membership_add":
                need(item, creations.get(("groupe", target["groupe_ref"].upper())), "its group")
                if "user_id" not in target:
                    need(item, logins.get(target["login"].lower()), "its new pupil")
                    if target["login"].lower() not in logins:
                        problems.append(f"{item['id']}: no create item for login {target['login']!r}")
        seen: dict[str, str] = {}
        for item in self.by_kind["create"]:
            key = item["target"]["login"].lower()
            if key in seen:
                problems.append(f"{item['id']} and {seen[key]} create the same login")
            seen[key] = item["id"]
        if problems:
            raise OndeError(
                "; ".join(problems),
                hint="accept both items or neither (edit `accepted` in plan.json), then render again",
            )

    @staticmethod
    def _group_create(item: Mapping[str, Any]) -> GroupCreate:
        changes = item["changes"]
        return GroupCreate(
            item["id"],
            "classe" if item["kind"] == "class_create" else "groupe",
            item["target"]["groupe_ref"],
            changes["groupe_nom"]["new"],
            int(changes.get("niveau_id", {}).get("new") or 0),
        )

    @staticmethod
    def _rename(item: Mapping[str, Any]) -> Rename:
        change = item["changes"]["groupe_nom"]
        target = item["target"]
        return Rename(item["id"], target["groupe_id"], target["groupe_ref"], change["old"], change["new"])

    @staticmethod
    def _retire(item: Mapping[str, Any]) -> Retire:
        target = item["target"]
        return Retire(
            item["id"],
            "classe" if item["kind"] == "class_retire" else "groupe",
            target["groupe_id"],
            target["groupe_ref"],
            target["groupe_nom"],
            target["niveau_id"],
            sorted(set(target["members"])),
        )

    def _left_alone(self) -> list[LeftAlone]:
        result = []
        left = self.doc.get("left_alone") or {}
        for key, kind in (("classes", "classe"), ("groups", "groupe")):
            for entry in left.get(key) or []:
                if (
                    isinstance(entry, dict)
                    and _is_int(entry.get("groupe_id"))
                    and _is_text(entry.get("ref"))
                    and _is_text(entry.get("nom"))
                ):
                    result.append(LeftAlone(kind, entry["groupe_id"], entry["ref"], entry["nom"]))
        return result

    # guards, checks ----------------------------------------------------------------------------------
    def apply_guards(self, *, new_states: bool = False) -> list[Check]:
        """Everything that must hold before the first write, each with the message it stops with; with
        ``new_states`` (MySQL: no transaction) each guard on an item's own row also passes when the row
        is already as apply.sql leaves it (a run that was interrupted)."""
        guards: list[Check] = []
        add = guards.append
        for hold in self.doc.get("holds") or []:
            if isinstance(hold, dict) and not hold.get("allowed"):
                text = f"the plan is held by guard {hold.get('guard')}; re-plan with {hold.get('allow')}"
                add(Check("plan", "plan is held", text, "never"))
        for g in self.group_creates:
            add(Check(g.id, "ref exists", f"a {g.type} with ref {g.ref} exists already", "group_absent", g))
            if g.niveau_id:
                add(
                    Check(
                        g.id,
                        "niveau unknown",
                        f"niveau_id {g.niveau_id} is not in sacoche_niveau",
                        "niveau",
                        g,
                    )
                )
        refs_needed: dict[tuple[str, str], str] = {}
        for r in self.renames:
            text = f"class groupe_id {r.groupe_id} no longer has the plan's ref and name"
            add(Check(r.id, "class changed", text, "rename", r))
        for c in self.creates:
            text = f"login {c.login} of the new pupil is taken (case and accents ignored)"
            free = Check(c.id, "login taken", text, "login_free", c.login)
            if new_states:  # or created by this plan already
                free.either = [Check(c.id, "", "", "created_all", c)]
            add(free)
            refs_needed.setdefault(("classe", c.class_ref), c.id)
        for u in self.user_changes:
            add(
                Check(
                    u.id,
                    "row changed",
                    f"user_id {u.user_id} no longer holds the values the plan saw",
                    "user",
                    u,
                )
            )
            for ref in u.new_class_refs:
                refs_needed.setdefault(("classe", ref), u.id)
        checked = {u.user_id for u in self.user_changes}
        for m in self.memberships_add + self.memberships_remove:
            refs_needed.setdefault(("groupe", m.ref), m.id)
            if m.user_id is not None and m.user_id not in checked:
                checked.add(m.user_id)
                text = f"user_id {m.user_id} is gone or has another login"
                add(Check(m.id, "user changed", text, "user_exists", m))
        for m in self.memberships_remove:
            text = f"user_id {m.user_id} is no longer in group {m.ref}"
            add(Check(m.id, "not a member", text, "membership", m))
        for r in self.retires:
            text = (
                f"{r.type} groupe_id {r.groupe_id} changed, or has members, pp or chef the plan did not see"
            )
            add(Check(r.id, "group changed", text, "retire", r))
        for a in self.archives:
            text = "SACoche's import archive changed since the plan"
            add(Check(a.id, "archive changed", text, "archive_old", a))
            size, _ = a.digest("new")
            text = f"the archive ({size} bytes) exceeds the server's max_allowed_packet: raise it or reject"
            add(Check(a.id, "archive too big", text, "archive_fits", a))
        if new_states:
            self._accept_new_states(guards)
        for (kind, ref), item_id in sorted(refs_needed.items()):
            if (kind, ref.upper()) not in self.new_refs:
                add(
                    Check(
                        item_id,
                        "ref not single",
                        f"no single {kind} with ref {ref}",
                        "group_unique",
                        (kind, ref),
                    )
                )
        return _numbered(guards)

    @staticmethod
    def _accept_new_states(guards: list[Check]) -> None:
        """After an interruption a row may already be in the plan's new state: each guard on an item's
        own row passes then too (and the item's write, conditioned on the old state, moves nothing)."""
        new_state = {
            "group_absent": "group_created",
            "rename": "renamed",
            "user": "user_new",
            "membership": "membership_absent",
            "retire": "retired_or_half",
        }
        for g in guards:
            if g.check in new_state:
                g.either = [Check(g.item, "", "", new_state[g.check], g.subject)]
            elif g.check == "archive_old":  # written, or cut between its pieces
                g.either = [Check(g.item, "", "", "archive_started", g.subject)]

    def revert_guards(self) -> list[Check]:
        """Everything that must hold before revert.sql writes: rows still hold what apply.sql wrote."""
        guards: list[Check] = []
        add = guards.append
        for r in self.retires:
            text = f"groupe_id {r.groupe_id} or ref {r.ref} is in use again"
            # retired, or cut between deleting its memberships and deleting its row
            add(Check(r.id, "id or ref in use", text, "retired_absent_or_half", r))
        for m in self.memberships_remove:
            text = f"user_id {m.user_id} is gone or has another login"
            add(Check(m.id, "user changed", text, "user_exists", m))
            if ("groupe", m.ref.upper()) not in self.retired_refs:
                text = f"no single groupe with ref {m.ref}"
                add(Check(m.id, "ref not single", text, "group_unique", ("groupe", m.ref)))
        for m in self.memberships_add:
            text = "the membership apply.sql added is not there"
            add(Check(m.id, "member missing", text, "membership_present", m))
        for u in self.user_changes:
            text = f"user_id {u.user_id} no longer holds the values apply.sql wrote"
            add(Check(u.id, "row changed", text, "user_new", u))
        for c in self.creates:
            text = "the new pupil's account is gone or was changed since apply.sql"
            if self.deletes_created:
                text = "the new pupil's account changed or was used since apply.sql: not deleted"
            add(Check(c.id, "account changed", text, "created", c))
        for r in self.renames:
            text = f"class groupe_id {r.groupe_id} no longer has the name apply.sql wrote"
            add(Check(r.id, "class changed", text, "renamed", r))
        for a in self.archives:
            text = "SACoche's import archive no longer holds what apply.sql wrote"
            pieces = a.prefixes("new") or a.prefixes("old")  # or cut between pieces (apply's, its own)
            check = "archive_reverting" if pieces else "archive_new"
            add(Check(a.id, "archive changed", text, check, a))
        if self.deletes_created:
            self._note_created_group_users()
            for g in self.group_creates:
                text = f"{g.type} {g.ref} changed or is used by others: not deleted"
                add(Check(g.id, "group in use", text, "created_group", g))
        # After a partial apply a row may be in the plan's old state: nothing to revert there, and every
        # write of revert.sql is conditioned on the new state, so such a row is left as it is.
        olds = self.old_states()
        for g in guards:
            old = olds.get(g.item)
            if isinstance(old, list):
                g.either = old
            elif old == "absent" and g.check == "membership_present":
                g.check = "always"
        return _numbered(guards)

    def _note_created_group_users(self) -> None:
        """Tell each created class/group which accounts and memberships the plan itself put in it (one
        pass over the changes and memberships, not one per created group)."""
        logins_by_class: dict[str, list[str]] = {}
        for c in self.creates:
            logins_by_class.setdefault(c.class_ref.upper(), []).append(c.login)
        moved_to: dict[str, list[int]] = {}
        for u in self.user_changes:
            for ref in dict.fromkeys(str(ref).upper() for ref in u.new_class_refs):
                moved_to.setdefault(ref, []).append(u.user_id)
        added_ids: dict[str, list[int]] = {}
        added_logins: dict[str, list[str]] = {}
        for m in self.memberships_add:
            if m.user_id:
                added_ids.setdefault(m.ref.upper(), []).append(m.user_id)
            else:
                added_logins.setdefault(m.ref.upper(), []).append(m.login)
        for g in self.group_creates:
            ref = g.ref.upper()
            g.created_logins = logins_by_class.get(ref, []) if g.type == "classe" else []
            g.moved_users = list(moved_to.get(ref, [])) if g.type == "classe" else []
            g.added_ids = list(added_ids.get(ref, []))
            g.added_logins = list(added_logins.get(ref, []))

    def verify_checks(self) -> list[Check]:
        checks: list[Check] = []
        add = checks.append
        for g in self.group_creates:
            add(Check(g.id, "", f"one {g.type} {g.ref} with the plan's name", "group_created", g))
        for r in self.renames:
            add(Check(r.id, "", f"class groupe_id {r.groupe_id} renamed", "renamed", r))
        for c in self.creates:
            add(Check(c.id, "", f"account {c.login} exists with the plan's values", "created_all", c))
        for u in self.user_changes:
            add(Check(u.id, "", f"user_id {u.user_id} holds the new values", "user_new", u))
        for m in self.memberships_add:
            add(Check(m.id, "", f"{m.describe}: member", "membership_present", m))
        for m in self.memberships_remove:
            add(Check(m.id, "", f"user_id {m.user_id}, group {m.ref}: not a member", "membership_absent", m))
        for r in self.retires:
            add(Check(r.id, "", f"groupe_id {r.groupe_id} and its memberships are gone", "retired", r))
        for a in self.archives:
            add(Check(a.id, "", "SACoche's import archive holds the imported file", "archive_new", a))
        for e in self.left_alone:
            text = f"hand-made {e.type} groupe_id {e.groupe_id} untouched"
            add(Check(f"left_alone-{e.groupe_id}", "", text, "left_alone", e))
        return _numbered(checks)

    def old_states(self) -> dict[str, str]:
        """item id → how verify.sql tells "not done" (the item's row still as the plan found it) from an
        unexpected state: the apply guards about the item's own row, or "absent" (a membership to add:
        not done while absent) or "never" (a hand-made group: only ever done or unexpected)."""
        found: dict[str, list[Check]] = {}
        for g in self.apply_guards():
            if g.check in OWN_ROW_GUARDS:
                found.setdefault(g.item, []).append(g)
        states: dict[str, Any] = {item: checks for item, checks in found.items()}
        for m in self.memberships_add:
            states.setdefault(m.id, "absent")
        return states

    def expected_rows(self) -> int:
        """Rows apply.sql changes when every write lands (printed at the end of the MySQL script)."""
        return (
            len(self.group_creates)
            + len(self.renames)
            + len(self.creates)
            + len(self.user_changes)
            + len(self.memberships_add)
            + len(self.memberships_remove)
            + sum(1 + len(r.members) for r in self.retires)
            + sum(len(a.chunks("new")) for a in self.archives)
        )

    @property
    def writes(self) -> bool:
        """Whether the scripts write anything (an accepted item)."""
        return bool(self.accepted)


# --- rendering --------------------------------------------------------------------------------------------


@cache
def _environment(dialect: str) -> Environment:
    """One Jinja environment per dialect and process; compiled templates are kept in the user's cache
    (:mod:`engine.cache`) so that a run does not compile them again."""
    from engine.cache import template_cache

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / dialect)),
        autoescape=False,  # SQL: every literal goes through the `sql` filter instead
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_cache(),
    )
    env.filters["sql"] = LITERALS[dialect]
    env.filters["sqltext"] = BIG_LITERALS[dialect]
    env.filters["comment"] = sql_comment
    return env


def _header(loaded: LoadedPlan, model: _Model, dialect: str) -> dict[str, Any]:
    doc = loaded.doc
    counts = Counter(i["kind"] for i in model.accepted)
    state = doc.get("state") or {}
    fingerprint = state.get("fingerprint") or {}
    return {
        "plan_sha256": loaded.sha256,
        "tool": doc.get("tool", ""),
        "generated_at": doc.get("generated_at", ""),
        "today": model.today,
        "source": doc.get("source") or {},
        "db_url": _redact(str(state.get("url", ""))),
        "db_dialect": state.get("dialect", ""),
        "fingerprint": [
            (table, info.get("rows"), info.get("sha256"))
            for table, info in sorted(fingerprint.items())
            if isinstance(info, dict)
        ],
        "rules": doc.get("rules") or {},
        "counts": [(k, counts[k]) for k in ITEM_KINDS if counts.get(k)],
        "accepted": len(model.accepted),
        "skipped": len(model.skipped),
        "skipped_ids": [i["id"] for i in model.skipped],
        "decide": len(model.decide),
        "held": bool(doc.get("held")),
        "dialect": dialect,
        "deletes_created": model.deletes_created,
    }


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


_BLANK_RUN = re.compile(r"\n{3,}")
BLOCK_PIECES = 4096


def _blocks(chunks: Iterable[str]) -> Iterator[str]:
    """Jinja yields a piece per expression: join them ``BLOCK_PIECES`` at a time (``islice`` and ``join``
    consume the generator in C, with no Python step per piece)."""
    pieces = iter(chunks)
    while batch := list(islice(pieces, BLOCK_PIECES)):
        yield "".join(batch)


def _squeeze_blank_lines(chunks: Iterable[str]) -> Iterator[str]:
    """``re.sub(r"\n{3,}", "\n\n", "".join(chunks))``, chunk by chunk (runs may span chunks)."""
    pending = 0  # newlines held back from the end of what came so far (at most 2 matter)
    for chunk in chunks:
        if not chunk:
            continue
        text = "\n" * pending + chunk
        body = text.rstrip("\n")
        pending = min(len(text) - len(body), 2)
        if body:
            yield _BLANK_RUN.sub("\n\n", body)
    if pending:
        yield "\n" * pending


_ACCOUNT_DELETES = ("DELETE FROM sacoche_user ", "DELETE FROM sacoche_user\n")


def _refusing_account_deletes(chunks: Iterable[str]) -> Iterator[str]:
    """Passes apply.sql's chunks through, failing if it would ever delete from sacoche_user."""
    tail = ""
    for chunk in chunks:
        window = tail + chunk
        if any(needle in window for needle in _ACCOUNT_DELETES):
            raise AssertionError("apply.sql must never delete accounts")  # pragma: no cover
        tail = window[-len(_ACCOUNT_DELETES[0]) :]
        yield chunk


def _model(loaded: LoadedPlan, revert_deletes_created: bool) -> _Model:
    try:
        return _Model(loaded.doc, revert_deletes_created=revert_deletes_created)
    except OndeError as exc:
        exc.file = exc.file or str(loaded.path)
        named = re.search(r"[a-z_]+-[0-9a-f]{10}", exc.message)
        if exc.line is None and named:
            exc.line = loaded.line_of(json.dumps(named.group(0)))
        raise


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise OndeError(f"unknown SQL dialect {dialect!r}", hint=f"use one of: {', '.join(DIALECTS)}")


def script_chunks(loaded: LoadedPlan, model: _Model, dialect: str, name: str) -> Iterator[str]:
    """The text of one script, piece by piece (a million-pupil script is hundreds of MiB)."""
    _check_dialect(dialect)
    context: dict[str, Any] = {
        "h": _header(loaded, model, dialect),
        "m": model,
        "q": PHRASES[dialect](
            LITERALS[dialect], deletes_created=model.deletes_created, big=BIG_LITERALS[dialect]
        ),
        "script": name,
        "ACTIVE": ACTIVE,
    }
    context["read_guards"] = []
    if name == "apply":
        context["read_guards"] = read_guards(loaded.doc, LITERALS[dialect]) if dialect == "mysql" else []
        if context["read_guards"]:
            context["touched"] = touched_sql(
                (i for i in loaded.doc["items"] if i["kind"] != "decide"), LITERALS[dialect]
            )
        context["guards"] = model.apply_guards(new_states=dialect == "mysql")
    elif name == "revert":
        context["guards"] = model.revert_guards()
    else:
        context["checks"] = model.verify_checks()
        context["old_states"] = model.old_states()
    template = _environment(dialect).get_template(f"{name}.sql.j2")
    chunks = _squeeze_blank_lines(_blocks(template.generate(context)))
    return _refusing_account_deletes(chunks) if name == "apply" else chunks


def render_scripts(
    loaded: LoadedPlan, dialect: str, *, revert_deletes_created: bool = False
) -> dict[str, str]:
    """The three scripts for one dialect, as text (nothing written); for small plans and tests."""
    model = _model(loaded, revert_deletes_created)
    scripts = {}
    for name in SCRIPTS:
        try:
            scripts[name] = "".join(script_chunks(loaded, model, dialect, name))
        except (ValueError, TypeError) as exc:
            raise OndeError(f"cannot render {dialect}/{name}.sql: {exc}", file=loaded.path) from exc
    return scripts


def plan_dialects(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """The dialects a plan's scripts are rendered in by default: MySQL (the real SACoche) always, SQLite
    too when the plan was made against a SQLite database (the demo)."""
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    return DIALECTS if state.get("dialect") == "sqlite" else ("mysql",)


def sql_path(plan_dir: Path, dialect: str, script: str) -> Path:
    """Where a rendered script lives: ``PLAN_DIR/sql/<dialect>/<script>.sql``."""
    return Path(plan_dir) / SQL_DIR / dialect / f"{script}.sql"


def render_sql(
    plan_dir: Path,
    dialects: Iterable[str] = DIALECTS,
    *,
    revert_deletes_created: bool = False,
    loaded: LoadedPlan | None = None,
) -> list[Path]:
    """Render apply/revert/verify.sql for each dialect from ``plan_dir/plan.json`` into ``plan_dir/sql/``.

    Scripts are streamed to temporary files beside their final names and renamed only once every script
    rendered: on any error no script is written or replaced. ``loaded`` spares reading plan.json again.
    """
    from engine.plan.planio import write_chunks_atomic

    loaded = loaded or load_plan(Path(plan_dir))
    dialects = list(dialects)
    for dialect in dialects:
        _check_dialect(dialect)  # before any directory is made
    model = _model(loaded, revert_deletes_created)
    staged: list[tuple[Path, Path]] = []
    try:
        for dialect in dialects:
            for name in SCRIPTS:
                path = sql_path(plan_dir, dialect, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    temporary = write_chunks_atomic(
                        path, script_chunks(loaded, model, dialect, name), rename=False
                    )
                except (ValueError, TypeError) as exc:
                    raise OndeError(f"cannot render {dialect}/{name}.sql: {exc}", file=loaded.path) from exc
                staged.append((temporary, path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)
    return [path for _, path in staged]


def rendered_plan_sha(script: Path) -> str | None:
    """The plan.json SHA-256 a rendered script was made from (from its header), or None."""
    try:
        with script.open(encoding="utf-8") as handle:
            for _, line in zip(range(40), handle, strict=False):
                found = re.match(r"^-- plan\.json sha256 ([0-9a-f]{64})", line)
                if found:
                    return found.group(1)
    except OSError:
        return None
    return None
