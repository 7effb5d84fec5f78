"""A set guard of the MySQL scripts (one statement over a temporary table of the plan's rows) names the
failing row in its duplicate key only; `onde-sacoche apply` finds the guard's explanation in the script
by its comment, where the item (or the account) stands as a placeholder."""

from __future__ import annotations

from pathlib import Path

from engine.render.apply import explain_failure

SCRIPT = """\
-- ONDE-SACOCHE GUARD 3/9 create-ff66a3be72: ref not single. no single classe with ref X. Nothing was written.
SELECT 1;
-- ONDE-SACOCHE GUARD 6/9 <item>: row changed. this account moved. Nothing was written.
SELECT 1;
-- ONDE-SACOCHE GUARD READ user_id <user_id>: row moved. The account user_id <user_id> changed. Nothing.
SELECT 1;
DROP TEMPORARY TABLE onde_sacoche_guard;
"""


def _error(key: str) -> str:
    return f"ERROR 1062 (23000) at line 4: Duplicate entry '{key}' for key 'PRIMARY'\n"


def test_a_set_guards_failure_is_explained_with_its_item(tmp_path: Path) -> None:
    script = tmp_path / "apply.sql"
    script.write_text(SCRIPT, encoding="utf-8")
    reason, written = explain_failure(script, _error("GUARD 6/9 update-03b50611e7: row changed"))
    assert (
        reason
        == "ONDE-SACOCHE GUARD 6/9 update-03b50611e7: row changed. this account moved. Nothing was written."
    )
    assert not written
    reason, _ = explain_failure(script, _error("GUARD READ user_id 23: row moved"))
    assert reason.startswith("ONDE-SACOCHE GUARD READ user_id 23: row moved. The account user_id 23 changed")


def test_a_per_item_guard_is_still_explained_by_its_own_line(tmp_path: Path) -> None:
    script = tmp_path / "apply.sql"
    script.write_text(SCRIPT, encoding="utf-8")
    reason, _ = explain_failure(script, _error("GUARD 3/9 create-ff66a3be72: ref not single"))
    assert reason.endswith("no single classe with ref X. Nothing was written.")
    reason, _ = explain_failure(script, _error("GUARD 7/9 other-0000000000: row changed"))  # not in it
    assert reason.startswith("ERROR 1062")
