"""The db map of ``onde-sacoche batch`` (engine.batch): which export is planned against which database.

:func:`read_db_map` reads a YAML or CSV map (the forms are described in engine.batch) into one
:class:`SchoolJob` per school, every problem at ``file:line:column``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from engine.dburl import parse_url
from engine.errors import OndeError, OndeErrorGroup


@dataclass(frozen=True, slots=True)
class SchoolJob:
    """One school of the map: its export, its database URL and its plan directory."""

    name: str  # the plan directory under --out, as written in the map (or the export's stem)
    export: Path
    db: str
    out: Path
    source: str  # where the map says so: "db-map.yaml:12"


def _sqlite_relative_to(url: str, base: Path) -> str:
    """``sqlite:///relative.db`` read relative to ``base`` (the map's folder); other URLs unchanged."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:////"):
        return url
    rest = url[len("sqlite:///") :]
    return f"sqlite:///{(base / rest).resolve()}" if rest else url


def _check_out_name(name: str) -> str | None:
    """Why ``name`` is not a usable plan directory name under --out, or None."""
    if not name.strip():
        return "'out' is empty"
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or name.startswith("~"):
        return f"'out' must be a folder name under --out, not {name!r}"
    return None


#: one key of a school in the list form, written the plain way (``  - export: "a.csv"`` or
#: ``    db: sqlite:///a.db``): a double-quoted value without escapes, a single-quoted one without '', or a
#: plain one whose first character no YAML resolver reads as anything but a string (not a digit, sign,
#: dot, ``~``, ``=``, ``<``, nor the first letter of a boolean or null)
_SIMPLE_KEY = re.compile(
    r"(?P<indent> *)(?P<dash>- )?(?P<key>export|db|out): "
    r"(?:\"(?P<double>[^\"\\]*)\"|'(?P<single>[^']*)'"
    r"|(?P<plain>[a-eg-mp-su-xzA-EG-MP-SU-XZ_/][A-Za-z0-9_./:@?=&%+~-]*))"
    r" *(?: #.*)?"
)
_SIMPLE_SKIP = re.compile(r" *(?:#.*)?")  # a blank or comment line
_SIMPLE_HEAD = re.compile(r"schools: *(?: #.*)?")
#: what a simple map may hold: printable characters YAML reads the same everywhere (no tab, no BOM, none
#: of the line breaks other than \n)
_SIMPLE_CHARS = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")


def _entries_from_simple_yaml(text: str) -> list[tuple[dict[str, Any], tuple[int, int]]] | None:
    """The schools of a map in the list form written the plain way, one key a line (as scripts write
    it), read without a YAML parser: what PyYAML gives for it, item positions included. None for any
    other text, which the YAML parser reads (and reports about)."""
    if not _SIMPLE_CHARS.fullmatch(text):
        return None
    lines = text.split("\n")
    head = 0
    while head < len(lines) and _SIMPLE_SKIP.fullmatch(lines[head]):
        head += 1
    if head == len(lines) or not _SIMPLE_HEAD.fullmatch(lines[head]):
        return None
    entries: list[tuple[dict[str, Any], tuple[int, int]]] = []
    indent: int | None = None
    for number, line in enumerate(lines[head + 1 :], start=head + 2):
        if _SIMPLE_SKIP.fullmatch(line):
            continue
        found = _SIMPLE_KEY.fullmatch(line)
        if found is None:
            return None
        width = len(found["indent"])
        value = found["double"] if found["double"] is not None else found["single"]
        if value is None:
            value = found["plain"]
            if value.endswith(":"):
                return None
        if found["dash"]:
            indent = indent if indent is not None else width
            if width != indent:
                return None
            entries.append(({}, (number, width + 3)))
        elif indent is None or width != indent + 2:
            return None
        entry = entries[-1][0]
        if found["key"] in entry:
            return None  # written twice: the parser says where
        entry[found["key"]] = value
    return entries or None


