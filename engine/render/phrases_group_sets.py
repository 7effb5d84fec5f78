"""apply.sql's classes and groups to create as a set (MySQL / MariaDB): the plan's rows in a temporary
table (a data block, as the pupils' families of :mod:`~engine.render.sets_data`), two guards as
anti-joins over it and one ``INSERT … SELECT``, instead of two guards and an ``INSERT`` per item.

Convergent as the per-item statements were: the guard passes for a row whose type and ref are free, or
hold exactly the class or group this script creates (after an interrupted run); the write inserts only
the rows whose type and ref are still free. Lookups by type and ref go through the id map of
:func:`~engine.render.phrases_sets.SetPhrases.set_group_ids` (sacoche_groupe has no index on its ref),
made after ``LOCK TABLES`` and before the guards, so it is the state the guards and this write see.
"""

from __future__ import annotations

from typing import Any

from engine.render.sets_data import ITEM, DataBlock, view_rows

#: the temporary table of the classes and groups apply.sql creates
GROUP_NEW = "onde_sacoche_group_new"
_GROUP_IDS = "onde_sacoche_group_id"  # engine.render.phrases_sets.GROUP_IDS (which imports this module)


def group_creates_block(views: list[Any], literal: Any) -> DataBlock:
    """The block of the plan's accepted class and group creations, in the plan's order. Its unique key
    on (kind, ref) makes two rows with one type and ref (which the planner never makes) stop the script
    while it loads, before the lock and any write."""
    columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("kind", "VARCHAR(10) NOT NULL")]
    columns += [("ref", "VARCHAR(255) NOT NULL"), ("nom", "VARCHAR(255) NOT NULL")]
    columns.append(("niveau_id", "INT NOT NULL"))

    rows = view_rows(views, literal, "id", "type", "ref", "nom", "niveau_id")
    what = "classes (kind classe) and groups (kind groupe) to create: ref, name (nom), niveau_id (0: none)"
    return DataBlock(GROUP_NEW, what, columns, ["UNIQUE KEY (kind, ref)"], rows)


class GroupSetPhrases:
    """Mixed into the MySQL set phrases: the data block, guards and write of the groups to create."""

    lit: Any

    def group_blocks(self, model: Any, script: str) -> list[DataBlock]:
        """apply.sql's block of classes and groups to create (none in the other scripts)."""
        if script != "apply" or not model.group_creates:
            return []
        return [group_creates_block(model.group_creates, self.lit)]

    def _bad_set_groups_new(self, s: Any) -> str:
        """A class or group to create whose type and ref are taken by anything but exactly one row with
        the plan's name and niveau (the one this script creates, after an interrupted run)."""
        same = "CAST({a}.groupe_nom AS BINARY) = CAST(t.nom AS BINARY) AND {a}.niveau_id = t.niveau_id"
        return (
            f"SELECT t.item, CONCAT(t.kind, ' ', t.ref) AS detail FROM {GROUP_NEW} t\n"
            f"    JOIN {_GROUP_IDS} c ON c.groupe_type = t.kind AND c.groupe_ref = t.ref\n"
            "    LEFT JOIN sacoche_groupe g ON g.groupe_id = c.groupe_id\n"
            f"    WHERE (CASE WHEN c.n = 1 THEN {same.format(a='g')} ELSE (SELECT COUNT(*) FROM "
            "sacoche_groupe g3\n      WHERE g3.groupe_type = t.kind AND g3.groupe_ref = t.ref AND "
            f"{same.format(a='g3')}) = 1 END) IS NOT TRUE"
        )

    def _bad_set_groups_niveau(self, s: Any) -> str:
        """A class to create whose niveau_id is not in sacoche_niveau."""
        return (
            f"SELECT t.item, CONCAT('niveau_id ', t.niveau_id) AS detail FROM {GROUP_NEW} t\n"
            "    LEFT JOIN sacoche_niveau ON sacoche_niveau.niveau_id = t.niveau_id\n"
            "    WHERE t.niveau_id <> 0 AND sacoche_niveau.niveau_id IS NULL"
        )

    def set_group_create(self) -> str:
        """Every row of the block whose type and ref are still free, inserted in the plan's order."""
        return (
            "INSERT INTO sacoche_groupe (groupe_type, groupe_ref, groupe_nom, niveau_id, groupe_chef_id)\n"
            f"  SELECT t.kind, t.ref, t.nom, t.niveau_id, 0 FROM {GROUP_NEW} t\n"
            f"  LEFT JOIN {_GROUP_IDS} c ON c.groupe_type = t.kind AND c.groupe_ref = t.ref\n"
            "  WHERE c.groupe_id IS NULL ORDER BY t.n"
        )
