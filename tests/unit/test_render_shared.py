"""What the scripts of one plan share is made once and gives the same bytes: the data blocks' INSERTs
(kept within a budget), the new pupils' values, the changes' old and new values, the literal filters'
fast paths, the dependency checks, and the collector state around ``render_sql``."""

from __future__ import annotations

import copy
import gc
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine.render.sql as render
from benchmarks import synth
from engine.errors import OndeError
from engine.pipeline import make_plan
from engine.render import SCRIPTS, load_plan, mysql_literal, render_scripts, render_sql, sqlite_literal
from engine.render.model import SqlModel
from engine.render.sets_data import Memo
from engine.render.views import CLASS


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic school planned: creates, updates, leavers, memberships, groups created and retired."""
    root = tmp_path_factory.mktemp("shared")
    (files,) = synth.generate(root / "in", pupils=150, seed=3)
    out = root / "plan"
    make_plan(files.export, f"sqlite:///{files.db}", out, today=date(2026, 11, 29), force=True)
    return out


def _scripts(loaded: Any, model: SqlModel) -> dict[tuple[str, str], str]:
    return {
        (d, s): "".join(render.script_chunks(loaded, model, d, s))
        for d in ("mysql", "sqlite")
        for s in SCRIPTS
    }


def test_data_blocks_are_the_same_kept_or_rendered_again(school: Path) -> None:
    loaded = load_plan(school)
    kept = SqlModel(loaded.doc, revert_deletes_created=False)
    first = _scripts(loaded, kept)
    assert kept.pupil_sets.memo.kept  # the INSERTs of the first script were kept for the others
    again = _scripts(loaded, kept)  # every block from the memo now
    tight = SqlModel(loaded.doc, revert_deletes_created=False)
    tight.pupil_sets.memo = Memo(budget=0)  # nothing kept: each script renders its rows again
    assert _scripts(loaded, tight) == first == again
    assert not tight.pupil_sets.memo.kept
    for name in SCRIPTS:
        assert "INSERT INTO onde_sacoche_pupil_change" in first[("mysql", name)]


def test_a_block_past_the_budget_is_not_kept_in_part(school: Path) -> None:
    loaded = load_plan(school)
    model = SqlModel(loaded.doc, revert_deletes_created=False)
    whole = list(model.pupil_sets.changes_block().statements())
    model = SqlModel(loaded.doc, revert_deletes_created=False)
    model.pupil_sets.memo = Memo(budget=len(whole[2]) - 1)  # less than its first INSERT
    assert list(model.pupil_sets.changes_block().statements()) == whole
    assert model.pupil_sets.memo.kept == {}
    assert list(model.pupil_sets.changes_block().statements()) == whole


def test_new_pupils_values_and_changes_pairs_are_their_facts(school: Path) -> None:
    model = SqlModel(load_plan(school).doc, revert_deletes_created=False)
    assert model.creates and model.user_changes
    for c in model.creates:
        assert c.values() == [f.value for f in c.columns]
        assert [f.type for f in c.columns].count(CLASS) == 1
    for u in model.user_changes:
        olds, news = u.olds, u.news
        assert u.pairs() == {o.col: (o.value, n.value) for o, n in zip(olds, news, strict=True)}
        assert u.new_class_refs == [f.value for f in news if f.type == CLASS]


def test_old_states_of_set_scripts_leave_out_only_the_pupils_items(school: Path) -> None:
    from engine.render.guards import old_states

    model = SqlModel(load_plan(school).doc, revert_deletes_created=False)
    pupils = {v.id for v in model.creates + model.user_changes + model.memberships_add}
    pupils |= {v.id for v in model.memberships_remove}
    full, sets = old_states(model), old_states(model, sets=True)
    assert pupils & set(full) and not pupils & set(sets)  # the set scripts' checks look none up
    assert set(sets) == set(full) - pupils and set(sets)  # groups created and retired still there
    for item, checks in sets.items():
        assert [(g.check, g.subject) for g in checks] == [(g.check, g.subject) for g in full[item]]


def test_the_new_classes_are_each_ref_s_first_change(school: Path) -> None:
    model = SqlModel(load_plan(school).doc, revert_deletes_created=False)
    first: dict[str, str] = {}
    for u in model.user_changes:
        for ref in u.new_class_refs:
            first.setdefault(ref, u.id)
    assert first and list(model.pupil_sets.new_classes.items()) == list(first.items())


def test_the_last_account_s_columns_follow_the_account(school: Path) -> None:
    model = SqlModel(load_plan(school).doc, revert_deletes_created=False)
    a, b = model.creates[0], model.creates[1]
    assert a.columns is a.columns  # kept for the next ask
    assert a.columns != b.columns
    assert [f.value for f in a.columns] == a.values()


def test_render_sql_gives_back_the_collector_as_it_was(school: Path) -> None:
    scripts = {d: render_scripts(load_plan(school), d) for d in ("mysql", "sqlite")}
    for enabled in (True, False):
        if not enabled:
            gc.disable()
        try:
            paths = render_sql(school, ("mysql", "sqlite"))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
        for path in paths:
            assert path.read_text(encoding="utf-8") == scripts[path.parent.name][path.stem]


def _dependency_error(doc: dict[str, Any]) -> str:
    with pytest.raises(OndeError) as caught:
        SqlModel(doc, revert_deletes_created=False)
    return caught.value.message


def test_an_accepted_item_needing_a_rejected_one_is_refused(school: Path) -> None:
    doc = load_plan(school).doc
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in doc["items"]:
        by_kind.setdefault(item["kind"], []).append(item)
    group = by_kind["group_create"][0]
    ref = group["target"]["groupe_ref"].upper()
    members = [i for i in by_kind["membership_add"] if i["target"]["groupe_ref"].upper() == ref]
    assert members
    rejected = copy.deepcopy(doc)
    for item in rejected["items"]:
        if item["id"] == group["id"]:
            item["accepted"] = False
    message = _dependency_error(rejected)
    assert f"{members[0]['id']} is accepted but needs its group, whose item {group['id']}" in message

    pupil = by_kind["create"][0]
    rejected = copy.deepcopy(doc)
    new_member = copy.deepcopy(by_kind["membership_add"][0])  # a membership of the new pupil
    new_member["id"] = "membership_add-0123456789"
    del new_member["target"]["user_id"]
    new_member["target"]["login"] = pupil["target"]["login"]
    rejected["items"].append(new_member)
    assert SqlModel(rejected, revert_deletes_created=False).memberships_add[-1].user_id is None
    for item in rejected["items"]:
        if item["id"] == pupil["id"]:
            item["accepted"] = False
    assert f"needs its new pupil, whose item {pupil['id']} is not accepted" in _dependency_error(rejected)
    new_member["target"]["login"] = "nobody.here"
    assert "membership_add-0123456789: no create item for login 'nobody.here'" in _dependency_error(rejected)

    twice = copy.deepcopy(doc)
    creates = [i for i in twice["items"] if i["kind"] == "create"]
    creates[1]["target"]["login"] = creates[0]["target"]["login"].upper()
    assert f"{creates[1]['id']} and {creates[0]['id']} create the same login" in _dependency_error(twice)


def test_a_pupil_moved_to_a_rejected_new_class_is_refused(school: Path) -> None:
    doc = json.loads(json.dumps(load_plan(school).doc))
    mover = next(i for i in doc["items"] if i["kind"] == "update" and "eleve_classe_id" in i["changes"])
    ref = str(mover["changes"]["eleve_classe_id"]["new"])
    doc["items"].append(
        {
            "id": "class_create-0123456789",
            "kind": "class_create",
            "accepted": False,
            "target": {"groupe_ref": ref.lower()},
            "changes": {"groupe_nom": {"old": None, "new": "X"}},
        }
    )
    message = _dependency_error(doc)
    assert f"{mover['id']} is accepted but needs class {ref.upper()}, whose item class_create-0123456789" in (
        message
    )


NEEDLES = ("DELETE FROM sacoche_user WHERE 1;", "DELETE FROM sacoche_user\nWHERE 1;", "DELETE u FROM x;")


@pytest.mark.parametrize("needle", NEEDLES)
def test_an_account_delete_is_refused_wherever_the_chunks_cut_it(needle: str) -> None:
    text = "SELECT 1;\n" + needle + "\nSELECT 2;\n"
    for cut in range(len(text) + 1):
        for second in range(cut, len(text) + 1):
            chunks = [text[:cut], text[cut:second], text[second:]]
            with pytest.raises(AssertionError, match="never delete accounts"):
                list(render._refusing_account_deletes(chunks))
    clean = ["DELETE FROM sacoche_jointure_user_groupe", " WHERE 1;\nDELETE ", "FROM sacoche_groupe;\n"]
    assert list(render._refusing_account_deletes(clean)) == clean


def _reference_literal(value: str, dialect: str) -> str:
    """The literal rules of docs/sql.md, spelled the slow way."""
    import unicodedata

    if any(ord(ch) > 0xFFFF for ch in value):
        raise ValueError("outside the BMP")

    def plain(ch: str) -> bool:
        code = ord(ch)
        if 0x20 <= code < 0x7F:
            return True
        return 0xA0 <= code <= 0xFFFF and unicodedata.category(ch)[0] in "LMNPS"

    hexed = value.encode("utf-8").hex().upper()
    if dialect == "mysql":
        if "\\" not in value and all(map(plain, value)):
            return "'" + value.replace("'", "''") + "'"
        return f"_utf8 X'{hexed}'"
    if all(map(plain, value)):
        return "'" + value.replace("'", "''") + "'"
    return f"CAST(X'{hexed}' AS TEXT)"


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=12))
def test_literal_fast_paths_follow_the_rules(value: str) -> None:
    assert mysql_literal(value) == _reference_literal(value, "mysql")
    assert sqlite_literal(value) == _reference_literal(value, "sqlite")


def test_the_quoted_fast_path_takes_printable_ascii_only() -> None:
    from engine.render.literals import _simple

    for code in range(0x100):
        assert _simple(chr(code) * 2) == (0x20 <= code < 0x7F)
    assert _simple("") and not _simple("é") and not _simple("a\u200b")
    assert mysql_literal("a\\b") == "_utf8 X'615C62'" and sqlite_literal("a\\b") == "'a\\b'"


def test_literals_of_other_kinds() -> None:
    for literal in (mysql_literal, sqlite_literal):
        assert literal(None) == "NULL"
        assert literal(-12) == "-12"
        for wrong in (True, 1.5, b"x", ["x"]):
            with pytest.raises(TypeError, match="no SQL literal"):
                literal(wrong)
        with pytest.raises(ValueError, match="BMP"):
            literal("a\U0001f600")


def test_the_templates_context_calls_phrases_and_other_callables() -> None:
    from jinja2 import pass_context

    from engine.render.sqlphrases import PHRASES

    @pass_context
    def script_of(context: Any) -> str:
        return str(context["script"])

    env = render._environment("mysql")
    q = PHRASES["mysql"](mysql_literal, deletes_created=False)
    template = env.from_string("{% for x in xs %}{{ q.ref_is('g.groupe_ref', x) }} {{ f() }};{% endfor %}")
    assert template.render(q=q, xs=["A'B"], f=script_of, script="apply") == "g.groupe_ref = 'A''B' apply;"
