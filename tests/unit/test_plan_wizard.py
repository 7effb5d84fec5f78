"""Plans that follow SACoche's own import wizard: what a format carries, classes, pupils without a class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import CONFORMANCE, write_csv
from schools import RULES, TODAY, SchoolDB, kinds, plan_for, row

from engine.errors import OndeError
from engine.match import match
from engine.plan import Item, Plan, build_plan, class_of
from engine.read import read_export
from engine.state import read_state

ONDE1_HEADER = [
    "Nom élève",
    "Nom d'usage élève",
    "Prénom élève",
    "Date naissance",
    "Sexe",
    "INE",
    "Niveau",
    "Libellé classe",
    "Identifiant classe",
]


def onde1_row(
    nom: str,
    prenom: str,
    naissance: str = "2018-05-07",
    *,
    ine: str = "",
    sexe: str = "F",
    niveau: str = "CE1",
    classe: str = "CE1 Mme Ancolie",
    classe_id: str = "104513",
) -> list[str]:
    return [nom, "", prenom, naissance, sexe, ine, niveau, classe, classe_id]


def changes(plan: Plan) -> list[Item]:
    """The plan's items but SACoche's archive of the file (every ONDE v1 plan on a fresh base has one)."""
    return [i for i in plan.items if i.kind != "archive"]


def plan_onde1(tmp_path: Path, db: SchoolDB, rows: Sequence[Sequence[str]], **kwargs: object) -> Plan:
    path = write_csv(tmp_path / "onde1.csv", rows, header=ONDE1_HEADER, encoding="cp1252")
    exp = read_export(path, RULES)
    assert exp.source.id == "onde1-eleves"
    state = read_state(db.url)
    matching = match(exp.pupils, state.accounts, RULES.policy["matching"])
    return build_plan(exp, state, matching, RULES, today=TODAY, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> SchoolDB:
    school = SchoolDB(tmp_path / "sacoche.db")
    school.klass("104513", "CE1", "CE1 Mme Ancolie")
    return school


# --- A. a plan only touches what its source format carries ---------------------------------------


def test_onde1_without_groups_column_leaves_groups_alone(tmp_path: Path, db: SchoolDB) -> None:
    db.group("RG_CHORALE", "Chorale", "groupe")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M", groups=["RG_CHORALE"])
    plan = plan_onde1(tmp_path, db, [onde1_row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    assert kinds(plan, ("membership_add", "membership_remove", "group_create", "group_retire")) == {}
    assert changes(plan) == []


def test_onde2_with_groups_column_still_manages_memberships(tmp_path: Path, db: SchoolDB) -> None:
    db.group("RG_CHORALE", "Chorale", "groupe")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M", groups=("RG_CHORALE",))
    plan = plan_for(tmp_path, db, [row("LAVANDIER", "Noé", ine="203451870GH", sexe="M")])
    assert kinds(plan, ("membership_remove", "group_retire")) == {"membership_remove": 1, "group_retire": 1}


# --- B. classes computed as SACoche's wizard computes them ---------------------------------------


def _conformance_classes() -> list[tuple[str, ...]]:
    rows = []
    for line in (CONFORMANCE / "classes.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(tuple(line.split("\t")))
    return rows


CLASSES = _conformance_classes()


def test_conformance_table_is_all_there() -> None:
    assert len(CLASSES) == 32 and all(len(r) == 6 for r in CLASSES)


@pytest.mark.parametrize(("niveau", "label", "classe_id", "niveau_ref", "groupe_ref", "groupe_nom"), CLASSES)
def test_class_as_sacoche_wizard_stores_it(
    tmp_path: Path, niveau: str, label: str, classe_id: str, niveau_ref: str, groupe_ref: str, groupe_nom: str
) -> None:
    path = write_csv(
        tmp_path / "onde1.csv",
        [onde1_row("LAVANDIER", "Noé", niveau=niveau, classe=label, classe_id=classe_id)],
        header=ONDE1_HEADER,
        encoding="cp1252" if all(c.encode("cp1252", "ignore") for c in label) else "utf-8",
    )
    (pupil,) = read_export(path, RULES).pupils
    ref, name, level = class_of(pupil, RULES.policy["classes"], RULES.context)
    assert (level, ref, name) == (niveau_ref, groupe_ref, groupe_nom)


def test_seven_digit_class_ids_colliding_once_cut_are_caught(tmp_path: Path, db: SchoolDB) -> None:
    rows = [
        onde1_row("LAVANDIER", "Noé", niveau="Cours élémentaire 1ère année", classe_id="1045521"),
        onde1_row("ROSSIGNOL", "Zoé", niveau="Cours élémentaire 2ème année", classe_id="1045521"),
    ]
    with pytest.raises(OndeError, match="same SACoche ref '1045521_CE'") as caught:
        plan_onde1(tmp_path, db, rows)
    assert caught.value.line == 3


# --- C. classes found by ref as MySQL compares it; renamed only when the ONDE label changed ---------


def test_ref_with_sacoche_trailing_space_is_the_same_class(tmp_path: Path, db: SchoolDB) -> None:
    db.group("104565_CP", "[CP 2GROU] CP 2group", "classe", "CP")  # stored by hand without the space
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104565_CP", genre="M")
    level = "Cours préparatoire 2e groupe"
    plan = plan_onde1(
        tmp_path,
        db,
        [
            onde1_row(
                "LAVANDIER",
                "Noé",
                ine="203451870GH",
                sexe="M",
                niveau=level,
                classe="CP 2e groupe",
                classe_id="104565",
            )
        ],
        allow=("niveau_missing", "class_missing"),
    )
    assert [i.kind for i in changes(plan)] == ["class_retire"]  # the unused CE1 class: nothing else
    assert plan.summary["unchanged"] == 1


def onde1_lines(*rows: list[str]) -> list[list[str]]:
    return [ONDE1_HEADER, *rows]


def test_name_computed_differently_today_is_never_a_rename(tmp_path: Path, db: SchoolDB) -> None:
    db.group("104514_CE2", "CE2 de Mme Durand", "classe", "CE2")  # edited by hand in SACoche
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104514_CE2", genre="M")
    line = onde1_row(
        "LAVANDIER",
        "Noé",
        ine="203451870GH",
        sexe="M",
        niveau="CE2",
        classe="CE2 Mme Durand",
        classe_id="104514",
    )
    db.archive(onde1_lines(line))
    plan = plan_onde1(tmp_path, db, [line], allow=("niveau_missing", "class_missing"))
    assert kinds(plan, ("class_rename", "class_create")) == {}


@pytest.mark.parametrize(("stored", "checked"), [("[CE2] CE2 M. Leroy", True), ("CE2 (M. Leroy)", False)])
def test_onde_label_changed_since_the_archive_is_a_rename(
    tmp_path: Path, db: SchoolDB, stored: str, checked: bool
) -> None:
    db.group("104514_CE2", stored, "classe", "CE2")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104514_CE2", genre="M")
    before = onde1_row(
        "LAVANDIER",
        "Noé",
        ine="203451870GH",
        sexe="M",
        niveau="CE2",
        classe="CE2 M. Leroy",
        classe_id="104514",
    )
    db.archive(onde1_lines(before))
    now = [*before[:7], "CE2 Mme Durand", "104514"]
    plan = plan_onde1(tmp_path, db, [now], allow=("niveau_missing", "class_missing"))
    (rename,) = [i for i in plan.items if i.kind == "class_rename"]
    assert rename.changes == {"groupe_nom": {"old": stored, "new": "[CE2] CE2 Mme Durand"}}
    assert rename.accepted is checked
    assert rename.reason["previous_label"] == "CE2 M. Leroy" and rename.reason["label"] == "CE2 Mme Durand"


def test_no_archive_no_rename_even_when_the_label_changed(tmp_path: Path, db: SchoolDB) -> None:
    db.group("104514_CE2", "[CE2] CE2 M. Leroy", "classe", "CE2")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104514_CE2", genre="M")
    now = onde1_row(
        "LAVANDIER",
        "Noé",
        ine="203451870GH",
        sexe="M",
        niveau="CE2",
        classe="CE2 Mme Durand",
        classe_id="104514",
    )
    plan = plan_onde1(tmp_path, db, [now], allow=("niveau_missing", "class_missing"))
    assert kinds(plan, ("class_rename",)) == {}


def test_report_shows_old_and_new_names_and_labels_side_by_side(tmp_path: Path, db: SchoolDB) -> None:
    from engine.render.report_rows import Names, structure_row

    db.group("104514_CE2", "CE2 (M. Leroy)", "classe", "CE2")
    db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104514_CE2", genre="M")
    before = onde1_row(
        "LAVANDIER", "Noé", ine="203451870GH", niveau="CE2", classe="CE2 M. Leroy", classe_id="104514"
    )
    db.archive(onde1_lines(before))
    now = [*before[:7], "CE2 Mme Durand", "104514"]
    plan = plan_onde1(tmp_path, db, [now], allow=("niveau_missing", "class_missing"))
    doc = plan.to_dict()
    (rename,) = [i for i in doc["items"] if i["kind"] == "class_rename"]
    row_ = structure_row(rename, Names(doc))
    assert "CE2 (M. Leroy) → [CE2] CE2 Mme Durand" in row_["detail"]
    assert "« CE2 M. Leroy » devenu « CE2 Mme Durand »" in row_["detail"]
    assert "modifié à la main" in row_["detail"] and not row_["accepted"]


# --- D. pupils without a class, as SACoche's wizard handles them ------------------------------------


def test_pupils_without_a_class_follow_the_wizard_cases(tmp_path: Path, db: SchoolDB) -> None:
    active = db.pupil("LAVANDIER", "Noé", ine="203451870GH", classe="104513_CE1", genre="M")
    former = db.pupil("ANCIEN", "Côme", ine="130000003CC", sortie="2024-07-05", genre="M")
    stays = [onde1_row(f"ELEVE{i}", "Lou", ine=f"20345{i:04d}AC") for i in range(8)]
    for i in range(8):
        db.pupil(f"ELEVE{i}", "Lou", ine=f"20345{i:04d}AC", classe="104513_CE1")
    rows = [
        *stays,
        onde1_row("LAVANDIER", "Noé", ine="203451870GH", sexe="M", classe="", classe_id=""),
        onde1_row("ANCIEN", "Côme", ine="130000003CC", sexe="M", classe="", classe_id=""),
        onde1_row("NOUVEAU", "Inès", ine="203459999ZZ", classe="", classe_id=""),
    ]
    plan = plan_onde1(tmp_path, db, rows)
    (off,) = changes(plan)
    assert off.kind == "deactivate"
    assert off.target["user_id"] == active and off.accepted
    assert off.reason["situation"] == "active_without_class" and off.reason["line"] == 10
    assert plan.summary["without_class"] == 3
    assert sorted(e["action"] for e in plan.meta["without_class"]) == ["deactivated", "ignored", "unchanged"]
    ignored = [e for e in plan.meta["without_class"] if e["action"] == "ignored"]
    assert [(e["line"], e["nom"]) for e in ignored] == [(12, "NOUVEAU")]
    assert former in [e.get("user_id") for e in plan.meta["without_class"]]
    assert not plan.held  # 9 pupils in classes, 10 active: coverage and the other guards hold


def test_file_with_only_unassigned_pupils_is_held_by_coverage(tmp_path: Path, db: SchoolDB) -> None:
    for i in range(5):
        db.pupil(f"ELEVE{i}", "Lou", ine=f"20345{i:04d}AC", classe="104513_CE1")
    rows = [onde1_row(f"ELEVE{i}", "Lou", ine=f"20345{i:04d}AC", classe="", classe_id="") for i in range(5)]
    plan = plan_onde1(tmp_path, db, rows)
    assert {h["guard"] for h in plan.holds} >= {"coverage", "class_missing"}


def test_row_without_a_name_is_still_an_error_with_its_line(tmp_path: Path, db: SchoolDB) -> None:
    rows = [onde1_row("LAVANDIER", "Noé"), onde1_row("", "Zoé", classe="", classe_id="")]
    with pytest.raises(OndeError) as caught:
        plan_onde1(tmp_path, db, rows)
    assert caught.value.line == 3 and "onde1.csv" in str(caught.value.file)


def test_inspect_and_report_count_pupils_without_a_class(tmp_path: Path, db: SchoolDB) -> None:
    from engine.overview import overview
    from engine.render.report import build_view

    rows = [onde1_row("LAVANDIER", "Noé"), onde1_row("NOUVEAU", "Inès", classe="", classe_id="")]
    path = write_csv(tmp_path / "onde1.csv", rows, header=ONDE1_HEADER, encoding="cp1252")
    info = overview(read_export(path, RULES))
    assert info["without_class"] == 1 and [c["id"] for c in info["classes"]] == ["104513"]
    plan = plan_onde1(tmp_path, db, rows, allow=("other_school",))
    context = build_view(plan.to_dict())
    assert context["without_class"]["line"].startswith("1 élève du fichier sans classe : 1 ignoré")
    assert [e["nom"] for e in context["without_class"]["ignored"]] == ["NOUVEAU"]
