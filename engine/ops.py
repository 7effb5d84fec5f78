"""Named, general-purpose value operations that rule files chain as ``steps``.

A rule file never names Python code; it names one of these operations, with arguments checked against
the operation's own JSON Schema. Each operation turns one text value into another (or into a tuple, for
``split``; the steps after a split apply to each part). An operation that finds a value it cannot accept
raises :class:`ValueRejected`; the normaliser adds the file, line and column.

Adding an operation is a Python change, so add only small, general ones (never one for a single format),
register them in :data:`OPERATIONS`, and document them in ``docs/rules.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter, methodcaller
from typing import Any

from engine.names import _CONTROLS, _capitalise, title_case
from engine.ops_run import column_runner as column_runner  # re-exported: the rules' callers import them here
from engine.ops_run import run_steps as run_steps
from engine.ops_run import step_runner as step_runner
from engine.ops_run import unless_found


class ValueRejected(ValueError):
    """A value a step cannot accept; the message never contains the value itself."""


class _Marks(dict[int, int | None]):
    """A ``str.translate`` table dropping combining marks (``unicodedata.combining``), filled as met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Comparison key that forgives case, accents, ligatures, apostrophe styles and spacing."""
    if text.isascii():  # NFKD leaves ASCII as is, with no mark to drop; casefold() is lower() there
        return " ".join(text.replace("`", "'").lower().split())
    text = text.replace("\ufeff", "").replace("’", "'").replace("`", "'")
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        decomposed = decomposed.translate(_MARKS)
    return " ".join(decomposed.casefold().split())


@dataclass(frozen=True, slots=True)
class Context:
    """What an operation may consult besides its value: the rule set's value tables."""

    tables: Mapping[str, Mapping[str, Any]]


Step = Callable[[str, Context], Any]
#: a step over a list of values (:func:`column_runner`)
Steps = Callable[[list[Any], Context], list[Any]]


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation's name, the JSON Schema of its argument, and a factory from argument to step."""

    name: str
    args_schema: dict[str, Any]
    build: Callable[[Any], Step]
    doc: str
    #: operations that also run on an empty value (most leave empty values alone)
    runs_on_empty: bool = False
    #: name of the value table the argument refers to, if any (checked when the rules load)
    table_arg: Callable[[Any], str | None] | None = None


def _plain(func: Callable[[str], str]) -> Step:
    """A step calling ``func`` on the value, ``func`` also its ``plain`` form (called directly by
    :func:`step_runner`, mapped over a column by :func:`column_runner`)."""

    def step(value: str, _ctx: Context) -> str:
        return func(value)

    step.plain = func  # type: ignore[attr-defined]
    return step


def _no_arg(func: Callable[[str], str], many: Steps | None = None) -> Callable[[Any], Step]:
    def build(_arg: Any) -> Step:
        step = _plain(func)
        if many is not None:
            step.many = many  # type: ignore[attr-defined]
        return step

    return build


def _clean_spaces(value: str) -> str:
    return " ".join(value.split())


def _truncate(length: int) -> Step:
    return _plain(itemgetter(slice(None, length)))  # value[:length]


def _remove(chars: str) -> Step:
    step = _plain(methodcaller("translate", str.maketrans("", "", chars)))
    step.many = unless_found(step.plain, lambda text: any(c in text for c in chars))  # type: ignore[attr-defined]
    return step


def _pattern(arg: str | dict[str, str]) -> Step:
    spec = {"regex": arg} if isinstance(arg, str) else arg
    regex = re.compile(spec["regex"])
    message = spec.get("message", f"value does not have the expected shape ({spec['regex']})")

    def step(value: str, _ctx: Context) -> str:
        if not regex.fullmatch(value):
            raise ValueRejected(message)
        return value

    def many(values: list[Any], _ctx: Context) -> list[Any]:
        if all(map(regex.fullmatch, filter(None, values))):  # an empty value is not checked
            return values
        raise ValueRejected(message)

    step.many = many  # type: ignore[attr-defined]
    return step


#: the strptime directives a date format may use in :func:`_digits_shape`, and their widths
_FIXED_WIDTH = {"%d": 2, "%m": 2, "%Y": 4}


