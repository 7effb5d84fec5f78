"""The printed login sheet across re-plans: keep a new pupil's password, say when a sheet became obsolete.

A plan directory's ``identifiants.csv`` holds the plaintext passwords of its new pupils (the sheet is
printed from it) and its ``plan.json`` their md5 hashes. Planning again into the same directory would
draw new passwords and silently make the printed sheet useless. So, before the new plan is written, the
previous one is read: a new pupil whose ``create`` item has the same id and the same login as before
keeps the previous password, but only when that password's hash is the one the previous plan.json holds
(a sheet that does not match its plan is never trusted), when it still has the length now required and
when the profile does not ask for birth-date passwords. Every card of the previous sheet is then checked
against the new plan: still valid, changed (login or password), already created in SACoche (the plan
was applied), or no longer to create. The outcome is counted by class, never by name: it goes into
plan.json (``login_sheet``), the terminal summary and, in French, the report.

The sheet itself (``identifiants.html``, one card per accepted new pupil, classes in school order) is
written by :func:`write_sheet` from the plan and ``identifiants.csv``: only rows whose item and login
are the plan's become cards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from markupsafe import Markup

from engine.dburl import public_url
from engine.plan import Plan
from engine.plan.logins import password_hash
from engine.plan.planio import PLAN_FILE, read_credentials
from engine.plan.previous import read_previous
from engine.render.documents import Deferred, filled, write_document
from engine.render.french import class_sort_key

SHEET_FILE = "identifiants.html"
#: sheets of at most this many cards are rendered whole, not streamed (about 1 KB a card)
SMALL_SHEET = 2000


@dataclass(frozen=True, slots=True)
class Card:
    """One row of the previous sheet; ``verified`` when the previous plan.json holds its password's hash."""

    item: str
    login: str
    password: str
    classe: str
    verified: bool

    def __repr__(self) -> str:  # never the password, nor anything a log could keep
        return f"Card({self.item}, verified={self.verified})"


def previous_cards(out: Path, state_url: str, salt: str) -> list[Card]:
    """The cards of the sheet of the plan in ``out`` made against the same database, or ``[]``."""
    rows = read_credentials(out)
    if not rows:
        return []
    try:
        previous = read_previous(out / PLAN_FILE, kinds=("create",))
    except (OSError, UnicodeDecodeError, ValueError):
        previous = None
    url = previous.url if previous is not None else None
    same_db = isinstance(url, str) and public_url(url) == state_url  # "user:***@" of older versions too
    hashes: dict[str, tuple[str, str]] = {}
    if same_db and previous is not None:
        for item in previous.items:
            try:
                hashes[str(item["id"])] = (
                    str(item["target"]["login"]),
                    str(item["changes"]["user_password"]["new"]),
                )
            except (KeyError, TypeError):
                continue
    cards = []
    for row in rows:
        item, login, password = row.get("item", ""), row.get("login", ""), row.get("mot_de_passe", "")
        if not item or not login:
            continue
        verified = hashes.get(item) == (login, password_hash(password, salt)) and bool(password)
        cards.append(Card(item, login, password, row.get("classe", ""), verified))
    return cards


def keep_passwords(
    plan: Plan,
    cards: list[Card],
    *,
    salt: str,
    min_length: int,
    birth_date_passwords: bool,
    taken_logins: Collection[str],
) -> tuple[Plan, dict[str, Any] | None]:
    """``plan`` with the previous passwords kept where allowed, and the ``login_sheet`` report (None
    when there was no previous sheet). The create items' ``user_password`` hashes follow."""
    if not cards:
        return plan, None
    by_item = {card.item: card for card in cards if card.verified}
    passwords = dict(plan.passwords)
    kept = 0
    if not birth_date_passwords:
        for item in plan.items:
            card = by_item.get(item.id)
            if item.kind != "create" or card is None or item.id not in passwords:
                continue
            if card.login != item.target.get("login") or len(card.password) < min_length:
                continue
            passwords[item.id] = card.password
            item.changes["user_password"] = {"old": None, "new": password_hash(card.password, salt)}
            kept += 1
    on_new_sheet = {
        item.id: (item.target.get("login"), passwords[item.id])
        for item in plan.items
        if item.kind == "create" and item.accepted and item.id in passwords
    }
    changed: Counter[str] = Counter()
    vanished: Counter[str] = Counter()
    created = valid = 0
    for card in cards:
        now = on_new_sheet.get(card.item)
        if now == (card.login, card.password):
            valid += 1
        elif now is not None:
            changed[card.classe] += 1
        elif card.login.lower() in taken_logins:
            created += 1  # the previous plan was applied: this account exists with that password
        else:
            vanished[card.classe] += 1
    report = {
        "previous_cards": len(cards),
        "kept_passwords": kept,
        "still_valid": valid,
        "already_created": created,
        "changed": dict(sorted(changed.items())),
        "no_longer_created": dict(sorted(vanished.items())),
        "obsolete": sum(changed.values()) + sum(vanished.values()),
    }
    return replace(plan, passwords=passwords), report


def _by_class(counts: dict[str, int]) -> str:
    return ", ".join(f"{classe or 'no class'}: {n}" for classe, n in counts.items())


