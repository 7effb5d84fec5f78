"""The plan directory's I/O: read a decisions file, write plan.json and the new pupils' credentials.

``plan.json`` is the seam between planning and rendering: it holds everything a renderer needs, never a
plaintext password. The passwords of new pupils go to ``identifiants.csv`` only. The whole plan directory
is confidential (minors' names, birth dates, INE, password hashes): it is made 0700 and every file in it
0600, whatever the umask (see docs/security.md). Files are written to a temporary name and renamed, so a
failure never leaves half a plan (engine.plan.privatefiles).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.dburl import public_url
from engine.errors import OndeError, OndeErrorGroup
from engine.match import Decisions as MatchDecisions
from engine.plan.items import Decisions as ItemDecisions
from engine.plan.items import Plan
from engine.plan.planjson import plan_json_chunks
from engine.plan.previous import read_previous
from engine.plan.privatefiles import _write_atomic, _write_bytes_atomic, private_dir
from engine.read import paused_gc

PLAN_FILE = "plan.json"
CREDENTIALS_FILE = "identifiants.csv"
#: answers given with accept / reject / decide, replayed by the next `plan` into the same directory
DECISIONS_FILE = "decisions.yaml"
FORMAT_VERSION = 1


def load_decisions(path: Path) -> tuple[MatchDecisions, ItemDecisions]:
    """Parse a decisions YAML file::

    accept: [item-id, …]          # items to apply even if unchecked by default
    reject: [item-id, …]          # items not to apply
    same:                         # this row IS this account
      - {pupil: "ine:203451870GH", account: 12}
    different:                    # this row is NOT this account (a new pupil)
      - {pupil: "id:TISSERAND|Énzo|2015-08-22", account: 40}
    """
    from engine.yamlpos import load_located  # a plan without decisions reads no YAML (engine.rules)

    doc = load_located(path)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None:
        raise doc.error((), "a decisions file is a mapping with keys accept, reject, same, different")
    errors = []
    for key in data:
        if key not in {
            "accept",
            "reject",
            "same",
            "different",
            "children",
            "parents",
        }:  # parents: docs/parents.md
            errors.append(
                doc.error((key,), f"unknown key '{key}'", hint="use accept, reject, same or different")
            )
    ids: dict[str, frozenset[str]] = {}
    for key in ("accept", "reject"):
        values = data.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(doc.error((key,), f"'{key}' must be a list of item ids"))
            values = []
        ids[key] = frozenset(values)
    pairs: dict[str, list[tuple[str, int]]] = {}
    for key in ("same", "different"):
        pairs[key] = []
        for index, entry in enumerate(data.get(key) or []):
            if (
                not isinstance(entry, dict)
                or set(entry) != {"pupil", "account"}
                or not isinstance(entry["pupil"], str)
                or not isinstance(entry["account"], int)
            ):
                errors.append(
                    doc.error((key, index), f"each '{key}' entry is {{pupil: KEY, account: USER_ID}}")
                )
                continue
            pairs[key].append((entry["pupil"], entry["account"]))
    both = ids["accept"] & ids["reject"]
    if both:
        errors.append(
            doc.error(("reject",), f"item(s) both accepted and rejected: {', '.join(sorted(both))}")
        )
    if errors:
        raise OndeErrorGroup(errors)
    return (
        MatchDecisions(same=dict(pairs["same"]), different=frozenset(pairs["different"])),
        ItemDecisions(accept=ids["accept"], reject=ids["reject"]),
    )


def stale_item_decisions(plan: Plan, decisions: ItemDecisions) -> list[str]:
    """Accept/reject answers naming items this plan does not have (the situation changed)."""
    present = {item.id for item in plan.items}
    return [
        f"{verb}: {item_id} (no such item in this plan)"
        for verb, ids in (("accept", decisions.accept), ("reject", decisions.reject))
        for item_id in sorted(ids)
        if item_id not in present
    ]


def check_destination(out: Path, state_url: str, force: bool) -> None:
    """Refuse to overwrite a plan computed from another database, unless forced."""
    existing = out / PLAN_FILE
    if not existing.is_file() or force:
        return
    try:
        previous_url = read_previous(existing).url
    except (OSError, ValueError):
        raise OndeError(
            "a damaged plan.json is in the way",
            file=existing,
            hint="remove it, choose another --out, or use --force",
        ) from None
    if not isinstance(previous_url, str) or public_url(previous_url) != state_url:
        shown = public_url(previous_url) if isinstance(previous_url, str) else "unknown"
        raise OndeError(
            f"this directory holds a plan of another database ({shown})",
            file=existing,
            hint="choose another --out, or use --force to replace it",
        )


def credentials_rows(plan: Plan) -> list[dict[str, str]]:
    """One row per accepted new pupil: class, nom, prénom, login, password (plaintext)."""
    rows = []
    for item in plan.items:
        if item.kind != "create" or not item.accepted or item.id not in plan.passwords:
            continue
        rows.append(
            {
                "classe": item.subject.get("classe", ""),
                "nom": item.subject["nom"],
                "prenom": item.subject["prenom"],
                "login": item.target["login"],
                "mot_de_passe": plan.passwords[item.id],
                "item": item.id,
            }
        )
    return sorted(rows, key=lambda r: (r["classe"], r["nom"], r["prenom"]))


#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character (or a leading quote, so that
    the change can be undone exactly) gets a single quote in front."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def restore_cell(text: str) -> str:
    """The value :func:`neutralise_cell` was given."""
    return text[1:] if text.startswith("'") else text


def credentials_csv(rows: list[dict[str, str]]) -> bytes:
    """identifiants.csv: UTF-8 with BOM, ``;``, CRLF, every cell neutralised for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: neutralise_cell(str(value)) for key, value in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def read_credentials(out_dir: Path) -> list[dict[str, str]]:
    """Rows of ``out_dir/identifiants.csv`` as they were before neutralisation, or ``[]`` when the file
    is absent or unreadable (it is only ever a copy of what the plan made)."""
    path = Path(out_dir) / CREDENTIALS_FILE
    if not path.is_file():
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {key: restore_cell(value or "") for key, value in row.items() if isinstance(key, str)}
                for row in csv.DictReader(handle, delimiter=";")
            ]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


