"""Render the SQL a DBA runs — ``apply.sql``, ``revert.sql``, ``verify.sql`` — from ``plan.json`` alone.

Two dialects: ``mysql`` (MySQL / MariaDB, the real target: MyISAM, utf8, no transactions) and ``sqlite``
(embedded demo). Templates live in ``engine/render/templates/sql/<dialect>/``; this module holds their
Jinja environment and streams the scripts. The plan is loaded and validated by
:mod:`~engine.render.loading`, its accepted items become the views of :mod:`~engine.render.model`, whose
guards and checks :mod:`~engine.render.guards` makes and :mod:`~engine.render.sqlphrases` spells.

Safety rules the scripts follow (see docs in each script header):

* Every guard runs **before the first write** (MyISAM cannot roll back). A guard that fails stops the
  script with a message naming the guard and the item; nothing has been written.
* Every write also carries its own optimistic condition (``WHERE user_id = … AND <old values still
  there>``), so a write can never land on a row the plan did not see.
* ALL SQL literals go through one filter per dialect (:mod:`~engine.render.literals`);
  identifiers never come from plan.json (columns are whitelisted in :mod:`~engine.render.columns`).
* ``DELETE FROM sacoche_user`` never appears in apply.sql; only revert.sql rendered with
  ``revert_deletes_created`` deletes the accounts this plan created.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from itertools import islice
from pathlib import Path
from types import BuiltinMethodType, MethodType, SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.runtime import Context

from engine.errors import OndeError
from engine.plan import ITEM_KINDS
from engine.read import paused_gc
from engine.readset_sql import read_guards, touched_sql
from engine.render.columns import DIALECTS, SCRIPTS, SQL_DIR
from engine.render.guards import (
    apply_guards,
    revert_guards,
    shared_apply_guards,
    shared_old_states,
    verify_checks,
)
from engine.render.literals import BIG_LITERALS, LITERALS, memoized, sql_comment
from engine.render.loading import LoadedPlan, load_plan
from engine.render.model import SqlModel
from engine.render.sets_data import DataBlock, PupilSets
from engine.render.sqlphrases import PHRASES, Phrases
from engine.state import ACTIVE

TEMPLATES = Path(__file__).parent / "templates" / "sql"


# --- rendering --------------------------------------------------------------------------------------------


#: the classes whose methods the templates call (``q.…()``, ``m.expected_rows()``, ``b.statements()``)
_CALLED = (Phrases, SqlModel, PupilSets, DataBlock)


class _PhrasesContext(Context):
    """Jinja's context, calling the methods of the phrases, the model and its data blocks and built-in
    methods straight away. Jinja asks every callable first whether it wants the context passed (two
    failing attribute lookups per call: a tenth of a small plan's rendering); none ever does."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # Jinja's names (kwargs may hold self)
        kind = type(__obj)
        if kind is BuiltinMethodType or (kind is MethodType and isinstance(__obj.__self__, _CALLED)):
            kwargs.pop("_block_vars", None)  # what Jinja adds for the callables that take a context
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


@cache
def _environment(dialect: str) -> Environment:
    """One Jinja environment per dialect and process; compiled templates are kept in the user's cache
    (:mod:`engine.cache`) so that a run does not compile them again."""
    from engine.templatecache import template_cache

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / dialect)),
        autoescape=False,  # SQL: every literal goes through the `sql` filter instead
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are part of the package: no stat of each file per script
        bytecode_cache=template_cache(),
    )
    env.context_class = _PhrasesContext
    env.filters["sql"] = LITERALS[dialect]
    env.filters["sqltext"] = BIG_LITERALS[dialect]
    env.filters["comment"] = sql_comment
    return env


def _header(loaded: LoadedPlan, model: SqlModel, dialect: str) -> SimpleNamespace:
    """What a script's header says (the same for every script of a model but the dialect), by attribute:
    the templates read ``h.today``, which Jinja looks up as an attribute first (on a dict, a failed
    lookup and its exception each time)."""
    return SimpleNamespace(**model.shared("header", lambda _: _plan_header(loaded, model)), dialect=dialect)


