"""What the SQL relies on in each item of plan.json, kind by kind: ids, targets, changes, values within
the database's widths. :func:`item_value_problems` gives one message per problem (the loader adds the
file and line); a new kind of item adds its checker to :data:`KIND_PROBLEMS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from engine.archive import MEDIUMTEXT_BYTES
from engine.archive import OBJET as ARCHIVE_OBJET
from engine.plan import ITEM_KINDS
from engine.render.columns import (
    ADDRESS_COLUMN_TYPES,
    ARCHIVE_COLUMNS,
    CLASS,
    CREATE_REQUIRED,
    DATE,
    DATE_RE,
    GROUP_NAME_LENGTH,
    GROUP_REF_LENGTH,
    ITEM_ID_RE,
    PARENT,
    PARENT_CREATE_COLUMNS,
    PARENT_USER_KINDS,
    TEXT,
    USER_COLUMNS,
    USER_KINDS,
)
from engine.render.plancheck import real_date
from engine.state import ACTIVE

#: (kind, target, changes, widths) → the problems of one kind's target and changes
KindProblems = Callable[[str, Mapping[str, Any], Mapping[str, Any], dict[str, int]], list[str]]


def plan_widths(state: dict[str, Any]) -> dict[str, int] | str:
    """The column widths the plan was made against (state.widths), or a message saying what is wrong."""
    widths = state.get("widths", {})
    if not isinstance(widths, dict) or not all(is_int(v) and v > 0 for v in widths.values()):
        return "state.widths must map column names to positive integers: re-run `onde-sacoche plan`"
    return widths


def _width(widths: dict[str, int], column: str, default: int) -> int:
    return widths.get(column, default)


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def beyond_bmp(text: str) -> bool:
    """Whether ``text`` holds a character beyond U+FFFF, which SACoche's utf8 cannot store. ASCII text
    (most of a plan) is answered at once by the flag str keeps; max() is the C loop of any(ord(ch) >
    0xFFFF) for the rest."""
    return not text.isascii() and max(text) > "\uffff"


def _value_problem(
    column: str, value: Any, *, nullable_date: bool, widths: dict[str, int], stored: bool = False
) -> str | None:
    """What is wrong with a value for this column; ``stored`` values (a change's old side) are already in
    the database, so their length is never held against them."""
    ctype, spec = USER_COLUMNS[column]
    if ctype == TEXT:
        if not is_text(value):
            return f"{column} must be text"
        if isinstance(spec, tuple) and value not in spec:
            return f"{column} must be one of {', '.join(repr(v) for v in spec)}"
        if isinstance(spec, int) and not stored and len(value) > (width := widths.get(column, spec)):
            return f"{column} holds {len(value)} characters, more than the database's {width}"
        if beyond_bmp(value):
            return f"{column} holds a character outside the BMP (emoji…) that SACoche's utf8 cannot store"
    elif ctype == DATE:
        if value in (None, "") and nullable_date:
            return None
        if not real_date(value):
            return f"{column} must be a real date yyyy-mm-dd"
    elif ctype == CLASS:
        width = _width(widths, "groupe_ref", GROUP_REF_LENGTH)
        if not is_text(value) or not value or len(value) > width:
            return f"{column} must be a class ref (1 to {width} characters)"
    return None


def item_value_problems(item: Any, widths: dict[str, int] | None = None) -> list[str]:
    """What is wrong with one item for the SQL: its id, kind, ``accepted`` flag, target and changes."""
    widths = widths or {}
    if not isinstance(item, dict):
        return ["an item must be an object"]
    problems: list[str] = []
    kind = item.get("kind")
    ident = item.get("id")
    if not isinstance(ident, str) or not ITEM_ID_RE.match(ident):
        problems.append("'id' must be kind-<hex> (letters, digits, '_', '-', '.'; at most 40)")
    if kind not in ITEM_KINDS:
        return [*problems, f"unknown kind {kind!r} (one of {', '.join(ITEM_KINDS)})"]
    if not isinstance(item.get("accepted"), bool):
        problems.append(f"'accepted' must be true or false, not {json.dumps(item.get('accepted'))}")
    target, changes = item.get("target"), item.get("changes")
    if not isinstance(target, dict) or not isinstance(changes, dict):
        return [*problems, "'target' and 'changes' must be objects"]
    if kind in ("decide", "parent_decide"):
        if kind == "parent_decide" and item.get("accepted") is True:
            problems.append(
                "a parent_decide item is a question, it cannot be accepted: set it back to false and answer "
                "it in the decisions file (docs/parents.md)"
            )
        elif item.get("accepted") is True:
            problems.append(
                "a decide item is a question, it cannot be accepted: set it back to false and answer it "
                "with `onde-sacoche decide PLAN ID same|different`"
            )
        return problems
    for change in changes.values():  # a plain loop: a generator costs more than one change's check
        if not isinstance(change, dict):
            return [*problems, "each change must be an object {old, new}"]
    check = KIND_PROBLEMS.get(kind)
    return problems + check(kind, target, changes, widths) if check else problems


# --- accounts (sacoche_user) ------------------------------------------------------------------------------


def _user_change_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    """An update, deactivation or reactivation of an existing account."""
    problems = []
    if not is_int(target.get("user_id")) or not is_text(target.get("login")):
        problems.append("target needs user_id (integer) and login (text)")
    if not changes:
        problems.append("no change")
    for column, change in changes.items():
        if column not in USER_COLUMNS or column in ("user_login", "user_password", "user_profil_sigle"):
            problems.append(f"column {column!r} cannot be changed by this tool")
            continue
        if column == "eleve_classe_id":
            if not is_int(change.get("old_id")) or not is_text(change.get("new")) or not change["new"]:
                problems.append("eleve_classe_id needs old_id (integer) and new (class ref)")
            continue
        for side in ("old", "new"):
            if side not in change:
                problems.append(f"{column}: '{side}' is missing")
                continue
            value = change[side]
            if column == "user_sortie_date" and value in (None, ""):
                problem: str | None = "user_sortie_date must be a date yyyy-mm-dd"
            else:
                problem = _value_problem(
                    column, value, nullable_date=True, widths=widths, stored=side == "old"
                )
            if problem:
                problems.append(f"{side} {problem}")
    if kind == "deactivate" and set(changes) != {"user_sortie_date"}:
        problems.append("a deactivation changes user_sortie_date only")
    if kind == "reactivate" and changes.get("user_sortie_date", {}).get("new") != ACTIVE:
        problems.append(f"a reactivation sets user_sortie_date to {ACTIVE}")
    return problems


def _create_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    """A new pupil's account."""
    problems = []
    if not is_text(target.get("login")):
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
    return problems


# --- classes and groups (sacoche_groupe, sacoche_jointure_user_groupe) ----------------------------------


def _group_problems(
    ref: Any, name: Any, widths: dict[str, int], *, allow_empty_ref: bool = False, stored: bool = False
) -> list[str]:
    """What is wrong with a group's ref and name; ``stored`` ones are not held to the widths."""
    problems = []
    ref_width = 10**9 if stored else _width(widths, "groupe_ref", GROUP_REF_LENGTH)
    name_width = 10**9 if stored else _width(widths, "groupe_nom", GROUP_NAME_LENGTH)
    if not is_text(ref) or (not ref and not allow_empty_ref) or len(ref) > ref_width:
        problems.append(f"groupe_ref must be text of 1 to {ref_width} characters")
    elif beyond_bmp(ref):
        problems.append("groupe_ref holds a character outside the BMP")
    if not is_text(name) or len(name) > name_width:
        problems.append(f"name must be text of at most {name_width} characters")
    elif beyond_bmp(name):
        problems.append("name holds a character outside the BMP (emoji…)")
    return problems


def _group_create_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    ref, name = target.get("groupe_ref"), changes.get("groupe_nom", {}).get("new")
    problems = _group_problems(ref, name, widths)
    niveau = changes.get("niveau_id", {}).get("new", 0)
    if not is_int(niveau):
        problems.append("niveau_id must be an integer")
    return problems


def _rename_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    problems = []
    change = changes.get("groupe_nom", {})
    if not is_int(target.get("groupe_id")):
        problems.append("target needs groupe_id (integer)")
    problems += _group_problems(target.get("groupe_ref"), change.get("new"), widths)
    old_problems = _group_problems("x", change.get("old"), widths, stored=True)
    return problems + [p.replace("name", "old name") for p in old_problems]


def _retire_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    problems = []
    if not is_int(target.get("groupe_id")):
        problems.append("target needs groupe_id (integer)")
    problems += _group_problems(
        target.get("groupe_ref"), target.get("groupe_nom"), widths, allow_empty_ref=True, stored=True
    )
    if not is_int(target.get("niveau_id")):
        problems.append("target needs niveau_id (integer): re-run `onde-sacoche plan`")
    members = target.get("members")
    if not isinstance(members, list) or not all(is_int(m) for m in members):
        problems.append("target needs members (list of user_id): re-run `onde-sacoche plan`")
    return problems


def _membership_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    problems = []
    ref = target.get("groupe_ref")
    if not is_text(ref) or not ref:
        problems.append("target needs groupe_ref")
    if not is_text(target.get("login")) or not target.get("login"):
        problems.append("target needs login")
    if "user_id" in target and not is_int(target["user_id"]):
        problems.append("user_id must be an integer")
    if kind == "membership_remove" and "user_id" not in target:
        problems.append("target needs user_id")
    return problems


# --- SACoche's import archive (sacoche_siecle_import) ---------------------------------------------------


def _archive_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
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
                ok = is_text(value) and len(value.encode("utf-8")) <= MEDIUMTEXT_BYTES
            elif column == "siecle_import_date":
                ok = value is None or (is_text(value) and DATE_RE.match(value) is not None)
            else:
                ok = value is None or (is_text(value) and len(value) <= 4)
            if side == "new" and value is None:
                ok = False
            if not ok:
                problems.append(f"{side} {column} is not what SACoche's archive holds")
    return problems


# --- parents (docs/parents.md) ----------------------------------------------------------------------------


def _parent_change_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    """An update, deactivation or reactivation of an existing parent's account (no class)."""
    pupil_kind = kind.removeprefix("parent_")
    problems = _user_change_problems(pupil_kind, target, changes, widths)
    if "eleve_classe_id" in changes:
        problems.append("a parent has no class: eleve_classe_id cannot be changed")
    return problems


def _parent_create_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    """A new parent's account: profile TUT, no class."""
    problems = []
    if not is_text(target.get("login")) or not target.get("login"):
        problems.append("target needs login (text)")
    for column, change in changes.items():
        if column not in PARENT_CREATE_COLUMNS:
            problems.append(f"column {column!r} cannot be set by this tool on a parent")
            continue
        if "new" not in change:
            problems.append(f"{column}: 'new' is missing")
            continue
        if column == "user_profil_sigle":
            if change["new"] != PARENT:
                problems.append(f"user_profil_sigle of a parent must be {PARENT!r}")
            continue
        problem = _value_problem(column, change["new"], nullable_date=False, widths=widths)
        if problem:
            problems.append(problem)
    for column in ("user_profil_sigle", "user_nom", "user_prenom", "user_login", "user_password"):
        if column not in changes:
            problems.append(f"{column} is missing")
    if changes.get("user_login", {}).get("new") not in (None, target.get("login")):
        problems.append("user_login differs from target.login")
    return problems


def _parent_ref_problems(target: Mapping[str, Any], prefix: str) -> list[str]:
    """A parent (``parent``) or a child (``eleve``): its user_id (or null: created by this plan) and login."""
    problems = []
    if target.get(f"{prefix}_id") is not None and not is_int(target.get(f"{prefix}_id")):
        problems.append(f"{prefix}_id must be an integer or null")
    login = target.get(f"{prefix}_login")
    if not is_text(login) or not login:
        problems.append(f"target needs {prefix}_login")
    return problems


def _parent_address_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    problems = _parent_ref_problems(target, "parent")
    row_exists = target.get("row_exists")
    if not isinstance(row_exists, bool):
        return [*problems, "target needs row_exists (true or false)"]
    if not changes:
        problems.append("no change")
    for column, change in changes.items():
        if column not in ADDRESS_COLUMN_TYPES:
            problems.append(f"column {column!r} cannot be set by this tool")
            continue
        new, old = change.get("new"), change.get("old", "missing")
        width = _width(widths, column, ADDRESS_COLUMN_TYPES[column])
        if not is_text(new) or len(new) > width or beyond_bmp(new):
            problems.append(f"new {column} must be text of at most {width} characters (no emoji)")
        if row_exists and not is_text(old):
            problems.append(f"old {column} must be text (the row exists)")
        if not row_exists and old is not None:
            problems.append(f"old {column} must be null (no row yet)")
    return problems


def _parent_link_problems(
    kind: str, target: Mapping[str, Any], changes: Mapping[str, Any], widths: dict[str, int]
) -> list[str]:
    problems = _parent_ref_problems(target, "parent") + _parent_ref_problems(target, "eleve")
    if kind == "parent_link":
        num = changes.get("resp_legal_num", {})
        if set(changes) != {"resp_legal_num"} or num.get("old") is not None:
            problems.append("a link changes resp_legal_num only, from null")
        if not is_int(num.get("new")) or not 0 <= num["new"] <= 255:
            problems.append("resp_legal_num must be an integer from 0 to 255")
        return problems
    if not is_int(target.get("parent_id")) or not is_int(target.get("eleve_id")):
        problems.append("target needs parent_id and eleve_id (integers)")
    if not is_int(target.get("resp_legal_num")) or not 0 <= target["resp_legal_num"] <= 255:
        problems.append("target needs resp_legal_num (an integer from 0 to 255)")
    if changes:
        problems.append("an unlink has no changes")
    return problems


#: item kind → the checker of its target and changes (kinds without one have nothing more to check)
KIND_PROBLEMS: dict[str, KindProblems] = {
    **dict.fromkeys(USER_KINDS, _user_change_problems),
    "create": _create_problems,
    "class_create": _group_create_problems,
    "group_create": _group_create_problems,
    "class_rename": _rename_problems,
    "class_retire": _retire_problems,
    "group_retire": _retire_problems,
    "membership_add": _membership_problems,
    "membership_remove": _membership_problems,
    "archive": _archive_problems,
    **dict.fromkeys(PARENT_USER_KINDS, _parent_change_problems),
    "parent_create": _parent_create_problems,
    "parent_address": _parent_address_problems,
    "parent_link": _parent_link_problems,
    "parent_unlink": _parent_link_problems,
}
