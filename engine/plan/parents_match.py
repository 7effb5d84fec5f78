"""Who is who for parents (docs/parents.md): children → planned pupils, rows → parents, parents → accounts.

Pure functions of the read responsables export, the pupils as the plan leaves them and SACoche's state.
:func:`engine.plan.parents_pupils.planned_pupils` derives the pupils from a pupils plan (or from the state
alone). Nothing uncertain
is guessed: a child not found or found twice, and a parent that only looks like an
account, come back as questions for :mod:`engine.plan.parents` to turn into ``parent_decide`` items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from engine.ops import fold
from engine.read.parents import Child, Parent
from engine.state import ParentAccount, State


def exact(value: str) -> str:
    """Names compared as pupils' keys are: case and repeated spaces ignored, accents not."""
    return " ".join(value.casefold().split())


@dataclass(frozen=True, slots=True)
class PlannedPupil:
    """A pupil as the plan leaves it: an account (``user_id``) or a row the plan creates (``user_id`` None,
    known by its new ``login``); ``label`` is the ONDE class label when known, ``classe`` the SACoche name."""

    user_id: int | None
    login: str
    nom: str
    prenom: str
    naissance: str = ""
    label: str = ""
    classe: str = ""

    @property
    def ref(self) -> int | str:
        """What names this pupil in a link: its user_id, else ``login:<new login>``."""
        return self.user_id if self.user_id is not None else f"login:{self.login}"

    def shown(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "login": self.login,
            "nom": self.nom,
            "prenom": self.prenom,
            "naissance": self.naissance,
            "classe": self.classe,
        }


@dataclass(frozen=True, slots=True)
class Pupils:
    """The planned pupils, the user_ids active once the plan is applied, and the names still undecided."""

    planned: tuple[PlannedPupil, ...]
    active_after: frozenset[int]
    #: (exact nom, exact prénom) of rows awaiting their own decide → the accounts they might be
    undecided: Mapping[tuple[str, str], tuple[PlannedPupil, ...]] = field(default_factory=dict)


def child_key(child: Child) -> str:
    """``NOM|Prénom`` of a child as the file lists it."""
    return f"{child.nom}|{child.prenom}"


def child_ident(child: Child) -> str:
    """``NOM|Prénom|Classe|yyyy-mm-dd``: tells apart two children of one parent with the same names."""
    return f"{child.nom}|{child.prenom}|{child.classe}|{child.naissance}"


def same_class(listed: str, pupil: PlannedPupil) -> bool:
    """Whether the file's ``Classes élèves`` is the pupil's class: its ONDE label when the plan knows it,
    else the SACoche name (``[CM1] CE2-CM1 M. Fra``, a label cut to 20 characters) beginning it."""
    wanted = fold(listed)
    if pupil.label:
        return wanted == fold(pupil.label)
    name = fold(pupil.classe)
    if name.startswith("[") and "] " in name:
        name = name.split("] ", 1)[1]
    return wanted == name or (len(name) >= 3 and wanted.startswith(name))


@dataclass(frozen=True, slots=True)
class Resolution:
    """A child of a row: the pupil found, or why not (situation) and the candidates to show."""

    child: Child
    line: int
    pupil: PlannedPupil | None
    situation: str = ""
    candidates: tuple[PlannedPupil, ...] = ()


class ChildFinder:
    """Looks a child up among the planned pupils (docs/parents.md, "Children → planned pupils")."""

    def __init__(self, pupils: Pupils) -> None:
        self.pupils = pupils
        self.by_names: dict[tuple[str, str], list[PlannedPupil]] = defaultdict(list)
        self.by_folded: dict[tuple[str, str], list[PlannedPupil]] = defaultdict(list)
        for pupil in pupils.planned:
            self.by_names[exact(pupil.nom), exact(pupil.prenom)].append(pupil)
            self.by_folded[fold(pupil.nom), fold(pupil.prenom)].append(pupil)

    def find(self, child: Child, line: int) -> Resolution:
        names = (exact(child.nom), exact(child.prenom))
        usage = (exact(child.nom_usage), exact(child.prenom)) if child.nom_usage else None
        waiting = self.pupils.undecided.get(names) or (self.pupils.undecided.get(usage) if usage else None)
        if waiting is not None:
            return Resolution(child, line, None, "child_pupil_undecided", waiting)
        found = list(self.by_names.get(names, ()))
        if not found and usage:
            found = list(self.by_names.get(usage, ()))
        if len(found) > 1 and child.naissance:
            found = _narrowed(found, lambda p: p.naissance == child.naissance)
        if len(found) > 1 and child.classe:
            found = _narrowed(found, lambda p: same_class(child.classe, p))
        if len(found) == 1:
            pupil = found[0]
            if child.naissance and pupil.naissance and child.naissance != pupil.naissance:
                return Resolution(child, line, None, "child_birth_date_differs", (pupil,))
            return Resolution(child, line, pupil)
        if found:
            return Resolution(child, line, None, "child_homonyms", tuple(found))
        alike = self.by_folded.get((fold(child.nom), fold(child.prenom)), [])
        return Resolution(child, line, None, "child_not_found", tuple(alike[:5]))