def _plan_header(loaded: LoadedPlan, model: SqlModel) -> dict[str, Any]:
    doc = loaded.doc
    counts = {kind: len(accepted) for kind, accepted in model.by_kind.items()}  # the accepted, by kind
    state = doc.get("state") or {}
    fingerprint = state.get("fingerprint") or {}
    return {
        "plan_sha256": loaded.sha256,
        "tool": doc.get("tool", ""),
        "generated_at": doc.get("generated_at", ""),
        "today": model.today,
        "source": doc.get("source") or {},
        "db_url": _redact(str(state.get("url", ""))),
        "db_dialect": state.get("dialect", ""),
        "fingerprint": [
            (table, info.get("rows"), info.get("sha256"))
            for table, info in sorted(fingerprint.items())
            if isinstance(info, dict)
        ],
        "rules": doc.get("rules") or {},
        "counts": [(k, counts[k]) for k in ITEM_KINDS if counts.get(k)],
        "accepted": len(model.accepted),
        "skipped": len(model.skipped),
        "skipped_ids": [i["id"] for i in model.skipped],
        "decide": len(model.decide),
        "held": bool(doc.get("held")),
        "deletes_created": model.deletes_created,
    }


def _redact(url: str) -> str:
    return _URL_PASSWORD.sub(r"\1***@", url)


#: pieces joined into one block: a SQLite section's piece holds up to CHUNK items
#: (engine.render.sqlphrases), so that a block stays a few MiB
BLOCK_PIECES = 256


def _blocks(chunks: Iterable[str]) -> Iterator[str]:
    """Jinja yields a piece per expression: join them ``BLOCK_PIECES`` at a time (``islice`` and ``join``
    consume the generator in C, with no Python step per piece)."""
    pieces = iter(chunks)
    while batch := list(islice(pieces, BLOCK_PIECES)):
        yield "".join(batch)


_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


_ACCOUNT_DELETES = ("DELETE FROM sacoche_user ", "DELETE FROM sacoche_user\n", "DELETE u ")
_LONGEST_DELETE = max(len(needle) for needle in _ACCOUNT_DELETES)


def _refusing_account_deletes(chunks: Iterable[str]) -> Iterator[str]:
    """Passes apply.sql's chunks through, failing if it would ever delete from sacoche_user."""
    tail = ""  # the end of what came so far: a needle may begin there and end in the next chunk
    for chunk in chunks:
        edge = tail + chunk[: _LONGEST_DELETE - 1]
        if any(needle in chunk or needle in edge for needle in _ACCOUNT_DELETES):
            raise AssertionError("apply.sql must never delete accounts")  # pragma: no cover
        tail = (tail + chunk)[-_LONGEST_DELETE:] if len(chunk) < _LONGEST_DELETE else chunk[-_LONGEST_DELETE:]
        yield chunk


def _model(loaded: LoadedPlan, revert_deletes_created: bool) -> SqlModel:
    try:
        return SqlModel(loaded.doc, revert_deletes_created=revert_deletes_created)
    except OndeError as exc:
        exc.file = exc.file or str(loaded.path)
        named = re.search(r"[a-z_]+-[0-9a-f]{10}", exc.message)
        if exc.line is None and named:
            exc.line = loaded.line_of(json.dumps(named.group(0)))
        raise


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise OndeError(f"unknown SQL dialect {dialect!r}", hint=f"use one of: {', '.join(DIALECTS)}")


#: a model of more accepted items than this renders its scripts without the memos the three share (every
#: literal spelled, every new account's and change's facts): at 1,000,000 pupils they took the plan's
#: peak from 1.4 to 3.1 GiB; below, they make a small school's scripts about a third cheaper
REMEMBERED_ITEMS = 20_000


def _phrases(model: SqlModel, dialect: str) -> Phrases:
    """The dialect's phrases for a model's scripts (one for all: their literals are remembered, unless the
    model is larger than :data:`REMEMBERED_ITEMS`)."""
    small = len(model.accepted) <= REMEMBERED_ITEMS
    literal = memoized(LITERALS[dialect]) if small else LITERALS[dialect]
    phrases = PHRASES[dialect](literal, deletes_created=model.deletes_created, big=BIG_LITERALS[dialect])
    if not small:
        phrases.forget_items()
    return phrases


