"""Who a synthetic school holds: its classes and pupils, drawn from :mod:`benchmarks.synthetic.names`.

The :class:`Generator` keeps one run's random state, counters (INE and ONDE class ids unique across every
school of the run) and the engine's own answers (normalised names, class refs, login bases), memoised, so
that a generated SACoche state agrees with what the engine computes from the export.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from benchmarks.synthetic.names import (
    CLASS_SIZE,
    COMMON_FAMILY_SHARE,
    COMPOSED_GIVEN_SHARE,
    FAMILY_NAMES,
    GIVEN_NAMES_F,
    GIVEN_NAMES_M,
    GROUP_LABELS,
    INE_LETTERS,
    INE_STEP,
    NIVEAUX,
    SURNAME_ENDINGS,
    SURNAME_HEADS,
    SURNAME_LINKS,
    SURNAME_PARTICLES,
    TEACHERS,
)
from engine.ops import run_steps
from engine.plan import class_of
from engine.plan.logins import login_base
from engine.read import Pupil
from engine.rules import RuleSet


@dataclass(frozen=True, slots=True)
class Shares:
    """How much of each situation to plant (fractions of the export's pupils, or of its classes)."""

    arrivals: float = 0.05
    leavers: float = 0.04
    returning: float = 0.01
    former: float = 0.02
    class_changes: float = 0.03
    updates: float = 0.02
    renamed_classes: float = 0.05  # of classes
    new_classes: float = 0.02  # of classes
    membership_changes: float = 0.02
    without_ine: float = 0.03
    twins: float = 0.01
    homonyms: float = 0.01
    nom_usage: float = 0.04
    groups: float = 0.25  # pupils in at least one regroupement
    multi_level: float = 0.3  # of classes
    long_niveau_labels: float = 0.1  # "Cours élémentaire 1ère année" instead of "CE1"
    upper_case_prenoms: float = 0.05  # "MARIE-LOU" in the export (the normaliser capitalises)


def _cumulative(n: int, exponent: float = 0.9) -> list[float]:
    total, out = 0.0, []
    for i in range(n):
        total += 1.0 / (i + 1) ** exponent
        out.append(total)
    return out


def synthetic_ine(index: int, rng: random.Random) -> str:
    """The ``index``-th INE of a run: unique digits (a bijection of the index), then two random characters."""
    digits = (index * INE_STEP + 104_729) % 10**9
    tenth = rng.choice("0123456789" + INE_LETTERS)
    return f"{digits:09d}{tenth}{rng.choice(INE_LETTERS)}"


class Normaliser:
    """The values the engine's rules give for a cell, memoised (so the state agrees with the engine)."""

    def __init__(self, rules: RuleSet, source: str = "onde2-eleves") -> None:
        self.fields = rules.sources[source].fields
        self.ctx = rules.context
        self.cache: dict[tuple[str, str], object] = {}

    def __call__(self, name: str, cell: str) -> object:
        key = (name, cell)
        value = self.cache.get(key)
        if value is None:
            value = run_steps(cell, self.fields[name].steps, self.ctx)
            self.cache[key] = value
        return value


@dataclass(slots=True)
class Klass:
    """One ONDE class: its id, label and niveaux, and what is planted on it."""

    classe_id: str
    label: str
    niveaux: tuple[str, ...]  # SACoche niveau refs; ("",) for the ULIS class
    new: bool = False
    renamed: bool = False
    groupe_ids: dict[str, int] = field(default_factory=dict)  # niveau -> groupe_id in SACoche


@dataclass(slots=True)
class Kid:
    """One pupil of the export (names already as the normaliser gives them)."""

    ine: str
    nom: str
    nom_usage: str
    prenom: str
    sexe: str
    birth: str  # ISO
    niveau: str
    klass: Klass
    groups: tuple[str, ...] = ()
    dispositif: str = ""


class Generator:
    """One run's random state, counters and memoised engine answers (see the module's docstring)."""

    def __init__(self, rng: random.Random, rules: RuleSet, shares: Shares) -> None:
        self.rng = rng
        self.rules = rules
        self.shares = shares
        self.norm = Normaliser(rules)
        self.ine_counter = itertools.count(1)
        self.class_counter = itertools.count(100_000)
        self.family = [str(self.norm("nom", n)) for n in FAMILY_NAMES]
        tail = []
        for head in SURNAME_HEADS:
            for link in SURNAME_LINKS:
                for ending in SURNAME_ENDINGS:
                    tail.append(head + link + ending)
        self.tail = tail
        self.given = {
            "F": [str(self.norm("prenom", n)) for n in GIVEN_NAMES_F],
            "M": [str(self.norm("prenom", n)) for n in GIVEN_NAMES_M],
        }
        self.family_cw = _cumulative(len(self.family))
        self.given_cw = {s: _cumulative(len(v), 0.7) for s, v in self.given.items()}
        self.birth_by_year: dict[int, list[str]] = {}
        for _, year, _ in NIVEAUX:
            first = _ordinal(year, 1, 1)
            self.birth_by_year[year] = [_iso(first + d) for d in range(_days_in_year(year))]
        self.birth_by_year[0] = [d for _, y, _ in NIVEAUX[3:] for d in self.birth_by_year[y]]  # ULIS
        self.year_of = {ref: year for ref, year, _ in NIVEAUX}
        self.long_label = {ref: long for ref, _, long in NIVEAUX}
        self.class_info: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.logins: dict[tuple[str, str], str] = {}

    # identities -------------------------------------------------------------------------------------
    def ine(self) -> str:
        return synthetic_ine(next(self.ine_counter), self.rng)

    def one_nom(self) -> str:
        rng = self.rng
        if rng.random() < COMMON_FAMILY_SHARE:
            return rng.choices(self.family, cum_weights=self.family_cw)[0]
        name = rng.choice(self.tail)
        if rng.random() < 0.06:
            name = rng.choice(SURNAME_PARTICLES) + name
        return name

    def nom(self) -> str:
        first = self.one_nom()
        if self.rng.random() < 0.08:  # a double family name
            second = self.one_nom()
            double = f"{first}-{second}"
            if second != first and len(double) <= 25:
                return str(self.norm("nom", double))
        return str(self.norm("nom", first))

    def prenom(self, sexe: str) -> str:
        rng = self.rng
        first = rng.choices(self.given[sexe], cum_weights=self.given_cw[sexe])[0]
        if rng.random() < COMPOSED_GIVEN_SHARE:
            second = rng.choice(self.given[sexe])
            if second != first and "-" not in first + second and len(first) + len(second) < 25:
                return str(self.norm("prenom", f"{first}-{second}"))
        return first

    def kid(self, klass: Klass, *, with_ine: bool = True) -> Kid:
        rng = self.rng
        niveau = rng.choice(klass.niveaux)
        sexe = "F" if rng.random() < 0.49 else "M"
        births = self.birth_by_year[self.year_of.get(niveau, 0)]
        groups: tuple[str, ...] = ()
        if rng.random() < self.shares.groups:
            groups = (rng.choice(GROUP_LABELS),)
            if rng.random() < 0.2:
                other = rng.choice(GROUP_LABELS)
                if other != groups[0]:
                    groups = (*groups, other)
        return Kid(
            ine=self.ine() if with_ine else "",
            nom=self.nom(),
            nom_usage=self.nom() if rng.random() < self.shares.nom_usage else "",
            prenom=self.prenom(sexe),
            sexe=sexe,
            birth=rng.choice(births),
            niveau=niveau,
            klass=klass,
            groups=groups,
            dispositif="ULIS" if niveau == "" else ("UPE2A" if rng.random() < 0.005 else ""),
        )

    # classes ----------------------------------------------------------------------------------------
    def classes(self, pupils: int) -> list[Klass]:
        rng, shares = self.rng, self.shares
        count = max(1, round(pupils / CLASS_SIZE))
        refs = [ref for ref, _, _ in NIVEAUX]
        out: list[Klass] = []
        with_ulis = pupils >= 150
        for index in range(count):
            classe_id = str(next(self.class_counter))
            if with_ulis and index == count - 1:
                niveaux: tuple[str, ...] = ("",)
                label = f"ULIS École {rng.choice(('Mme', 'M.'))} {rng.choice(TEACHERS)}"
            else:
                at = index * len(refs) // max(1, count - with_ulis)
                if rng.random() < shares.multi_level and at + 1 < len(refs):
                    niveaux = (refs[at], refs[at + 1])
                else:
                    niveaux = (refs[at],)
                label = f"{'-'.join(niveaux)} {rng.choice(('Mme', 'M.'))} {rng.choice(TEACHERS)}"
            out.append(Klass(classe_id, label, niveaux))
        for klass in out:
            draw = rng.random()
            if draw < shares.new_classes:
                klass.new = True
            elif draw < shares.new_classes + shares.renamed_classes:
                klass.renamed = True
        return out

    def class_of(self, klass: Klass, niveau: str, label: str | None = None) -> tuple[str, str, str]:
        """(ref, name, niveau) as the engine computes them, memoised per class × niveau × label."""
        label = klass.label if label is None else label
        key = (klass.classe_id, niveau, label)
        found = self.class_info.get(key)
        if found is None:
            pupil = Pupil(line=0, classe_id=klass.classe_id, niveau=niveau, classe_label=label)
            found = class_of(pupil, self.rules.policy["classes"], self.rules.context)
            self.class_info[key] = found
        return found

    def login(self, prenom: str, nom: str, user_id: int) -> str:
        base = self.logins.get((prenom, nom))
        if base is None:
            base = self.logins[(prenom, nom)] = login_base(prenom, nom)
        return f"{base}{user_id}"

    # a school ---------------------------------------------------------------------------------------
    def roster(self, classes: list[Klass], pupils: int) -> list[Kid]:
        """``pupils`` pupils spread over ``classes``, with homonyms and twins planted."""
        rng, shares = self.rng, self.shares
        kids: list[Kid] = []
        no_ine_keys: set[tuple[str, str, str]] = set()
        base, extra = divmod(pupils, len(classes))
        per_class = [base + (1 if i < extra else 0) for i in range(len(classes))]
        for klass, size in zip(classes, per_class, strict=True):
            made = 0
            while made < size:
                kid = self.kid(klass, with_ine=rng.random() >= shares.without_ine)
                if kids and rng.random() < shares.homonyms:
                    model = kids[rng.randrange(len(kids))]
                    kid.nom, kid.prenom, kid.sexe = model.nom, model.prenom, model.sexe
                if not kid.ine:
                    key = (kid.nom, kid.prenom, kid.birth)
                    if key in no_ine_keys:  # the engine refuses two lines like this: draw again
                        continue
                    no_ine_keys.add(key)
                kids.append(kid)
                made += 1
                if made < size and rng.random() < shares.twins:
                    twin_sexe = "F" if rng.random() < 0.5 else "M"
                    twin_prenom = self.prenom(twin_sexe)
                    if twin_prenom != kid.prenom:
                        kids.append(
                            Kid(
                                self.ine(),
                                kid.nom,
                                kid.nom_usage,
                                twin_prenom,
                                twin_sexe,
                                kid.birth,
                                kid.niveau,
                                klass,
                                kid.groups,
                                kid.dispositif,
                            )
                        )
                        made += 1
        return kids


def _ordinal(year: int, month: int, day: int) -> int:
    from datetime import date

    return date(year, month, day).toordinal()


def _days_in_year(year: int) -> int:
    return 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365


def _iso(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()
