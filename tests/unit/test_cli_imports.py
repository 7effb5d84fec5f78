"""The command line starts without the pipeline: `onde-sacoche --help` imports click and the small command
modules (engine.cli, engine.cli_*), never a stage, the rules or a heavy library; a command imports them when
it runs (docs/architecture.md, commands)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import REPO

#: modules that only a running command needs
HEAVY = (
    "engine.pipeline",
    "engine.read",
    "engine.state",
    "engine.plan",
    "engine.render",
    "engine.rules",
    "engine.review",
    "engine.draft",
    "engine.batch_map",
    "engine.batch_run",
    "engine.batch_pool",
    "engine.dburl",
    "jsonschema",
    "yaml",
    "petl",
    "jinja2",
    "csv",
)


def _imported_by(statement: str) -> list[str]:
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def test_importing_the_command_line_imports_no_stage() -> None:
    loaded = _imported_by("import engine.cli")
    assert "engine.cli_plan" in loaded and "engine.cli_batch" in loaded  # every command is registered
    assert [name for name in HEAVY if name in loaded] == []


def test_the_batch_module_still_offers_its_public_names() -> None:
    loaded = _imported_by("from engine.batch import SUMMARY_FILE, batch_command, read_db_map, run_batch")
    assert "engine.batch_map" in loaded and "engine.batch_run" in loaded
