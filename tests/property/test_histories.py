"""Idempotence and no-loss over random school histories (sequences of exports), applied for real.

Each history starts from an empty SACoche and runs several yearly exports: pupils arrive, leave, change
class, come back, get an INE or a corrected accent. After each `plan` + `apply`:
- planning the same export again proposes nothing to apply (idempotence);
- sacoche_user never loses a row (leavers are deactivated, never deleted);
- no login and no password hash of an existing account ever changes.
SQLite through `onde-sacoche apply` (many histories); MariaDB through the `mariadb` client (a few).
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import ONDE2_HEADER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.mariadb import SacocheDatabase

from engine.cli import main
from engine.pipeline import make_plan
from engine.plan import GUARDS
from engine.sacoche_schema import create_sqlite

HISTORIES = int(os.environ.get("ONDE_HISTORY_EXAMPLES", "40"))
NOMS = ["LAVANDIER", "ROSSIGNOL", "D'ALBERTIN", "BERTHELOT-NAÏM", "ÉPERVIER", "LE GOÉLAND", "SAULE", "MARTIN"]
PRENOMS = ["Noé", "Zoé", "Inès", "Gaël", "Léa", "Loïc", "Chloé", "Côme", "Eloïse"]
NIVEAUX = ["CP", "CE1", "CE2", "CM1", "CM2"]
GROUPS = ["Chorale", "Anglais renforcé", "Échecs"]


@dataclass(frozen=True)
class Child:
    ine: str
    nom: str
    prenom: str
    born: date
    niveau: int
    groups: tuple[str, ...]


@st.composite
def histories(draw: st.DrawFn) -> list[list[Child]]:
    """A list of yearly exports; each is the whole school that year."""
    serial = iter(range(100_000))

    def child() -> Child:
        n = next(serial)
        return Child(
            ine=draw(st.sampled_from([f"2031{n:05d}CD"] * 4 + [""])),
            nom=draw(st.sampled_from(NOMS)),
            prenom=draw(st.sampled_from(PRENOMS)),
            born=draw(st.dates(date(2014, 1, 1), date(2020, 12, 31))),
            niveau=draw(st.integers(0, 4)),
            groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))),
        )

    school = [child() for _ in range(draw(st.integers(3, 14)))]
    years, former = [list(school)], []
    for _ in range(draw(st.integers(1, 3))):
        current = []
        for pupil in years[-1]:
            fate = draw(st.sampled_from(["stay", "stay", "stay", "leave", "move", "fix", "ine", "groups"]))
            if fate == "leave" or (pupil.niveau == 4 and fate != "stay"):
                former.append(pupil)
                continue
            if fate == "move":
                pupil = replace(pupil, niveau=min(4, pupil.niveau + 1))
            elif fate == "fix" and pupil.ine:
                pupil = replace(pupil, prenom=pupil.prenom.replace("Eloïse", "Éloïse").replace("Noé", "Noè"))
            elif fate == "ine" and not pupil.ine:
                pupil = replace(pupil, ine=f"2032{next(serial):05d}EF")
            elif fate == "groups":
                pupil = replace(
                    pupil, groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True)))
                )
            current.append(pupil)
        if former and draw(st.booleans()):
            current.append(former.pop(draw(st.integers(0, len(former) - 1))))  # back after a year away
        current += [child() for _ in range(draw(st.integers(0, 4)))]
        if current:
            years.append(current)
    return years


def write_export(path: Path, school: list[Child]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(ONDE2_HEADER)
        for c in school:
            niveau = NIVEAUX[c.niveau]
            writer.writerow(
                [
                    c.ine,
                    c.nom,
                    "",
                    c.prenom,
                    c.born.strftime("%d/%m/%Y"),
                    "F",
                    niveau,
                    f"{niveau} Mme Ancolie",
                    f"10470{c.niveau}",
                    "",
                    ", ".join(c.groups),
                ]
            )
    return path


def pending_changes(plan: Any) -> list[str]:
    return [f"{i.kind} {i.changes}" for i in plan.items if i.accepted and i.kind != "decide"]


def accounts_sqlite(db: Path) -> dict[int, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {
            uid: (login, pw)
            for uid, login, pw in conn.execute("SELECT user_id, user_login, user_password FROM sacoche_user")
        }


def check_no_loss(before: dict[int, tuple[str, str]], after: dict[int, tuple[str, str]]) -> None:
    assert set(before) <= set(after), "an account disappeared"
    for user_id, credentials in before.items():
        assert after[user_id] == credentials, f"login or password of account {user_id} changed"


@settings(
    max_examples=HISTORIES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(years=histories())
def test_histories_on_sqlite_stay_idempotent_and_lose_nothing(years: list[list[Child]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sacoche.db"
        create_sqlite(db)
        url = f"sqlite:///{db}"
        for year, school in enumerate(years):
            export = write_export(Path(tmp) / f"export-{year}.csv", school)
            out = Path(tmp) / f"plan-{year}"
            make_plan(export, url, out, allow=GUARDS, today=date(2026 + year, 9, 1), rng=random.Random(year))
            before = accounts_sqlite(db)
            result = CliRunner().invoke(main, ["apply", str(out), "--db", url])
            assert result.exit_code == 0, result.output
            check_no_loss(before, accounts_sqlite(db))
            again = make_plan(
                export, url, Path(tmp) / f"again-{year}", allow=GUARDS, today=date(2026 + year, 9, 1)
            )
            assert pending_changes(again.plan) == []


@pytest.mark.mariadb
@settings(
    max_examples=max(3, HISTORIES // 8),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(years=histories())
def test_histories_on_mariadb_stay_idempotent_and_lose_nothing(
    sacoche_mysql: SacocheDatabase, years: list[list[Child]]
) -> None:
    with sacoche_mysql.connect() as conn, conn.cursor() as cursor:
        for table in ("sacoche_user", "sacoche_groupe", "sacoche_jointure_user_groupe"):
            cursor.execute(f"TRUNCATE TABLE {table}")

    def accounts() -> dict[int, tuple[str, str]]:
        rows = sacoche_mysql.query("SELECT user_id, user_login, user_password FROM sacoche_user")
        return {int(uid): (login, pw) for uid, login, pw in rows}

    with tempfile.TemporaryDirectory() as tmp:
        for year, school in enumerate(years):
            export = write_export(Path(tmp) / f"export-{year}.csv", school)
            out = Path(tmp) / f"plan-{year}"
            make_plan(
                export,
                sacoche_mysql.url,
                out,
                allow=GUARDS,
                today=date(2026 + year, 9, 1),
                rng=random.Random(year),
            )
            before = accounts()
            run = sacoche_mysql.execute_file(out / "sql" / "mysql" / "apply.sql")
            assert run.returncode == 0, run.stderr
            check_no_loss(before, accounts())
            again = make_plan(
                export,
                sacoche_mysql.url,
                Path(tmp) / f"again-{year}",
                allow=GUARDS,
                today=date(2026 + year, 9, 1),
            )
            assert pending_changes(again.plan) == []
