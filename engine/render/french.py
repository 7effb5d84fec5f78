"""French wording shared by the documents directors and families read (report, login sheet, letters).

Small pure helpers: plurals (French puts 0 and 1 in the singular), lists, dates, class order, the
database and the rules in words. No template and no plan structure here: each document's view model
(``report_model``, ``sheets``) builds its rows with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = [
    "DEFAULT_RULES_NAME",
    "MONTHS",
    "NIVEAU_ORDER",
    "NO_CLASS",
    "class_sort_key",
    "database_fr",
    "date_fr",
    "join_fr",
    "long_date_fr",
    "markdown_escape",
    "plural",
    "pupils_fr",
    "rules_fr",
]

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
NIVEAU_ORDER = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
_NIVEAU_RE = re.compile(r"\b(" + "|".join(NIVEAU_ORDER) + r")\b")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
#: the class name of pupils without one (shown as « Élèves sans classe », sorted last)
NO_CLASS = ""
DEFAULT_RULES_NAME = "onde-sacoche default rules"


def plural(count: int, singular: str, plural_form: str) -> str:
    """``1 départ``, ``2 départs``; French puts 0 and 1 in the singular."""
    return f"{count} {singular if count <= 1 else plural_form}"


def pupils_fr(n: int) -> str:
    """``1 élève``, ``3 élèves``, and ``0 élèves`` (unlike :func:`plural`: the guards' figures read so)."""
    return f"{n} élève" if n == 1 else f"{n} élèves"


def join_fr(parts: list[str]) -> str:
    """Comma-separated list (the summary line reads best without a final « et »)."""
    return ", ".join(parts)


def date_fr(value: Any) -> str:
    """``2019-09-21`` → ``21/09/2019``; anything else unchanged; empty → ``—``."""
    if not value:
        return "—"
    return _date_text(str(value))


@lru_cache(maxsize=1 << 14)
def _date_text(text: str) -> str:  # a large school's birth dates are a few thousand distinct days
    m = _ISO_DATE.fullmatch(text)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else text


def long_date_fr(value: Any) -> str:
    """``2026-11-29`` → ``29 novembre 2026``."""
    m = _ISO_DATE.fullmatch(str(value or ""))
    if not m or not 1 <= int(m[2]) <= 12:
        return str(value or "")
    day = int(m[3])
    return f"{'1er' if day == 1 else day} {MONTHS[int(m[2]) - 1]} {m[1]}"


@lru_cache(maxsize=1 << 12)
def class_sort_key(name: str) -> tuple[int, int, str]:
    """Classes in school order (TPS … CM2 by the first niveau in their name), then by name; no class last."""
    if name == NO_CLASS:
        return (2, 0, "")
    m = _NIVEAU_RE.search(name.upper())
    return (0, NIVEAU_ORDER.index(m[1]), name) if m else (1, 0, name)


_SQLITE_URL = re.compile(r"sqlite:///(.+)")


def database_fr(url: str) -> str:
    """The database in words: « fichier SQLite x.db », « base sacoche sur le serveur h:3306 »."""
    m = _SQLITE_URL.fullmatch(url)
    if m:
        return f"fichier SQLite {m[1]}"
    m = re.fullmatch(r"(?:mysql|mariadb)[+\w]*://(?:[^@/]*@)?([^/?]*)/([^?]*)(?:\?.*)?", url)
    if m:
        where = m[1] or "serveur local"
        return f"base « {m[2]} » sur le serveur {where}" if m[2] else f"serveur {where}"
    return url


def rules_fr(rules: Mapping[str, Any]) -> str:
    """« règles fournies avec l'outil, version 1.0+… » or « règles « NAME », version … »."""
    name, version = str(rules.get("name") or ""), str(rules.get("version") or "")
    if not name:
        return ""
    said = "règles fournies avec l'outil" if name == DEFAULT_RULES_NAME else f"règles « {name} »"
    return f"{said}, version {version}" if version else said


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_|<])")


def markdown_escape(text: Any) -> str:
    """Text for a Markdown document: ``\\ ` * _ | <`` escaped with a backslash."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
