"""The family letters (``lettres-familles.html``): one printable A4 letter, in French, per new parent account.

Only the accepted ``parent_create`` items of the plan get a letter (docs/parents.md): an existing parent
keeps its login and password and is never sent a new one. The password comes from the private credentials
file the planner writes beside plan.json (``identifiants-parents.csv``, or ``identifiants.csv`` should a
parent's row be there), keyed by the parent's login and item id as a pupil's card is; plan.json only holds
its hash. A parent without a row gets no letter (the report says which ones).

A family is the parents sharing children: two parents of the same child get **one letter each** (each
account has its own password, parents may live apart and a password is personal), printed one after the
other and marked « lettre 1 sur 2 » so that the secretary hands both out together (the other parent is
not named: a letter carries only what its reader needs). Families are in the
order of their first child's class (school order), then the child's name: the letters go home through the
children's classes. The letter names the parent (M. / Mme), the children it is linked to by this plan and
their classes, the login and password, how to connect (SACoche's address when it is known, else a line to
fill in by hand) and what to do if the letter or the password is lost. No password ever reaches a log or
another document; the file is written 0600 in the 0700 plan directory, as the pupils' sheet is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.plan.parents_build import PARENT_CREDENTIALS_FILE
from engine.plan.planio import read_credentials, restore_cell
from engine.render.documents import private_dir, write_document
from engine.render.french import class_sort_key, long_date_fr
from engine.state import ADDRESS_COLUMNS

__all__ = [
    "LETTERS_FILE",
    "PARENT_CREDENTIALS_FILE",
    "family_letters",
    "missing_letters",
    "read_parent_credentials",
    "render_letters",
    "sacoche_address",
]

LETTERS_FILE = "lettres-familles.html"
#: civilité (SACoche's user_genre of a TUT account) → (abbreviation, salutation)
CIVILITES = {"M": ("M.", "Monsieur,"), "F": ("Mme", "Madame,")}
UNKNOWN_CIVILITE = ("", "Madame, Monsieur,")
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def read_parent_credentials(
    out_dir: Path, pupils: Iterable[Mapping[str, str]] | None = None
) -> list[dict[str, str]]:
    """The rows of ``identifiants-parents.csv`` (cells as they were before neutralisation), then those of
    ``identifiants.csv`` (``pupils`` when the caller has read them already: a pupil's row names its own
    item, never a parent's); ``[]`` when neither is there or readable."""
    rows: list[dict[str, str]] = []
    path = Path(out_dir) / PARENT_CREDENTIALS_FILE
    if path.is_file():
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = [
                    {key: restore_cell(value or "") for key, value in row.items() if isinstance(key, str)}
                    for row in csv.DictReader(handle, delimiter=";")
                ]
        except (OSError, UnicodeDecodeError, csv.Error):
            rows = []
    return [*rows, *(read_credentials(out_dir) if pupils is None else pupils)]


def sacoche_address(value: Any) -> str:
    """SACoche's web address as the letter prints it: an http(s) URL alone, else ``""`` (a line to fill)."""
    text = str(value or "").strip()
    return text if _URL.fullmatch(text) else ""


def _child_key(child: Mapping[str, Any]) -> tuple[str, str] | None:
    """A linked child's identity: its account id, or the login of a pupil this plan creates."""
    if child.get("user_id") is not None:
        return ("id", str(child["user_id"]))
    if child.get("login"):
        return ("login", str(child["login"]).lower())
    return None  # not resolved: a question, not a child of this letter


def _linked_children(
    item: Mapping[str, Any], links: Mapping[str, list[Mapping[str, Any]]], renamed: Mapping[str, str]
) -> list[dict]:
    """The children this new parent will be linked to: those of its accepted ``parent_link`` items when the
    plan has links for it, else the resolved children of its subject."""
    login = str(item.get("target", {}).get("login", ""))
    children = [c for c in item.get("subject", {}).get("children", []) if _child_key(c) is not None]
    own = links.get(login.lower())
    if own is not None:
        keys = set()
        for link in own:
            target = link.get("target", {})
            key = _child_key({"user_id": target.get("eleve_id"), "login": target.get("eleve_login")})
            if link.get("accepted") and key is not None:
                keys.add(key)
        children = [c for c in children if _child_key(c) in keys]
    shown = [
        {
            "nom": str(c.get("nom", "")),
            "prenom": str(c.get("prenom", "")),
            "classe": renamed.get(str(c.get("classe") or ""), str(c.get("classe") or "")),
        }
        | {"key": _child_key(c)}
        for c in children
    ]
    return sorted(shown, key=lambda c: (class_sort_key(c["classe"]), c["nom"], c["prenom"]))


def _address_lines(item: Mapping[str, Any] | None) -> list[str]:
    """The postal address of an accepted ``parent_address`` item (new values), as an envelope shows it."""
    if item is None:
        return []
    values = {
        c: str((item.get("changes", {}).get(c) or {}).get("new") or "").strip() for c in ADDRESS_COLUMNS
    }
    lines = [values[c] for c in ADDRESS_COLUMNS[:4] if values[c]]
    town = " ".join(v for v in (values["adresse_postal_code"], values["adresse_postal_libelle"]) if v)
    if town:
        lines.append(town)
    if values["adresse_pays_nom"] and values["adresse_pays_nom"].casefold() != "france":
        lines.append(values["adresse_pays_nom"])
    return lines


def _password_rows(rows: Iterable[Mapping[str, str]]) -> dict[str, list[Mapping[str, str]]]:
    by_login: dict[str, list[Mapping[str, str]]] = {}
    for row in rows:
        if row.get("login") and row.get("mot_de_passe"):
            by_login.setdefault(row["login"], []).append(row)
    return by_login


def _password(item: Mapping[str, Any], by_login: Mapping[str, list[Mapping[str, str]]]) -> str | None:
    """The plaintext password of this item's row (same login, and same item id when the row names one)."""
    login = item.get("target", {}).get("login")
    for row in by_login.get(str(login), []):
        if row.get("item", "") in ("", item.get("id")):
            return row["mot_de_passe"]
    return None


def _accepted_creates(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        i
        for i in plan.get("items", [])
        if i.get("kind") == "parent_create" and i.get("accepted") and i.get("target", {}).get("login")
    ]


def missing_letters(plan: Mapping[str, Any], rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Ids of the accepted new parents whose password is not in the credentials file (no letter)."""
    by_login = _password_rows(rows)
    return [str(i.get("id", "")) for i in _accepted_creates(plan) if _password(i, by_login) is None]


def family_letters(plan: Mapping[str, Any], rows: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
    """The letters, in print order: one per accepted ``parent_create`` with a password, grouped by family
    (parents sharing a child), families in their first child's class order."""
    items = list(plan.get("items", []))
    links: dict[str, list[Mapping[str, Any]]] = {}
    addresses: dict[str, Mapping[str, Any]] = {}
    for item in items:
        target = item.get("target", {})
        login = str(target.get("parent_login") or "").lower()
        if item.get("kind") == "parent_link" and login:
            links.setdefault(login, []).append(item)
        elif item.get("kind") == "parent_address" and login and item.get("accepted"):
            addresses[login] = item
    by_login = _password_rows(rows)
    from engine.render.report_parents import class_renames  # a plan without parents never imports it

    renamed = class_renames(plan)  # a child staying in a renamed class: its new name
    letters = []
    for item in _accepted_creates(plan):
        password = _password(item, by_login)
        if password is None:
            continue
        subject, login = item.get("subject", {}), str(item["target"]["login"])
        civilite, salutation = CIVILITES.get(str(subject.get("civilite", "")), UNKNOWN_CIVILITE)
        nom, prenom = str(subject.get("nom", "")), str(subject.get("prenom", ""))
        children = _linked_children(item, links, renamed)
        letters.append(
            {
                "id": str(item.get("id", "")),
                "civilite": civilite,
                "salutation": salutation,
                "nom": nom,
                "prenom": prenom,
                "name": " ".join(p for p in (civilite, prenom, nom) if p),
                "children": children,
                "address": _address_lines(addresses.get(login.lower())),
                "login": login,
                "password": password,
            }
        )
    return _in_families(letters)


def _in_families(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Letters grouped by family (union of parents sharing a child key), each marked with its family."""
    parent = list(range(len(letters)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    for index, letter in enumerate(letters):
        for c in letter["children"]:
            other = first_with.setdefault(c["key"], index)
            parent[root(index)] = root(other)
    families: dict[int, list[dict[str, Any]]] = {}
    for index, letter in enumerate(letters):
        families.setdefault(root(index), []).append(letter)

    def child_order(c: Mapping[str, str]) -> tuple[Any, ...]:
        return (class_sort_key(c["classe"]), c["nom"], c["prenom"])

    groups = []
    for members in families.values():
        members.sort(key=lambda m: (m["nom"], m["prenom"], m["login"]))
        children = {c["key"]: c for m in members for c in m["children"]}
        kids = sorted(children.values(), key=child_order)
        first = kids[0] if kids else {"classe": "", "nom": members[0]["nom"], "prenom": ""}
        groups.append((child_order(first), members, first))
    groups.sort(key=lambda g: (g[0], g[1][0]["nom"], g[1][0]["prenom"], g[1][0]["login"]))
    out = []
    for number, (_, members, _first) in enumerate(groups, 1):
        for position, letter in enumerate(members, 1):
            own = letter["children"][0] if letter["children"] else {}  # its own first child carries it home
            out.append(
                letter
                | {
                    "family": number,
                    "position": position,
                    "of": len(members),
                    "via": " ".join(p for p in (own.get("prenom", ""), own.get("nom", "")) if p),
                    "via_classe": own.get("classe", ""),
                }
            )
    return out


def render_letters(
    plan: Mapping[str, Any],
    out_dir: Path,
    *,
    address: str | None = None,
    rows: Iterable[Mapping[str, str]] | None = None,
) -> Path | None:
    """Write ``lettres-familles.html`` (0600) when the plan has accepted new parents with a password, else
    remove a stale one (no letter of passwords outlives the plan that made it). ``address``: SACoche's
    web address (else plan.json's ``letters.sacoche_url``, else a line to fill in). Returns the path
    written, or None."""
    out_dir = Path(out_dir)
    path = out_dir / LETTERS_FILE
    letters = family_letters(plan, read_parent_credentials(out_dir) if rows is None else rows)
    if not letters:
        path.unlink(missing_ok=True)
        return None
    private_dir(out_dir)
    settings = plan.get("letters")
    configured = settings.get("sacoche_url") if isinstance(settings, dict) else None
    view = {
        "letters": letters,
        "families": max(letter["family"] for letter in letters),
        "today": long_date_fr(plan.get("today", "")),
        "sacoche_url": sacoche_address(address if address is not None else configured),
    }
    return write_document(path, "lettres.html", view)