def _digits_shape(fmt: str) -> re.Pattern[str] | None:
    """For a format made of ``%d``, ``%m`` and ``%Y`` once each between one-character separators
    (``%d/%m/%Y``): a pattern matching exactly the values written with every digit (ASCII), the fields
    named ``d``, ``m`` and ``Y`` (``dd/mm/yyyy``); None for any other format."""
    parts, names, index = [], [], 0
    while index < len(fmt):
        directive = fmt[index : index + 2]
        if directive in _FIXED_WIDTH:
            names.append(directive[1])
            parts.append(f"(?P<{directive[1]}>[0-9]{{{_FIXED_WIDTH[directive]}}})")
            index += 2
        elif fmt[index] in "%#" or fmt[index].isalnum() or fmt[index].isspace():
            return None
        else:
            parts.append(re.escape(fmt[index]))
            index += 1
    if sorted(names) != ["Y", "d", "m"]:
        return None
    return re.compile("".join(parts))


def _parse_date(value: str, fmt: str, shape: re.Pattern[str] | None) -> str:
    """``datetime.strptime(value, fmt).date().isoformat()``, ValueError alike. A value with every digit
    (ASCII) of a :func:`_digits_shape` format is read directly: strptime gives the same date or the
    same refusal for it, and importing and setting it up is a few milliseconds of a small ``plan``."""
    found = shape.fullmatch(value) if shape is not None else None
    if found is not None:
        return date(int(found["Y"]), int(found["m"]), int(found["d"])).isoformat()
    return datetime.strptime(value, fmt).date().isoformat()


_YMD = methodcaller("group", "Y", "m", "d")


def _date(arg: list[str] | dict[str, Any]) -> Step:
    formats = arg if isinstance(arg, list) else arg["formats"]
    shapes = [(fmt, _digits_shape(fmt)) for fmt in formats]
    first = shapes[0][1]

    def step(value: str, _ctx: Context) -> str:
        for fmt, shape in shapes:
            try:
                return _parse_date(value, fmt, shape)
            except ValueError:
                continue
        shown = ", ".join(
            fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy") for fmt in formats
        )
        raise ValueRejected(f"not a valid date (expected {shown})")

    def many(values: list[Any], ctx: Context) -> list[Any]:
        """When every value is a valid date written with every digit of the first format: its digits
        as ``yyyy-mm-dd``, which ``date.fromisoformat`` checks (what :func:`_parse_date` gives); else
        value by value."""
        found = list(map(first.fullmatch, values)) if first is not None and all(values) else [None]
        if None not in found:
            isos = list(map("-".join, map(_YMD, found)))
            try:
                if all(map(date.fromisoformat, isos)):
                    return isos
            except ValueError:
                pass
        return [step(value, ctx) if value else value for value in values]

    step.many = many  # type: ignore[attr-defined]
    return step


def _map(arg: str | dict[str, Any]) -> Step:
    spec = {"table": arg} if isinstance(arg, str) else arg
    name = spec["table"]
    missing = spec.get("missing", "error")

    def step(value: str, ctx: Context) -> str:
        table = ctx.tables[name]
        found = table["lookup"].get(fold(value) if table.get("fold", True) else value)
        if found is not None:
            return found
        if missing == "keep":
            return value
        if missing == "empty":
            return ""
        if missing == "default" and "default" in table:
            return str(table["default"])
        raise ValueRejected(f"value not in table '{name}' (add it to rules/tables/{name}.yaml)")

    return step


def _shorten(arg: str) -> Step:
    """SACoche's label shortening: a ``substitutions`` table replaces literal texts in order (as SACoche's
    wizard does); a ``words`` table abbreviates known words, drops filler words, glues abbreviations."""

    def step(value: str, ctx: Context) -> str:
        table = ctx.tables[arg]
        pairs = table.get("pairs")
        if pairs is not None:
            for old, new in pairs:
                value = value.replace(old, new)
            return value
        for old, new in table.get("replace", {}).items():
            value = value.replace(old, new)
        out: list[str] = []
        glue = False
        for word in value.split():
            key = fold(word)
            if key in table["drop_folded"]:
                continue
            short = table["lookup"].get(key)
            if short is not None:
                if glue and out:
                    out[-1] += short
                else:
                    out.append(short)
                glue = True
            else:
                out.append(word)
                glue = False
        return " ".join(out)

    return step


