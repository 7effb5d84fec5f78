"""(a) A small school's ``plan`` against the CLI's bare start-up (``onde-sacoche --help``).

Median wall time of each (separate processes, the two alternately so that a shared machine's load
weighs on both alike), the first ``plan`` with an empty cache apart, and what ``plan`` spends importing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import synth
from benchmarks.config import TODAY, Sizes
from benchmarks.measure import bench_env, cli_command, compile_project, measure, median_run
from benchmarks.text import mib, seconds

TARGET_RATIO = 2.0  # plan of 300 pupils ≤ 2× --help


def import_profile(args: Sequence[str], env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """What ``onde-sacoche ARGS`` spends importing, per top-level package (summed self times of
    ``python -X importtime``, in ms), heaviest first; ``engine`` is the project's own modules."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    spent: dict[str, float] = {}
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, _cumulative, name = line[len("import time:") :].split("|")
        try:
            microseconds = float(own.strip())
        except ValueError:
            continue
        package = name.strip().split(".")[0]
        spent[package] = spent.get(package, 0.0) + microseconds / 1000.0
    heavy = sorted(spent.items(), key=lambda kv: -kv[1])[:top]
    return [(name, round(ms, 1)) for name, ms in heavy]


def bench_startup_and_small(work: Path, sizes: Sizes) -> dict[str, Any]:
    """(a): median wall time of ``onde-sacoche --help`` and of ``plan`` for a small school."""
    school = synth.generate(work / "small", pupils=sizes.small_pupils, seed=1)[0]
    env = bench_env(work)
    cli = cli_command()
    compile_project()
    bare = [measure([sys.executable, "-c", "pass"], env=env) for _ in range(sizes.runs)]
    imports = [measure([sys.executable, "-c", "import engine.cli"], env=env) for _ in range(sizes.runs)]
    plan_cmd = [
        *cli,
        "plan",
        str(school.export),
        "--db",
        school.db_url,
        "--out",
        str(work / "small-plan"),
        "--today",
        TODAY,
        "--force",
    ]
    cold = measure(plan_cmd, env=env)  # empty cache: rules checked, templates compiled
    helps, plans = [], []
    for _ in range(sizes.runs):  # alternately: a shared machine's load weighs on both alike
        helps.append(measure([*cli, "--help"], env=env))
        plans.append(measure(plan_cmd, env=env))
    for run in [cold, *plans]:
        if run.returncode not in (0, 3):
            raise RuntimeError(f"plan of the small school failed: {run.stderr}")
    result = {
        "pupils": school.pupils,
        "python_bare": median_run(bare),
        "import_engine_cli": median_run(imports),
        "help": median_run(helps),
        "plan": median_run(plans),
        "plan_cold": median_run([cold]),
        "imports": import_profile(plan_cmd[len(cli) :], env),
        "scripts": sorted(
            str(f.relative_to(work / "small-plan" / "sql"))
            for f in (work / "small-plan" / "sql").glob("*/*.sql")
        ),
    }
    result["ratio"] = result["plan"]["seconds"] / result["help"]["seconds"]
    return result


def targets(small: dict[str, Any]) -> list[dict[str, Any]]:
    """Target (a), met or not, by how much, and why."""
    ratio, plan, help_ = small["ratio"], small["plan"]["seconds"], small["help"]["seconds"]
    met = ratio <= TARGET_RATIO
    return [
        {
            "id": "a",
            "what": f"`plan` of a {small['pupils']}-pupil school vs `onde-sacoche --help`",
            "value": f"{seconds(plan)} vs {seconds(help_)} = {ratio:.2f}×",
            "target": "≤ 2×",
            "met": met,
            "gap": f"{ratio / 2:.2f}× the target" if not met else "",
            "why": "" if met else _why(small),
        }
    ]


def _scripts(small: dict[str, Any]) -> str:
    """The scripts the small plan rendered, as this run wrote them (its state is SQLite)."""
    scripts = small.get("scripts")
    if not scripts:
        return "the SQL scripts"
    dialects = sorted({name.split("/")[0] for name in scripts})
    return f"{len(scripts)} scripts ({', '.join(dialects)}: its state is SQLite)"


def _why(small: dict[str, Any]) -> str:
    extra = small["plan"]["seconds"] - small["help"]["seconds"]
    heavy = ", ".join(f"{name} {ms:.0f} ms" for name, ms in small["imports"][:5])
    return (
        f"`plan` does {seconds(extra)} of work on top of the start-up, most of it fixed cost, not pupils: "
        f"importing the libraries the pipeline needs and `--help` does not (heaviest: {heavy}), reading "
        f"the rules, opening the database, rendering {_scripts(small)}, "
        "the report and the login sheet. Removed since the first measurement (601 ms): clevercsv "
        "(import and sniffing; a known header now decides the delimiter), jsonschema and rule "
        "validation on unchanged rules, template compilation (both cached), Jinja macros; then petl "
        "(state rows come straight from the DB-API cursor), rapidfuzz (imported only when look-alikes "
        "are compared) and urllib.request; dataclasses without a docstring (each cost an "
        "inspect.signature at import); then PyYAML (a remembered rule set's documents are read back "
        "from the cache), _strptime (dates of every digit are read directly), subprocess, and the "
        "collector's walks over the imported modules (frozen once imported); then compiling the "
        "methods of dataclasses and the patterns compiled at import (remembered in the cache, "
        "engine.codecache) and reading cached templates piece by piece (engine.templatecache)."
    )


def markdown(small: dict[str, Any]) -> str:
    """Section (a) of docs/performance.md (its lines, the last one empty)."""
    out: list[str] = []
    add = out.append
    add("## (a) Small school vs start-up\n")
    runs = len(small["help"]["seconds_all"])
    add(f"Median of {runs} run{'s' if runs > 1 else ''} each, wall clock, separate processes.\n")
    add("| command | median | peak RSS |\n|---|---|---|")
    add(
        f"| `python -c pass` | {seconds(small['python_bare']['seconds'])} | "
        f"{mib(small['python_bare']['rss_mb'])} |"
    )
    add(
        f"| `python -c 'import engine.cli'` | {seconds(small['import_engine_cli']['seconds'])} | "
        f"{mib(small['import_engine_cli']['rss_mb'])} |"
    )
    add(f"| `onde-sacoche --help` | {seconds(small['help']['seconds'])} | {mib(small['help']['rss_mb'])} |")
    add(
        f"| `onde-sacoche plan` ({small['pupils']} pupils, SQL + report rendered) | "
        f"{seconds(small['plan']['seconds'])} | {mib(small['plan']['rss_mb'])} |"
    )
    if small.get("plan_cold"):
        add(
            "| the same `plan`, first run with an empty cache (rules checked against their schemas, "
            f"templates compiled) | {seconds(small['plan_cold']['seconds'])} | "
            f"{mib(small['plan_cold']['rss_mb'])} |"
        )
    add("")
    add(
        "The cache (`engine/cache.py`, per user and tool version) keeps the compiled templates and the fact "
        "that these exact rule files were found valid; an edited rule file is checked again.\n"
    )
    add("Heaviest packages imported by that `plan` (`python -X importtime`, own time summed):\n")
    add("| module | ms |\n|---|---|")
    for name, ms in small["imports"]:
        add(f"| `{name}` | {ms} |")
    add("")
    return "\n".join(out)
