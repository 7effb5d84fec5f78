"""The named operations rule files chain: each one's behaviour on real-looking values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ops import ValueRejected, compile_steps, fold, run_steps
from engine.rules import load_rules

CTX = load_rules().context


def run(steps: list, value: str) -> object:
    return run_steps(value, compile_steps(steps), CTX)


@pytest.mark.parametrize(
    ("header", "synonym"),
    [
        (" Cycle", "cycle"),
        ("nom élève", "Nom élève"),
        ("NOM ELEVE", "Nom élève"),
        ("\ufeffINE", "ine"),
        ("Nom  d’usage   élève", "Nom d'usage élève"),
        ("ŒUVRE", "oeuvre"),
    ],
)
def test_fold_forgives_case_accents_spaces_bom(header: str, synonym: str) -> None:
    assert fold(header) == fold(synonym)


def test_fold_keeps_different_words_apart() -> None:
    assert fold("Nom élève") != fold("Prénom élève")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("marie-lou", "Marie-Lou"),
        ("JEAN PIERRE", "Jean Pierre"),
        ("d'artagnan", "D'Artagnan"),
        ("énzo", "Énzo"),
    ],
)
def test_capitalise(value: str, expected: str) -> None:
    assert run(["capitalise"], value) == expected


def test_title_case_and_remove_controls_as_steps() -> None:
    """SACoche's Clean::prenom order: controls removed, then its case; the project then folds spaces."""
    steps = ["remove_controls", "title_case", "clean_spaces"]
    assert run(steps, "  jean\x01-éudes\t d'ARTAGNAN ") == "Jean-Éudes D'artagnan"
    assert run(steps, "o'neil") == "O'Neil"  # pure ASCII: SACoche's other branch
    assert run(["remove_controls"], "a\x00b\x7fc\td\ne\rf\x1f") == "abc\td\ne\rf"


def test_clean_spaces_upper_truncate() -> None:
    assert run(["clean_spaces", "upper", {"truncate": 5}], "  de la\tbruyère \n") == "DE LA"


@pytest.mark.parametrize(("value", "iso"), [("14/03/2022", "2022-03-14"), ("2022-03-14", "2022-03-14")])
def test_date_formats(value: str, iso: str) -> None:
    assert run([{"date": ["%d/%m/%Y", "%Y-%m-%d"]}], value) == iso


@pytest.mark.parametrize("value", ["31/02/2022", "14-03-22", "demain"])
def test_invalid_date_is_rejected_without_quoting_it(value: str) -> None:
    with pytest.raises(ValueRejected) as caught:
        run([{"date": ["%d/%m/%Y", "%Y-%m-%d"]}], value)
    assert value not in str(caught.value)
    assert "dd/mm/yyyy" in str(caught.value)


def test_map_folds_keys_and_handles_missing() -> None:
    assert run([{"map": "sexe"}], "féminin") == "F"
    assert run([{"map": {"table": "niveaux", "missing": "keep"}}], "ULIS") == "ULIS"
    with pytest.raises(ValueRejected, match=r"rules/tables/sexe\.yaml"):
        run([{"map": "sexe"}], "X")


@pytest.mark.parametrize(
    ("label", "short"),
    [
        ("Cours élémentaire 1ère année", "CE1"),
        ("Grande section", "GS"),
        ("Toute petite section", "TPS"),
        ("Classe de Cours moyen 2e année", "CM2"),
        ("CE2-CM1 M. Framboisier", "CE2-CM1 M. Framboisier"),
        ("Cours préparatoire - Mme X", "CP -Mme X"),
    ],
)
def test_sacoche_label_shortening(label: str, short: str) -> None:
    assert run([{"shorten": "libelles"}], label) == short


def test_split_applies_later_steps_to_each_part() -> None:
    assert run([{"split": [",", "|"]}, "upper"], "chorale, anglais | ") == ("CHORALE", "ANGLAIS")


def test_empty_values_skip_steps_but_default() -> None:
    assert run(["upper", {"pattern": "[A-Z]+"}], "") == ""
    assert run(["strip", {"default": "I"}], "  ") == "I"


def test_pattern_rejects_with_rule_message() -> None:
    with pytest.raises(ValueRejected, match="INE must be"):
        run([{"pattern": {"regex": "[0-9]{9}[A-Z]{2}", "message": "INE must be 11 characters"}}], "12345")


@given(st.text())
def test_clean_spaces_is_idempotent_and_trimmed(value: str) -> None:
    once = run(["clean_spaces"], value)
    assert run(["clean_spaces"], once) == once
    assert once == once.strip()


def test_step_runner_does_what_run_steps_does() -> None:
    """engine.ops.step_runner: the same value or the same refusal as run_steps, for every field rule."""
    from engine.ops import ValueRejected, run_steps, step_runner
    from engine.rules import load_rules

    rules = load_rules()
    cells = [
        "",
        " ",
        "  dupont  ",
        "jean-éudes",
        "O'NEIL",
        "12/03/2017",
        "2017-03-12",
        "31/02/2017",
        "F",
        "m",
        "CE1",
        "Cours élémentaire 1ère année",
        "Anglais, Chorale / Foot",
        "x\x07y",
        "203451870GH",
    ]
    for source in rules.sources.values():
        for rule in source.fields.values():
            run = step_runner(rule.steps)
            for cell in cells:
                try:
                    expected: object = run_steps(cell, rule.steps, rules.context)
                except ValueRejected as exc:
                    expected = ("refused", str(exc))
                try:
                    got: object = run(cell, rules.context)
                except ValueRejected as exc:
                    got = ("refused", str(exc))
                assert got == expected, (source.id, cell)
