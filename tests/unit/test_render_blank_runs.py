"""The script templates lay out their blank lines themselves: for a plan without archive or parents, no
script holds a run of blank lines before ``_squeeze_blank_lines`` (which then has nothing to rewrite)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers import REPO

import engine.render.sql as render
from engine.pipeline import make_plan
from engine.render import load_plan, render_scripts

EXAMPLE_CSV = REPO / "examples" / "onde2-ecole-des-tilleuls.csv"
EXAMPLE_DB = f"sqlite:///{REPO / 'examples' / 'sacoche-ecole-des-tilleuls.db'}"


def _unsqueezed(chunks: Iterable[str]) -> Iterator[str]:
    return iter(chunks)


@pytest.mark.parametrize("deletes_created", [False, True])
@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_no_script_makes_a_blank_run_for_a_plain_school(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str, deletes_created: bool
) -> None:
    out = tmp_path / "plan"
    make_plan(EXAMPLE_CSV, EXAMPLE_DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    loaded = load_plan(out)
    squeezed = render_scripts(loaded, dialect, revert_deletes_created=deletes_created)
    monkeypatch.setattr(render, "_squeeze_blank_lines", _unsqueezed)
    raw = render_scripts(loaded, dialect, revert_deletes_created=deletes_created)
    for name, text in raw.items():
        assert not re.search(r"\n{3,}", text), f"{dialect}/{name}.sql makes a run of blank lines"
        assert text == squeezed[name]
