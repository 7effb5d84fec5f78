"""Injection and fidelity on a real MariaDB: the nastiest names go file → plan → apply.sql → read back.

Every generated school goes through the whole product as a DBA would run it (the `mariadb` client on
apply.sql). The stored values must be exactly what the rules say (spaces folded, nom upper-cased, prénom
title-cased as SACoche does, abbreviated to the column widths), or the file must be refused up front
with a message naming the file and the line. After apply, planning the same file again must find
nothing to do.

Example counts: ``ONDE_PROPERTY_EXAMPLES`` (default 150 schools of up to 12 pupils in CI) for the
end-to-end test; 3,000 strings for the literal round-trip. CI runs derandomised (see tests/conftest.py).
"""

from __future__ import annotations

import csv
import os
import random
import re
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from helpers import ONDE2_HEADER
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support.mariadb import SacocheDatabase

from engine.errors import OndeError
from engine.names import abbreviate, title_case
from engine.pipeline import make_plan
from engine.plan import GUARDS
from engine.render import mysql_literal

EXAMPLES = int(os.environ.get("ONDE_PROPERTY_EXAMPLES", "150"))
LITERAL_EXAMPLES = int(os.environ.get("ONDE_LITERAL_EXAMPLES", "3000"))

NASTY = [
    "'",
    "''",
    "\\",
    "\\'",
    ";",
    "--",
    "/*",
    "*/",
    "%",
    "_",
    "\n",
    "\t",
    "\r\n",
    '"',
    "`",
    "\u0301",
    "\u200f",
    "\u200b",
    "\u00a0",
    "é",
    "Ç",
    "ß",
    "Œ",
    "ﬁ",
    "-",
    " ",
    "  ",
    "DROP TABLE x;",
    "' OR '1'='1",
    "\\x00",
    "$",
    "#",
    ",",
    "|",
    "/",
    "<script>",
    "ـ",
    "אב",
    "中文",
    "İ",
]
# Pieces that must make the whole file refused: outside the BMP, or UTF-8 read as Latin-1 (mojibake).
POISON = ["😀", "𝔘", "Ã©"]
text_piece = st.one_of(
    st.sampled_from(NASTY),
    st.text(
        alphabet=st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs", "Cc")),
        min_size=1,
        max_size=6,
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzÉÈéèàçôëï-' ", min_size=1, max_size=12),
)
name = st.lists(text_piece, min_size=1, max_size=6).map("".join)
pupil = st.fixed_dictionaries(
    {
        "nom": name,
        "prenom": name,
        "groupes": st.lists(name, max_size=2),
        "niveau": st.sampled_from(["CP", "CE1", "CM2"]),
        "born": st.dates(date(2012, 1, 1), date(2022, 12, 31)),
    }
)


@st.composite
def schools(draw: st.DrawFn) -> list[dict]:
    """Up to 12 pupils; one school in ten carries a poison piece in one name."""
    pupils = draw(st.lists(pupil, min_size=1, max_size=12))
    if draw(st.sampled_from(range(10))) == 9:  # not 0: Hypothesis favours boundary integers
        victim = draw(st.sampled_from(pupils))
        victim["nom"] += draw(st.sampled_from(POISON))
    return pupils


def clean(text: str) -> str:
    """The rules' clean_spaces, written independently: NFC (the reader), control and format characters
    removed (target.control_characters: remove; those Python counts as spaces become one) and NFC again,
    then fold whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if c.isspace() else "" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def expected_nom(raw: str) -> str:
    """Clean::nom's case, spaces folded, fitted to SACoche's current 50 characters."""
    return abbreviate(clean(raw).upper(), 50)


def expected_prenom(raw: str) -> str:
    """Clean::prenom's case (title_case, checked row by row in test_names_conformance), spaces folded."""
    return abbreviate(clean(title_case(unicodedata.normalize("NFC", raw))), 50)


def write_export(path: Path, pupils: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(ONDE2_HEADER)
        for n, p in enumerate(pupils):
            writer.writerow(
                [
                    f"2030{n:05d}AB",
                    p["nom"],
                    "",
                    p["prenom"],
                    p["born"].strftime("%d/%m/%Y"),
                    "F",
                    p["niveau"],
                    "Classe unique",
                    "104600",
                    "",
                    ", ".join(p["groupes"]),
                ]
            )


ACCEPTED_REFUSALS = (
    "cannot store",
    "empty, but every pupil needs it",
    "same nom, prénom",
    "same SACoche ref",
    "mojibake",
    "garbled",
    "quote",
)


def reset(db: SacocheDatabase) -> None:
    with db.connect() as conn, conn.cursor() as cursor:
        for table in ("sacoche_user", "sacoche_groupe", "sacoche_jointure_user_groupe"):
            cursor.execute(f"TRUNCATE TABLE {table}")


@pytest.mark.mariadb
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(pupils=schools())
def test_nasty_names_round_trip_through_apply_sql(sacoche_mysql: SacocheDatabase, pupils: list[dict]) -> None:
    reset(sacoche_mysql)
    with tempfile.TemporaryDirectory() as tmp:
        export, out = Path(tmp) / "export.csv", Path(tmp) / "plan"
        write_export(export, pupils)
        try:
            make_plan(
                export, sacoche_mysql.url, out, allow=GUARDS, today=date(2026, 11, 29), rng=random.Random(1)
            )
        except OndeError as exc:
            message = str(exc)
            assert str(export) in message and re.search(r":\d+(:\d+)?: ", message), message
            assert any(reason in message for reason in ACCEPTED_REFUSALS), message
            assert not out.exists()
            event("refused: " + next(r for r in ACCEPTED_REFUSALS if r in message))
            return
        event("applied")
        run = sacoche_mysql.execute_file(out / "sql" / "mysql" / "apply.sql")
        assert run.returncode == 0, run.stderr
        stored = sorted(
            sacoche_mysql.query(
                "SELECT user_nom, user_prenom FROM sacoche_user WHERE user_profil_sigle = 'ELV'"
            )
        )
        assert stored == sorted((expected_nom(p["nom"]), expected_prenom(p["prenom"])) for p in pupils)
        logins = [row[0] for row in sacoche_mysql.query("SELECT user_login FROM sacoche_user")]
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9.]*", login) for login in logins), logins
        groups = {
            row[0]
            for row in sacoche_mysql.query(
                "SELECT groupe_nom FROM sacoche_groupe WHERE groupe_type = 'groupe'"
            )
        }
        wanted = {
            clean(part)[:20]
            for p in pupils
            for g in p["groupes"]
            for part in re.split(r"[,|/]", g)
            if clean(part)
        }
        assert {g.casefold() for g in groups} <= {w.casefold() for w in wanted}
        assert len(groups) <= len(wanted)
        again = make_plan(
            export, sacoche_mysql.url, Path(tmp) / "again", allow=GUARDS, today=date(2026, 11, 29)
        )
        changes = {
            k: v
            for k, v in again.plan.summary.items()
            if isinstance(v, int) and not isinstance(v, bool) and k not in ("pupils_in_file", "unchanged")
        }
        assert set(changes.values()) == {0}, changes


@pytest.mark.mariadb
@pytest.mark.parametrize("sql_mode", ["", "NO_BACKSLASH_ESCAPES"])
def test_literal_filter_round_trips_any_bmp_text(sacoche_mysql: SacocheDatabase, sql_mode: str) -> None:
    """The one escaping filter, checked on thousands of strings against the real server (PyMySQL)."""
    connection = sacoche_mysql.connect()
    cursor = connection.cursor()
    cursor.execute("SET SESSION sql_mode = %s", (sql_mode,))

    @settings(max_examples=LITERAL_EXAMPLES, deadline=None)
    @given(
        st.lists(
            st.one_of(
                st.sampled_from(NASTY),
                st.text(st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",))),
            ),
            min_size=1,
            max_size=5,
        ).map("".join)
    )
    def check(value: str) -> None:
        cursor.execute(f"SELECT {mysql_literal(value)}")
        (stored,) = cursor.fetchone()
        assert stored == value

    try:
        check()
        with pytest.raises(ValueError, match="outside the BMP"):
            mysql_literal("Zoé " + POISON[0])
    finally:
        cursor.close()
        connection.close()
