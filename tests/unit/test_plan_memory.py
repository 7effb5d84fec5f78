"""`plan` renders the document it has just written instead of reading plan.json back
(engine.pipeline.render_outputs, engine.render.loading.check_written_plan): that document must be what
json.loads reads of the file, and the SQL, report and login sheets rendered from it must be byte for
byte those rendered from the file, so that what is rendered is still what a reviewer reads."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO
from test_plan_orjson import Int, Text, strictly_equal

from engine.errors import OndeError
from engine.pipeline import make_plan, render_outputs
from engine.plan.items import Item, Plan
from engine.plan.planio import write_plan
from engine.render import load_plan
from engine.render.loading import check_written_plan

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth
from benchmarks.changed_heavy import CHANGED_HEAVY
from benchmarks.run import ALLOW_ALL

EXAMPLE_CSV = REPO / "examples" / "onde2-ecole-des-tilleuls.csv"
EXAMPLE_DB = f"sqlite:///{REPO / 'examples' / 'sacoche-ecole-des-tilleuls.db'}"
PARENTS = REPO / "tests" / "data" / "parents" / "onde1-responsables-golden.csv"
TODAY = date(2026, 11, 29)
#: what `render` reads in a plan directory besides plan.json (everything else is rendered)
INPUTS = ("plan.json", "identifiants.csv", "identifiants-parents.csv", "decisions.yaml")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rendered_from_the_file(out: Path, again: Path) -> dict[str, bytes]:
    """What `render` makes of the plan directory's inputs alone, copied to ``again``."""
    again.mkdir()
    for name in INPUTS:
        if (out / name).is_file():
            shutil.copy2(out / name, again / name)
    render_outputs(again)
    return _tree(again)


@pytest.mark.parametrize("case", ["example", "parents", "changed-heavy"])
def test_rendering_from_memory_is_rendering_from_the_file(tmp_path: Path, case: str) -> None:
    out = tmp_path / "plan"
    if case == "changed-heavy":  # every kind of pupil item, class renames, homonyms
        school = synth.generate(tmp_path / "school", pupils=400, seed=17, shares=CHANGED_HEAVY)[0]
        make_plan(school.export, school.db_url, out, today=TODAY, rng=random.Random(3), allow=ALLOW_ALL)
    else:
        parents = PARENTS if case == "parents" else None
        make_plan(EXAMPLE_CSV, EXAMPLE_DB, out, today=TODAY, rng=random.Random(7), parents_path=parents)
    made = _tree(out)
    assert any(name.startswith("sql/") for name in made) and "rapport.html" in made
    assert _rendered_from_the_file(out, tmp_path / "again") == made


def _plan(items: tuple[Item, ...], **meta: object) -> Plan:
    return Plan(
        meta={"today": "2026-11-29", "source": {"file": "x.csv"}, "state": {"url": "sqlite:///x.db"}, **meta},
        summary={"create": 0},
        items=items,
        holds=(),
        left_alone={"classes": [], "groups": []},
        stale_decisions=(),
        warnings=(),
    )


def _item(index: int, **subject: object) -> Item:
    return Item(
        id=f"update-{index:010x}",
        kind="update",
        target={"table": "sacoche_user", "user_id": index, "login": f"l{index}"},
        changes={"user_nom": {"old": "A", "new": "B"}},
        reason={"rule": "r"},
        accepted=True,
        subject={"nom": "B", **subject},
    )


def test_the_document_in_memory_is_what_json_reads_back(tmp_path: Path) -> None:
    odd = [
        {"autre": ("CP", "CE1")},  # a tuple: a list once read
        {"line": 1.5},  # a float
        {"line": Int(4), "prenom": Text("Zoé")},  # subclasses
        {"autre": {1: "a"}},  # a key that is not text
        {"line": 2**70},  # beyond 64 bits
    ]
    plain = [{"prenom": 'Zoé \u2028 \x00 "q" \\', "classe": None, "line": -(2**63)}, {"x": {"y": [[], {}]}}]
    items = tuple(_item(i, **subject) for i, subject in enumerate([*plain, *odd]))
    written = write_plan(tmp_path, _plan(items, extra=(1, 2.5, {3: Int(4)})), {"format_version": 1})
    raw = (tmp_path / "plan.json").read_bytes()
    assert strictly_equal(written.doc, json.loads(raw))
    assert written.sha256 == hashlib.sha256(raw).hexdigest()
    assert written.reread == tuple(range(len(plain), len(plain) + len(odd)))
    assert json.dumps(json.loads(raw), ensure_ascii=False, indent=2).encode("utf-8") + b"\n" == raw
    check_written_plan(written)  # sealed and sound
    load_plan(tmp_path)


