"""A plan runs with the cyclic garbage collector paused (engine.pipeline.make_plan): nothing it makes may
then wait for the collector. Rendering the SQL once left its whole model (every view, check and data
row of the plan) in reference cycles (the phrases and the pupils' sets refer back to the model, the
templates' macros keep their context): with the collector paused, that memory was never given back."""

from __future__ import annotations

import gc
import random
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO

from engine.pipeline import make_plan
from engine.render import load_plan, render_scripts, render_sql

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from benchmarks import synth
from benchmarks.changed_heavy import CHANGED_HEAVY
from benchmarks.run import ALLOW_ALL

TODAY = date(2026, 11, 29)
#: what a plan's rendering makes by the hundred thousand (the phrases objects are two, small)
HEAVY = {"SqlModel", "PupilSets", "UserChange", "Create", "Membership", "Check", "SetCheck", "DataBlock"}


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A changed-heavy school's plan: every pupil family, class creations and renames, memberships."""
    home = tmp_path_factory.mktemp("collector")
    school = synth.generate(home / "school", pupils=400, seed=17, shares=CHANGED_HEAVY)[0]
    out = home / "plan"
    make_plan(
        school.export, school.db_url, out, today=TODAY, rng=random.Random(3), allow=ALLOW_ALL, force=True
    )
    return out


def cyclic_garbage(make: Callable[[], object]) -> set[str]:
    """The engine's kinds of object that only the cyclic collector would free of what ``make()`` made
    (run with the collector paused, as in a plan)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        make()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return {type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("engine.")}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def test_rendering_the_scripts_leaves_no_cycle(plan_dir: Path) -> None:
    found = cyclic_garbage(lambda: render_sql(plan_dir, ("mysql", "sqlite"), loaded=load_plan(plan_dir)))
    assert found <= {"MySQLPhrases", "SQLitePhrases"}  # two small objects, none of the model's


def test_scripts_as_text_leave_no_cycle(plan_dir: Path) -> None:
    scripts: dict[str, str] = {}
    found = cyclic_garbage(lambda: scripts.update(render_scripts(load_plan(plan_dir), "mysql")))
    assert "UPDATE sacoche_user" in scripts["apply"]
    assert not HEAVY & found


def test_a_plan_is_made_with_the_collector_paused(tmp_path: Path) -> None:
    """Collections during make_plan would walk every long-lived object again and again."""
    import engine.pipeline as pipeline

    seen: list[bool] = []
    real = pipeline.check_destination

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    gc.enable()
    pipeline.check_destination = spy  # type: ignore[assignment]
    try:
        make_plan(
            REPO / "examples" / "onde2-ecole-des-tilleuls.csv",
            f"sqlite:///{REPO / 'examples' / 'sacoche-ecole-des-tilleuls.db'}",
            tmp_path / "example",
            today=TODAY,
            rng=random.Random(1),
        )
    finally:
        pipeline.check_destination = real  # type: ignore[assignment]
    assert seen == [False]
    assert gc.isenabled()  # resumed afterwards
