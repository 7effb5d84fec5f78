"""The SACoche state of a synthetic school (SQLite, SACoche's schema), with situations planted.

One class per ONDE class × niveau with the ref and name the engine gives, the export's regroupements as
groups, one account per pupil with the values the normaliser produces (so that an untouched pupil plans
as "unchanged"), logins made like SACoche's, a hand-made group, a retired group, a class that vanished
and two staff accounts; then the :class:`~benchmarks.synthetic.people.Shares` of arrivals, leavers,
returning and former pupils, class changes, renamed classes, stale fields and membership changes; last,
SACoche's archive of the previous import (:mod:`benchmarks.synthetic.archive`: the active accounts in
their classes, a renamed class with its old label, so that the plan renames it). A MariaDB copy is made
from this file by tests/support/state_copy.py.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from benchmarks.synthetic.archive import onde1_line, write_archive
from benchmarks.synthetic.names import (
    GROUP_LABELS,
    HAND_MADE_GROUP,
    LEFT_LAST_YEAR,
    LEFT_LONG_AGO,
    RETIRED_GROUP,
)
from benchmarks.synthetic.people import Generator, Kid, Klass
from engine.ops import fold
from engine.plan import group_ref
from engine.plan.logins import password_hash
from engine.sacoche_schema import schema_sql

USER_COLUMNS = (
    "user_id",
    "user_profil_sigle",
    "user_reference",
    "user_genre",
    "user_nom",
    "user_prenom",
    "user_naissance_date",
    "user_login",
    "user_password",
    "user_sortie_date",
    "eleve_classe_id",
)


def write_state(
    db: Path, gen: Generator, name: str, pupils: int, classes: list[Klass], kids: list[Kid]
) -> tuple[int, dict[str, int]]:
    """Write the state of school ``name`` into ``db`` (replaced); its number of pupil accounts and
    the counts of what was planted (``create``, ``update``, ``deactivate``, ``class_rename``…, and
    ``archived``: the lines of the previous import kept in SACoche's archive, 0 when it has none)."""
    rng, shares = gen.rng, gen.shares
    db.unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = OFF")  # generated data: no journal, no fsync (create_sqlite's
    conn.execute("PRAGMA synchronous = OFF")  # statements, each synced, took 0.5 s a school under load)
    conn.executescript(schema_sql("sqlite"))  # what engine.sacoche_schema.create_sqlite runs
    niveau_ids = dict(conn.execute("SELECT niveau_ref, niveau_id FROM sacoche_niveau"))
    group_rows: list[tuple[int, str, str, str, int]] = []
    groupe_id = itertools.count(1)
    planted = dict.fromkeys(
        (
            "create",
            "update",
            "deactivate",
            "reactivate",
            "class_create",
            "class_rename",
            "class_retire",
            "group_create",
            "group_retire",
        ),
        0,
    )
    existing: list[int] = []
    archived_class: dict[int, tuple[str, str, str]] = {}  # groupe_id -> its class in the previous import
    present: dict[str, list[str]] = {}
    for kid in kids:
        niveaux = present.setdefault(kid.klass.classe_id, [])
        if kid.niveau not in niveaux:
            niveaux.append(kid.niveau)
    for klass in classes:
        for niveau in sorted(present.get(klass.classe_id, ())):
            ref, cls_name, cls_niveau = gen.class_of(klass, niveau)
            if klass.new:
                planted["class_create"] += 1
                continue
            label = klass.label  # its label in the previous import
            if klass.renamed:
                label = f"{'-'.join(n or 'ULIS' for n in klass.niveaux)} M. Ancien"
                old_name = gen.class_of(klass, niveau, label)[1]
                planted["class_rename"] += old_name != cls_name  # a name cut short may not change
                cls_name = old_name
            gid = next(groupe_id)
            klass.groupe_ids[niveau] = gid
            archived_class[gid] = (klass.classe_id, niveau, label)
            existing.append(gid)
            group_rows.append((gid, "classe", ref, cls_name, niveau_ids.get(cls_niveau.upper(), 0)))
    vanished = next(groupe_id)
    group_rows.append((vanished, "classe", "099999_CM2", "[CM2] CM2 M. Parti", niveau_ids["CM2"]))
    planted["class_retire"] += 1
    policy = gen.rules.policy["groups"]
    group_ids: dict[str, int] = {}
    for label in GROUP_LABELS[:-1]:
        group_ids[label] = gid = next(groupe_id)
        group_rows.append((gid, "groupe", group_ref(label, policy), label[:20], 0))
    planted["group_create"] += 1  # the last label
    retired = next(groupe_id)
    group_rows.append((retired, "groupe", group_ref(RETIRED_GROUP, policy), RETIRED_GROUP, 0))
    planted["group_retire"] += 1
    hand_made = next(groupe_id)
    group_rows.append((hand_made, "groupe", "", HAND_MADE_GROUP, 0))
    conn.executemany(
        "INSERT INTO sacoche_groupe (groupe_id, groupe_type, groupe_ref, groupe_nom, niveau_id) "
        "VALUES (?, ?, ?, ?, ?)",
        group_rows,
    )

    users: list[tuple[object, ...]] = []
    memberships: list[tuple[int, int]] = []
    secret = password_hash("demo")
    # ids shuffled so that the database's order is not the file's
    user_ids = list(range(1, len(kids) + round(pupils * shares.leavers) + round(pupils * shares.former) + 2))
    rng.shuffle(user_ids)
    next_id = iter(user_ids)
    fold_cache: dict[str, str] = {}
    previous_file: list[tuple[str, ...]] = []  # the lines of the previous import (its archive)

    def add(kid: Kid, *, ine: str, prenom: str, genre: str, sortie: str, classe_id: int) -> int:
        uid = next(next_id)
        users.append(
            (
                uid,
                "ELV",
                ine,
                genre,
                kid.nom,
                prenom,
                kid.birth,
                gen.login(kid.prenom, kid.nom, uid),
                secret,
                sortie,
                classe_id,
            )
        )
        if sortie == "9999-12-31" and classe_id in archived_class:
            previous_file.append(onde1_line(kid, ine, prenom, archived_class[classe_id]))
        return uid

    arrivals = shares.arrivals
    returning = arrivals + shares.returning
    changes = returning + shares.class_changes
    updates = changes + shares.updates
    for kid in kids:
        draw = rng.random()
        if draw < arrivals:
            planted["create"] += 1
            continue
        ine, prenom, genre, sortie = kid.ine, kid.prenom, kid.sexe, "9999-12-31"
        own = kid.klass.groupe_ids.get(kid.niveau)
        classe_id = own if own is not None else rng.choice(existing)
        if draw < returning:
            sortie, classe_id = LEFT_LAST_YEAR, 0
            planted["reactivate"] += 1
        elif own is None:
            planted["update"] += 1  # the class is new: the account sits in another one
        elif draw < changes:
            classe_id = rng.choice(existing)
            while classe_id == own and len(existing) > 1:
                classe_id = rng.choice(existing)
            planted["update"] += classe_id != own
        elif draw < updates:
            planted["update"] += 1
            folded = fold_cache.get(prenom)
            if folded is None:
                folded = fold_cache[prenom] = str(gen.norm("prenom", fold(prenom)))
            if folded != prenom and ine:  # without INE, a prénom without accents is a look-alike
                prenom = folded
            elif ine:
                ine = ""
            else:
                genre = "I"
        uid = add(kid, ine=ine, prenom=prenom, genre=genre, sortie=sortie, classe_id=classe_id)
        wanted = [group_ids[g] for g in kid.groups if g in group_ids]
        if rng.random() < shares.membership_changes:
            if wanted and rng.random() < 0.5:
                wanted.pop()
            else:
                extra = group_ids[rng.choice(GROUP_LABELS[:-1])]
                if extra not in wanted:
                    wanted.append(extra)
        memberships.extend((uid, gid) for gid in wanted)
        if rng.random() < 0.01:
            memberships.append((uid, hand_made))

    # leavers (active, absent) and former pupils who stay away
    for count, sortie, key in (
        (round(pupils * shares.leavers), "9999-12-31", "deactivate"),
        (round(pupils * shares.former), LEFT_LONG_AGO, ""),
    ):
        for _ in range(count):
            klass = rng.choice(classes)
            kid = gen.kid(klass)
            gid = klass.groupe_ids.get(kid.niveau, 0) if sortie == "9999-12-31" else 0
            if sortie == "9999-12-31" and not gid:
                gid = rng.choice(existing)
            uid = add(kid, ine=kid.ine, prenom=kid.prenom, genre=kid.sexe, sortie=sortie, classe_id=gid)
            if key:
                planted[key] += 1
                memberships.extend((uid, group_ids[g]) for g in kid.groups if g in group_ids)
    # a pupil of the vanished class who left long ago
    kid = gen.kid(classes[0])
    add(kid, ine=kid.ine, prenom=kid.prenom, genre=kid.sexe, sortie=LEFT_LONG_AGO, classe_id=vanished)

    users.sort()
    conn.executemany(
        f"INSERT INTO sacoche_user ({', '.join(USER_COLUMNS)}) VALUES ({', '.join('?' * len(USER_COLUMNS))})",
        users,
    )
    top = users[-1][0] if users else 0
    conn.executemany(
        "INSERT INTO sacoche_user (user_id, user_profil_sigle, user_nom, user_prenom, user_login, "
        "user_password) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (top + 1, "ENS", "ANCOLIE", "Rose", f"ens.{name}"[:30], secret),
            (top + 2, "DIR", "TILLEUL", "Hélène", f"dir.{name}"[:30], secret),
        ],
    )
    conn.executemany(
        "INSERT INTO sacoche_jointure_user_groupe (user_id, groupe_id) VALUES (?, ?)",
        sorted(set(memberships)),
    )
    planted["archived"] = write_archive(conn, previous_file)
    conn.commit()
    conn.close()
    return len(users), planted
