"""A pupils-only ``plan`` against a SQLite database, its cache warm, imports only what it runs: no parents'
reader, planner or report part, no MySQL driver, no draft/review/batch code, no workbook reader, no PDF
printing, neither PyYAML nor jsonschema nor the rule checking code or YAML loader (the rules are remembered
with their documents, engine.rules), nor what ``secrets`` would bring
(docs/architecture.md, commands). A module listed here that a plan starts importing again costs every
small school's start-up its import time: move the import into the function that uses it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import EXAMPLES, REPO

from engine.cache import ENV_VAR

#: modules such a plan never uses (on top of tests/unit/test_cli_imports.py's list for ``--help``)
UNUSED = (
    "yaml",
    "jsonschema",
    "petl",
    "pymysql",
    "engine.read.parents",
    "engine.read.xlsx",
    "zipfile",
    "engine.plan.parents",
    "engine.plan.parents_match",
    "engine.plan.parents_accounts",
    "engine.render.report_parents",
    "engine.render.report_parents_rows",
    "engine.render.printing",
    "engine.rules_check",
    "engine.yamlpos",
    "engine.review",
    "engine.draft",
    "engine.draft_model",
    "engine.draft_values",
    "engine.draft_yaml",
    "engine.batch_map",
    "engine.batch_run",
    "secrets",
    "hmac",
    "base64",
)

_PLAN = """
import json, sys
from engine.cli import main
code = None
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps([code, sorted(sys.modules)]))
"""


def _run(script: str, args: list[str], env: dict[str, str]) -> object:
    command = [sys.executable, "-c", script, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_pupils_only_sqlite_plan_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    db = tmp_path / "sacoche.db"
    shutil.copy(EXAMPLES / "sacoche-ecole-des-tilleuls.db", db)
    env = {**os.environ, "PYTHONPATH": str(REPO), ENV_VAR: str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    env.pop("ONDE_SACOCHE_DEBUG", None)
    args = [
        "plan",
        str(EXAMPLES / "onde2-ecole-des-tilleuls.csv"),
        "--db",
        f"sqlite:///{db}",
        "--out",
        str(tmp_path / "plan"),
        "--today",
        "2026-11-29",
    ]
    # what the interpreter imports by itself here (site, .pth files) is not the plan's doing
    bare = set(_run("import json, sys\nprint(json.dumps(sorted(sys.modules)))", [], env))  # type: ignore[arg-type]
    _run(_PLAN, args, env)  # the first run fills the cache (checks the rules, compiles the templates)
    code, loaded = _run(_PLAN, [*args, "--force"], env)  # type: ignore[misc]
    assert code in (0, 3)
    assert "engine.pipeline" in loaded and "engine.render.sql" in loaded  # the plan did run
    assert [name for name in UNUSED if name in loaded and name not in bare] == []
