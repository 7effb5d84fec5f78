"""The report's French renderings of the tool's English: guards, database address, rules, stale answers,
planner warnings. What the director reads must hold no guard id, option or item kind as a word."""

from __future__ import annotations

from engine.render.french import database_fr, rules_fr
from engine.render.report_fr import blocked_headline_fr, hold_blocks, stale_fr, warning_fr


def hold(guard: str, **figures: object) -> dict:
    return {"guard": guard, "figures": figures, "title": guard, "message": f"{guard} message"}


def test_blocked_headline_with_figures_and_the_other_guards() -> None:
    holds = [
        hold("coverage", in_file=6, active=53, percent=11, min_percent=80),
        hold("class_missing", classe="[MS] MS", ref="1_MS", active=7),
        hold("class_missing", classe="[GS] GS", ref="1_GS", active=5),
        hold("deactivations", leaving=48, active=53, percent=91, max_count=10, max_percent=15),
    ]
    assert blocked_headline_fr(holds) == (
        "Plan bloqué : le fichier ne contient que 6 élèves sur 53 — export partiel ? "
        "(aussi : classes absentes (2), trop de départs)"
    )
    assert blocked_headline_fr([]) == ""
    blocks = hold_blocks(holds)
    assert [b["title"] for b in blocks] == ["coverage", "Classes absentes du fichier (2)", "deactivations"]
    assert blocks[1]["lines"] == [
        "[MS] MS (réf. 1_MS) : 7 élèves actifs dans SACoche",
        "[GS] GS (réf. 1_GS) : 5 élèves actifs dans SACoche",
    ]


def test_database_rules_stale_and_warnings_in_french() -> None:
    assert database_fr("sqlite:///examples/x.db") == "fichier SQLite examples/x.db"
    assert database_fr("mysql://onde:***@db.example:3306/sacoche?charset=utf8") == (
        "base « sacoche » sur le serveur db.example:3306"
    )
    assert rules_fr({"name": "onde-sacoche default rules", "version": "1.0+ab"}) == (
        "règles fournies avec l'outil, version 1.0+ab"
    )
    assert rules_fr({"name": "école", "version": "2"}) == "règles « école », version 2"
    assert stale_fr("reject: deactivate-0b1a0ae53d (no such item in this plan)") == (
        "« refuser » le n° deactivate-0b1a0ae53d : ce changement n'est plus dans le plan"
    )
    assert "question" in stale_fr("accept: decide-0123456789 (a question: answer it with same/different)")
    assert "ine:" not in stale_fr("same: ine:123456789AB ↔ account 4 (row not found)")
    text, french = warning_fr(
        "a group named 'Chorale' was made by hand in SACoche; the import creates its own (RG_CHORALE) "
        "and leaves the hand-made one alone"
    )
    assert french and text.startswith("Un groupe « Chorale » a été créé à la main")
    assert warning_fr("something new") == ("something new", False)
