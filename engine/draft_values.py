"""What a column's values look like, for ``rules draft``: shapes and counts only, never a value.

:func:`sniff` reads a column's cells once and counts how many look like an INE, a date (and in which
strptime formats), a sexe code or a niveau the rules know, digits (class ids), an e-mail address, a phone
number, or several groups in one cell (and with which separator). :func:`fit` turns those counts into
how well the column suits a target field, from -1 (cannot be it) to 1 (its values say it is), and
:func:`evidence` into a short English phrase such as ``dd/mm/yyyy in 55/55 cells``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.ops import Context, Operation, Step, ValueRejected, run_steps

INE = re.compile(r"[0-9]{9}[0-9A-Z][A-Z]")
_DIGITS = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 .\-]{7,}[0-9]")
_LETTERS = re.compile(r"[^\W\d_]")
_DATE_LIKE = re.compile(r"[0-9]{1,4}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$")

#: strptime formats tried on date-like cells, the French reading first (dd/mm before mm/dd)
DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d/%m/%y",
    "%m/%d/%Y",
    # a spreadsheet that saved a date cell with its time
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
)
#: separators between several groups in one cell, most likely first
GROUP_SEPARATORS = (",", "|", "/", "+", ";")
#: value shapes that no name, class label or group can have
_NOT_TEXT = ("ine", "date", "digits", "email", "phone")


def readable_format(fmt: str) -> str:
    """``%d/%m/%Y`` → ``dd/mm/yyyy``."""
    text = fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")
    return text.replace("%H", "hh").replace("%M", "mm").replace("%S", "ss")


@dataclass(slots=True)
class Shape:
    """Counts about one column's non-empty cells (``cells``) among ``rows`` rows; no value is kept."""

    rows: int = 0
    cells: int = 0
    distinct: int = 0
    ine: int = 0
    digits: int = 0
    email: int = 0
    phone: int = 0
    letters: int = 0
    upper: int = 0
    sexe: int = 0
    niveau: int = 0
    dates: dict[str, int] = field(default_factory=dict)
    #: formats covering the dated cells, best first (several when the column mixes formats)
    date_formats: tuple[str, ...] = ()
    dated: int = 0
    #: cells holding several parts per separator
    multi: dict[str, int] = field(default_factory=dict)

    def share(self, count: int) -> float:
        return count / self.cells if self.cells else 0.0

    @property
    def kind(self) -> str:
        """The dominant shape: empty, ine, date, digits, email, phone or text."""
        if not self.cells:
            return "empty"
        for name, count in (
            ("ine", self.ine),
            ("date", self.dated),
            ("email", self.email),
            ("digits", self.digits),
            ("phone", self.phone),
        ):
            if self.share(count) >= 0.9:
                return name
        return "text"

    @property
    def separator(self) -> str | None:
        """The separator found in most multi-part cells, if any cell has several parts."""
        best = max(self.multi.items(), key=lambda kv: kv[1], default=None)
        return best[0] if best and best[1] else None


def _passes(
    steps: Sequence[tuple[Operation, Step]], value: str, ctx: Context, accept: frozenset[str]
) -> bool:
    try:
        result = run_steps(value, steps, ctx)
    except ValueRejected:
        return False
    return result in accept if accept else bool(result)


def _cover(parsed_by: Mapping[tuple[str, ...], int]) -> tuple[str, ...]:
    """Formats, best first, that together parse the dated cells (greedy set cover, French order on ties)."""
    left = dict(parsed_by)
    chosen: list[str] = []
    while left:
        gain = {f: sum(n for formats, n in left.items() if f in formats) for f in DATE_FORMATS}
        best = max(DATE_FORMATS, key=lambda f: (gain[f], -DATE_FORMATS.index(f)))
        if not gain[best]:
            break
        chosen.append(best)
        left = {formats: n for formats, n in left.items() if best not in formats}
    return tuple(chosen)


def sniff(
    values: Iterable[str],
    ctx: Context,
    sexe_steps: Sequence[tuple[Operation, Step]] = (),
    niveau_steps: Sequence[tuple[Operation, Step]] = (),
    niveaux: frozenset[str] = frozenset(),
) -> Shape:
    """Count the shapes of a column's cells (``*_steps``: the rules' own steps for sexe and niveau).

    Each distinct value is examined once and counted as often as it occurs."""
    shape = Shape()
    occurrences: Counter[str] = Counter()
    for raw in values:
        shape.rows += 1
        value = " ".join(raw.split())
        if value:
            occurrences[value] += 1
    shape.cells = sum(occurrences.values())
    shape.distinct = len(occurrences)
    per_format: dict[str, int] = {}
    #: for each set of formats that parse a value, how many cells
    parsed_by: Counter[tuple[str, ...]] = Counter()
    for value, count in occurrences.items():
        compact = value.upper().replace(" ", "")
        if INE.fullmatch(compact):
            shape.ine += count
        if _DIGITS.fullmatch(value):
            shape.digits += count
        elif _PHONE.fullmatch(value):
            shape.phone += count
        if _EMAIL.fullmatch(value):
            shape.email += count
        if _LETTERS.search(value):
            shape.letters += count
            if value == value.upper():
                shape.upper += count
        if _DATE_LIKE.match(value):
            formats = tuple(f for f in DATE_FORMATS if _parses(value, f))
            if formats:
                parsed_by[formats] += count
                for fmt in formats:
                    per_format[fmt] = per_format.get(fmt, 0) + count
        if sexe_steps and len(value) <= 12 and _passes(sexe_steps, value, ctx, frozenset()):
            shape.sexe += count
        if niveau_steps and len(value) <= 40 and _passes(niveau_steps, value, ctx, niveaux):
            shape.niveau += count
        for sep in GROUP_SEPARATORS:
            if sum(1 for p in value.split(sep) if p.strip()) > 1:
                shape.multi[sep] = shape.multi.get(sep, 0) + count
    shape.dates = per_format
    shape.date_formats = _cover(parsed_by)
    shape.dated = sum(parsed_by.values())
    return shape


