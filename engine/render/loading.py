"""Reading ``plan.json`` and validating what the renderers rely on: :func:`load_plan` → :class:`LoadedPlan`.

Every problem names the file and the line of the item (:mod:`~engine.render.itemcheck` checks each item
for the SQL, :mod:`~engine.render.plancheck` the rest of the document and the seal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OndeError, OndeErrorGroup
from engine.render.columns import DATE_RE
from engine.render.itemcheck import is_text, item_value_problems, plan_widths
from engine.render.plancheck import PLAN_HINT, SEAL_HINT, document_problems, item_problems, seal_problems

if TYPE_CHECKING:
    from engine.plan.planio import WrittenPlan

PLAN_FILE = "plan.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class LoadedPlan:
    """plan.json read once and checked: where it is, its document and the sha256 of its bytes."""

    path: Path
    doc: dict[str, Any]
    sha256: str

    def line_of(self, needle: str) -> int | None:
        """The line of plan.json where ``needle`` first appears (read again: only errors need it)."""
        try:
            return _line_of(self.path.read_text(encoding="utf-8"), needle)
        except (OSError, UnicodeDecodeError):
            return None


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _lines(text: str | None, path: Path) -> Callable[[str], int | None]:
    """The line of ``needle`` in ``text``, or in the text of ``path``, read at the first search only (a
    sound plan needs none)."""
    known = [text]

    def line_of(needle: str) -> int | None:
        if known[0] is None:
            try:
                known[0] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                known[0] = ""
        return _line_of(known[0], needle)

    return line_of


def load_plan(plan_dir: Path) -> LoadedPlan:
    """Read and validate ``plan_dir/plan.json``; errors name the file and the line."""
    path = Path(plan_dir) / PLAN_FILE
    if not path.is_file():
        raise OndeError(
            "no plan.json here", file=path, hint="give the directory written by `onde-sacoche plan --out`"
        )
    raw = path.read_bytes()
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OndeError(f"plan.json is not UTF-8 ({exc.reason})", file=path) from None
    del raw  # a million-pupil plan.json is hundreds of MiB: hold one copy at a time
    fractions: list[str] = []  # numbers json reads as floats: none in a plan `plan` writes

    def number(literal: str) -> float:
        fractions.append(literal)
        return float(literal)  # NaN, Infinity and -Infinity too: json's own values

    try:
        doc = json.loads(text, parse_float=number, parse_constant=number)
    except json.JSONDecodeError as exc:
        raise OndeError(
            f"plan.json is not valid JSON: {exc.msg}",
            file=path,
            line=exc.lineno,
            column=exc.colno,
            hint="undo the last edit (only `accepted` flags are meant to be edited: true or false)",
        ) from None
    except RecursionError:  # lists or objects nested thousands of levels deep: not a plan
        raise OndeError(
            "plan.json is nested far too deeply to be a plan", file=path, line=1, hint=PLAN_HINT
        ) from None
    validate_plan(doc, text, path, plain=not fractions)
    return LoadedPlan(path, doc, sha256)


def check_written_plan(written: WrittenPlan) -> LoadedPlan:
    """The plan.json ``plan`` has just written (engine.plan.planio.write_plan), checked for the renderers
    without reading it back: its ``doc`` is what json.loads gives of its bytes (whose sha256 it holds), so
    what is rendered is still what a reviewer reads (tests/unit/test_plan_memory.py).

    Every check of :func:`load_plan` is made, so that a plan the planner got wrong (a value beyond the
    database's width, a character SACoche cannot store) is refused as before, naming its line; but the
    seals of the plain items are not computed again: each was computed a moment ago from the very dict
    now in ``doc``, so it holds by construction. The header's seal, the list's digest and the seals of
    the items in ``reread`` (not plain JSON: read back from their own bytes) are checked as usual, told
    when every value is plain JSON (``written.plain``), as :func:`load_plan` tells them of a plan without
    a float."""
    validate_plan(written.doc, None, written.path, recheck=written.reread, plain=written.plain)
    return LoadedPlan(written.path, written.doc, written.sha256)


def validate_plan(
    doc: Any, text: str | None, path: Path, *, recheck: Collection[int] | None = None, plain: bool = False
) -> None:
    """Check what the renderers rely on; every problem names the line of the item in plan.json (``text``:
    the file's text, else read from ``path`` if a problem needs a line). ``recheck``: the items whose
    seals are computed again (engine.plan.seal.seal_problems), all by default; ``plain``: ``doc`` was
    read by json.loads and holds no float (every value is plain JSON, as the seals then know)."""
    line_of = _lines(text, path)
    if not isinstance(doc, dict):
        raise OndeError("plan.json must hold one JSON object", file=path, line=1, hint=PLAN_HINT)
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise OndeError(
            f"unsupported plan format_version {version!r} (this tool reads {FORMAT_VERSION})",
            file=path,
            line=line_of('"format_version"') or 1,
            hint="re-run `onde-sacoche plan` with this version of the tool",
        )
    for key, kind in (("items", list), ("source", dict), ("state", dict), ("summary", dict)):
        if not isinstance(doc.get(key), kind):
            raise OndeError(
                f"plan.json: '{key}' is missing or is not a {kind.__name__}",
                file=path,
                line=line_of(f'"{key}"') or 1,
                hint=PLAN_HINT,
            )
    errors: list[OndeError] = []
    if not (is_text(doc.get("today")) and DATE_RE.match(doc["today"])):
        errors.append(
            OndeError(
                "'today' must be a date yyyy-mm-dd",
                file=path,
                line=line_of('"today"') or 1,
                hint=PLAN_HINT,
            )
        )
    errors += [
        OndeError(m, file=path, line=line_of(n) or 1, hint=PLAN_HINT) for n, m in document_problems(doc)
    ]
    widths = plan_widths(doc["state"])
    if isinstance(widths, str):
        errors.append(OndeError(widths, file=path, line=line_of('"widths"') or 1, hint=PLAN_HINT))
        widths = {}
    seen: set[str] = set()
    for index, item in enumerate(doc["items"]):
        problems = item_value_problems(item, widths)
        problems += item_problems(item)
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str):  # other ids are refused by item_value_problems (and may be unhashable)
            if ident in seen:
                problems.append("the same id appears twice")
            seen.add(ident)
        if not problems:
            continue
        line = None  # searched only for a faulty item: a search per item is quadratic on big plans
        if isinstance(ident, str):
            line = line_of(json.dumps(ident, ensure_ascii=False))
        for problem in problems:
            errors.append(
                OndeError(f"item {ident or index}: {problem}", file=path, line=line, hint=PLAN_HINT)
            )
    if not errors:  # the seal is checked on a plan that is otherwise sound: its own messages are clearer
        seal = seal_problems(doc, recheck, checked=plain)
        errors = [OndeError(m, file=path, line=line_of(n) or 1, hint=SEAL_HINT) for n, m in seal]
    if errors:
        raise OndeErrorGroup(errors) if len(errors) > 1 else errors[0]
