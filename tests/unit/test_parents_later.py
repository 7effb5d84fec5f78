"""A first import of pupils + parents, then a later one (a family moving, a parent's new e-mail, a child who
left, a new sibling), each applied, then planned again: nothing left to do (docs/parents.md).

The SQL of the parents' items is another increment: here a small SQLite applier does what apply.sql will
do, item by item, so that the planning side's convergence is tested now."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers import write_csv
from parents_files import parent, responsables
from schools import RULES, TODAY, SchoolDB, row

from engine.match import match
from engine.plan import build_plan
from engine.plan.parents import plan_parents, planned_pupils
from engine.plan.parents_build import with_parents
from engine.read import read_export
from engine.read.parents import read_parents, read_source
from engine.state import read_state
from engine.widths import fit_export

CE1, CE2 = "CE1 Mme Ancolie", "CE2 M. Bouleau"


def plan_all(
    tmp_path: Path, db: SchoolDB, pupils: Sequence[Sequence[str]], parents: Sequence[Sequence[str]]
) -> Any:
    state = read_state(db.url)
    exp = fit_export(read_export(write_csv(tmp_path / "eleves.csv", pupils), RULES), state.widths)
    matching = match(exp.pupils, state.accounts, RULES.policy["matching"])
    plan = build_plan(exp, state, matching, RULES, today=TODAY, rng=random.Random(5))
    planned = planned_pupils(
        state, matching=matching, items=plan.items, labels={p.line: p.classe_label for p in exp.pupils}
    )
    path = responsables(tmp_path / "responsables.csv", parents, 3)
    export = read_parents(read_source(path, RULES, None, ("pupils", "parents")), RULES)
    created = [i.target["login"] for i in plan.items if i.kind == "create"]
    result = plan_parents(
        export, state, planned, RULES.policy, today=TODAY, taken_logins=created, rng=random.Random(3)
    )
    return with_parents(plan, result, {"file": path.name})


def apply(db: SchoolDB, plan: Any) -> None:
    """The accepted pupils' creates/deactivations/updates and every accepted parent item, in SQLite."""
    conn: sqlite3.Connection = db.conn
    refs = dict(conn.execute("SELECT groupe_ref, groupe_id FROM sacoche_groupe"))

    def user_id(login: str) -> int:
        return int(
            conn.execute("SELECT user_id FROM sacoche_user WHERE user_login = ?", (login,)).fetchone()[0]
        )

    for item in plan.items:
        if not item.accepted:
            continue
        new = {c: v.get("new") for c, v in item.changes.items()}
        if item.kind in ("create", "parent_create"):
            if "eleve_classe_id" in new:
                new["eleve_classe_id"] = refs[new["eleve_classe_id"]]
            conn.execute(
                f"INSERT INTO sacoche_user ({', '.join(new)}) VALUES ({', '.join('?' * len(new))})",
                list(new.values()),
            )
        elif item.kind in (
            "update",
            "deactivate",
            "reactivate",
            "parent_update",
            "parent_deactivate",
            "parent_reactivate",
        ):
            if "eleve_classe_id" in new:
                new["eleve_classe_id"] = refs[new["eleve_classe_id"]]
            sets = ", ".join(f"{c} = ?" for c in new)
            conn.execute(
                f"UPDATE sacoche_user SET {sets} WHERE user_id = ?", [*new.values(), item.target["user_id"]]
            )
    for item in plan.items:
        if not item.accepted:
            continue
        target = item.target
        if item.kind in ("parent_link", "parent_unlink", "parent_address"):
            pid = target["parent_id"] if target["parent_id"] is not None else user_id(target["parent_login"])
        if item.kind == "parent_link":
            eid = target["eleve_id"] if target["eleve_id"] is not None else user_id(target["eleve_login"])
            conn.execute(
                "INSERT INTO sacoche_jointure_parent_eleve VALUES (?, ?, ?)",
                (pid, eid, item.changes["resp_legal_num"]["new"]),
            )
        elif item.kind == "parent_unlink":
            conn.execute(
                "DELETE FROM sacoche_jointure_parent_eleve WHERE parent_id = ? AND eleve_id = ?",
                (pid, target["eleve_id"]),
            )
        elif item.kind == "parent_address":
            new = {c: v["new"] for c, v in item.changes.items()}
            if target["row_exists"]:
                sets = ", ".join(f"{c} = ?" for c in new)
                conn.execute(
                    f"UPDATE sacoche_parent_adresse SET {sets} WHERE parent_id = ?", [*new.values(), pid]
                )
            else:
                conn.execute(
                    f"INSERT INTO sacoche_parent_adresse (parent_id, {', '.join(new)}) "
                    f"VALUES (?, {', '.join('?' * len(new))})",
                    [pid, *new.values()],
                )
    conn.commit()