def _parses(value: str, fmt: str) -> bool:
    try:
        year = datetime.strptime(value, fmt).year
    except ValueError:
        return False
    return 1900 <= year <= 2100


def fit(shape: Shape, name: str) -> float:
    """How well the values suit field ``name``: -1 cannot be it, 0 says nothing, 1 says it is."""
    kind = shape.kind
    if kind == "empty":
        return 0.0
    if name == "ine":
        return shape.share(shape.ine) if shape.share(shape.ine) >= 0.8 else -1.0
    if name == "naissance":
        return 1.0 if kind == "date" else -1.0
    if name == "genre":  # a few codes the table lacks (Masc., Fém.) may still be the sexe
        if shape.distinct > 6:
            return -1.0
        return 1.0 if shape.share(shape.sexe) >= 0.9 else 0.0
    if name == "email":
        return 1.0 if kind == "email" else -1.0
    if name == "classe_id":
        if kind in ("ine", "date", "email", "phone"):
            return -1.0
        repeats = shape.distinct < shape.cells or shape.cells <= 3
        if kind == "digits":  # one pupil per class in a whole export: rather a pupil number
            return 1.0 if repeats else (0.3 if shape.cells <= 5 else -0.6)
        return 0.0 if repeats else -0.5
    if kind in _NOT_TEXT:
        return -1.0
    if name == "niveau":
        return 1.0 if shape.share(shape.niveau) >= 0.7 else 0.0
    if name in ("nom", "prenom", "nom_usage"):
        return -1.0 if shape.share(shape.sexe) >= 0.9 and shape.distinct <= 6 else 0.0
    if name == "classe_label":
        return 0.3 if shape.distinct < shape.cells else 0.0
    if name == "regroupements":
        return 0.5 if shape.separator else 0.0
    return 0.0


def evidence(shape: Shape, name: str) -> str:
    """What the values say about field ``name``, as shapes and counts (never a value)."""
    n, rows = shape.cells, shape.rows
    if not n:
        return f"empty in all {rows} rows"
    of = f"{{}} in {{}}/{n} cells"
    if name == "ine":
        return of.format("INE pattern", shape.ine) + (f" ({rows - n} empty)" if rows > n else "")
    if name == "naissance" and shape.date_formats:
        first = shape.date_formats[0]
        text = of.format(readable_format(first), shape.dates.get(first, 0))
        others = [readable_format(f) for f in shape.date_formats[1:]]
        return text + (f", then {', '.join(others)}" if others else "")
    if name == "genre":
        return of.format("tables/sexe.yaml codes", shape.sexe) + f", {shape.distinct} distinct"
    if name == "niveau":
        return of.format("known niveaux", shape.niveau) + f", {shape.distinct} distinct"
    if name == "classe_id":
        return of.format("digits", shape.digits) + f", {shape.distinct} distinct"
    if name == "email":
        return of.format("e-mail addresses", shape.email)
    if name == "regroupements":
        sep = shape.separator
        several = f", several groups per cell with '{sep}' in {shape.multi[sep]}" if sep else ""
        return f"{n}/{rows} cells filled, {shape.distinct} distinct{several}"
    kind = shape.kind
    if kind != "text":
        return of.format(kind, {"ine": shape.ine, "date": shape.dated, "digits": shape.digits}.get(kind, n))
    if name == "nom":
        return of.format("upper-case text", shape.upper) if shape.upper else f"text in {n}/{rows} cells"
    return f"text in {n}/{rows} cells, {shape.distinct} distinct"


def caveat(shape: Shape, name: str) -> str | None:
    """What ``inspect`` will refuse in a column mapped to ``name`` with the drafted steps, if anything."""
    if name == "ine" and shape.cells > shape.ine:
        return f"{shape.cells - shape.ine} cell(s) do not fit the INE pattern: inspect will name their lines"
    if name == "naissance" and shape.cells > shape.dated:
        return (
            f"{shape.cells - shape.dated} cell(s) are no date in a known format: inspect will name their "
            "lines; add their format to the date step"
        )
    if name == "genre" and shape.cells > shape.sexe:
        return (
            f"{shape.cells - shape.sexe} cell(s) hold codes tables/sexe.yaml lacks: add them there "
            "(docs/rules.md, 'A new value in a table')"
        )
    return None