def script_chunks(loaded: LoadedPlan, model: SqlModel, dialect: str, name: str) -> Iterator[str]:
    """The text of one script, piece by piece (a million-pupil script is hundreds of MiB)."""
    _check_dialect(dialect)
    context: dict[str, Any] = {
        "h": _header(loaded, model, dialect),
        "m": model,
        "q": model.shared(f"phrases/{dialect}", lambda m: _phrases(m, dialect)),
        "script": name,
        "ACTIVE": ACTIVE,
    }
    top, bottom = _header_frame(dialect, name)
    context["header"] = top + model.shared("plan_lines", lambda _: _plan_lines(context["h"])) + bottom
    context["read_guards"] = []
    if name == "apply":
        context["read_guards"] = read_guards(loaded.doc, LITERALS[dialect]) if dialect == "mysql" else []
        if context["read_guards"]:
            # every item: a decide item touches nothing (engine.readset.touched)
            context["touched"] = touched_sql(loaded.doc["items"], LITERALS[dialect])
        if dialect == "mysql":
            context["guards"] = apply_guards(model, new_states=True, sets=True)
        else:  # the same guards as verify's and revert's old states: made once
            context["guards"] = shared_apply_guards(model)
    elif name == "revert":
        context["guards"] = revert_guards(model, sets=dialect == "mysql")
    else:
        context["checks"] = verify_checks(model, sets=dialect == "mysql")
        context["old_states"] = shared_old_states(model, sets=dialect == "mysql")
    template = _environment(dialect).get_template(f"{name}.sql.j2")
    chunks = _generate(template, context)  # the templates make no run of blank lines (no pass to squeeze)
    return _refusing_account_deletes(chunks) if name == "apply" else chunks


_PLAN_LINES = "\x00plan lines\x00"


@cache
def _header_frame(dialect: str, script: str) -> tuple[str, str]:
    """A script's header (header.sql.j2) before and after its plan's lines: the same for every plan, so
    rendered once per process and script (a batch renders thousands of plans)."""
    text = _environment(dialect).get_template("header.sql.j2").render(script=script, plan_lines=_PLAN_LINES)
    top, bottom = text.split(_PLAN_LINES)
    return top, bottom


_HELD = "-- HELD PLAN: a guard of the plan fired; apply.sql stops at its first guard. Re-plan with --allow."


def _plan_lines(h: SimpleNamespace) -> str:
    """What every script's header says of its plan, the same lines in each (both dialects' header.sql.j2
    print them): made once per model, in Python (a template of its own cost a render per model)."""
    c, source, rules = sql_comment, h.source, h.rules
    lines = [
        f"-- plan.json sha256 {h.plan_sha256}",
        f"-- tool:            {c(h.tool)}",
        f"-- plan generated:  {c(h.generated_at)}",
        f"-- date of leavers: {c(h.today)}",
        f"-- source file:     {c(source.get('file', ''))} ({c(source.get('format', ''))}, "
        f"{c(source.get('pupils', ''))} pupils)",
        f"-- source sha256:   {c(source.get('sha256', ''))}",
        f"-- database:        {c(h.db_url)} ({c(h.db_dialect)})",
    ]
    lines += [f"--   fingerprint    {c(t)}: {c(n)} rows, sha256 {c(sha)}" for t, n, sha in h.fingerprint]
    lines.append(f"-- rules:           {c(rules.get('name', ''))} {c(rules.get('version', ''))}")
    counts = ", ".join(f"{kind} {n}" for kind, n in h.counts)
    lines.append(f"-- items accepted:  {h.accepted}" + (f" ({counts})" if counts else ""))
    decide = f"; decide: {h.decide} (never applied)" if h.decide else ""
    lines.append(f"-- not accepted:    {h.skipped} (left out){decide}")
    if h.held:
        lines.append(_HELD)
    return "\n".join(lines) + "\n"