def _narrowed(found: list[PlannedPupil], keep: Any) -> list[PlannedPupil]:
    """The candidates that pass ``keep``, or all of them when none does (a filter never empties a list)."""
    kept = [p for p in found if keep(p)]
    return kept or found


@dataclass
class FileParent:
    """One parent of the file: its rows (first one's values kept) and its children, resolved or not."""

    rows: list[Parent]
    children: list[Resolution] = field(default_factory=list)

    @property
    def first(self) -> Parent:
        return self.rows[0]

    @property
    def lines(self) -> list[int]:
        return [r.line for r in self.rows]

    @cached_property
    def key(self) -> str:
        """``parent:NOM|Prénom|CHILD;CHILD…``: the same parent with the same children, the same key (kept
        once computed: an answer that leaves a child out does not change its parent's key). Two parents
        of the file with the same key get longer ones (:func:`group_rows`)."""
        return self.key_of(child_key)

    def key_of(self, name: Callable[[Child], str]) -> str:
        """The key with each child named by ``name`` (:func:`child_key` or :func:`child_ident`)."""
        kids = sorted({name(r.child) for r in self.children})
        return f"parent:{self.first.nom}|{self.first.prenom}|{';'.join(kids)}"

    @property
    def names(self) -> tuple[str, str]:
        return exact(self.first.nom), exact(self.first.prenom)

    def resolved(self) -> list[PlannedPupil]:
        """The pupils found, once each, in file order."""
        seen: dict[int | str, PlannedPupil] = {}
        for r in self.children:
            if r.pupil is not None:
                seen.setdefault(r.pupil.ref, r.pupil)
        return list(seen.values())

    def unresolved(self) -> list[Resolution]:
        return [r for r in self.children if r.pupil is None]


