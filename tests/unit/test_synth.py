"""The synthetic school generator (benchmarks/synth.py), and the engine's fast paths checked against the
plain ones on generated data: memoised normalising, tier indexes, look-alikes through a deletion index."""

from __future__ import annotations

import csv
import random
import re
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import ONDE2_HEADER, REPO

import engine.match as match_module
import engine.read.normalise as normalise_module
from engine.errors import OndeErrorGroup
from engine.match import Decisions, match
from engine.plan import build_plan, class_of
from engine.read import Pupil, read_export
from engine.rules import load_rules
from engine.state import Account, read_state

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth

RULES = load_rules()
INE = re.compile(r"[0-9]{9}[0-9A-Z][A-Z]")


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def schools(tmp_path_factory: pytest.TempPathFactory) -> list[synth.SchoolFiles]:
    return synth.generate(tmp_path_factory.mktemp("synth"), schools=2, pupils=300, seed=11)


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    a = synth.generate(tmp_path / "a", schools=2, pupils=120, seed=5)
    b = synth.generate(tmp_path / "b", schools=2, pupils=120, seed=5)
    c = synth.generate(tmp_path / "c", schools=1, pupils=120, seed=6)
    for x, y in zip(a, b, strict=True):
        assert x.export.read_bytes() == y.export.read_bytes()
        assert _dump(x.db) == _dump(y.db)
        assert x.planted == y.planted
    assert a[0].export.read_bytes() != c[0].export.read_bytes()


def test_export_is_an_onde2_file(schools: list[synth.SchoolFiles]) -> None:
    raw = schools[0].export.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = _rows(schools[0].export)
    assert rows[0] == ONDE2_HEADER
    assert all(len(r) == len(ONDE2_HEADER) for r in rows)
    exported = read_export(schools[0].export, RULES)
    assert exported.source.id == "onde2-eleves"
    assert len(exported.pupils) == schools[0].pupils == len(rows) - 1


def test_ine_shape_unique_across_schools_and_some_missing(schools: list[synth.SchoolFiles]) -> None:
    seen: list[str] = []
    missing = 0
    for school in schools:
        for row in _rows(school.export)[1:]:
            if row[0]:
                assert INE.fullmatch(row[0])
                seen.append(row[0])
            else:
                missing += 1
        conn = sqlite3.connect(school.db)
        seen += [
            ine
            for (ine,) in conn.execute("SELECT user_reference FROM sacoche_user WHERE user_reference != ''")
        ]
        conn.close()
    counts = Counter(seen)
    # an INE appears at most twice: once in the export, once as the same pupil's account
    assert max(counts.values()) <= 2
    assert missing > 0


def test_realistic_names_twins_homonyms_groups_classes(schools: list[synth.SchoolFiles]) -> None:
    pupils = [p for school in schools for p in read_export(school.export, RULES).pupils]
    names = " ".join(p.nom + " " + p.prenom for p in pupils)
    assert re.search(r"[ÉÈÊËÀÂÎÏÔÛÙÇéèêëàâîïôûùçœæ]", names)
    assert "-" in names and "'" in names
    by_family_birth: dict[tuple[str, str, str], set[str]] = {}
    for p in pupils:
        by_family_birth.setdefault((p.nom, p.naissance, p.classe_id), set()).add(p.prenom)
    assert any(len(prenoms) > 1 for prenoms in by_family_birth.values()), "no twins"
    homonyms = Counter((p.nom, p.prenom) for p in pupils)
    assert any(n > 1 for n in homonyms.values()), "no homonyms"
    assert any(p.regroupements for p in pupils)
    assert any(len(p.regroupements) > 1 for p in pupils)
    niveaux_by_class: dict[str, set[str]] = {}
    for p in pupils:
        niveaux_by_class.setdefault(p.classe_id, set()).add(p.niveau)
    assert any(len(n) > 1 for n in niveaux_by_class.values()), "no multi-level class"
    assert any(p.niveau == "" and p.dispositif == "ULIS" for p in pupils)


