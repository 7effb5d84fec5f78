"""Synthetic schools described once in code: a SACoche state in SQLite and ONDE 2 exports to match.

Names are invented. ``SchoolDB`` writes rows the way SACoche stores them (upper-case nom, capitalised
prénom, ISO dates); ``export`` writes an ONDE 2 CSV from short row specs.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from helpers import onde2_row, write_csv

from engine.archive import php_json
from engine.match import match
from engine.plan import Plan, build_plan, class_of, group_ref
from engine.read import Export, read_export
from engine.rules import RuleSet, load_rules
from engine.sacoche_schema import create_sqlite
from engine.state import ACTIVE, read_state
from engine.widths import fit_export

RULES = load_rules()
TODAY = "2026-11-29"


class SchoolDB:
    """A SACoche state in a SQLite file, built row by row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        create_sqlite(path)
        self.conn = sqlite3.connect(path)
        self.niveaux = dict(self.conn.execute("SELECT niveau_ref, niveau_id FROM sacoche_niveau"))
        self.refs: dict[str, int] = {}
        self.serial = itertools.count(1)

    @property
    def url(self) -> str:
        self.conn.commit()
        return f"sqlite:///{self.path}"

    def group(self, ref: str, name: str, kind: str = "classe", niveau: str = "") -> int:
        cursor = self.conn.execute(
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id) VALUES (?, ?, ?, ?)",
            (kind, ref, name, self.niveaux.get(niveau, 0)),
        )
        self.refs[ref] = int(cursor.lastrowid or 0)
        return self.refs[ref]

    def klass(self, classe_id: str, niveau: str, label: str) -> int:
        """The class SACoche's import makes for an ONDE class × niveau (same ref and name rules)."""
        from engine.read import Pupil

        ref, name, _ = class_of(
            Pupil(line=0, classe_id=classe_id, niveau=niveau, classe_label=label),
            RULES.policy["classes"],
            RULES.context,
        )
        return self.group(ref, name, "classe", niveau)

    def archive(self, lines: Sequence[Sequence[str]], day: str = "2026-09-03", year: str = "2026") -> None:
        """SACoche's archive of a previous ONDE import (row 'Onde'), the table made if the schema lacks it."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS sacoche_siecle_import (siecle_import_objet VARCHAR(12) NOT NULL "
            "DEFAULT '' PRIMARY KEY, siecle_import_date DATE DEFAULT NULL, siecle_import_annee CHAR(4) "
            "DEFAULT NULL, siecle_import_contenu MEDIUMTEXT NOT NULL)"
        )
        self.conn.execute(
            "INSERT OR REPLACE INTO sacoche_siecle_import VALUES ('Onde', ?, ?, ?)",
            (day, year, php_json(lines)),
        )

    def user(self, profil: str, nom: str, prenom: str, login: str, **columns: object) -> int:
        values = {
            "user_profil_sigle": profil,
            "user_nom": nom,
            "user_prenom": prenom,
            "user_login": login,
            **columns,
        }
        cursor = self.conn.execute(
            f"INSERT INTO sacoche_user ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)

    def pupil(
        self,
        nom: str,
        prenom: str,
        naissance: str = "2018-05-07",
        *,
        ine: str = "",
        classe: str | None = None,
        sortie: str = ACTIVE,
        genre: str = "F",
        login: str | None = None,
        groups: Iterable[str] = (),
        email: str = "",
        email_origine: str = "",
    ) -> int:
        user_id = self.user(
            "ELV",
            nom,
            prenom,
            login or f"eleve.{next(self.serial)}",
            user_reference=ine,
            user_naissance_date=naissance,
            user_sortie_date=sortie,
            user_genre=genre,
            eleve_classe_id=self.refs[classe] if classe else 0,
            user_email=email,
            user_email_origine=email_origine,
        )
        for ref in groups:
            self.conn.execute(
                "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
                (user_id, self.refs[ref]),
            )
        return user_id


def row(
    nom: str,
    prenom: str,
    naissance: str = "07/05/2018",
    *,
    ine: str = "",
    niveau: str = "CE1",
    classe: str = "CE1 Mme Ancolie",
    classe_id: str = "104513",
    sexe: str = "F",
    groupes: str = "",
) -> list[str]:
    return onde2_row(
        ine=ine,
        nom=nom,
        prenom=prenom,
        naissance=naissance,
        sexe=sexe,
        niveau=niveau,
        classe=classe,
        classe_id=classe_id,
        groupes=groupes,
    )


def export(path: Path, rows: Sequence[Sequence[str]]) -> Export:
    return read_export(write_csv(path, rows), RULES)


def plan_for(
    tmp_path: Path,
    db: SchoolDB,
    rows: Sequence[Sequence[str]],
    *,
    rules: RuleSet = RULES,
    allow: Sequence[str] = (),
    seed: int = 7,
    header: Sequence[str] | None = None,
    **match_kwargs: object,
) -> Plan:
    import random

    extra = {"header": header} if header else {}
    exp = read_export(write_csv(tmp_path / "export.csv", rows, **extra), rules)
    state = read_state(db.url)
    exp = fit_export(exp, state.widths)  # as engine.pipeline does
    matching = match(exp.pupils, state.accounts, rules.policy["matching"], **match_kwargs)  # type: ignore[arg-type]
    return build_plan(exp, state, matching, rules, today=TODAY, allow=allow, rng=random.Random(seed))


def kinds(plan: Plan, only: Iterable[str] | None = None) -> dict[str, int]:
    """Item counts by kind (optionally only some kinds)."""
    counts: dict[str, int] = {}
    for item in plan.items:
        if only is None or item.kind in only:
            counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


PUPIL_KINDS = ("create", "update", "deactivate", "reactivate", "decide")


def pupil_kinds(plan: Plan) -> dict[str, int]:
    return kinds(plan, PUPIL_KINDS)


__all__ = [
    "PUPIL_KINDS",
    "RULES",
    "TODAY",
    "SchoolDB",
    "date",
    "export",
    "group_ref",
    "kinds",
    "plan_for",
    "pupil_kinds",
    "row",
]