def _split(arg: list[str] | dict[str, Any]) -> Step:
    separators = arg if isinstance(arg, list) else arg["separators"]
    regex = re.compile("|".join(re.escape(s) for s in separators))

    def step(value: str, _ctx: Context) -> tuple[str, ...]:
        return tuple(part.strip() for part in regex.split(value) if part.strip())

    return step


def _default(arg: str) -> Step:
    return lambda value, _ctx: value if value else arg


def _replace(arg: dict[str, str]) -> Step:
    regex = re.compile(arg["regex"])
    return lambda value, _ctx: regex.sub(arg["with"], value)


_STRING = {"type": "string"}
_TABLE_REF = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("strip", {"type": "null"}, _no_arg(str.strip), "remove spaces at both ends"),
        Operation(
            "clean_spaces",
            {"type": "null"},
            _no_arg(_clean_spaces, lambda values, _ctx: list(map(" ".join, map(str.split, values)))),
            "remove spaces at both ends and fold inner runs of spaces, tabs and newlines into one space",
        ),
        Operation("upper", {"type": "null"}, _no_arg(str.upper), "upper-case (accents kept: é → É)"),
        Operation("lower", {"type": "null"}, _no_arg(str.lower), "lower-case"),
        Operation(
            "capitalise",
            {"type": "null"},
            _no_arg(_capitalise),
            "each word capitalised, also after a hyphen or apostrophe (marie-lou → Marie-Lou)",
        ),
        Operation(
            "title_case",
            {"type": "null"},
            _no_arg(title_case),
            "SACoche's first-name case (Clean::perso_ucwords: jean-éudes → Jean-Éudes, o'neil → O'Neil)",
        ),
        Operation(
            "remove_controls",
            {"type": "null"},
            # engine.names.remove_controls; a printable text holds none of them
            _no_arg(
                methodcaller("translate", _CONTROLS),
                unless_found(methodcaller("translate", _CONTROLS), lambda text: not text.isprintable()),
            ),
            "remove control characters as SACoche does (all C0 but tab, line feed, carriage return; DEL)",
        ),
        Operation("truncate", {"type": "integer", "minimum": 1}, _truncate, "keep the first N characters"),
        Operation("remove", {"type": "string", "minLength": 1}, _remove, "remove every listed character"),
        Operation(
            "pattern",
            {
                "oneOf": [
                    _STRING,
                    {
                        "type": "object",
                        "required": ["regex"],
                        "additionalProperties": False,
                        "properties": {"regex": _STRING, "message": _STRING},
                    },
                ]
            },
            _pattern,
            "refuse a value that does not fully match the regular expression",
        ),
        Operation(
            "date",
            {"type": "array", "minItems": 1, "items": _STRING},
            _date,
            "parse a date with the first matching strptime format; the value becomes yyyy-mm-dd",
        ),
        Operation(
            "map",
            {
                "oneOf": [
                    _TABLE_REF,
                    {
                        "type": "object",
                        "required": ["table"],
                        "additionalProperties": False,
                        "properties": {
                            "table": _TABLE_REF,
                            "missing": {"enum": ["error", "keep", "empty", "default"]},
                        },
                    },
                ]
            },
            _map,
            "replace the value by the table's entry (keys compared ignoring case, accents, spaces)",
            table_arg=lambda arg: arg if isinstance(arg, str) else arg.get("table"),
        ),
        Operation(
            "shorten",
            _TABLE_REF,
            _shorten,
            "SACoche label shortening (substitutions or words table): Cours élémentaire 1ère année → CE1",
            table_arg=lambda arg: arg,
        ),
        Operation(
            "split",
            {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            _split,
            "cut one cell into several values at any separator; later steps apply to each part",
        ),
        Operation("default", _STRING, _default, "value to use when the cell is empty", runs_on_empty=True),
        Operation(
            "replace",
            {
                "type": "object",
                "required": ["regex", "with"],
                "additionalProperties": False,
                "properties": {"regex": _STRING, "with": _STRING},
            },
            _replace,
            "regular-expression substitution",
        ),
    )
}


def compile_steps(steps: list[Any]) -> list[tuple[Operation, Step]]:
    """Turn a validated ``steps`` list into callables, in order."""
    compiled = []
    for raw in steps:
        name, arg = (raw, None) if isinstance(raw, str) else next(iter(raw.items()))
        op = OPERATIONS[name]
        compiled.append((op, op.build(arg)))
    return compiled