def _generate(template: Template, context: dict[str, Any]) -> Iterator[str]:
    """``template.generate(context)`` in :func:`_blocks`, then the cycle it leaves broken: the template's
    macros keep its context (so the model and its hundreds of thousands of views) alive until the cyclic
    collector runs, which a plan keeps paused (:func:`engine.pipeline.make_plan`); cleared, they are
    freed at once. (The blocks are joined under this frame: no Python step of it per piece.)"""
    ctx = template.new_context(context)
    try:
        yield from _blocks(template.root_render_func(ctx))
    except Exception:
        yield template.environment.handle_exception()
    finally:
        ctx.vars.clear()
        ctx.exported_vars.clear()


def render_scripts(
    loaded: LoadedPlan, dialect: str, *, revert_deletes_created: bool = False
) -> dict[str, str]:
    """The three scripts for one dialect, as text (nothing written); for small plans and tests."""
    model = _model(loaded, revert_deletes_created)
    scripts = {}
    for name in SCRIPTS:
        try:
            scripts[name] = "".join(script_chunks(loaded, model, dialect, name))
        except (ValueError, TypeError) as exc:
            raise OndeError(f"cannot render {dialect}/{name}.sql: {exc}", file=loaded.path) from exc
    model.release()
    return scripts


def plan_dialects(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """The dialects a plan's scripts are rendered in by default: MySQL (the real SACoche) always, SQLite
    too when the plan was made against a SQLite database (the demo)."""
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    return DIALECTS if state.get("dialect") == "sqlite" else ("mysql",)


def sql_path(plan_dir: Path, dialect: str, script: str) -> Path:
    """Where a rendered script lives: ``PLAN_DIR/sql/<dialect>/<script>.sql``."""
    return Path(plan_dir) / SQL_DIR / dialect / f"{script}.sql"


def render_sql(
    plan_dir: Path,
    dialects: Iterable[str] = DIALECTS,
    *,
    revert_deletes_created: bool = False,
    loaded: LoadedPlan | None = None,
) -> list[Path]:
    """Render apply/revert/verify.sql for each dialect from ``plan_dir/plan.json`` into ``plan_dir/sql/``.

    Scripts are streamed to temporary files beside their final names and renamed only once every script
    rendered: on any error no script is written or replaced. ``loaded`` spares reading plan.json again.
    """
    loaded = loaded or load_plan(Path(plan_dir))
    dialects = list(dialects)
    for dialect in dialects:
        _check_dialect(dialect)  # before any directory is made
    # Rendering makes hundreds of thousands of views, checks and rows, and each collection they set off
    # would walk the loaded plan's items again (a third of a large render): paused meanwhile. The model's
    # cycles are broken when it is done (SqlModel.release, _generate): reference counting frees it.
    with paused_gc():
        return _render_sql(loaded, plan_dir, dialects, revert_deletes_created)


def _render_sql(
    loaded: LoadedPlan, plan_dir: Path, dialects: list[str], revert_deletes_created: bool
) -> list[Path]:
    from engine.plan.privatefiles import write_chunks_atomic

    model = _model(loaded, revert_deletes_created)
    staged: list[tuple[Path, Path]] = []
    try:
        for dialect in dialects:
            sql_path(plan_dir, dialect, SCRIPTS[0]).parent.mkdir(parents=True, exist_ok=True)
            for name in SCRIPTS:
                path = sql_path(plan_dir, dialect, name)
                try:
                    temporary = write_chunks_atomic(
                        path, script_chunks(loaded, model, dialect, name), rename=False
                    )
                except (ValueError, TypeError) as exc:
                    raise OndeError(f"cannot render {dialect}/{name}.sql: {exc}", file=loaded.path) from exc
                staged.append((temporary, path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    finally:
        model.release()
    for temporary, path in staged:
        os.replace(temporary, path)
    return [path for _, path in staged]


def rendered_plan_sha(script: Path) -> str | None:
    """The plan.json SHA-256 a rendered script was made from (from its header), or None."""
    try:
        with script.open(encoding="utf-8") as handle:
            for _, line in zip(range(40), handle, strict=False):
                found = re.match(r"^-- plan\.json sha256 ([0-9a-f]{64})", line)
                if found:
                    return found.group(1)
    except OSError:
        return None
    return None
