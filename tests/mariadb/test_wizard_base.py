"""A school leaving SACoche's own import wizard: its base, re-planned with the same file, plans nothing.

The base is written with the values SACoche's PHP stored for each input (tests/wizard_base.py, from the
conformance tables), on SACoche's DDL in a real MariaDB; the same ONDE v1 file (Windows-1252) is planned
against it. A tool that replaces the wizard must find nothing to do.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from support.mariadb import SacocheDatabase
from wizard_base import fill_mysql, wizard_classes, wizard_pupils, write_onde_v1

from engine.pipeline import make_plan

pytestmark = pytest.mark.mariadb


def _plan(tmp_path: Path, db: SacocheDatabase) -> dict:
    classes = wizard_classes()
    pupils = wizard_pupils(classes)
    export = write_onde_v1(tmp_path / "onde-v1.csv", pupils)
    fill_mysql(db, pupils, classes, export)
    make_plan(export, db.url, tmp_path / "plan", today=date(2026, 12, 1))
    return json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))


def test_a_wizard_made_base_plans_to_nothing(tmp_path: Path, sacoche_mysql: SacocheDatabase) -> None:
    plan = _plan(tmp_path, sacoche_mysql)
    pupils = wizard_pupils(wizard_classes())
    assert len(pupils) > 120, "the conformance table should give well over a hundred cp1252 pupils"
    kinds: dict[str, list[dict]] = {}
    for item in plan["items"]:
        kinds.setdefault(item["kind"], []).append(item)
    # show what differs, field by field, when it fails (synthetic names only)
    assert {k: [i.get("changes") for i in v][:5] for k, v in kinds.items()} == {}
    assert plan["summary"]["unchanged"] == len(pupils)
    assert not plan["held"]


def test_long_names_are_stored_whole(sacoche_mysql: SacocheDatabase) -> None:
    """Names of 26 to 50 characters are in the base whole (VARCHAR(50)), as the wizard wrote them."""
    classes = wizard_classes()
    pupils = wizard_pupils(classes)
    fill_mysql(sacoche_mysql, pupils, classes)
    long_ones = [p for p in pupils if 25 < len(p.stored_nom) <= 50 or 25 < len(p.stored_prenom) <= 50]
    assert long_ones, "the conformance table has names of 26-50 characters"
    stored = {
        (str(n), str(p))
        for n, p in sacoche_mysql.query(
            "SELECT user_nom, user_prenom FROM sacoche_user WHERE user_profil_sigle='ELV'"
        )
    }
    assert all((p.stored_nom, p.stored_prenom) in stored for p in long_ones)