def test_state_uses_the_engines_class_refs_and_unique_logins(schools: list[synth.SchoolFiles]) -> None:
    school = schools[0]
    exported = read_export(school.export, RULES)
    state = read_state(school.db_url)
    refs = {class_of(p, RULES.policy["classes"], RULES.context)[0] for p in exported.pupils}
    in_db = {g.ref for g in state.groups if g.type == "classe"}
    assert len(refs & in_db) >= len(refs) - school.planted["class_create"]
    logins = [a.login for a in state.accounts]
    assert len(logins) == len(set(logins))
    assert all(len(login) <= 30 for login in logins)


def test_plan_finds_what_was_planted(schools: list[synth.SchoolFiles]) -> None:
    for school in schools:
        exported = read_export(school.export, RULES)
        state = read_state(school.db_url)
        matching = match(exported.pupils, state.accounts, RULES.policy["matching"])
        plan = build_plan(exported, state, matching, RULES, today="2026-11-29", rng=random.Random(1))
        s, planted = plan.summary, school.planted
        for kind, key in (
            ("reactivate", "reactivate"),
            ("class_create", "classes_create"),
            ("class_rename", "classes_rename"),
            ("class_retire", "classes_retire"),
            ("group_create", "groups_create"),
            ("group_retire", "groups_retire"),
            ("update", "update"),
        ):
            assert s[key] == planted[kind], (school.name, kind)
        # a newcomer resembling a leaver is a decision, never a guess
        assert planted["create"] - s["needs_decision"] <= s["create"] <= planted["create"]
        assert planted["deactivate"] - 3 * s["needs_decision"] <= s["deactivate"] <= planted["deactivate"]
        assert not s["held"]


def test_state_archives_the_previous_import_and_the_plan_renames_what_was_planted(tmp_path: Path) -> None:
    shares = synth.Shares(renamed_classes=0.5, class_changes=0.3)
    (school,) = synth.generate(tmp_path, pupils=600, seed=7, shares=shares)
    state = read_state(school.db_url)
    lines = state.archive.lines() if state.archive is not None else None
    assert lines is not None and lines[0][:3] == ["Nom élève", "Nom d'usage élève", "Prénom élève"]
    active = [a for a in state.accounts if a.sortie_date == "9999-12-31" and a.classe_id]
    assert len(lines) - 1 == school.planted["archived"] == len(active)  # last year's file: one line each
    assert (state.archive.date, state.archive.annee) == ("2025-09-08", "2025")
    exported = read_export(school.export, RULES)
    matching = match(exported.pupils, state.accounts, RULES.policy["matching"])
    plan = build_plan(exported, state, matching, RULES, today="2026-11-29", rng=random.Random(1))
    renames = [i for i in plan.items if i.kind == "class_rename"]
    assert len(renames) == plan.summary["classes_rename"] == school.planted["class_rename"] > 0
    assert {i.reason["situation"] for i in renames} == {"class_label_changed"}
    assert all(i.accepted and "Ancien" in i.reason["previous_label"] for i in renames)
    assert plan.summary["archive"] == 0  # an ONDE 2 export is not archived: the old file stays


def test_db_map_lists_every_school(tmp_path: Path, schools: list[synth.SchoolFiles]) -> None:
    import yaml

    folder = schools[0].export.parent
    path = synth.write_db_map(tmp_path / "map.yaml", schools, folder)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [s["export"] for s in data["schools"]] == [s.export.name for s in schools]
    assert [s["out"] for s in data["schools"]] == [s.name for s in schools]
    assert all(s["db"].startswith("sqlite:////") for s in data["schools"])


def test_generation_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    (school,) = synth.generate(tmp_path, pupils=20_000, seed=3)
    assert school.pupils == 20_000
    assert time.perf_counter() - started < 20  # ~1 s here; 1,000,000 pupils take about 35 s


# --------------------------------------------------------------- fast paths give the plain paths' results