def summary_line(report: dict[str, Any]) -> str:
    """The terminal's line about the previous sheet (counts and class names only)."""
    text = (
        f"login sheet: {report['still_valid']} of the {report['previous_cards']} cards of the previous sheet "
        f"still valid ({report['kept_passwords']} passwords kept)"
    )
    if report["already_created"]:
        text += f", {report['already_created']} already created in SACoche"
    if not report["obsolete"]:
        return text
    parts = []
    if report["changed"]:
        parts.append(f"{sum(report['changed'].values())} changed ({_by_class(report['changed'])})")
    if report["no_longer_created"]:
        parts.append(
            f"{sum(report['no_longer_created'].values())} no longer to create "
            f"({_by_class(report['no_longer_created'])})"
        )
    cards = "card" if report["obsolete"] == 1 else "cards"
    return (
        f"{text}; OBSOLETE: {report['obsolete']} {cards} of the printed sheet no longer work: "
        f"{'; '.join(parts)}. Destroy the old sheet and hand out the new identifiants.html"
    )


def _classes_fr(counts: dict[str, int]) -> str:
    return ", ".join(f"{classe or 'sans classe'} : {n}" for classe, n in counts.items())


def notice_fr(report: Any) -> str | None:
    """The report's French sentence when the previous printed sheet no longer fully works, else None."""
    if not isinstance(report, dict) or not report.get("obsolete"):
        return None
    try:
        changed = {str(k): int(v) for k, v in (report.get("changed") or {}).items()}
        gone = {str(k): int(v) for k, v in (report.get("no_longer_created") or {}).items()}
        obsolete, valid = int(report["obsolete"]), int(report.get("still_valid", 0))
    except (TypeError, ValueError, AttributeError):
        return None
    parts = []
    if changed:
        n = sum(changed.values())
        what = "carte dont l’identifiant ou le mot de passe a changé"
        if n > 1:
            what = "cartes dont l’identifiant ou le mot de passe a changé"
        parts.append(f"{n} {what} ({_classes_fr(changed)})")
    if gone:
        n = sum(gone.values())
        what = (
            "carte d’un élève qui n’est plus à créer"
            if n == 1
            else "cartes d’élèves qui ne sont plus à créer"
        )
        parts.append(f"{n} {what} ({_classes_fr(gone)})")
    cards = "carte" if obsolete == 1 else "cartes"
    return (
        f"La feuille d’identifiants du plan précédent est périmée : {obsolete} {cards} ne "
        f"{'fonctionne' if obsolete == 1 else 'fonctionnent'} plus ({' ; '.join(parts)}) ; "
        f"{valid} {'reste valable' if valid == 1 else 'restent valables'}. Détruire l’ancienne feuille "
        "et distribuer la nouvelle."
    )


# --- the sheet ----------------------------------------------------------------------------------------


def sheet_cards(plan: Mapping[str, Any], rows: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Cards for the login sheet: only rows of accepted ``create`` items whose login is the plan's."""
    creates = {i["id"]: i for i in plan.get("items", []) if i.get("kind") == "create" and i.get("accepted")}
    cards = []
    for row in rows:
        item = creates.get(row.get("item", ""))
        if item is None or row.get("login") != item.get("target", {}).get("login"):
            continue
        subject = item.get("subject", {})
        cards.append(
            {
                "item": item["id"],
                "classe": subject.get("classe", row.get("classe", "")),
                "nom": subject.get("nom", row.get("nom", "")),
                "prenom": subject.get("prenom", row.get("prenom", "")),
                "login": row["login"],
                "password": row.get("mot_de_passe", ""),
            }
        )
    return sorted(cards, key=lambda c: (class_sort_key(c["classe"]), c["nom"], c["prenom"]))


def write_sheet(out_dir: Path, cards: list[dict[str, str]], today: str) -> Path | None:
    """Write ``identifiants.html`` (0600) with the :func:`sheet_cards` of a plan, or remove a stale one
    when there are none (no sheet of passwords outlives the plan that made it). Return the path written,
    or None."""
    sheet = Path(out_dir) / SHEET_FILE
    if not cards:
        sheet.unlink(missing_ok=True)
        return None
    by_class: dict[str, list[dict[str, str]]] = {}
    for card in cards:  # one pass: classes in the order of their first card
        by_class.setdefault(card["classe"], []).append(card)
    pages = [  # each class's cards made when printed (documents.Deferred)
        {
            "classe": classe or "Élèves sans classe",
            "cards": group,
            "html": Deferred(partial(cards_html, group)),
        }
        for classe, group in by_class.items()
    ]
    view = {"today": today, "pages": pages, "count": len(cards)}
    return write_document(sheet, "identifiants.html", view, small=len(cards) <= SMALL_SHEET)


#: one card of the sheet (prénom, nom, then nom, prénom, classe, identifiant, mot de passe)
CARD_SHAPE = """<div class="carte">
<span class="ciseaux">✂</span>
<div class="titre">SACoche — {} {}</div>
<table>
<tr><th>Nom</th><td>{}</td></tr>
<tr><th>Prénom</th><td>{}</td></tr>
<tr><th>Classe</th><td>{}</td></tr>
<tr><th>Identifiant</th><td class="secret">{}</td></tr>
<tr><th>Mot de passe</th><td class="secret">{}</td></tr>
</table>
<p class="adresse">Se connecter à l'adresse de votre SACoche : ______________________________</p>
</div>"""


def cards_html(cards: list[dict[str, str]]) -> Markup:
    """A class's cards, one :data:`CARD_SHAPE` each, one after the other (the sheet's hot loop: the
    template prints them inside ``<div class="cartes">``)."""
    values = []
    for c in cards:
        values += (c["prenom"], c["nom"], c["nom"], c["prenom"], c["classe"], c["login"], c["password"])
    return filled("\n".join([CARD_SHAPE] * len(cards)), values)
