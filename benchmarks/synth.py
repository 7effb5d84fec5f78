"""Synthetic schools at any scale: ONDE 2 exports and the SACoche states they are planned against.

Deterministic: the same arguments and seed give byte-identical files. Every name is made up from lists of
common French family and given names (with accents, hyphens, apostrophes, particles) drawn with a
long-tailed frequency, so that homonyms appear as they do in real schools; INE are synthetic (the real
shape, ``[0-9]{9}[0-9A-Z][A-Z]``, unique across every school of a run) and never a real pupil's.

What one school holds
    Classes of about 25 pupils, single-level (``CE1 Mme Ancolie``) or multi-level (``CE2-CM1 M. Saule``)
    and, in schools of 150 pupils or more, one ULIS class without niveau; ONDE class ids are 6 digits,
    unique across the run. Pupils have a sex, a birth date consistent with their niveau, sometimes a
    nom d'usage, sometimes one or two regroupements (ONDE 2 ``Regroupement(s)`` cell, comma separated),
    and some have no INE. Twins (same family name, same birth date, different given names) and homonyms
    (same names, other birth date) are planted on top of the natural ones.

The SACoche state (SQLite, the schema :func:`engine.sacoche_schema.create_sqlite` writes)
    One class per ONDE class × niveau with the ref and name :func:`engine.plan.class_of` gives (so refs
    match the engine's), groups ``RG_…`` as :func:`engine.plan.group_ref` names them, one account per
    pupil with the values the normaliser produces (so an untouched pupil plans as "unchanged"), logins
    made like SACoche's, a hand-made group, a retired group, a class that vanished, two staff accounts,
    and SACoche's archive of the previous import as its own wizard leaves it (row ``Onde`` of
    ``sacoche_siecle_import``: an ONDE v1 file of the active accounts in their classes, with those
    classes' labels of the time; none from about 100,000 pupils, too big for SACoche's MEDIUMTEXT).
    Then the chosen :class:`Shares` of situations are planted:

    ========================  ==================================================================
    ``arrivals``              pupils of the export without an account (plan: create)
    ``leavers``               active accounts absent from the export (plan: deactivate)
    ``returning``             pupils whose account is former (left last year) (plan: reactivate)
    ``former``                former accounts absent from the export (plan: nothing)
    ``class_changes``         accounts in another class of the school (plan: update)
    ``updates``               accounts with a stale field: accents missing from the prénom, INE
                              not yet known, or genre unknown (plan: update)
    ``renamed_classes``       classes whose SACoche name and archived ONDE label are last year's
                              (plan: class_rename)
    ``new_classes``           classes SACoche does not have yet; their pupils' accounts sit in
                              another class (plan: class_create, and updates)
    ``membership_changes``    accounts with one regroupement more or less than the export says
    ========================  ==================================================================

    :attr:`SchoolFiles.planted` counts what was planted. The plan may differ slightly where the engine
    rightly refuses to guess: a newcomer whose names resemble a leaver's (same birth date, one letter
    apart, or same names) becomes a decision to take instead of a creation.

Command line (writes one CSV and one SQLite file per school, and ``db-map.yaml`` for ``batch``)::

    python benchmarks/synth.py OUT_DIR --schools 8 --pupils 5000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic.names import NIVEAUX  # noqa: E402
from benchmarks.synthetic.onde import ONDE2_HEADER, write_onde2  # noqa: E402
from benchmarks.synthetic.people import Generator, Shares, synthetic_ine  # noqa: E402
from benchmarks.synthetic.sacoche import write_state  # noqa: E402
from engine.rules import RuleSet, load_rules  # noqa: E402

__all__ = ["NIVEAUX", "ONDE2_HEADER", "SchoolFiles", "Shares", "generate", "synthetic_ine", "write_db_map"]


@dataclass(slots=True)
class SchoolFiles:
    """One generated school: its export, its SACoche database and what was planted."""

    name: str
    export: Path
    db: Path
    pupils: int
    accounts: int
    planted: dict[str, int] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db.resolve()}"


def _school(gen: Generator, name: str, pupils: int, export: Path, db: Path) -> SchoolFiles:
    """One school: its pupils drawn, its export written, then its SACoche state (in that order: one
    random state feeds all three)."""
    classes = gen.classes(pupils)
    kids = gen.roster(classes, pupils)
    write_onde2(export, gen, kids)
    accounts, planted = write_state(db, gen, name, pupils, classes, kids)
    return SchoolFiles(name, export, db, len(kids), accounts, planted)


def generate(
    out: Path,
    *,
    schools: int = 1,
    pupils: int = 300,
    seed: int = 20261129,
    shares: Shares | None = None,
    rules: RuleSet | None = None,
    prefix: str = "ecole",
) -> list[SchoolFiles]:
    """Write ``schools`` schools of about ``pupils`` pupils each into ``out`` (created if needed).

    Files: ``<prefix>-NN.csv`` (ONDE 2 export: UTF-8 with BOM, ``;``, CRLF) and ``<prefix>-NN.db``
    (SACoche state, SQLite). Returns one :class:`SchoolFiles` per school, in order.
    """
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(random.Random(seed), rules or load_rules(), shares or Shares())
    width = max(2, len(str(schools)))
    result = []
    for index in range(1, schools + 1):
        name = f"{prefix}-{index:0{width}d}"
        result.append(_school(gen, name, pupils, out / f"{name}.csv", out / f"{name}.db"))
    return result


def write_db_map(path: Path, schools: Sequence[SchoolFiles], export_dir: Path | None = None) -> Path:
    """A ``batch --db-map`` YAML file: each export (relative to ``export_dir``) → database, plan dir."""
    base = export_dir or path.parent
    lines = ["# export file (relative to the batch DIR) -> SACoche database and plan directory", "schools:"]
    for school in schools:
        export = school.export.resolve().relative_to(base.resolve()).as_posix()
        lines += [
            f"  - export: {json.dumps(export)}",
            f"    db: {json.dumps(school.db_url)}",
            f"    out: {json.dumps(school.name)}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write the files into")
    parser.add_argument("--schools", type=int, default=1)
    parser.add_argument("--pupils", type=int, default=300, help="pupils per school (about)")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    made = generate(args.out, schools=args.schools, pupils=args.pupils, seed=args.seed)
    write_db_map(args.out / "db-map.yaml", made)
    for school in made:
        print(f"{school.export}: {school.pupils} pupils, {school.accounts} accounts; {school.planted}")
    print(f"written in {time.perf_counter() - started:.1f} s; db map: {args.out / 'db-map.yaml'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
