"""Review a plan from the command line: accept or reject items, answer « À décider » questions.

Each command changes ``plan.json`` (the ``accepted`` flags, or the ``answer`` recorded on a ``decide``
item), records the same answers in ``decisions.yaml`` beside it (the format of ``plan --decisions``,
docs/plan.md), renders the SQL, report and login sheet again, and returns the new summary. The next
``plan`` into the same directory replays ``decisions.yaml`` (engine/pipeline.py).

Everything is rendered in a private staging directory first: on any error nothing in the plan
directory changes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import OndeError, OndeErrorGroup
from engine.plan import ITEM_KINDS
from engine.plan.parents_build import PARENT_CREDENTIALS_FILE
from engine.plan.parents_rules import load_parent_answers
from engine.plan.planio import CREDENTIALS_FILE, DECISIONS_FILE, PLAN_FILE, load_decisions
from engine.plan.privatefiles import PRIVATE_FILE, _write_atomic, write_chunks_atomic
from engine.render import load_plan
from engine.render.summary import summary_text

ANSWERS = ("same", "different")
#: the kinds of items that are questions, answered with `decide`, never accepted (docs/parents.md)
QUESTIONS = ("decide", "parent_decide")


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """What a review command changed, for the terminal."""

    changed: tuple[str, ...]  # item ids whose flag or answer changed
    unchanged: tuple[str, ...]  # item ids that already had it
    summary: str
    plan_dir: Path


# --- selecting items -----------------------------------------------------------------------------------


def _class_refs(doc: Mapping[str, Any], wanted: str) -> tuple[set[str], set[str]]:
    """(refs, names) that ``wanted`` (a class ref or name, any case) stands for in this plan."""
    names = {str(k).upper(): str(v) for k, v in (doc.get("names") or {}).get("classes", {}).items()}
    key = wanted.strip()
    refs = {ref for ref, name in names.items() if ref == key.upper() or name.casefold() == key.casefold()}
    labels = {names[ref] for ref in refs} | {key}
    return refs, {label.casefold() for label in labels}


def _in_class(item: Mapping[str, Any], refs: set[str], labels: set[str]) -> bool:
    subject, target = item.get("subject") or {}, item.get("target") or {}
    if str(subject.get("classe") or "").casefold() in labels:
        return True
    candidates = [
        target.get("groupe_ref") if str(item.get("kind", "")).startswith("class_") else None,
        ((item.get("changes") or {}).get("eleve_classe_id") or {}).get("new"),
        subject.get("classe_ref"),
    ]
    return any(c and str(c).upper() in refs for c in candidates)


def select_items(
    doc: Mapping[str, Any],
    path: Path,
    ids: Sequence[str],
    kind: str | None = None,
    classe: str | None = None,
) -> list[dict[str, Any]]:
    """Items named by id, plus those of ``kind`` and/or in ``classe`` (both given: items with both).
    Refuses unknown ids, unknown kinds and filters that select nothing."""
    items = doc["items"]
    by_id = {i["id"]: i for i in items}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise OndeError(
            f"no item {', '.join(unknown)} in this plan",
            file=path,
            hint="`onde-sacoche show PLAN` lists the item ids",
        )
    if not ids and kind is None and classe is None:
        raise OndeError("no item named", hint="give item ids, --kind KIND or --class CLASS")
    chosen = [by_id[i] for i in dict.fromkeys(ids)]
    if kind is not None or classe is not None:
        if kind is not None and kind not in ITEM_KINDS:
            raise OndeError(f"unknown kind '{kind}'", hint=f"one of {', '.join(ITEM_KINDS)}")
        refs, labels = _class_refs(doc, classe) if classe is not None else (set(), set())
        matched = [
            i
            for i in items
            if (kind is None or i.get("kind") == kind)
            and (classe is None or _in_class(i, refs, labels))
            and (kind in QUESTIONS or i.get("kind") not in QUESTIONS)
        ]
        if not matched:
            what = " and ".join(
                part for part in (f"kind {kind}" if kind else "", f"class {classe}" if classe else "") if part
            )
            raise OndeError(
                f"no item of {what} in this plan",
                file=path,
                hint="`onde-sacoche show PLAN` lists the items; a class is named by its ref or its name",
            )
        chosen += [i for i in matched if i not in chosen]
    return chosen


# --- the decisions file in the plan directory -------------------------------------------------------


def read_answers(plan_dir: Path) -> dict[str, list[Any]]:
    """``decisions.yaml`` of ``plan_dir`` as lists (empty when absent); a broken one is refused."""
    path = Path(plan_dir) / DECISIONS_FILE
    answers: dict[str, list[Any]] = {
        "accept": [],
        "reject": [],
        "same": [],
        "different": [],
        "children": [],
        "parents": [],
    }
    if not path.is_file():
        return answers
    pairing, items = load_decisions(path)  # every mistake as file:line:column
    answers["accept"], answers["reject"] = sorted(items.accept), sorted(items.reject)
    answers["same"] = [{"pupil": pupil, "account": account} for pupil, account in pairing.same.items()]
    answers["different"] = [{"pupil": p, "account": a} for p, a in sorted(pairing.different)]
    parents = load_parent_answers(path)  # docs/parents.md: kept as they are when the file is rewritten
    answers["children"] = [{"parent": k, "child": c, "account": a} for (k, c), a in parents.children.items()]
    answers["parents"] = [{"parent": k, "account": a} for k, a in parents.parents.items()]
    return answers


DECISIONS_HEADER = (
    "# Answers given with `onde-sacoche accept / reject / decide` (format: docs/plan.md, « Decisions »).\n"
    "# The next `onde-sacoche plan` into this directory replays them. Confidential, like the whole\n"
    "# directory: it names pupils by INE or by name and birth date.\n"
)


def answers_yaml(answers: Mapping[str, list[Any]]) -> str:
    """The text of decisions.yaml, keys in a fixed order, empty keys left out."""
    keys = ("accept", "reject", "same", "different", "children", "parents")
    body = {key: answers[key] for key in keys if answers.get(key)}
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None) if body else ""
    return DECISIONS_HEADER + text


# --- the commands --------------------------------------------------------------------------------------


def set_accepted(
    plan_dir: Path,
    ids: Sequence[str],
    accepted: bool,
    *,
    kind: str | None = None,
    classe: str | None = None,
) -> ReviewResult:
    """``accept`` / ``reject``: set the flag of the selected items, record it, render again."""
    loaded = load_plan(plan_dir)
    doc = loaded.doc
    answers = read_answers(plan_dir)
    items = select_items(doc, loaded.path, ids, kind, classe)
    questions = [i["id"] for i in items if i.get("kind") in QUESTIONS]
    if questions:
        raise OndeError(
            f"{', '.join(questions)}: a question, not a change: it cannot be "
            f"{'accepted' if accepted else 'rejected'}",
            file=loaded.path,
            hint=f"answer it with `onde-sacoche decide {plan_dir} {questions[0]} same|different`",
        )
    changed = [i["id"] for i in items if bool(i.get("accepted")) != accepted]
    for item in items:
        item["accepted"] = accepted
    mine, other = ("accept", "reject") if accepted else ("reject", "accept")
    chosen = {i["id"] for i in items}
    answers[other] = [i for i in answers[other] if i not in chosen]
    answers[mine] = sorted(set(answers[mine]) | chosen)
    unchanged = tuple(i["id"] for i in items if i["id"] not in changed)
    return _commit(plan_dir, doc, answers, tuple(changed), unchanged)


def decide(plan_dir: Path, item_id: str, answer: str, account: int | None = None) -> ReviewResult:
    """``decide``: record the answer to a ``decide`` item (same pupil as an account, or a different one)."""
    loaded = load_plan(plan_dir)
    doc = loaded.doc
    if answer not in ANSWERS:
        raise OndeError(f"unknown answer '{answer}'", hint="answer same or different")
    (item,) = select_items(doc, loaded.path, [item_id])
    if item.get("kind") == "parent_decide":
        return _decide_parent(plan_dir, loaded.path, doc, item, answer, account)
    if item.get("kind") != "decide":
        raise OndeError(
            f"{item_id} is a {item.get('kind')} item, not a question",
            file=loaded.path,
            hint=f"accept or reject it: `onde-sacoche accept {plan_dir} {item_id}` (or reject)",
        )
    target = item.get("target") or {}
    pupil, candidates = str(target.get("pupil", "")), [int(a) for a in target.get("accounts") or []]
    if account is not None and account not in candidates:
        raise OndeError(
            f"account {account} is not a candidate of {item_id} "
            f"(candidates: {', '.join(map(str, candidates))})",
            file=loaded.path,
            hint="give one of the candidate accounts with --account",
        )
    if answer == "same" and account is None:
        if len(candidates) != 1:
            raise OndeError(
                f"{item_id} has {len(candidates)} candidate accounts: which one is this pupil?",
                hint=f"add --account N, one of {', '.join(map(str, candidates))}",
            )
        account = candidates[0]
    answers = read_answers(plan_dir)
    answers["same"] = [e for e in answers["same"] if e.get("pupil") != pupil]
    answers["different"] = [e for e in answers["different"] if e.get("pupil") != pupil]
    if answer == "same":
        record: dict[str, Any] = {"decision": "same", "account": account}
        answers["same"].append({"pupil": pupil, "account": account})
    else:
        accounts = [account] if account is not None else candidates
        record = {"decision": "different", "accounts": accounts}
        answers["different"] += [{"pupil": pupil, "account": a} for a in accounts]
    changed = (item_id,) if item.get("answer") != record else ()
    item["answer"] = record
    return _commit(plan_dir, doc, answers, changed, () if changed else (item_id,))


def _decide_parent(
    plan_dir: Path, path: Path, doc: dict[str, Any], item: dict[str, Any], answer: str, account: int | None
) -> ReviewResult:
    """``decide`` on a ``parent_decide`` (docs/parents.md): ``same`` — this child is that pupil, or this
    parent that account (``--account`` when there are several candidates); ``different`` — a child not
    ours (left out), or a new parent account. Recorded in decisions.yaml under children / parents."""
    item_id, target = item["id"], item.get("target") or {}
    candidates = list(target.get("candidates") or [])
    if account is not None and account not in candidates:
        raise OndeError(
            f"account {account} is not a candidate of {item_id} "
            f"(candidates: {', '.join(map(str, candidates)) or 'none'})",
            file=path,
            hint="give one of the candidate accounts with --account",
        )
    chosen: int | str | None = None
    if answer == "same":
        if account is None and len(candidates) != 1:
            raise OndeError(
                f"{item_id} has {len(candidates)} candidates: which one is it?",
                hint=f"add --account N, one of {', '.join(map(str, candidates))}"
                if candidates
                else "there is no candidate: answer `different`, or correct the file in ONDE",
            )
        chosen = account if account is not None else candidates[0]
    answers = read_answers(plan_dir)
    key = str(target.get("parent_key", ""))
    if target.get("question") == "child":
        child = str(target.get("child_ident") or target.get("child", ""))
        kept = [e for e in answers["children"] if (e.get("parent"), e.get("child")) != (key, child)]
        answers["children"] = [*kept, {"parent": key, "child": child, "account": chosen}]
    else:
        answers["parents"] = [e for e in answers["parents"] if e.get("parent") != key]
        answers["parents"].append({"parent": key, "account": chosen})
    record = {"decision": answer, "account": chosen}
    changed = (item_id,) if item.get("answer") != record else ()
    item["answer"] = record
    return _commit(plan_dir, doc, answers, changed, () if changed else (item_id,))


def _commit(
    plan_dir: Path,
    doc: dict[str, Any],
    answers: Mapping[str, list[Any]],
    changed: tuple[str, ...],
    unchanged: tuple[str, ...],
) -> ReviewResult:
    """Write plan.json and decisions.yaml, render everything, in staging; then publish the lot."""
    from engine.pipeline import publish, render_outputs

    plan_dir = Path(plan_dir)
    staging = Path(tempfile.mkdtemp(prefix="onde-sacoche-review-"))
    try:
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        write_chunks_atomic(staging / PLAN_FILE, [text])
        for name in (CREDENTIALS_FILE, PARENT_CREDENTIALS_FILE):  # the only copies of the passwords
            if (plan_dir / name).is_file():
                shutil.copy2(plan_dir / name, staging / name)
        _write_atomic(staging / DECISIONS_FILE, answers_yaml(answers).encode("utf-8"), PRIVATE_FILE)
        load_decisions(staging / DECISIONS_FILE)  # what we wrote must read back
        try:
            render_outputs(staging)
        except OndeError as exc:
            raise _as_refusal(exc, staging, plan_dir) from None
        publish(staging, plan_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReviewResult(changed, unchanged, summary_text(doc), plan_dir)


def _as_refusal(error: OndeError, staging: Path, plan_dir: Path) -> OndeError:
    """A render error of the changed plan, as a refusal naming the plan directory's files (not the
    staging copy, whose line numbers are those of a plan.json that was never written)."""
    errors = error.errors if isinstance(error, OndeErrorGroup) else [error]
    for one in errors:
        if one.file and one.file.startswith(str(staging)):
            one.file = str(plan_dir / Path(one.file).relative_to(staging))
            one.line = one.column = None
        one.message = f"refused, nothing changed: {one.message}"
        one.hint = "accept or reject the items named together (several ids in one command), or not at all"
    return error


def describe(result: ReviewResult, verb: str) -> Iterable[str]:
    """Terminal lines for a review command."""
    if result.changed:
        yield f"{verb}: {', '.join(result.changed)}"
    if result.unchanged:
        yield f"already so: {', '.join(result.unchanged)}"
    yield f"{result.plan_dir}: rendered again; {result.summary}"
