"""Last stage for people: the director's report (``rapport.html`` to print, ``resume.md``) and the login
sheet (``identifiants.html``), written by :func:`render_reports`.

Everything comes from the parsed ``plan.json`` (and, for the login sheet only, ``identifiants.csv`` in the
same directory): rendering never re-reads the export or the database. No password ever reaches
``rapport.html`` or ``resume.md``: the report is only told how many pupils are on the sheet and which
item ids lack one.

The pieces, one module each (a new document adds its own module beside them):

- :mod:`~engine.render.report_model` — the report's view of the plan (summary, questions, one section
  per class), from the rows of :mod:`~engine.render.report_rows`;
- :mod:`~engine.render.report_tables` and :mod:`~engine.render.report_parents_rows` — the rows of the
  report's tables as HTML, built in Python (its hot loops; the page itself is a template);
- :mod:`~engine.render.report_fr` — the tool's English (guards, warnings, the matcher) in French;
- :mod:`~engine.render.french` — French wording shared by every document (plurals, dates, class order);
- :mod:`~engine.render.documents` — the Jinja environment and private writing shared by every document;
- :mod:`~engine.render.sheets` — the login sheet (its cards, kept passwords across re-plans);
- :mod:`~engine.render.report_parents` — the report's parents part (docs/parents.md's items);
- :mod:`~engine.render.letters` — the family letters (``lettres-familles.html``), one per new parent;
- :mod:`~engine.render.printing` — ``print_pdf`` with headless Chromium.

Templates live in ``engine/render/templates/report/``; HTML is autoescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.plan.planio import read_credentials
from engine.read import paused_gc
from engine.render.documents import environment as _environment  # noqa: F401  (engine.batch warms it)
from engine.render.documents import private_dir, write_document
from engine.render.letters import LETTERS_FILE, read_parent_credentials, render_letters
from engine.render.report_model import build_view
from engine.render.sheets import SHEET_FILE, sheet_cards, write_sheet

if TYPE_CHECKING:
    from engine.render.printing import find_chromium, print_pdf

__all__ = [
    "REPORT_FILE",
    "SHEET_FILE",
    "SUMMARY_FILE",
    "build_view",
    "find_chromium",
    "print_pdf",
    "render_reports",
]


def __getattr__(name: str) -> Any:
    """``find_chromium`` and ``print_pdf``, imported on first use: a plan prints nothing."""
    if name in ("find_chromium", "print_pdf"):
        from engine.render import printing

        return getattr(printing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


REPORT_FILE = "rapport.html"
SUMMARY_FILE = "resume.md"
#: plans of at most this many items have their report rendered whole, not streamed (a few MB at most)
SMALL_PLAN = 2000


def render_reports(plan: dict, out_dir: Path, *, sacoche_url: str | None = None) -> list[Path]:
    """Write rapport.html, resume.md, (if identifiants.csv exists in out_dir and the plan has accepted
    create items) identifiants.html and (if the plan has accepted parent_create items whose passwords are
    in identifiants-parents.csv) lettres-familles.html, the private files mode 0600. Return the paths
    written. ``sacoche_url``: SACoche's address for the family letters (else a line to fill in).

    A stale identifiants.html or lettres-familles.html (no accepted new pupil or parent any more) is
    removed, so that no sheet of passwords outlives the plan that made it.
    """
    out_dir = Path(out_dir)
    private_dir(out_dir)
    cards = sheet_cards(plan, read_credentials(out_dir))  # the rows of identifiants.csv, let go once read
    # read when the plan has parent items only (no file, no parent: the pupils' rows)
    parent_rows = _ReadOnce(lambda: read_parent_credentials(out_dir))
    small = len(plan.get("items") or ()) <= SMALL_PLAN
    with paused_gc():  # the view is acyclic: a large plan's rows made each collection walk them all
        view = build_view(plan, cards=cards, parent_credentials=parent_rows)
        written = [
            write_document(out_dir / REPORT_FILE, "rapport.html", view, small=small),
            write_document(out_dir / SUMMARY_FILE, "resume.md", view, small=small),
        ]
        sheet = write_sheet(out_dir, cards, view["today"])
        if view["parents"] is None:  # no parent item: no letter (a previous plan's is removed)
            (out_dir / LETTERS_FILE).unlink(missing_ok=True)
            letters = None
        else:
            letters = render_letters(plan, out_dir, address=sacoche_url, rows=parent_rows)
    written += [path for path in (sheet, letters) if path is not None]
    return written


class _ReadOnce:
    """Rows read at the first iteration only (then kept)."""

    def __init__(self, read: Callable[[], list[dict[str, str]]]) -> None:
        self.read = read
        self.rows: list[dict[str, str]] | None = None

    def __iter__(self) -> Iterator[Mapping[str, str]]:
        if self.rows is None:
            self.rows = self.read()
        return iter(self.rows)