def parent_kinds(plan: Any) -> Counter[str]:
    return Counter(i.kind for i in plan.items if i.kind.startswith("parent_"))


def moved(row_: list[str], street: str) -> list[str]:
    return [*row_[:4], street, *row_[5:]]


def test_first_import_then_a_later_one_each_converging(tmp_path: Path) -> None:
    db = SchoolDB(tmp_path / "sacoche.db")
    db.klass("104513", "CE1", CE1)
    db.klass("104514", "CE2", "CE2 M. Bouleau")
    pupils = [
        row("LAVANDIER", "Noé", "02/01/2018"),
        row("LAVANDIER", "Lou", "03/02/2017", classe=CE2, classe_id="104514", niveau="CE2"),
        row("ROSSIGNOL", "Iris", "04/03/2018"),
        row("KERGOAT", "Yann", "05/04/2018"),
    ]
    noe, lou = ("", "LAVANDIER", "Noé", CE1), ("", "LAVANDIER", "Lou", CE2)
    iris, yann = ("", "ROSSIGNOL", "Iris", CE1), ("", "KERGOAT", "Yann", CE1)
    mother = parent("MME", "LAVANDIER", "Solène", "solene@exemple.invalid", [noe, lou])
    father = parent("M.", "LAVANDIER", "Octave", "", [noe, lou])
    rossignol = parent("MME", "ROSSIGNOL", "Agathe", "agathe@exemple.invalid", [iris])
    kergoat = parent("M.", "KERGOAT", "Erwan", "", [yann])
    first = plan_all(tmp_path, db, pupils, [mother, father, rossignol, kergoat])
    assert parent_kinds(first) == {"parent_create": 4, "parent_address": 4, "parent_link": 6}
    assert not first.held
    apply(db, first)
    assert not parent_kinds(plan_all(tmp_path, db, pupils, [mother, father, rossignol, kergoat]))

    # a year later: the Lavandier family moves, Agathe Rossignol has a new e-mail, Yann Kergoat left (and
    # his father with him), Iris gets a new sibling, Jade, who arrives with this export
    later_pupils = [
        *pupils[:3],
        row("ROSSIGNOL", "Jade", "06/05/2019", classe=CE2, classe_id="104514", niveau="CE2"),
    ]
    jade = ("", "ROSSIGNOL", "Jade", CE2)
    later_parents = [
        moved(mother, "3 rue des Saules"),
        moved(father, "3 rue des Saules"),
        parent("MME", "ROSSIGNOL", "Agathe", "agathe.nouvelle@exemple.invalid", [iris, jade]),
    ]
    later = plan_all(tmp_path, db, later_pupils, later_parents)
    kinds = parent_kinds(later)
    assert kinds == {"parent_address": 2, "parent_update": 1, "parent_link": 1, "parent_deactivate": 1}
    (update,) = [i for i in later.items if i.kind == "parent_update"]
    assert update.changes == {
        "user_email": {"old": "agathe@exemple.invalid", "new": "agathe.nouvelle@exemple.invalid"}
    }
    (link,) = [i for i in later.items if i.kind == "parent_link"]
    assert (
        link.target["eleve_id"] is None and link.target["parent_id"] == update.target["user_id"]
    )  # Jade, new
    (leaving,) = [i for i in later.items if i.kind == "parent_deactivate"]
    assert leaving.reason["situation"] == "no_active_child" and leaving.accepted
    assert [i.kind for i in later.items if i.kind == "deactivate"] == ["deactivate"]  # Yann himself
    apply(db, later)
    again = plan_all(tmp_path, db, later_pupils, later_parents)
    assert not parent_kinds(again), [i.to_dict() for i in again.items if i.kind.startswith("parent_")]
    assert not [i for i in again.items if i.kind != "archive"]
