"""Running a field's compiled steps (engine.ops): on one value (:func:`run_steps`, :func:`step_runner`)
or on a list of values a step at a time (:func:`column_runner`, the normaliser's usual way: a column's
distinct cells go through each step in one ``map``, mostly in C)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# engine.ops' types, named here without importing it (it imports this module): a compiled step is
# (engine.ops.Operation, a function of (value, engine.ops.Context))
Context = Any
Operation = Any
Step = Callable[[Any, Any], Any]
Steps = Callable[[list[Any], Any], list[Any]]

__all__ = ["column_runner", "run_steps", "step_runner", "unless_found"]


def step_runner(steps: list[tuple[Operation, Step]]) -> Callable[[str, Context], Any]:
    """A function doing what ``run_steps(value, steps, ctx)`` does, each step's dispatch decided once
    (the normaliser runs a field's steps on every distinct cell)."""
    if any(op.name == "split" for op, _ in steps):  # the steps after it run on each part
        return lambda value, ctx: run_steps(value, steps, ctx)
    chain = tuple((getattr(step, "plain", None), step, op.runs_on_empty) for op, step in steps)

    def run(value: str, ctx: Context) -> Any:
        for plain, step, on_empty in chain:
            if value or on_empty:
                value = plain(value) if plain is not None else step(value, ctx)
        return value

    return run


def column_runner(steps: list[tuple[Operation, Step]]) -> Steps:
    """A function giving ``[run(value, ctx) for value in values]`` for :func:`step_runner`'s ``run``, a
    step at a time over all the values (mostly in C), or raising :class:`ValueRejected` when a value is
    rejected (which one is for the caller to find, value by value)."""
    if any(op.name == "split" for op, _ in steps):
        run = step_runner(steps)
        return lambda values, ctx: [run(value, ctx) for value in values]
    chain = tuple(map(_column_step, steps))

    def run_many(values: list[Any], ctx: Context) -> list[Any]:
        for many in chain:
            values = many(values, ctx)
        return values

    return run_many


def _column_step(compiled: tuple[Operation, Step]) -> Steps:
    """One step over a list: ``[step(v, ctx) if v or op.runs_on_empty else v for v in values]``."""
    op, step = compiled
    many = getattr(step, "many", None)
    if many is not None:
        return many  # type: ignore[no-any-return]
    plain = getattr(step, "plain", None)
    if plain is not None and not op.runs_on_empty and plain("") == "":  # an empty value stays empty
        return lambda values, _ctx: list(map(plain, values))
    if op.runs_on_empty:
        return lambda values, ctx: [step(value, ctx) for value in values]
    return lambda values, ctx: [step(value, ctx) if value else value for value in values]


def run_steps(value: str, steps: list[tuple[Operation, Step]], ctx: Context) -> str | tuple[str, ...]:
    """Apply compiled steps; after a ``split`` the remaining steps run on each part."""
    current: Any = value
    for op, step in steps:
        if isinstance(current, tuple):
            current = tuple(
                v for v in (step(part, ctx) if (part or op.runs_on_empty) else part for part in current) if v
            )
        elif current or op.runs_on_empty:
            current = step(current, ctx)
    return current


def unless_found(plain: Callable[[str], str], found: Callable[[str], bool]) -> Steps:
    """``plain`` over a list of values, or the values as they are when ``found`` says that their text,
    joined, holds nothing ``plain`` changes (``str.translate`` looks each distinct character up in its
    table: a miss, the usual case, raises and catches a KeyError)."""

    def many(values: list[Any], _ctx: Context) -> list[Any]:
        try:
            text = "".join(values)
        except TypeError:  # not text: as the step does it
            return list(map(plain, values))
        return list(map(plain, values)) if found(text) else values

    return many
