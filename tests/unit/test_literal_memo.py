"""The literals a model's phrases remember (engine.render.literals.memoized) are the dialect's filter's."""

from __future__ import annotations

import pytest

from engine.render.literals import memoized, mysql_literal, sqlite_literal

VALUES = ["", "a'b", "Noé", "CM1 \u200b", "tab\there", "back\\slash", "line\nbreak", 0, 12, -3, None, "ELV"]


@pytest.mark.parametrize("literal", [mysql_literal, sqlite_literal])
def test_remembered_literals_are_the_filters(literal: object) -> None:
    lit = memoized(literal)  # type: ignore[arg-type]
    for _ in range(2):  # spelled, then remembered
        assert [lit(v) for v in VALUES] == [literal(v) for v in VALUES]  # type: ignore[operator]


@pytest.mark.parametrize("literal", [mysql_literal, sqlite_literal])
def test_remembered_literals_refuse_what_the_filters_refuse(literal: object) -> None:
    lit = memoized(literal)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="outside the BMP"):
        lit("emoji \U0001f600")
    with pytest.raises(TypeError, match="no SQL literal for float"):
        lit(1.5)
