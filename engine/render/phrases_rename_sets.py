"""The classes to rename as a set (MySQL / MariaDB): the plan's renames in a temporary table (a data
block, as the pupils' families of :mod:`~engine.render.sets_data`), one guard as an anti-join over it
and one ``UPDATE … JOIN`` (apply.sql: new names; revert.sql: old names back), and one verify statement
giving a row per item, instead of a guard and an ``UPDATE`` (or a check) per item.

Convergent as the per-item statements were: the guard passes for a row whose class (by groupe_id, type
``classe`` and ref as bytes) has its old name or its new one (apply.sql or revert.sql cut part-way);
each write moves only the classes still holding the name it starts from. Classes are found by
``groupe_id``, sacoche_groupe's primary key.
"""

from __future__ import annotations

from typing import Any

from engine.render.sets_data import ITEM, DataBlock, Memo, view_rows

#: the temporary table of the classes apply.sql renames
RENAMES = "onde_sacoche_class_rename"
#: the class of a row (under LOCK TABLES through the locked alias ``g``), by id, type and ref as bytes
_CLASS = (
    "g.groupe_id = t.groupe_id AND g.groupe_type = 'classe' "
    "AND CAST(g.groupe_ref AS BINARY) = CAST(t.ref AS BINARY)"
)


def _named(column: str) -> str:
    """The class's name is the row's ``column``, as bytes."""
    return f"CAST(g.groupe_nom AS BINARY) = CAST(t.{column} AS BINARY)"


def renames_block(views: list[Any], literal: Any, memo: Memo | None = None) -> DataBlock:
    """The block of the plan's accepted class renames, in the plan's order. Its unique key on groupe_id
    makes two renames of one class (which the planner never makes) stop the script while it loads,
    before the lock and any write."""
    columns = [("n", "INT NOT NULL PRIMARY KEY"), ITEM, ("groupe_id", "INT NOT NULL")]
    columns += [("ref", "VARCHAR(255) NOT NULL"), ("old_nom", "VARCHAR(255) NOT NULL")]
    columns.append(("new_nom", "VARCHAR(255) NOT NULL"))

    rows = view_rows(views, literal, "id", "groupe_id", "ref", "old", "new")
    what = "classes to rename: groupe_id, ref, the name the plan found (old_nom) and the new one (new_nom)"
    return DataBlock(RENAMES, what, columns, ["UNIQUE KEY (groupe_id)"], rows, memo)


class RenameSetPhrases:
    """Mixed into the MySQL set phrases: the data block, guard, writes and verify rows of the classes to
    rename."""

    lit: Any

    def rename_blocks(self, model: Any, script: str) -> list[DataBlock]:
        """The block of classes to rename (its rows rendered once for the model's three scripts)."""
        if not model.renames:
            return []
        return [renames_block(model.renames, self.lit, model.pupil_sets.memo)]

    def _bad_set_renames(self, s: Any) -> str:
        """A class to rename that is gone, changed type or ref, or holds neither its old name nor its
        new one (apply.sql writes the new one, revert.sql the old one: either may have been cut)."""
        return (
            f"SELECT t.item, CONCAT('groupe_id ', t.groupe_id) AS detail FROM {RENAMES} t\n"
            f"    LEFT JOIN sacoche_groupe g ON {_CLASS}\n"
            f"    WHERE g.groupe_id IS NULL OR ({_named('old_nom')} OR {_named('new_nom')}) IS NOT TRUE"
        )

    def set_rename(self, to: str = "new") -> str:
        """Every class of the block renamed to its ``new`` name (apply.sql) or back to its ``old`` one
        (revert.sql), only where it still holds the other (one already there is left as it is)."""
        start = "old" if to == "new" else "new"
        return (
            f"UPDATE sacoche_groupe g JOIN {RENAMES} t ON {_CLASS}\n"
            f"  SET g.groupe_nom = t.{to}_nom\n  WHERE {_named(start + '_nom')}"
        )

    def rename_verify(self, c: Any) -> str:
        """verify.sql: a row per class to rename, numbered from ``c.n`` on: ok when it has its new
        name, NOT DONE when it still has the old one."""
        return self._verify(  # type: ignore[attr-defined, no-any-return]
            c.n - 1,
            "CONCAT('class groupe_id ', t.groupe_id, ' renamed')",
            f"g.groupe_id IS NOT NULL AND {_named('new_nom')}",
            f"g.groupe_id IS NOT NULL AND {_named('old_nom')}",
            f"{RENAMES} t\n    LEFT JOIN sacoche_groupe g ON {_CLASS}",
        )