def test_a_faulty_plan_is_refused_without_reading_it_back_as_it_is_read(tmp_path: Path) -> None:
    """A plan the planner got wrong (here a name beyond the database's width) is still refused by
    `plan`, with the same messages and lines as `render` gives for the file."""
    items = (_item(1), replace(_item(2), changes={"user_nom": {"old": "A", "new": "N" * 200}}))
    written = write_plan(tmp_path, _plan(items), {})
    with pytest.raises(OndeError) as from_memory:
        check_written_plan(written)
    with pytest.raises(OndeError) as from_file:
        load_plan(tmp_path)
    assert "more than the database's" in str(from_memory.value)
    assert (str(from_memory.value), from_memory.value.line) == (str(from_file.value), from_file.value.line)
    text = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert from_memory.value.line == text.count("\n", 0, text.index('"update-0000000002"')) + 1


def test_a_reread_item_changed_in_memory_is_caught_by_its_seal(tmp_path: Path) -> None:
    """Only the plain items are trusted: an item read back from its bytes has its seal checked."""
    written = write_plan(tmp_path, _plan((_item(1, line=1.5),)), {})
    written.doc["items"][0]["subject"]["nom"] = "C"
    with pytest.raises(OndeError, match="changed after the plan was made"):
        check_written_plan(written)


@pytest.mark.parametrize("number", [1e16, 1e-7, float("nan"), float("inf"), 0.5])
def test_numbers_orjson_writes_otherwise_are_sealed_and_checked_by_json(
    tmp_path: Path, number: float
) -> None:
    """orjson writes 1e16 as 1e16 and NaN as null, json as 1e+16 and NaN: a plan.json holding such a
    number is sealed, written and checked in json's form, from memory and from the file alike."""
    written = write_plan(tmp_path, _plan((_item(1, autre=[number]), _item(2))), {})
    assert json.dumps(number) in (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert written.reread == (0,)
    check_written_plan(written)
    load_plan(tmp_path)
    text = (tmp_path / "plan.json").read_text(encoding="utf-8")
    (tmp_path / "plan.json").write_text(text.replace(json.dumps(number), "2.25"), encoding="utf-8")
    with pytest.raises(OndeError, match="item update-0000000001 was changed after the plan was made"):
        load_plan(tmp_path)


def test_a_lone_surrogate_typed_into_plan_json_is_an_edit_not_a_traceback(tmp_path: Path) -> None:
    """json reads ``"\\ud800"`` as a lone surrogate, which UTF-8 cannot encode: the seal check raised
    UnicodeEncodeError; it now names the item changed by hand."""
    write_plan(tmp_path, _plan((_item(1), _item(2))), {})
    path = tmp_path / "plan.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"nom": "B"', '"nom": "B\\ud800"', 1), encoding="utf-8")
    with pytest.raises(OndeError, match="item update-0000000001 was changed after the plan was made"):
        load_plan(tmp_path)


@pytest.mark.parametrize("case", ["example", "parents"])
def test_the_exports_and_the_state_are_let_go_before_rendering(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large school's export and state (its pupils, its accounts) are not alive while the SQL and the
    report are rendered: the plan's document is all the renderers need."""
    import gc

    import engine.pipeline as pipeline
    from engine.read.parents import ParentsExport
    from engine.read.records import Export, Pupil
    from engine.state import Account, State

    alive: list[str] = []
    render = pipeline.render_outputs

    def counting(*args: object, **kwargs: object) -> list[Path]:
        kinds = (Export, Pupil, ParentsExport, State, Account)
        alive.extend(type(o).__name__ for o in gc.get_objects() if isinstance(o, kinds))
        return render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "render_outputs", counting)
    gc.collect()  # an earlier test's cyclic garbage (its pupils) is not this plan's: make_plan pauses the gc
    parents = PARENTS if case == "parents" else None
    make_plan(
        EXAMPLE_CSV, EXAMPLE_DB, tmp_path / "plan", today=TODAY, rng=random.Random(7), parents_path=parents
    )
    assert alive == []


@pytest.mark.parametrize("note", ["a", 1.5, ("a", "b")])
def test_the_header_is_checked_from_memory_whether_its_values_are_plain_or_not(
    tmp_path: Path, note: object
) -> None:
    """write_plan tells the check when every value is plain JSON (no walk of them again); the header's
    seal is computed again either way, and an edit of a value in memory caught."""
    written = write_plan(tmp_path, _plan((_item(1), _item(2))), {"note": note})
    assert written.plain == (note == "a")
    check_written_plan(written)
    written.doc["note"] = "changed"
    with pytest.raises(OndeError, match="'note' was changed after the plan was made"):
        check_written_plan(written)
