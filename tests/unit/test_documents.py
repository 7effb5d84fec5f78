"""What the French documents share (engine.render.documents, engine.render.french): the Jinja
environment reads a view's keys first but keeps Jinja's attributes, and the French helpers."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest
from helpers import EXAMPLES
from jinja2 import UndefinedError

from engine.pipeline import make_plan
from engine.render.documents import environment, write_document
from engine.render.french import class_sort_key, date_fr, join_fr, plural, pupils_fr
from engine.render.report_model import build_view
from engine.render.sheets import cards_html


def render(source: str, **view: object) -> str:
    return environment().from_string(source).render(view)


def test_a_view_key_is_read_first_and_jinja_attributes_still_work() -> None:
    row = {"nom": "ALPHA", "items": "clé"}  # a key named like a dict method: the key wins
    assert render("{{ r.nom }} {{ r.items }}", r=row) == "ALPHA clé"
    assert render("{% for x in xs %}{{ loop.index }}{{ x.upper() }}{% endfor %}", xs=["a", "b"]) == "1A2B"
    assert render("{{ r.copy()|length }}", r={"a": 1}) == "1"  # not a key: the method, as before
    with pytest.raises(UndefinedError):
        render("{{ r.absent }}", r=row)


def test_write_document_is_private_and_autoescapes_html(tmp_path: Path) -> None:
    cards = [{"nom": "A&B", "prenom": "Zoé", "classe": "CP <b>", "login": "zoe.a", "password": "x<y"}]
    path = write_document(
        tmp_path / "identifiants.html",
        "identifiants.html",
        {
            "today": "1er décembre 2026",
            "count": 1,
            "pages": [{"classe": "CP <b>", "cards": cards, "html": cards_html(cards)}],  # cards: in Python
        },
    )
    html = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "A&amp;B" in html and "CP &lt;b&gt;" in html and "x&lt;y" in html and "<b>" not in html


def test_french_helpers() -> None:
    assert [date_fr(v) for v in ("2019-09-21", "21/09/2019", None, "")] == [
        "21/09/2019",
        "21/09/2019",
        "—",
        "—",
    ]
    assert date_fr("2019-09-21") == "21/09/2019"  # memoised: same answer the second time
    assert [plural(n, "départ", "départs") for n in (0, 1, 2)] == ["0 départ", "1 départ", "2 départs"]
    assert [pupils_fr(n) for n in (0, 1, 2)] == ["0 élèves", "1 élève", "2 élèves"]
    assert join_fr(["a", "b"]) == "a, b"
    names = ["[CM2] CM2", "Atelier", "", "[CP] CP Mme Alpha", "[PS-MS] MS"]
    assert sorted(names, key=class_sort_key) == [
        "[PS-MS] MS",
        "[CP] CP Mme Alpha",
        "[CM2] CM2",
        "Atelier",
        "",
    ]


def test_a_small_document_rendered_whole_is_the_streamed_one_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    make_plan(
        EXAMPLES / "onde2-ecole-des-tilleuls.csv",
        f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}",
        out,
        today=date(2026, 11, 29),
    )
    view = build_view(json.loads((out / "plan.json").read_text(encoding="utf-8")))
    for template in ("rapport.html", "resume.md"):
        whole = write_document(tmp_path / f"whole-{template}", template, view, small=True)
        streamed = write_document(tmp_path / f"streamed-{template}", template, view)
        assert whole.read_bytes() == streamed.read_bytes()
