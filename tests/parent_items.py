"""Hand-built parent items, exactly as docs/parents.md says the planner writes them, added to a real
pupils plan of the example school; and the parents' rows they need in its database (synthetic names).

Used by tests/unit/test_render_parents*.py (SQLite) and tests/mariadb/test_parents_mariadb.py.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

from engine.pipeline import make_plan
from engine.plan.seal import reseal

TODAY = date(2026, 11, 29)
ACTIVE = "9999-12-31"
EXPORT = Path(__file__).parent.parent / "examples" / "onde2-ecole-des-tilleuls.csv"

#: parents in the database before the plan: an active one (two children, an address), a former one, and
#: one whose only child left
FAMILY_SQL = (
    "INSERT INTO sacoche_user (user_id, user_profil_sigle, user_genre, user_nom, user_prenom, user_email, "
    "user_email_origine, user_login, user_password, user_sortie_date) VALUES "
    "(900, 'TUT', 'F', 'LAVANDIER', 'Solène', 'solene@exemple.invalid', 'admin', 'sol.lavandier', "
    "'00000000000000000000000000000000', '9999-12-31'), "
    "(901, 'TUT', 'M', 'MARRONNIER', 'Paul', '', '', 'pau.marronnier', '00000000000000000000000000000000', "
    "'2025-07-01'), "
    "(902, 'TUT', 'F', 'SAULE', 'Anne', '', '', 'ann.saule', '00000000000000000000000000000000', "
    "'9999-12-31')",
    "INSERT INTO sacoche_jointure_parent_eleve (parent_id, eleve_id, resp_legal_num) VALUES "
    "(900, 1, 1), (900, 2, 1), (901, 3, 2), (902, 4, 1)",
    "INSERT INTO sacoche_parent_adresse (parent_id, adresse_ligne1, adresse_ligne2, adresse_ligne3, "
    "adresse_ligne4, adresse_postal_code, adresse_postal_libelle, adresse_pays_nom) VALUES "
    "(900, '7 impasse des Glycines', '', '', '', '14990', 'BOURG-FICTIF', 'FRANCE')",
)

ADDRESS = (
    "adresse_ligne1",
    "adresse_ligne2",
    "adresse_ligne3",
    "adresse_ligne4",
    "adresse_postal_code",
    "adresse_postal_libelle",
    "adresse_pays_nom",
)


def _item(kind: str, n: int, target: dict[str, Any], changes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{kind}-{n:010x}",
        "kind": kind,
        "accepted": extra.pop("accepted", True),
        "subject": {
            "civilite": "F",
            "nom": "X",
            "prenom": "Y",
            "parent_key": f"parent:X|Y|{n}",
            "children": [],
        },
        "target": target,
        "changes": changes,
        "reason": {"situation": "parent_new", "line": n, "lines": [n], "tier": None},
    }


def parent_items(today: str = TODAY.isoformat()) -> list[dict[str, Any]]:
    """One item of every parent kind; the new parent is linked to an existing pupil and to a new one."""
    new = {"parent_id": None, "parent_login": "nou.parent"}
    solene = {"parent_id": 900, "parent_login": "sol.lavandier"}
    created = {
        "user_profil_sigle": "TUT",
        "user_genre": "M",
        "user_nom": "NOUVEAU",
        "user_prenom": "Élie",
        "user_email": "elie@exemple.invalid",
        "user_login": "nou.parent",
        "user_password": "0123456789abcdef0123456789abcdef",
        "user_sortie_date": ACTIVE,
    }
    new_address = ["2 rue d'Ici", "", "", "", "14990", "BOURG-FICTIF", "FRANCE"]
    return [
        _item(
            "parent_create",
            1,
            {"table": "sacoche_user", "login": "nou.parent"},
            {c: {"old": None, "new": v} for c, v in created.items()},
        ),
        _item(
            "parent_update",
            2,
            {"table": "sacoche_user", "user_id": 900, "login": "sol.lavandier"},
            {"user_email": {"old": "solene@exemple.invalid", "new": "solene.l@exemple.invalid"}},
        ),
        _item(
            "parent_reactivate",
            3,
            {"table": "sacoche_user", "user_id": 901, "login": "pau.marronnier"},
            {"user_sortie_date": {"old": "2025-07-01", "new": ACTIVE}},
        ),
        _item(
            "parent_deactivate",
            4,
            {"table": "sacoche_user", "user_id": 902, "login": "ann.saule"},
            {"user_sortie_date": {"old": ACTIVE, "new": today}},
        ),
        _item(
            "parent_address",
            5,
            {"table": "sacoche_parent_adresse", **new, "row_exists": False},
            {c: {"old": None, "new": v} for c, v in zip(ADDRESS, new_address, strict=True)},
        ),
        _item(
            "parent_address",
            6,
            {"table": "sacoche_parent_adresse", **solene, "row_exists": True},
            {
                "adresse_ligne1": {"old": "7 impasse des Glycines", "new": "3 rue Neuve"},
                "adresse_postal_code": {"old": "14990", "new": "14000"},
            },
        ),
        _item(
            "parent_link",
            7,
            {"table": "sacoche_jointure_parent_eleve", **new, "eleve_id": 1, "eleve_login": "tim.kergoat2"},
            {"resp_legal_num": {"old": None, "new": 2}},
        ),
        _item(
            "parent_link",
            8,
            {
                "table": "sacoche_jointure_parent_eleve",
                **new,
                "eleve_id": None,
                "eleve_login": "sal.aubepine",
            },
            {"resp_legal_num": {"old": None, "new": 1}},
        ),
        _item(
            "parent_unlink",
            9,
            {
                "table": "sacoche_jointure_parent_eleve",
                **solene,
                "eleve_id": 2,
                "eleve_login": "ibr.ortolan3",
                "resp_legal_num": 1,
            },
            {},
        ),
        _item(
            "parent_decide",
            10,
            {
                "question": "child",
                "parent_key": "parent:X|Y|10",
                "child": "X|Z",
                "child_ident": "X|Z||",
                "candidates": [],
            },
            {},
            accepted=False,
        ),
    ]


def family_plan(out: Path, db_url: str, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The example's pupils plan made on ``db_url`` (which holds FAMILY_SQL's rows), with the parent items
    appended after the pupils' and the plan sealed again; returns plan.json's document."""
    make_plan(EXPORT, db_url, out, today=TODAY, rng=random.Random(7))
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["items"] += parent_items() if items is None else items
    if db_url.startswith("mysql"):  # the read set the planner would have stored with these items
        from engine.readset import plan_read_set, read_set

        early = read_set(db_url, parents=True) or {}
        doc["state"]["read_set"] = plan_read_set(db_url, early, doc["items"])
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=1), encoding="utf-8")
    return doc


def set_accepted(out: Path, item_id: str, accepted: bool) -> None:
    path = out / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for item in doc["items"]:
        if item["id"] == item_id:
            item["accepted"] = accepted
    path.write_text(json.dumps(reseal(doc), ensure_ascii=False, indent=1), encoding="utf-8")