@dataclass(frozen=True, slots=True)
class WrittenPlan:
    """plan.json as just written: its path, what json.loads reads back of it, the sha256 of its bytes."""

    path: Path
    doc: dict[str, Any]
    sha256: str
    #: indexes of the items that are not plain JSON (read back from their bytes: their seals are checked)
    reread: tuple[int, ...]
    #: every value of ``doc`` is plain JSON (engine.plan.seal.plain_values: no float, no tuple, …)
    plain: bool = False


def write_plan(out: Path, plan: Plan, meta: Mapping[str, Any]) -> WrittenPlan:
    """Write plan.json (and identifiants.csv when there are new pupils) into ``out`` (made 0700)."""
    private_dir(out)
    body = {"format_version": FORMAT_VERSION, **meta, **plan.to_dict(items=False)}
    doc: dict[str, Any] = {}
    reread: list[int] = []
    plain: set[str] = set()
    with paused_gc():  # the items' dicts kept for rendering are acyclic: no collection need walk them
        chunks = plan_json_chunks(body, plan.items, doc, reread, plain)
        sha256 = _write_bytes_atomic(out / PLAN_FILE, chunks)
    rows = credentials_rows(plan)
    credentials = out / CREDENTIALS_FILE
    if rows:
        _write_atomic(credentials, credentials_csv(rows))
    else:
        credentials.unlink(missing_ok=True)
    # the items are plain but those read back; the header's values, those orjson wrote
    everything_plain = not reread and len(plain) == len(body) - ("items" in body)
    return WrittenPlan(out / PLAN_FILE, doc, sha256, tuple(reread), everything_plain)
