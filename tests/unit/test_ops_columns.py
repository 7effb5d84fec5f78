"""engine.ops.column_runner runs a field's steps over a list of cells a step at a time: the values are
those of step_runner cell by cell, and it refuses (ValueRejected) exactly when some cell is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.ops import ValueRejected, column_runner, compile_steps, step_runner
from engine.rules import load_rules

RULES = load_rules()
CTX = RULES.context
#: every field rule of the built-in formats, and a few steps they do not use
FIELD_STEPS = {
    f"{source.id}.{name}": rule.steps
    for source in RULES.sources.values()
    for name, rule in source.fields.items()
} | {
    "more": compile_steps(
        [
            {"default": "X"},
            "lower",
            "capitalise",
            {"replace": {"regex": "[0-9]", "with": "#"}},
            {"date": ["%Y-%m-%d", "%d/%m/%Y"]},
        ]
    ),
    "pattern_then_default": compile_steps([{"pattern": "[A-Z]*"}, {"default": "vide"}]),
    "date_letters": compile_steps([{"date": ["%d %B %Y", "%d/%m/%Y"]}]),
}

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "22/06/2023",
            "31/02/2020",
            "2019-03-04",
            "04-03-2019",
            "0000-01-01",
            "29/02/2024",
            "29/02/2023",
            "1234567890A",
            "123456789AB",
            " 123456789ab ",
            "F",
            "féminin",
            "CP",
            "Cours préparatoire",
            "jean-éudes d'ARTAGNAN",
            "o'neil",
            "A, B | C / D",
            "\x01DU\tPONT  ",
            "Zoé\U0001f600",
            "ΟΔΥΣΣΕΑΣ",
        ]
    ),
    st.text(alphabet=st.sampled_from("0123456789/-aAéÉ 'ΣF,|\t\x01"), max_size=12),
)


def _cell_by_cell(steps: list, cells: list[str]) -> list | None:
    run = step_runner(steps)
    try:
        return [run(cell, CTX) for cell in cells]
    except ValueRejected:
        return None


def _together(steps: list, cells: list[str]) -> list | None:
    try:
        return column_runner(steps)(list(cells), CTX)
    except ValueRejected:
        return None


@pytest.mark.parametrize("field", sorted(FIELD_STEPS))
@settings(max_examples=30, deadline=None)
@given(cells=st.lists(CELLS, max_size=8))
def test_together_is_cell_by_cell(field: str, cells: list[str]) -> None:
    steps = FIELD_STEPS[field]
    assert _together(steps, cells) == _cell_by_cell(steps, cells)


def test_dates_together_read_as_cell_by_cell() -> None:
    steps = FIELD_STEPS["onde2-eleves.naissance"]
    cells = ["22/06/2023", "01/01/2020", "29/02/2024"]
    assert _together(steps, cells) == ["2023-06-22", "2020-01-01", "2024-02-29"]
    assert _together(steps, [*cells, "2019-03-04", ""]) == [
        "2023-06-22",
        "2020-01-01",
        "2024-02-29",
        "2019-03-04",
        "",
    ]
    assert _together(steps, [*cells, "31/02/2020"]) is None
