"""The render stage's extension points: the families of SQL phrases and the per-kind item checkers.

A new family of items (parents' accounts…) joins by adding a phrases module and a checker; these tests
fail when two families spell the same condition (one would silently win), when a condition names no
method, when a dialect's override is not the one a guard runs, or when an item kind has no checker.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.plan import ITEM_KINDS
from engine.plan.parents import PARENT_KINDS
from engine.render import mysql_literal, sqlite_literal
from engine.render.itemcheck import KIND_PROBLEMS, item_value_problems
from engine.render.phrases_base import PhraseBase
from engine.render.sqlphrases import PHRASES, MySQLPhrases, Phrases, SQLitePhrases


def _families() -> list[type]:
    return [cls for cls in Phrases.__mro__ if "CONDITIONS" in vars(cls)]


def test_no_two_families_spell_the_same_condition() -> None:
    seen: dict[str, str] = {}
    for cls in _families():
        for check in vars(cls)["CONDITIONS"]:
            assert check not in seen, f"{check} is spelled by {seen[check]} and {cls.__name__}"
            seen[check] = cls.__name__
    assert len(_families()) >= 4  # base, groups, accounts, archive


@pytest.mark.parametrize("dialect", sorted(PHRASES))
def test_every_condition_is_a_method_of_the_dialect(dialect: str) -> None:
    literal = {"mysql": mysql_literal, "sqlite": sqlite_literal}[dialect]
    phrases = PHRASES[dialect](literal, deletes_created=False)
    for cls in _families():
        for check, method in vars(cls)["CONDITIONS"].items():
            assert callable(getattr(phrases, method)), check
            assert check in phrases._conditions


def test_a_dialect_override_is_the_condition_a_guard_runs() -> None:
    archive = SimpleNamespace(digest=lambda side: (1000, "0" * 64))
    guard = SimpleNamespace(check="archive_fits", subject=archive)
    assert MySQLPhrases(mysql_literal, deletes_created=False).condition(guard) == (
        "@@max_allowed_packet >= 2024"
    )
    assert SQLitePhrases(sqlite_literal, deletes_created=False).condition(guard) == "1 = 1"
    never = SimpleNamespace(check="never", subject=None)
    assert SQLitePhrases(sqlite_literal, deletes_created=False).condition(never) == "0"
    assert MySQLPhrases(mysql_literal, deletes_created=False).condition(never) == "FALSE"


def test_an_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown check nothing_such"):
        MySQLPhrases(mysql_literal, deletes_created=False).condition(SimpleNamespace(check="nothing_such"))


def test_the_base_alone_spells_only_never() -> None:
    assert set(PhraseBase(mysql_literal, deletes_created=False)._conditions) == {"never"}


def test_every_writing_kind_has_a_checker() -> None:
    # the parents' kinds get their checkers with their SQL (docs/parents.md, another increment)
    assert set(KIND_PROBLEMS) == set(ITEM_KINDS) - {"decide"} - set(PARENT_KINDS)


def test_a_kind_checker_runs_after_the_common_checks() -> None:
    item = {"id": "retire-0123456789", "kind": "group_retire", "accepted": "yes", "target": {}, "changes": {}}
    problems = item_value_problems(item)
    assert problems[0] == "'accepted' must be true or false, not \"yes\""
    assert "target needs groupe_id (integer)" in problems[1:]
    assert "target needs members (list of user_id): re-run `onde-sacoche plan`" in problems


def test_every_family_new_state_is_a_spelled_condition() -> None:
    from engine.render.guards import NEW_STATES

    spelled = set(MySQLPhrases(mysql_literal, deletes_created=False)._conditions)
    assert {"group_absent", "user", "membership", "archive_old"} <= set(NEW_STATES)
    assert set(NEW_STATES) | set(NEW_STATES.values()) <= spelled