def group_rows(rows: Sequence[Parent], finder: ChildFinder) -> list[FileParent]:
    """Rows → parents: same nom and prénom, and the same non-empty e-mail, the same reader identity or a
    resolved child in common (union of rows, file order kept)."""
    resolved = [[finder.find(c, row.line) for c in row.children] for row in rows]
    owner = list(range(len(rows)))

    def root(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    by_names: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_names[exact(row.nom), exact(row.prenom)].append(i)
    for members in by_names.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if _same_parent(rows[a], rows[b], resolved[a], resolved[b]):
                    owner[root(b)] = root(a)
    groups: dict[int, FileParent] = {}
    for i, row in enumerate(rows):
        group = groups.setdefault(root(i), FileParent([]))
        group.rows.append(row)
        known = {child_ident(r.child) for r in group.children}
        for r in resolved[i]:
            if child_ident(r.child) not in known:
                known.add(child_ident(r.child))
                group.children.append(r)
    parents = sorted(groups.values(), key=lambda g: g.first.line)
    _tell_apart(parents)
    return parents


def _tell_apart(parents: Sequence[FileParent]) -> None:
    """Parents left apart with the same key (the same names, children with the same names: two families)
    get keys of their own, else their items would share ids and an answer about one would apply to the
    other: the children named by :func:`child_ident`, then, if still equal, ``#1``, ``#2``… in file
    order. Every other key stays as it always was (item ids and recorded answers are made of it)."""
    by_key: dict[str, list[FileParent]] = defaultdict(list)
    for parent in parents:
        by_key[parent.key].append(parent)
    taken = {key for key, same in by_key.items() if len(same) == 1}
    longer: dict[str, list[FileParent]] = defaultdict(list)
    for same in by_key.values():
        for parent in same if len(same) > 1 else ():
            longer[parent.key_of(child_ident)].append(parent)
    for key, same in longer.items():
        if len(same) == 1 and key not in taken:
            same[0].key = key
            taken.add(key)
            continue
        n = 0
        for parent in same:
            n += 1
            while f"{key}#{n}" in taken:  # only a name holding "#" could make it so
                n += 1
            parent.key = f"{key}#{n}"
            taken.add(parent.key)


def homonym_parents(parents: Sequence[FileParent]) -> list[list[int]]:
    """Lines of parents of the file left apart though they have the same names (for a warning)."""
    by_names: dict[tuple[str, str], list[FileParent]] = defaultdict(list)
    for parent in parents:
        by_names[parent.names].append(parent)
    return [sorted(p.first.line for p in group) for group in by_names.values() if len(group) > 1]


def _same_parent(a: Parent, b: Parent, ra: list[Resolution], rb: list[Resolution]) -> bool:
    """Two rows with the same names are one parent when they share a non-empty e-mail or a child found,
    or have the same civilité and e-mail (none) and the same address. Otherwise they stay two parents:
    one login for two families would show a child to a stranger (a duplicate account is the lesser harm,
    and the plan's warnings name the lines)."""
    if a.email and a.email.casefold() == b.email.casefold():
        return True
    refs = {r.pupil.ref for r in ra if r.pupil is not None}
    if any(r.pupil is not None and r.pupil.ref in refs for r in rb):
        return True
    return a.identity == b.identity and _address(a) == _address(b)


def _address(row: Parent) -> tuple[str, ...]:
    return (fold(row.adresse), fold(row.code_postal), fold(row.commune))


def legal_numbers(parents: Sequence[FileParent]) -> dict[tuple[int, int | str], int]:
    """(parent index, pupil ref) → resp_legal_num as SACoche counts it: the n-th parent listing a child,
    in file order, is its number n."""
    listed: list[tuple[int, int, int | str]] = []
    for index, parent in enumerate(parents):
        for r in parent.children:
            if r.pupil is not None:
                listed.append((r.line, index, r.pupil.ref))
    numbers: dict[tuple[int, int | str], int] = {}
    count: dict[int | str, int] = defaultdict(int)
    for _line, index, ref in sorted(listed, key=lambda t: (t[0], t[1])):
        if (index, ref) not in numbers:
            count[ref] += 1
            numbers[index, ref] = count[ref]
    return numbers


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """Parents of the file ↔ TUT accounts: matched (index → (account, tier)), questions (index →
    (situation, candidates)) and the accounts in a question (never deactivated while it waits)."""

    matched: Mapping[int, tuple[ParentAccount, str]]
    questions: Mapping[int, tuple[str, tuple[ParentAccount, ...]]]
    in_question: frozenset[int]


def match_parents(
    parents: Sequence[FileParent], state: State, answers: Mapping[str, int | None] | None = None
) -> AccountMatch:
    """The tiers of docs/parents.md: nom + prénom + a child in common, then a unique e-mail with the same
    prénom; the same names alone are a question. ``answers``: parent_key → account id (None: a new one)."""
    answers = answers or {}
    accounts = {a.user_id: a for a in state.parents}
    children_of: dict[int, set[int]] = defaultdict(set)
    for parent_id, eleve_id in state.parent_links:
        children_of[parent_id].add(eleve_id)
    by_names: dict[tuple[str, str], list[ParentAccount]] = defaultdict(list)
    by_email: dict[str, list[ParentAccount]] = defaultdict(list)
    for account in state.parents:
        by_names[exact(account.nom), exact(account.prenom)].append(account)
        if account.email:
            by_email[account.email.casefold()].append(account)
    matched: dict[int, tuple[ParentAccount, str]] = {}
    questions: dict[int, tuple[str, tuple[ParentAccount, ...]]] = {}
    new: set[int] = set()
    for index, parent in enumerate(parents):
        if parent.key in answers:
            chosen = answers[parent.key]
            if chosen is None:
                new.add(index)
            elif chosen in accounts:
                matched[index] = (accounts[chosen], "decision")
    claims: dict[int, list[int]] = defaultdict(list)
    for index, parent in enumerate(parents):
        if index in matched or index in new:
            continue
        ids = {p.user_id for p in parent.resolved() if p.user_id is not None}
        found = [a for a in by_names.get(parent.names, []) if children_of[a.user_id] & ids]
        if len(found) == 1:
            claims[found[0].user_id].append(index)
        elif found:
            questions[index] = ("parent_ambiguous", tuple(found))
    for user_id, indexes in claims.items():
        if len(indexes) == 1:
            matched[indexes[0]] = (accounts[user_id], "nom_prenom_child")
        else:
            for index in indexes:
                questions[index] = ("parent_ambiguous", (accounts[user_id],))
    taken = {a.user_id for a, _ in matched.values()}
    emails: dict[str, list[int]] = defaultdict(list)
    for index, parent in enumerate(parents):
        if parent.first.email and index not in matched and index not in questions and index not in new:
            emails[parent.first.email.casefold()].append(index)
    for email, indexes in emails.items():
        found = [a for a in by_email.get(email, []) if a.user_id not in taken]
        if len(indexes) == 1 and len(found) == 1:
            parent, account = parents[indexes[0]], found[0]
            if exact(account.prenom) == parent.names[1]:
                matched[indexes[0]] = (account, "email")
                taken.add(account.user_id)
    for index, parent in enumerate(parents):
        if index in matched or index in questions or index in new:
            continue
        alike = [a for a in by_names.get(parent.names, []) if a.user_id not in taken]
        if alike:
            questions[index] = ("parent_same_names", tuple(alike))
    in_question = frozenset(a.user_id for _, found in questions.values() for a in found)
    return AccountMatch(matched, questions, in_question - taken)
