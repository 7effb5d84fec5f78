"""The SQLite phrases' memo of spelled conditions: one entry per condition and subject (never another
subject's text), and phrases that reference counting frees (no cycle through their own methods)."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

from engine.render import sqlite_literal
from engine.render.check import Check, numbered
from engine.render.sqlphrases import SQLitePhrases


def test_a_condition_is_spelled_for_its_own_subject() -> None:
    q = SQLitePhrases(sqlite_literal, deletes_created=False)
    first = SimpleNamespace(check="login_free", subject="ana.b")
    other = SimpleNamespace(check="login_free", subject="bob.c")
    assert "lower('ana.b')" in q.condition(first)
    assert "lower('bob.c')" in q.condition(other)
    assert q.condition(first) == q.condition(SimpleNamespace(check="login_free", subject=first.subject))


def test_the_memo_tells_a_subject_from_one_reusing_its_id() -> None:
    q = SQLitePhrases(sqlite_literal, deletes_created=False)
    spelled = q.condition(SimpleNamespace(check="group_unique", subject=("groupe", "G1")))
    later = [SimpleNamespace(check="group_unique", subject=("groupe", f"G{n}")) for n in range(2, 50)]
    assert spelled not in {q.condition(g) for g in later}  # each its own ref, whatever ids they got
    assert all(f"upper('{g.subject[1]}')" in q.condition(g) for g in later)


def test_phrases_are_freed_without_the_cyclic_collector() -> None:
    q = SQLitePhrases(sqlite_literal, deletes_created=False)
    q.condition(SimpleNamespace(check="login_free", subject="ana.b"))
    ref = weakref.ref(q)
    del q
    assert ref() is None


def test_a_guard_prints_its_key_and_message_as_the_check_makes_them() -> None:
    q = SQLitePhrases(sqlite_literal, deletes_created=False)
    plain = Check("create-0123456789", "login taken", "login ana.b is taken", "login_free", "ana.b")
    short = "nom «Noé»\nmore\u200b" + "x" * 80  # not comment-safe, and cut at 64 characters
    odd = Check("create-0123456789", short, "text\twith é", "login_free", "bob.c")
    for g in numbered([plain, odd]):
        text = q.guard(g)
        assert f"\n-- guard {g.n}: {g.key}\n" in text
        assert f"RAISE(ABORT, {sqlite_literal(g.message)}); END;" in text