def test_memoised_normaliser_equals_plain_one(
    tmp_path: Path, schools: list[synth.SchoolFiles], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = read_export(schools[0].export, RULES)
    monkeypatch.setattr(normalise_module, "PROBE", 1)
    monkeypatch.setattr(normalise_module, "MAX_DISTINCT", 0)  # every memo dropped after row 1
    plain = read_export(schools[0].export, RULES)
    assert fast.pupils == plain.pupils
    assert fast.warnings == plain.warnings


def test_memoised_normaliser_reports_every_bad_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (school,) = synth.generate(tmp_path, pupils=60, seed=4)
    rows = _rows(school.export)
    for index in (3, 7, 8):  # the same bad cells on several lines: each line gets its own errors
        rows[index][4] = "31/02/2019"
        rows[index][1] = " "
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)

    def errors() -> list[tuple[int | None, int | None, str]]:
        with pytest.raises(OndeErrorGroup) as caught:
            read_export(bad, RULES)
        return [(e.line, e.column, e.message) for e in caught.value.errors]

    fast = errors()
    assert [line for line, _, _ in fast] == [4, 4, 8, 8, 9, 9]
    monkeypatch.setattr(normalise_module, "PROBE", 1)
    monkeypatch.setattr(normalise_module, "MAX_DISTINCT", 0)
    assert errors() == fast


def _look_alikes(seed: int) -> tuple[list[Pupil], list[Account]]:
    """Rows and accounts with few birth dates and names one or two letters apart: big fuzzy blocks."""
    rng = random.Random(seed)
    letters = "AEIRST"
    births = [f"2019-0{m}-1{d}" for m in range(1, 4) for d in range(3)]

    def name(n: int) -> str:
        return "".join(rng.choice(letters) for _ in range(n))

    accounts = [
        Account(
            user_id=i + 1,
            ine="",
            nom=name(rng.randint(3, 6)),
            prenom=name(rng.randint(2, 4)).title(),
            naissance=rng.choice(births),
            genre="F",
            email="",
            email_origine="",
            login=f"x{i}",
            sortie_date="9999-12-31",
            classe_id=0,
        )
        for i in range(400)
    ]
    pupils = []
    for line in range(2, 300):
        if rng.random() < 0.6:
            model = rng.choice(accounts)
            nom = list(model.nom)
            nom[rng.randrange(len(nom))] = rng.choice(letters)  # a typo, or no change at all
            pupils.append(Pupil(line=line, nom="".join(nom), prenom=model.prenom, naissance=model.naissance))
        else:
            pupils.append(
                Pupil(
                    line=line,
                    nom=name(rng.randint(3, 6)),
                    prenom=name(3).title(),
                    naissance=rng.choice(births),
                )
            )
    return pupils, accounts


@pytest.mark.parametrize(
    "fuzzy",
    [
        {"max_edits": 1, "folded_same_birth": True},
        {"max_edits": 2, "folded_same_birth": False},
        {"max_edits": 0, "folded_same_birth": True},
    ],
)
def test_look_alike_index_equals_scanning_each_block(
    fuzzy: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    pupils, accounts = _look_alikes(9)
    policy = {**RULES.policy["matching"], "fuzzy": fuzzy}
    decisions = Decisions(
        different=frozenset({(f"id:{pupils[0].nom}|{pupils[0].prenom}|{pupils[0].naissance}", 1)})
    )
    monkeypatch.setattr(match_module, "_INDEX_MIN_BLOCK", 10**9)
    scanned = match(pupils, accounts, policy, decisions)
    monkeypatch.setattr(match_module, "_INDEX_MIN_BLOCK", 1)
    monkeypatch.setattr(match_module, "_INDEX_MIN_ROWS", 1)
    indexed = match(pupils, accounts, policy, decisions)
    assert indexed == scanned
    assert any(a.rule == "fuzzy_typo" for a in scanned.ambiguities) or not fuzzy["max_edits"]
