"""Support for the report tests: headless Chromium and poppler, and the example school's plan.

Chromium and poppler: find them, or skip (locally) / fail (CI).

Same policy as the MariaDB tests (tests/conftest.py): a missing program skips the test with a visible
reason on a developer machine, but FAILS when the environment variable CI is "true", because a CI run
must never silently skip the print tests. ``.ci/run`` installs ``chromium`` and ``poppler-utils``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from engine.match import match
from engine.plan import build_plan
from engine.plan.planio import write_plan
from engine.read import read_export
from engine.render.printing import find_chromium
from engine.rules import load_rules
from engine.state import read_state

__all__ = [
    "example_report_plan",
    "in_ci",
    "page_top",
    "pdf_pages",
    "render_png",
    "require_chromium",
    "require_poppler",
]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true and {what}", pytrace=False)
    pytest.skip(what)


def require_chromium() -> str:
    """Path of the Chromium binary (``chromium`` on PATH or /usr/bin/chromium), else skip or fail."""
    binary = find_chromium()
    if binary is None:
        _missing("Chromium is not installed (Debian: apt-get install chromium)")
    return str(binary)


def require_poppler() -> None:
    """pdftotext and pdftoppm (Debian: poppler-utils), else skip or fail."""
    missing = [p for p in ("pdftotext", "pdftoppm") if shutil.which(p) is None]
    if missing:
        _missing(f"{', '.join(missing)} not installed (Debian: apt-get install poppler-utils)")


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (``pdftotext -layout``), split on form feeds."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def page_top(page: str) -> str:
    """The first non-empty line of a page, stripped."""
    return next((line.strip() for line in page.splitlines() if line.strip()), "")


def render_png(pdf: Path, prefix: Path, *, first: int = 1, last: int = 1, dpi: int = 50) -> list[Path]:
    """Rasterise pages (to look at them while working on the layout)."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
        check=True,
    )
    return sorted(prefix.parent.glob(prefix.name + "*.png"))


def example_report_plan(out: Path) -> dict[str, Any]:
    """Plan the bundled example school into ``out`` (plan.json and identifiants.csv, as ``plan`` writes
    them) and return plan.json. The stages are called directly with fixed metadata (date, clock, paths,
    versions) so that the rendered report is byte-stable, and so that nothing but the plan is needed."""
    export_path = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
    rules = load_rules()
    export = read_export(export_path, rules)
    state = read_state(f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}")
    matching = match(export.pupils, state.accounts, rules.policy["matching"])
    plan = build_plan(export, state, matching, rules, today="2026-09-01")
    meta = {
        "tool": "onde-sacoche",
        "generated_at": "2026-09-01T08:00:00+00:00",
        "today": "2026-09-01",
        "source": {
            "file": export_path.name,
            "format": export.source.id,
            "format_confirmed": export.source.confirmed,
            "encoding": export.raw.encoding,
            "pupils": len(export.pupils),
        },
        "rules": {"name": rules.name, "version": "(version)"},
        "state": {"url": "sqlite:///examples/sacoche-ecole-des-tilleuls.db", "dialect": state.dialect},
    }
    write_plan(out, plan, meta)
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))
