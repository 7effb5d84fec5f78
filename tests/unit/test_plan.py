"""The plan stage on small synthetic schools: every situation, guard, and the tricky identities."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ONDE2_HEADER, copy_rules
from schools import TODAY, SchoolDB, group_ref, kinds, plan_for, pupil_kinds, row

from engine.errors import OndeError
from engine.match import Decisions, pupil_key
from engine.plan import stable_id
from engine.rules import load_rules
from engine.state import ACTIVE


@pytest.fixture
def db(tmp_path: Path) -> SchoolDB:
    school = SchoolDB(tmp_path / "sacoche.db")
    school.klass("104513", "CE1", "CE1 Mme Ancolie")
    school.klass("104514", "CE2", "CE2-CM1 M. Framboisier")
    return school


CE2 = {"niveau": "CE2", "classe": "CE2-CM1 M. Framboisier", "classe_id": "104514"}


def items(plan, kind):
    return [i for i in plan.items if i.kind == kind]


def test_identical_school_gives_no_change(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M")
    db.pupil("ROSSIGNOL", "Zoé", "2017-02-01", ine="203452218AC", classe="104514_CE2")
    plan = plan_for(
        tmp_path,
        db,
        [
            row("LAVANDIER", "Noé", ine="203451870GH", sexe="M"),
            row("ROSSIGNOL", "Zoé", "01/02/2017", ine="203452218AC", **CE2),
        ],
    )
    assert plan.items == ()
    assert plan.summary["unchanged"] == 2 and plan.summary["pupils_in_file"] == 2
    assert not plan.held and not plan.has_changes


def test_new_pupil_gets_login_hash_and_class_by_ref(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("ROSSIGNOL", "Zoé", ine="203452218AC", classe="104513_CE1")
    plan = plan_for(
        tmp_path,
        db,
        [row("ROSSIGNOL", "Zoé", ine="203452218AC"), row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")],
    )
    (create,) = items(plan, "create")
    assert create.accepted and create.target == {"table": "sacoche_user", "login": "noe.lavandie"}
    assert create.changes["eleve_classe_id"]["new"] == "104513_CE1"
    assert create.changes["user_sortie_date"]["new"] == ACTIVE
    password = plan.passwords[create.id]
    assert len(password) >= 6 and password not in str(create.to_dict())
    assert len(create.changes["user_password"]["new"]) == 32
    assert create.reason["line"] == 3 and create.reason["situation"] == "new"


def test_leaver_is_deactivated_never_deleted(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M")
    gone = db.pupil("FICTIF", "Ambre", ine="190000001AA", classe="104513_CE1")
    former = db.pupil("ANCIEN", "Côme", ine="130000003CC", sortie="2024-07-05")
    plan = plan_for(
        tmp_path,
        db,
        [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")],
        allow=("coverage", "deactivations"),
    )
    (off,) = items(plan, "deactivate")
    assert off.target["user_id"] == gone and off.accepted
    assert off.changes == {"user_sortie_date": {"old": ACTIVE, "new": TODAY}}
    assert former not in [i.target.get("user_id") for i in plan.items]  # a former pupil stays as is


def test_pupil_coming_back_after_a_year_is_reactivated(tmp_path: Path, db: SchoolDB) -> None:
    back = db.pupil(
        "LAVANDIER", "Noé", ine="203451870GH", sortie="2025-07-04", genre="M", classe="104513_CE1"
    )
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    (item,) = items(plan, "reactivate")
    assert item.target["user_id"] == back
    assert item.changes["user_sortie_date"] == {"old": "2025-07-04", "new": ACTIVE}
    assert "create" not in kinds(plan)


def test_pupil_changing_class(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M", **CE2)])
    (update,) = items(plan, "update")
    assert update.changes == {
        "eleve_classe_id": {"old": "104513_CE1", "new": "104514_CE2", "old_id": db.refs["104513_CE1"]}
    }


def test_accent_fixed_in_onde_is_an_update_by_ine(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noe", ine="203451870GH", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    (update,) = items(plan, "update")
    assert update.changes == {"user_prenom": {"old": "Noe", "new": "Noé"}}
    assert update.reason["tier"] == "ine"


def test_accent_fixed_without_ine_needs_a_decision(tmp_path: Path, db: SchoolDB) -> None:
    user_id = db.pupil("LAVANDIER", "Noe", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", sexe="M")])
    (decide,) = items(plan, "decide")
    assert not decide.accepted
    assert [c["user_id"] for c in decide.subject["candidates"]] == [user_id]
    assert "accents" in decide.reason["why"]
    assert pupil_kinds(plan) == {"decide": 1}  # neither a create nor a deactivation while undecided


def test_ine_appearing_for_a_pupil_who_had_none(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noé", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    (update,) = items(plan, "update")
    assert update.changes == {"user_reference": {"old": "", "new": "203451870GH"}}
    assert update.reason["tier"] == "nom_prenom_naissance"


def test_different_ine_never_matches_on_names(tmp_path: Path, db: SchoolDB) -> None:
    other = db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451871GH", sexe="M")])
    assert "update" not in kinds(plan)
    assert [c["user_id"] for c in items(plan, "decide")[0].subject["candidates"]] == [other]


def test_homonyms_are_never_guessed(tmp_path: Path, db: SchoolDB) -> None:
    a = db.pupil("MARTIN", "Léa", "2018-01-01", classe="104513_CE1")
    b = db.pupil("MARTIN", "Léa", "2018-09-09", classe="104513_CE1")
    plan = plan_for(tmp_path, db, [row("MARTIN", "Léa", "05/05/2018")])
    (decide,) = items(plan, "decide")
    assert {c["user_id"] for c in decide.subject["candidates"]} == {a, b}
    assert "create" not in kinds(plan) and "deactivate" not in kinds(plan)


def test_two_rows_claiming_one_account(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("MARTIN", "Léa", "2018-01-01", classe="104513_CE1")
    plan = plan_for(
        tmp_path,
        db,
        [
            row("MARTIN", "Léa", "01/01/2018", ine="203451870GH"),
            row("MARTIN", "Léa", "01/01/2018", ine="203451871GH"),
        ],
    )
    assert pupil_kinds(plan) == {"decide": 2}


def test_twins_with_the_same_birth_date(tmp_path: Path, db: SchoolDB) -> None:
    noe = db.pupil("LAVANDIER", "Noé", "2018-03-14", classe="104513_CE1", genre="M")
    plan = plan_for(
        tmp_path,
        db,
        [row("LAVANDIER", "Noé", "14/03/2018", sexe="M"), row("LAVANDIER", "Capucine", "14/03/2018")],
    )
    assert items(plan, "create")[0].subject["prenom"] == "Capucine"
    assert "decide" not in kinds(plan) and "update" not in kinds(plan)
    assert noe not in [i.target.get("user_id") for i in plan.items]


def test_one_letter_typo_is_proposed_not_applied(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("PERVANCHE", "Loïc", "2019-04-25", classe="104513_CE1", genre="M")
    plan = plan_for(tmp_path, db, [row("PERVENCHE", "Loïc", "25/04/2019", ine="203451870GH", sexe="M")])
    (decide,) = items(plan, "decide")
    assert "1 letter" in decide.reason["why"] and decide.reason["rule"] == "fuzzy_typo"


def test_decisions_resolve_ambiguities(tmp_path: Path, db: SchoolDB) -> None:
    old = db.pupil("PERVANCHE", "Loïc", "2019-04-25", classe="104513_CE1", genre="M")
    rows = [row("PERVENCHE", "Loïc", "25/04/2019", ine="203451870GH", sexe="M")]
    key = "ine:203451870GH"
    same = plan_for(tmp_path, db, rows, decisions=Decisions(same={key: old}))
    (update,) = items(same, "update")
    assert update.changes["user_nom"] == {"old": "PERVANCHE", "new": "PERVENCHE"}
    assert update.reason["tier"] == "decision"
    different = plan_for(
        tmp_path, db, rows, decisions=Decisions(different=frozenset({(key, old)})), allow=("class_missing",)
    )
    assert pupil_kinds(different) == {"create": 1, "deactivate": 1}


def test_stale_decisions_are_reported(tmp_path: Path, db: SchoolDB) -> None:
    from helpers import write_csv
    from schools import RULES

    from engine.match import match
    from engine.read import read_export

    exp = read_export(write_csv(tmp_path / "e.csv", [row("LAVANDIER", "Noé", ine="203451870GH")]), RULES)
    result = match(
        exp.pupils,
        (),
        RULES.policy["matching"],
        Decisions(same={"ine:000000000XX": 5}, different=frozenset({(pupil_key(exp.pupils[0]), 9)})),
    )
    assert len(result.stale) == 2


def test_email_set_by_the_user_is_never_overwritten(tmp_path: Path, db: SchoolDB) -> None:
    directory = copy_rules(tmp_path)  # exports may carry an e-mail column: a YAML edit reads it
    source = directory / "sources" / "onde2-eleves.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(
        text + '  email:\n    headers: ["Courriel"]\n    steps: [strip, lower]\n', encoding="utf-8"
    )
    db.pupil(
        "LAVANDIER",
        "Noé",
        ine="203451870GH",
        classe="104513_CE1",
        genre="M",
        email="moi@ici.invalid",
        email_origine="user",
    )
    db.pupil("ROSSIGNOL", "Zoé", ine="203452218AC", classe="104513_CE1")
    db.pupil(
        "PERCEVAL", "Lou", ine="203452219AC", classe="104513_CE1", email="a@b.invalid", email_origine="admin"
    )
    rows = [
        [*row("LAVANDIER", "Noé", ine="203451870GH", sexe="M"), "Ecole@Exemple.invalid"],
        [*row("ROSSIGNOL", "Zoé", ine="203452218AC"), "ecole@exemple.invalid"],
        [*row("PERCEVAL", "Lou", ine="203452219AC"), ""],
    ]
    plan = plan_for(tmp_path, db, rows, rules=load_rules(directory), header=[*ONDE2_HEADER, "Courriel"])
    (update,) = [i for i in plan.items if i.kind == "update"]
    assert update.changes == {"user_email": {"old": "", "new": "ecole@exemple.invalid"}}


def test_classes_created_renamed_and_vanished(tmp_path: Path, db: SchoolDB) -> None:
    db.group("104513_CE1", "[CE1] CE1 M. Ancien", "classe", "CE1")  # same ref: never renamed without archive
    db.group("104599_CM2", "[CM2] CM2 M. Parti", "classe", "CM2")
    db.group("", "Club échecs", "classe")  # made by hand: never proposed for retirement
    plan = plan_for(
        tmp_path,
        db,
        [
            row("LAVANDIER", "Noé", ine="203451870GH"),
            row(
                "ROSSIGNOL",
                "Zoé",
                "01/01/2016",
                ine="203452218AC",
                niveau="CM2",
                classe="CM1-CM2 Mme Églantine",
                classe_id="104515",
            ),
        ],
    )
    assert items(plan, "class_rename") == []  # SACoche's wizard never renames a class found by its ref
    creates = {i.target["groupe_ref"]: i for i in items(plan, "class_create")}
    assert set(creates) == {"104515_CM2"}
    assert creates["104515_CM2"].changes["niveau_id"]["new"] == db.niveaux["CM2"]
    retired = {i.target["groupe_ref"]: i.accepted for i in items(plan, "class_retire")}
    assert retired == {"104514_CE2": False, "104599_CM2": False}
    assert [c["nom"] for c in plan.left_alone["classes"]] == ["Club échecs"]


def test_class_ref_collision_is_caught(tmp_path: Path, db: SchoolDB) -> None:
    rows = [
        row("LAVANDIER", "Noé", classe_id="1045131", niveau="CE1"),
        row("ROSSIGNOL", "Zoé", classe_id="1045131", niveau="CE2"),
    ]
    with pytest.raises(OndeError, match="same SACoche ref '1045131_CE'") as caught:
        plan_for(tmp_path, db, rows)
    assert caught.value.line == 3


def test_groups_memberships_and_hand_made_groups(tmp_path: Path, db: SchoolDB) -> None:
    chorale = group_ref("Chorale", {"ref_prefix": "RG_"})
    db.group(chorale, "Chorale", "groupe")
    db.group("RG_THEATRE", "Théâtre", "groupe")
    db.group("", "Soutien lecture", "groupe")
    noe = db.pupil(
        "LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M", groups=("RG_CHORALE", "")
    )
    zoe = db.pupil("ROSSIGNOL", "Zoé", ine="203452218AC", classe="104513_CE1", groups=("RG_THEATRE",))
    plan = plan_for(
        tmp_path,
        db,
        [
            row("LAVANDIER", "Noé", ine="203451870GH", sexe="M", groupes="Anglais renforcé"),
            row("ROSSIGNOL", "Zoé", ine="203452218AC", groupes="Chorale, Anglais renforcé"),
        ],
    )
    assert [i.target["groupe_ref"] for i in items(plan, "group_create")] == ["RG_ANGLAIS_RENFORCE"]
    assert [(i.target["groupe_ref"], i.accepted) for i in items(plan, "group_retire")] == [
        ("RG_THEATRE", False)
    ]
    adds = {(i.target.get("user_id"), i.target["groupe_ref"]) for i in items(plan, "membership_add")}
    assert adds == {(noe, "RG_ANGLAIS_RENFORCE"), (zoe, "RG_ANGLAIS_RENFORCE"), (zoe, "RG_CHORALE")}
    removes = {(i.target["user_id"], i.target["groupe_ref"]) for i in items(plan, "membership_remove")}
    assert removes == {(noe, "RG_CHORALE"), (zoe, "RG_THEATRE")}  # never the hand-made group
    assert [g["nom"] for g in plan.left_alone["groups"]] == ["Soutien lecture"]


def test_duplicate_logins_in_the_batch_and_against_staff(tmp_path: Path, db: SchoolDB) -> None:
    db.user("ENS", "LAVANDIER", "Noémie", "NOE.Lavandie")  # MySQL's collation: same login
    plan = plan_for(
        tmp_path,
        db,
        [
            row("LAVANDIER", "Noé", "14/03/2018", sexe="M"),
            row("LAVANDIER", "Noé", "02/02/2017", **CE2, sexe="M"),
            row("LAVANDIEU", "Noëlla", "03/03/2018"),
        ],
    )
    logins = [i.target["login"] for i in items(plan, "create")]
    assert logins == ["noe.lavandie1", "noe.lavandie2", "noe.lavandie3"]


def test_stable_ids_on_rerun_and_independent_of_order(tmp_path: Path, db: SchoolDB) -> None:
    db.pupil("LAVANDIER", "Noe", ine="203451870GH", classe="104513_CE1", genre="M")
    rows = [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M"), row("ROSSIGNOL", "Zoé", ine="203452218AC")]
    first = plan_for(tmp_path, db, rows, seed=1)
    second = plan_for(tmp_path, db, list(reversed(rows)), seed=2)
    assert sorted(i.id for i in first.items) == sorted(i.id for i in second.items)
    assert stable_id("update", 1, {"a": 1}) != stable_id("update", 1, {"a": 2})


def test_accepted_defaults_follow_the_policy(tmp_path: Path, db: SchoolDB) -> None:
    db.group("104599_CM2", "[CM2] CM2 M. Parti", "classe", "CM2")
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé")])
    accepted = {i.kind: i.accepted for i in plan.items}
    assert accepted["create"] is True and accepted["class_retire"] is False


# --- guards ---------------------------------------------------------------------------------------------


def school_of(db: SchoolDB, count: int, classe: str = "104513_CE1", prefix: str = "2034") -> list[list[str]]:
    rows = []
    for n in range(count):
        ine = f"{prefix}{n:05d}AB"
        db.pupil(f"ELEVE{n}", "Zoé", ine=ine, classe=classe)
        rows.append(row(f"ELEVE{n}", "Zoé", ine=ine))
    return rows


def test_coverage_guard(tmp_path: Path, db: SchoolDB) -> None:
    rows = school_of(db, 20)
    plan = plan_for(tmp_path, db, rows[:10], allow=("deactivations",))
    assert plan.held and [h["guard"] for h in plan.holds] == ["coverage"]
    assert "10 pupils, 50% of the 20 active" in plan.holds[0]["message"]
    assert plan.holds[0]["allow"] == "--allow coverage"
    assert not plan_for(tmp_path, db, rows[:10], allow=("coverage", "deactivations")).held


def test_class_and_niveau_guards(tmp_path: Path, db: SchoolDB) -> None:
    rows = school_of(db, 12)
    for n in range(3):
        db.pupil(f"GRAND{n}", "Léo", "2017-02-02", ine=f"2035{n:05d}CD", classe="104514_CE2")
    plan = plan_for(tmp_path, db, rows)
    guards = sorted(h["guard"] for h in plan.holds)
    assert guards == ["class_missing", "niveau_missing"]
    assert any(
        "has 3 active pupils in SACoche and none of them is in the file" in h["message"] for h in plan.holds
    )


def test_deactivation_guard_needs_both_limits(tmp_path: Path, db: SchoolDB) -> None:
    small = school_of(db, 20)
    # 5 leavers out of 20: 25% but under the absolute floor of 10 → not held
    assert "deactivations" not in [h["guard"] for h in plan_for(tmp_path, db, small[:15]).holds]
    big = school_of(db, 60, classe="104514_CE2", prefix="2036")
    rows = small + [r for r in big[:45]]
    for r in rows[20:]:
        r[6:9] = ["CE2", "CE2-CM1 M. Framboisier", "104514"]
    plan = plan_for(tmp_path, db, rows)
    assert [h["guard"] for h in plan.holds] == ["deactivations"]
    assert "15 pupils would be deactivated" in plan.holds[0]["message"]


def test_unknown_allow_is_an_error(tmp_path: Path, db: SchoolDB) -> None:
    with pytest.raises(OndeError, match="unknown guard"):
        plan_for(tmp_path, db, [row("LAVANDIER", "Noé")], allow=("everything",))


def test_first_import_into_an_empty_school(tmp_path: Path) -> None:
    empty = SchoolDB(tmp_path / "empty.db")
    plan = plan_for(tmp_path, empty, [row("LAVANDIER", "Noé"), row("ROSSIGNOL", "Zoé", **CE2)])
    assert kinds(plan) == {"create": 2, "class_create": 2}
    assert {i.target["login"] for i in plan.items if i.kind == "create"} == {"noe.lavandie", "zoe.rossigno"}
    assert not plan.held


def test_other_school_guard(tmp_path: Path, db: SchoolDB) -> None:
    school_of(db, 10)
    stranger_rows = [row(f"AUTRE{n}", "Léo", ine=f"2099{n:05d}ZZ") for n in range(10)]
    plan = plan_for(tmp_path, db, stranger_rows)
    other = [h for h in plan.holds if h["guard"] == "other_school"]
    assert other and "only 0 of the file's 10 pupils (0%)" in other[0]["message"]
    assert "another school" in other[0]["message"]