def _entries_from_yaml(path: Path) -> list[tuple[dict[str, Any], tuple[int, int]]]:
    from engine.yamlpos import load_located

    doc = load_located(path)
    data = doc.data
    entries: list[tuple[dict[str, Any], tuple[int, int]]] = []
    if isinstance(data, dict) and set(data) == {"schools"}:
        schools = data["schools"]
        if not isinstance(schools, list):
            raise doc.error(("schools",), "'schools' must be a list of {export, db, out}")
        for index, entry in enumerate(schools):
            if not isinstance(entry, dict):
                raise doc.error(("schools", index), "each school is a mapping {export, db, out}")
            entries.append((entry, doc.where(("schools", index))))
        return entries
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                value = {"db": value}
            if not isinstance(value, dict):
                raise doc.error((key,), f"'{key}': give its database URL, or a mapping {{db, out}}")
            entries.append(({"export": key, **value}, doc.where((key,))))
        return entries
    raise doc.error((), "a db map is a mapping: 'schools: [{export, db, out}, …]' or 'EXPORT: {db, out}'")


def _entries_from_csv(path: Path) -> list[tuple[dict[str, Any], tuple[int, int]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OndeError(f"cannot read the db map ({exc})", file=path) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "export" not in header or "db" not in header:
            raise OndeError(
                "a CSV db map needs a header line with the columns export and db (and optionally out)",
                file=path,
                line=1,
            )
        entries = []
        start = 2
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
            if not row.get("out"):
                row.pop("out", None)
            entries.append((row, (line, 1)))
    except csv.Error as exc:  # a field over the csv module's limit (an unclosed quote, usually)
        raise OndeError(
            f"this CSV line cannot be read ({exc})",
            file=path,
            line=reader.line_num or 1,
            hint="look for an unclosed double quote on or above that line",
        ) from None
    return entries


def read_db_map(path: Path, directory: Path) -> list[SchoolJob]:
    """The schools of a YAML or CSV db map, checked; :class:`OndeError` (file:line:column) when wrong."""
    if path.suffix.lower() == ".csv":
        return _jobs(path, directory, _entries_from_csv(path))
    try:
        simple = _entries_from_simple_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        simple = None  # the YAML reader says why
    if simple is not None:
        with contextlib.suppress(OndeError):  # told again below, from what the YAML parser read
            return _jobs(path, directory, simple)
    return _jobs(path, directory, _entries_from_yaml(path))


def _jobs(
    path: Path, directory: Path, entries: list[tuple[dict[str, Any], tuple[int, int]]]
) -> list[SchoolJob]:
    """The map's entries checked, as jobs; :class:`OndeError` (file:line:column) when wrong."""
    errors: list[OndeError] = []
    jobs: list[SchoolJob] = []
    seen: dict[str, int] = {}

    def problem(where: tuple[int, int], message: str, hint: str | None = None) -> None:
        errors.append(OndeError(message, file=path, line=where[0], column=where[1], hint=hint))

    for entry, where in entries:
        unknown = sorted(set(entry) - {"export", "db", "out"})
        if unknown:
            problem(where, f"unknown key(s) {', '.join(map(repr, unknown))}", hint="use export, db and out")
            continue
        export, db, out = entry.get("export"), entry.get("db"), entry.get("out")
        if not isinstance(export, str) or not export.strip():
            problem(where, "'export' (the export file, relative to DIR) is missing")
            continue
        if not isinstance(db, str) or not db.strip():
            problem(where, f"'{export}': 'db' (the SACoche database URL) is missing")
            continue
        try:
            parse_url(db)  # its message never shows a password
        except OndeError as exc:
            problem(where, f"'{export}': {exc.message} ({exc.file})", hint=exc.hint)
            continue
        name = str(out) if out is not None else Path(export).stem
        why = _check_out_name(name)
        if why:
            problem(where, f"'{export}': {why}")
            continue
        if name in seen:
            problem(where, f"'out' {name!r} is used twice (first on line {seen[name]}): plans would mix")
            continue
        seen[name] = where[0]
        jobs.append(
            SchoolJob(
                name=name,
                export=directory / export,
                db=_sqlite_relative_to(db.strip(), path.parent),
                out=Path(name),
                source=f"{path}:{where[0]}",
            )
        )
    if errors:
        raise OndeErrorGroup(errors) if len(errors) > 1 else errors[0]
    if not jobs:
        raise OndeError("the db map lists no school", file=path, hint="add one entry per export")
    return jobs
