"""What every French document of a plan directory shares: the Jinja environment, private writing.

The documents (the report ``rapport.html`` and ``resume.md``, the login sheet ``identifiants.html``, and
any later one such as a letter per family) are templates in ``engine/render/templates/report/``,
rendered by one environment (HTML autoescaped, Markdown not; ``md`` and ``plural`` filters) and
written atomically with the mode of private files (0600, in a 0700 directory): they hold minors' names.
Each document has its own module that builds its view and calls :func:`write_document`.

A document's hot loops (the rows of the report's tables, the cards of the login sheet) are HTML built in
Python instead: a *shape* (the template's markup, a ``{}`` per value) filled by :func:`filled`, every
value escaped as autoescape does, so that the output is the template loop's, byte for byte.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from engine.plan.privatefiles import private_dir, write_chunks_atomic
from engine.render.french import markdown_escape, plural

__all__ = [
    "TEMPLATES",
    "Deferred",
    "environment",
    "escape_all",
    "filled",
    "filled_rows",
    "private_dir",
    "write_document",
]

TEMPLATES = Path(__file__).parent / "templates" / "report"
#: between two values of :func:`escape_all` (escaping leaves it as it is)
SEPARATOR = "\x00"
_SPECIAL = re.compile("[&<>'\"]")  # what escaping changes


class DocumentEnvironment(Environment):
    """Jinja's environment, with ``row.name`` read as the key of a plain dict first.

    The views are plain dicts; Jinja tries ``getattr`` first and falls back on the key through a caught
    AttributeError, once per cell of every table (a third of a large report's rendering time). A key
    that a dict method shares (``items``, ``get``) would now win over the method: the templates use none.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One environment per process; compiled templates are kept in the user's cache (engine.cache)."""
    from engine.templatecache import template_cache

    env = DocumentEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("md",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(),
        auto_reload=False,  # the templates are the package's: no stat of each file at every document
    )
    env.filters["md"] = markdown_escape
    env.filters["plural"] = lambda n, one, many: plural(int(n), one, many)
    return env


def write_document(path: Path, template: str, view: Mapping[str, Any], *, small: bool = False) -> Path:
    """Render ``template`` with ``view`` into ``path`` (a private file), streamed, atomically; ``small``
    (a document of a small plan: a few hundred KB at most), rendered whole instead, in one join."""
    compiled = environment().get_template(template)
    if small:
        return write_chunks_atomic(path, (compiled.render(view),))
    return write_chunks_atomic(path, _batched(compiled.generate(view)))


def _batched(chunks: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """The template's output joined into pieces of about ``size`` characters: Jinja yields a piece per
    text and value, and the writer's loop over each cost more than the join; a piece is at most a few
    hundred rows of a table (report_tables.Table.parts), so that no piece is a whole large table."""
    batch: list[str] = []
    length = 0
    for chunk in chunks:
        batch.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    yield "".join(batch)


# --- rows built in Python (the documents' hot loops) ---------------------------------------------------


def escape_all(values: Sequence[Any]) -> list[str]:
    """``[str(escape(v)) for v in values]`` (what autoescape prints for each value), in one call of
    ``escape`` on the values joined (one at a time should a value hold the separator)."""
    if not values:
        return []
    try:
        joined = SEPARATOR.join(values)
    except TypeError:  # not all text (the builders give text; a hand-edited plan may not)
        values = list(map(str, values))
        joined = SEPARATOR.join(values)
    if _SPECIAL.search(joined) is None:  # most tables: nothing to escape
        return list(values)
    if joined.count(SEPARATOR) != len(values) - 1:
        return [str(escape(value)) for value in values]
    return str(escape(joined)).split(SEPARATOR)


class Deferred:
    """HTML made by ``make()`` when the template prints it, and not kept: a large document then holds one
    part's HTML at a time (a class's cards, say), not every part's at once."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self.make = make

    def __html__(self) -> str:
        return self.make()


def filled(shape: str, values: Sequence[Any]) -> Markup:
    """``shape`` (HTML with a ``{}`` per value, literal braces doubled) with ``values`` escaped in it, in
    order: the HTML of a table's rows (or a sheet's cards) in one ``str.format``."""
    return Markup(shape.format(*escape_all(values)))


@lru_cache(maxsize=1024)
def printf_shape(shape: str) -> str:
    """``shape`` (a ``{}`` per value, literal braces doubled) for the ``%`` operator (a ``%s`` per value,
    literal ``%`` doubled)."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(shape):
        if field or spec or conversion:
            raise ValueError(f"a shape's fields are all {{}}: {shape!r}")
        parts.append(literal.replace("%", "%%") + ("" if field is None else "%s"))
    return "".join(parts)


def filled_rows(shapes: Sequence[str], values: Sequence[Any]) -> Markup:
    """:func:`filled` of the ``shapes`` one a line (rows alike share a shape object), formatted with ``%``
    (a large report's tables: faster than ``str.format``; each distinct shape is converted once)."""
    convert = printf_shape
    return Markup("\n".join([convert(shape) for shape in shapes]) % tuple(escape_all(values)))
