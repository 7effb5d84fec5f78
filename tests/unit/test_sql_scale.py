"""Scripts of a big plan stay linear for the database that runs them.

Three ways rendered SQL went quadratic before, each checked here on the scripts of a generated school:
one SQLite trigger holding every guard's message (SQLite compiles a table's triggers into every INSERT
on it), one SQLite verify statement naming sacoche_user once per check (refused past 65,535), and MySQL
login comparisons made only as bytes (CAST … AS BINARY cannot use the UNIQUE(user_login) index, so each
one read the whole user table). Timings on real databases are in docs/performance.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from helpers import REPO

from engine.pipeline import render_outputs
from engine.render import DIALECTS, SCRIPTS, sql_path
from engine.render.apply import _statements

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth
from benchmarks.run import ALLOW_ALL

BINARY_LOGIN = re.compile(r"CAST\((?:\w+\.)?user_login AS BINARY\) = CAST\(")


@pytest.fixture(scope="module")
def big_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.pipeline import make_plan

    work = tmp_path_factory.mktemp("scale")
    school = synth.generate(work, pupils=3000, seed=11)[0]
    out = work / "plan"
    make_plan(school.export, school.db_url, out, allow=ALLOW_ALL)
    render_outputs(out, DIALECTS)  # both dialects, whatever the database
    return out


def _script_statements(plan: Path, dialect: str, name: str) -> list[str]:
    text = sql_path(plan, dialect, name).read_text(encoding="utf-8")
    return [s for s in _statements(text) if not s.lstrip().startswith(".")]


def test_no_statement_grows_with_the_plan(big_plan: Path) -> None:
    guards = len(
        re.findall(r"^-- guard \d+: GUARD \d+/", sql_path(big_plan, "sqlite", "apply").read_text(), re.M)
    )
    assert guards > 500  # a plan big enough for a quadratic script to show
    for dialect in DIALECTS:
        for name in SCRIPTS:
            statements = _script_statements(big_plan, dialect, name)
            if dialect == "mysql":
                # set statements: the pupils' rows are data (multi-row INSERTs of a few hundred KiB at
                # most into temporary tables), the statements reading them do not grow with the plan
                assert len(statements) < guards / 4, (dialect, name, len(statements))
                data = [
                    s
                    for s in statements
                    if re.match(r"\s*INSERT (?:IGNORE )?INTO onde_sacoche_\w+ \(", s) and " VALUES" in s
                ]
                assert data and max(len(s) for s in data) < 300_000, (dialect, name)
                statements = [s for s in statements if s not in data]
                limit = 20_000
            else:
                assert len(statements) > guards / 2, (dialect, name)
                limit = 8_000
            longest = max(statements, key=len)
            assert len(longest) < limit, (dialect, name, longest[:200])
            assert max(s.count("sacoche_user") for s in statements) <= 6, (dialect, name)


def test_mysql_login_comparisons_can_use_the_login_index(big_plan: Path) -> None:
    """Every byte-wise login comparison sits in a statement that also narrows by user_id or by a plain
    user_login = '…' (which the UNIQUE(user_login) index serves)."""
    seen = 0
    for name in SCRIPTS:
        for statement in _script_statements(big_plan, "mysql", name):
            code = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            for found in BINARY_LOGIN.finditer(code):
                seen += 1
                before = code[: found.start()]
                # (set statements: by user_id or user_login joined to their temporary table's row)
                assert re.search(r"(?:\w+\.)?user_id = (?:\d+|t\.user_id) AND $", before) or re.search(
                    r"(?:\w+\.)?user_login = (?:'[^']*'|_utf8 X'[0-9A-F]*'|t\.login) AND $", before
                ), code[max(0, found.start() - 300) : found.end() + 60]
    assert seen > 10  # the set statements (and the per-item statements of the rarer families)


def test_sqlite_guards_arm_one_trigger_each(big_plan: Path) -> None:
    for name in ("apply", "revert"):
        text = sql_path(big_plan, "sqlite", name).read_text(encoding="utf-8")
        triggers = re.findall(
            r"^CREATE TEMP TRIGGER onde_sacoche_guard_fail .* BEGIN SELECT RAISE\(ABORT, .*\); END;$",
            text,
            re.M,
        )
        inserts = re.findall(r"^INSERT INTO onde_sacoche_guard \(n\) SELECT \d+ WHERE", text, re.M)
        drops = re.findall(r"^DROP TRIGGER onde_sacoche_guard_fail;$", text, re.M)
        assert len(triggers) == len(inserts) == len(drops) > 100, name
