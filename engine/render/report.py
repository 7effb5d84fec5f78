"""Last stage for people: the director's report (``rapport.html`` to print, ``resume.md``) and the login
sheet (``identifiants.html``), written by :func:`render_reports`.

Everything comes from the parsed ``plan.json`` (and, for the login sheet only, ``identifiants.csv`` in the
same directory): rendering never re-reads the export or the database. No password ever reaches
``rapport.html`` or ``resume.md``: the report is only told how many pupils are on the sheet and which
item ids lack one.

The pieces, one module each (a new document adds its own module beside them):

- :mod:`~engine.render.report_model` — the report's view of the plan (summary, questions, one section
  per class), from the rows of :mod:`~engine.render.report_rows`;
- :mod:`~engine.render.report_fr` — the tool's English (guards, warnings, the matcher) in French;
- :mod:`~engine.render.french` — French wording shared by every document (plurals, dates, class order);
- :mod:`~engine.render.documents` — the Jinja environment and private writing shared by every document;
- :mod:`~engine.render.sheets` — the login sheet (its cards, kept passwords across re-plans);
- :mod:`~engine.render.printing` — ``print_pdf`` with headless Chromium.

Templates live in ``engine/render/templates/report/``; HTML is autoescaped.
"""

from __future__ import annotations

from pathlib import Path

from engine.plan.planio import read_credentials
from engine.read import paused_gc
from engine.render.documents import environment as _environment  # noqa: F401  (engine.batch warms it)
from engine.render.documents import private_dir, write_document
from engine.render.printing import find_chromium, print_pdf
from engine.render.report_model import build_view
from engine.render.sheets import SHEET_FILE, sheet_cards, write_sheet

__all__ = [
    "REPORT_FILE",
    "SHEET_FILE",
    "SUMMARY_FILE",
    "build_view",
    "find_chromium",
    "print_pdf",
    "render_reports",
]

REPORT_FILE = "rapport.html"
SUMMARY_FILE = "resume.md"


def render_reports(plan: dict, out_dir: Path) -> list[Path]:
    """Write rapport.html, resume.md and (if identifiants.csv exists in out_dir and the plan has accepted
    create items) identifiants.html (mode 0600). Return the paths written.

    A stale identifiants.html (no accepted new pupil any more) is removed, so that no sheet of passwords
    outlives the plan that made it.
    """
    out_dir = Path(out_dir)
    private_dir(out_dir)
    cards = sheet_cards(plan, read_credentials(out_dir))
    with paused_gc():  # the view is acyclic: a large plan's rows made each collection walk them all
        view = build_view(plan, cards=cards)
        written = [
            write_document(out_dir / REPORT_FILE, "rapport.html", view),
            write_document(out_dir / SUMMARY_FILE, "resume.md", view),
        ]
        sheet = write_sheet(out_dir, cards, view["today"])
    if sheet is not None:
        written.append(sheet)
    return written
