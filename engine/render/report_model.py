"""The report's view of the plan: everything ``rapport.html`` and ``resume.md`` show, computed once.

:func:`build_view` is the entry: the summary lines, the guards that hold, the questions, the structure
page, then one section per class (in school order) with its tables of rows already sorted, so that the
templates only loop. Pure: the plan in, a dict out (``credentials`` only for their item ids).

Optional: when ``summary.by_class`` maps a class name to ``{"pupils_in_file": n, "unchanged": n}``, each
class section says how many of its pupils are in the file and unchanged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from engine.connection import redact_url
from engine.plan.parents_rules import PARENT_KINDS
from engine.render.french import (
    NO_CLASS,
    class_sort_key,
    database_fr,
    date_fr,
    join_fr,
    long_date_fr,
    plural,
    rules_fr,
)
from engine.render.french import pupils_fr as _pupils
from engine.render.letters import LETTERS_FILE, family_letters, missing_letters
from engine.render.report_fr import (
    GUARD_TITLES,
    blocked_headline_fr,
    guard_message_fr,
    hold_blocks,
    stale_fr,
    warning_fr,
)
from engine.render.report_rows import Names, decision_row, structure_row
from engine.render.report_tables import Table, loose_members_html, structure_html
from engine.render.sheets import SHEET_FILE, notice_fr, sheet_cards

PUPIL_KINDS = ("create", "deactivate", "reactivate", "update", "membership_add", "membership_remove")
STRUCTURE_KINDS = (
    "class_create",
    "class_rename",
    "class_retire",
    "group_create",
    "group_retire",
    "archive",
)
_PUPIL_KINDS, _STRUCTURE_KINDS = frozenset(PUPIL_KINDS), frozenset(STRUCTURE_KINDS)
#: a class section's tables (resume.md's counts in this order)
TABLE_KINDS = ("create", "deactivate", "reactivate", "update", "memberships")
_MEMBERSHIP_KINDS = frozenset(("membership_add", "membership_remove"))
_TABLE_OF = frozenset(TABLE_KINDS)  # the pupil kinds with a table of their own
#: a class's count of the items of a kind not accepted (« unchecked KIND »), by kind
_UNCHECKED = {kind: "unchecked " + kind for kind in PUPIL_KINDS}

# (kind, singular, plural) in the order the summary line gives them.
PUPIL_PHRASES = (
    ("create", "nouvel élève", "nouveaux élèves"),
    ("deactivate", "départ", "départs"),
    ("reactivate", "retour", "retours"),
    ("update", "mise à jour", "mises à jour"),
)
STRUCTURE_PHRASES = (
    ("class_create", "classe à créer", "classes à créer"),
    ("class_rename", "classe renommée", "classes renommées"),
    ("class_retire", "classe à retirer", "classes à retirer"),
    ("group_create", "groupe à créer", "groupes à créer"),
    ("group_retire", "groupe à retirer", "groupes à retirer"),
    ("membership_add", "inscription dans un groupe", "inscriptions dans des groupes"),
    ("membership_remove", "retrait d'un groupe", "retraits de groupes"),
)


def pupil_phrases(counts: Mapping[str, int], class_changes: int = 0) -> list[str]:
    """``["3 nouveaux élèves", "9 mises à jour (dont 7 changements de classe)"]``; zeros left out."""
    parts = []
    for kind, one, many in PUPIL_PHRASES:
        n = counts.get(kind, 0)
        if not n:
            continue
        text = plural(n, one, many)
        if kind == "update" and class_changes:
            text += f" (dont {plural(class_changes, 'changement de classe', 'changements de classe')})"
        parts.append(text)
    return parts


def summary_line(counts: Mapping[str, int], class_changes: int, decisions: int) -> str:
    """« 3 nouveaux élèves, 2 départs, …, 1 décision à prendre »; zero categories left out."""
    parts = pupil_phrases(counts, class_changes)
    if decisions:
        parts.append(plural(decisions, "décision à prendre", "décisions à prendre"))
    return join_fr(parts) if parts else "Aucun changement pour les élèves"


def structure_phrases(counts: Mapping[str, int]) -> list[str]:
    return [plural(counts[k], one, many) for k, one, many in STRUCTURE_PHRASES if counts.get(k)]


Items = list[Mapping[str, Any]]
#: the default of a missing part of an item (only read: a ``{}`` per call cost an allocation per item)
_NO: Mapping[str, Any] = {}


def counted(count: int, unchecked: int, one: str, many: str) -> str:
    """« 2 départs (dont 1 non coché) »: every line of a table is counted, the unchecked ones said."""
    text = plural(count, one, many)
    if unchecked:
        text += f" (dont {unchecked} non coché{'s' if unchecked > 1 else ''})"
    return text


def class_lines(counts: Mapping[str, int], stats: Mapping[str, Any] | None, questions: int) -> dict[str, str]:
    """A class's counts (``counts``: its items by kind, ``unchecked KIND`` those not accepted, ``moves``
    the updates that change the pupil's class), each the number of lines of its table. ``in_file``: the
    pupils of the file by what happens to them (new, updated, back, to decide, unchanged: they add up to
    the class's pupils); ``out_of_file``: departures; ``groups``: group memberships."""

    def line(kind: str, one: str, many: str) -> str:
        return counted(counts[kind], counts[_UNCHECKED[kind]], one, many)

    parts = []
    if counts["create"]:
        parts.append(line("create", "nouvel élève", "nouveaux élèves"))
    if counts["update"]:
        text = line("update", "mise à jour", "mises à jour")
        if counts["moves"]:
            text += f", {plural(counts['moves'], 'changement de classe', 'changements de classe')} compris"
        parts.append(text)
    if counts["reactivate"]:
        parts.append(line("reactivate", "retour", "retours"))
    if questions:
        parts.append(f"{questions} à décider")
    in_file = ""
    if stats and isinstance(stats.get("pupils_in_file"), int):
        total, unchanged = stats["pupils_in_file"], stats.get("unchanged")
        listed = counts["create"] + counts["update"] + counts["reactivate"] + questions
        if isinstance(unchanged, int) and listed + unchanged == total:
            parts.append(f"{unchanged} sans changement")
            in_file = f"{_pupils(total)} dans le fichier : {join_fr(parts)}"
        else:
            in_file = f"{_pupils(total)} dans le fichier" + (f", dont {join_fr(parts)}" if parts else "")
    elif parts:
        in_file = f"Dans le fichier : {join_fr(parts)}"
    group_parts = [
        line(kind, one, many)
        for kind, one, many in (
            ("membership_add", "inscription dans un groupe", "inscriptions dans des groupes"),
            ("membership_remove", "retrait d'un groupe", "retraits de groupes"),
        )
        if counts[kind]
    ]
    return {
        "in_file": in_file,
        "out_of_file": line("deactivate", "départ", "départs") if counts["deactivate"] else "",
        "groups": join_fr(group_parts),
    }


def build_view(
    plan: Mapping[str, Any],
    credentials: Iterable[Mapping[str, str]] = (),
    *,
    cards: list[dict[str, str]] | None = None,
    parent_credentials: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """Everything the templates show, computed from the plan (pure; ``credentials`` only for their ids,
    or the login sheet's ``cards`` when the caller already has them; ``parent_credentials`` only to count
    the family letters). The parents' items are :func:`~engine.render.report_parents.parents_view`'s."""
    items = plan.get("items", [])
    names = Names(plan)
    accepted: Counter[str] = Counter()
    unchecked: Counter[str] = Counter()
    moves: Counter[bool] = Counter()  # updates that change the pupil's class, by accepted
    questions: Counter[str] = Counter()  # by class
    decisions: list[Mapping[str, Any]] = []
    structure: list[dict[str, Any]] = []
    accepted_creates: list[str] = []
    by_class: dict[str, dict[str, Table]] = {}  # each class's tables (TABLE_KINDS)
    # each class's memberships by kind, pupils' items not accepted by kind (« unchecked KIND »), moves
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    loose_members: Items = []
    archive: Mapping[str, Any] | None = None
    renamed = names.renamed
    for item in items:  # one pass: counts, questions, structure rows, and each pupil's row in its class
        kind = item.get("kind")
        is_accepted = bool(item.get("accepted"))
        if kind in _PUPIL_KINDS:  # most items; counted as their tables' rows, after the loop
            if kind in _MEMBERSHIP_KINDS:
                classe = names.class_of_member(item)
                if classe is None:
                    loose_members.append(item)
                    (accepted if is_accepted else unchecked)[kind] += 1
                    continue
                counts[classe][kind] += 1
                table = "memberships"
            else:
                classe = item.get("subject", _NO).get("classe") or NO_CLASS
                if type(classe) is not str:
                    classe = str(classe)
                if kind == "deactivate":
                    classe = renamed.get(classe, classe)
                elif kind == "update" and "eleve_classe_id" in item.get("changes", _NO):
                    moves[is_accepted] += 1
                    counts[classe]["moves"] += 1
                elif kind == "create" and is_accepted:
                    accepted_creates.append(item["id"])
                table = kind
            tables = by_class.get(classe)
            if tables is None:
                tables = by_class[classe] = {name: Table(name, names) for name in TABLE_KINDS}
            tables[table].add(item)
            if not is_accepted:
                counts[classe][_UNCHECKED[kind]] += 1
            continue
        if kind == "decide":
            decisions.append(item)
            questions[names.classe(item.get("subject", _NO).get("classe_ref"))] += 1
            continue
        (accepted if is_accepted else unchecked)[kind] += 1
        if kind in _STRUCTURE_KINDS:
            structure.append(structure_row(item, names))
            if kind == "archive" and archive is None:
                archive = item
    for classe, tables in by_class.items():  # the pupils' items of each class, counted
        tally = counts[classe]
        for kind in PUPIL_KINDS:
            if kind in _TABLE_OF:
                tally[kind] = len(tables[kind])
            total, left = tally.get(kind, 0), tally.get(_UNCHECKED[kind], 0)
            if total - left:
                accepted[kind] += total - left
            if left:
                unchecked[kind] += left
    unchecked_parts = pupil_phrases(unchecked, moves[False]) + structure_phrases(unchecked)
    # parent items were only counted above (kinds no pupil phrase names): the parents' part is theirs
    parents = None
    if any(kind in PARENT_KINDS for kind in (*accepted, *unchecked)):
        from engine.render.report_parents import parents_view  # a plan without parents never imports it

        parent_rows = list(parent_credentials)
        parents = parents_view(
            plan, first_question=len(decisions) + 1, letters=len(family_letters(plan, parent_rows))
        )
    if parents is not None:
        unchecked_parts += parents["unchecked_parts"]
        parents["missing_letters"] = missing_letters(plan, parent_rows)
        parents["letters_file"] = LETTERS_FILE

    stats = plan.get("by_class") or plan.get("summary", {}).get("by_class", {}) or {}
    labels = plan.get("names", {}).get("labels", {}) or {}  # short SACoche name → full ONDE label
    formerly: dict[str, list[str]] = defaultdict(list)
    for old, new in names.renamed.items():
        formerly[new].append(old)
    classes = []
    for name in sorted(by_class, key=class_sort_key):
        tables = by_class[name]
        classes.append(
            {
                "name": name or "Élèves sans classe",
                "label": labels.get(name, ""),
                "formerly": formerly.get(name, []),
                **class_lines(counts[name], stats.get(name), questions.get(name, 0)),
                # each table's rows, made as HTML when printed (engine.render.report_tables)
                "creates": tables["create"],
                "deactivates": tables["deactivate"],
                "reactivates": tables["reactivate"],
                "updates": tables["update"],
                "memberships": tables["memberships"],
                "stats": stats.get(name),
                "counts": {kind: len(table) for kind, table in tables.items()},
            }
        )

    # the rest ----------------------------------------------------------------------------------------
    holds = [
        {
            "guard": h.get("guard", ""),
            "title": GUARD_TITLES.get(h.get("guard", ""), h.get("guard", "")),
            "message": guard_message_fr(h),
            "figures": h.get("figures") or {},
            "allow": h.get("allow") or f"--allow {h.get('guard', '')}",
            "allowed": bool(h.get("allowed")),
        }
        for h in plan.get("holds", [])
    ]
    left_alone = {
        key: sorted(plan.get("left_alone", {}).get(key, []), key=lambda e: e.get("nom", ""))
        for key in ("classes", "groups")
    }
    if cards is None:
        cards = sheet_cards(plan, credentials)
    on_sheet = {c["item"] for c in cards}
    source, state = plan.get("source", {}), plan.get("state", {})
    summary = plan.get("summary", {})
    return {
        "source": {
            "file": source.get("file", "?"),
            "format": source.get("format", ""),
            "confirmed": source.get("format_confirmed", True),
            "pupils": source.get("pupils", summary.get("pupils_in_file")),
        },
        "database": database_fr(redact_url(str(state.get("url", "?")))),
        "today": long_date_fr(plan.get("today", "")),
        "tool": plan.get("tool", "onde-sacoche"),
        "rules": plan.get("rules", {}),
        "rules_fr": rules_fr(plan.get("rules", {})),
        "headline": blocked_headline_fr([h for h in holds if not h["allowed"]]),
        "summary_line": summary_line(accepted, moves[True], len(decisions)),
        "structure_line": join_fr(structure_phrases(accepted)),
        "unchecked_line": join_fr(unchecked_parts),
        "unchecked_count": sum(n for kind, n in unchecked.items() if kind not in PARENT_KINDS)
        + (parents["unchecked_count"] if parents else 0),
        "unchanged": summary.get("unchanged"),
        "without_class": _without_class(plan),
        "archive": _archive_line(archive),
        "held": any(not h["allowed"] for h in holds),
        "holds": [h for h in holds if not h["allowed"]],
        "hold_blocks": hold_blocks([h for h in holds if not h["allowed"]]),
        "allowed_holds": [h for h in holds if h["allowed"]],
        "decisions": [decision_row(i, names) for i in decisions],
        "stale": [stale_fr(str(s)) for s in plan.get("stale_decisions", [])],
        "warnings": [warning_fr(str(w)) for w in plan.get("warnings", [])],
        "sheet_notice": notice_fr(plan.get("login_sheet")),
        "structure": structure_html(structure),
        "left_alone": left_alone,
        "loose_members": loose_members_html(loose_members, names),
        "structure_page": bool(structure or left_alone["classes"] or left_alone["groups"] or loose_members),
        "classes": classes,
        "new_pupils": len(accepted_creates),
        "on_sheet": len(on_sheet),
        "missing_credentials": [i for i in accepted_creates if i not in on_sheet],
        "sheet_file": SHEET_FILE,
        "parents": parents,
    }


def _archive_line(item: Mapping[str, Any] | None) -> str | None:
    """What the report says of SACoche's archive of the imported file (row Onde of sacoche_siecle_import),
    from the plan's first ``archive`` item (None without one)."""
    if item is None:
        return None
    what = "sera gardé" if item.get("accepted") else "ne sera pas gardé (non coché)"
    return (
        f"Le fichier importé {what} dans l'archive de SACoche, comme le fait son propre import "
        "(SACoche y relit les libellés des classes pour le livret scolaire)"
    )


def _without_class(plan: Mapping[str, Any]) -> dict[str, Any] | None:
    """Pupils the file lists without a class: the ignored ones by name, the others counted."""
    entries = [e for e in plan.get("without_class") or [] if isinstance(e, dict)]
    if not entries:
        return None
    actions = Counter(str(e.get("action", "")) for e in entries)
    parts = []
    for action, one, many in (
        ("ignored", "ignoré (pas de compte)", "ignorés (pas de compte)"),
        ("deactivated", "désactivé comme un départ", "désactivés comme des départs"),
        ("unchanged", "ancien élève inchangé", "anciens élèves inchangés"),
    ):
        if actions.get(action):
            parts.append(plural(actions[action], one, many))
    ignored = sorted(
        (e for e in entries if e.get("action") == "ignored"),
        key=lambda e: (e.get("nom", ""), e.get("line", 0)),
    )
    return {
        "line": f"{plural(len(entries), 'élève', 'élèves')} du fichier sans classe : {join_fr(parts)}",
        "ignored": [
            {"line": e.get("line", "?"), "nom": e.get("nom", ""), "prenom": e.get("prenom", "")}
            | {"naissance": date_fr(e.get("naissance"))}
            for e in ignored
        ],
    }
