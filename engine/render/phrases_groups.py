"""The conditions about classes and groups (``sacoche_groupe``) and their members
(``sacoche_jointure_user_groupe``): created, renamed, retired, left alone, a membership added or removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.render.phrases_base import PhraseBase


class GroupPhrases(PhraseBase):
    CONDITIONS: ClassVar[dict[str, str]] = {
        "group_absent": "_group_absent",
        "niveau": "_niveau",
        "rename": "_rename_old",
        "renamed": "_rename_new",
        "membership": "_membership",
        "membership_present": "_membership_present",
        "membership_absent": "_membership_absent",
        "group_unique": "_group_unique",
        "retire": "_retire",
        "retired_absent": "_retired_absent",
        "retired": "_retired",
        "retired_or_half": "_retired_or_half",
        "retired_absent_or_half": "_retired_absent_or_half",
        "group_created": "_group_created",
        "created_group": "_created_group",
        "left_alone": "_left_alone",
    }

    # phrases the templates call
    def group_absent_as(self, alias: str, kind: str, ref: Any) -> str:
        return f"NOT EXISTS (SELECT 1 FROM sacoche_groupe {alias} WHERE {self.group_is(alias, kind, ref)})"

    # conditions
    def _group_absent(self, g: Any) -> str:
        group = g.subject
        return f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)})"

    def _niveau(self, g: Any) -> str:
        return f"EXISTS (SELECT 1 FROM sacoche_niveau WHERE niveau_id = {self.lit(g.subject.niveau_id)})"

    def _rename_old(self, g: Any) -> str:
        return self._group_row_exists(g.subject, g.subject.old)

    def _rename_new(self, g: Any) -> str:
        return self._group_row_exists(g.subject, g.subject.new)

    def _group_row_exists(self, r: Any, nom: Any) -> str:
        row = self.group_row("", "classe", r.groupe_id, r.ref, nom)
        return f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE {row})"

    def _membership(self, g: Any) -> str:
        m = g.subject
        return (
            "EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe j JOIN sacoche_groupe g ON g.groupe_id = "
            f"j.groupe_id WHERE j.user_id = {self.lit(m.user_id)} AND j.jointure_pp = 0 AND "
            f"{self.group_is('g', 'groupe', m.ref)})"
        )

    def _membership_present(self, g: Any) -> str:
        return self.membership_exists(g.subject)

    def _membership_absent(self, g: Any) -> str:
        return "NOT " + self.membership_exists(g.subject)

    def _group_unique(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', *g.subject)}) = 1"

    def _retire(self, g: Any) -> str:
        r = g.subject
        groupe_id, members = self.lit(r.groupe_id), r.members
        text = (
            f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE "
            f"{self.group_row('', r.type, r.groupe_id, r.ref, r.nom)} AND niveau_id = "
            f"{self.lit(r.niveau_id)} AND groupe_chef_id = 0) AND (SELECT COUNT(*) FROM "
            f"sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) = {len(members)}"
        )
        if members:
            text += (
                " AND (SELECT COUNT(*) FROM sacoche_jointure_user_groupe j2 WHERE "
                f"j2.groupe_id = {groupe_id} AND j2.jointure_pp = 0 "
                f"AND j2.user_id IN ({self.id_list(members)})) = {len(members)}"
            )
        return text

    def _retired_absent(self, g: Any) -> str:
        r = g.subject
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {self.lit(r.groupe_id)} "
            f"OR ({self.group_is('', r.type, r.ref)}))"
        )

    def _retired(self, g: Any) -> str:
        groupe_id = self.lit(g.subject.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {groupe_id}) AND NOT EXISTS "
            f"(SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id})"
        )

    def _retired_or_half(self, g: Any) -> str:
        """Retired, or cut between its two writes: memberships gone, the group row still as planned."""
        r = g.subject
        groupe_id = self.lit(r.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) AND "
            f"(NOT EXISTS (SELECT 1 FROM sacoche_groupe WHERE groupe_id = {groupe_id}) OR "
            f"{self._group_row_as_planned(r)})"
        )

    def _retired_absent_or_half(self, g: Any) -> str:
        """revert.sql: retired with its id and ref free, or cut between its two writes."""
        r = g.subject
        groupe_id = self.lit(r.groupe_id)
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_jointure_user_groupe WHERE groupe_id = {groupe_id}) "
            f"AND ({self._retired_absent(g)} OR {self._group_row_as_planned(r)})"
        )

    def _group_row_as_planned(self, r: Any) -> str:
        """The retired group's row still there exactly as the plan read it (no head teacher)."""
        row = self.group_row("g", r.type, r.groupe_id, r.ref, r.nom)
        return (
            f"EXISTS (SELECT 1 FROM sacoche_groupe g WHERE {row} AND g.niveau_id = {self.lit(r.niveau_id)} "
            "AND g.groupe_chef_id = 0)"
        )

    def _group_created(self, g: Any) -> str:
        group = g.subject
        return (
            f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)} "
            f"AND {self.text_is('groupe_nom', group.nom)} AND niveau_id = {self.lit(group.niveau_id)}) = 1"
        )

    def _created_group(self, g: Any) -> str:
        group = g.subject
        own, own2 = self.group_id(group.type, group.ref, "g3"), self.group_id(group.type, group.ref, "g4")
        users = "".join(f" AND {self.text_is_not('u.user_login', login)}" for login in group.created_logins)
        if group.moved_users:
            users += f" AND u.user_id NOT IN ({self.id_list(group.moved_users)})"
        members = "".join(f" AND {self.text_is_not('u.user_login', login)}" for login in group.added_logins)
        if group.added_ids:
            members += f" AND u.user_id NOT IN ({self.id_list(group.added_ids)})"
        return (
            f"(SELECT COUNT(*) FROM sacoche_groupe WHERE {self.group_is('', group.type, group.ref)} "
            f"AND {self.text_is('groupe_nom', group.nom)}) = 1 AND NOT EXISTS (SELECT 1 FROM sacoche_user u "
            f"WHERE u.eleve_classe_id = {own}{users}) AND NOT EXISTS (SELECT 1 FROM "
            "sacoche_jointure_user_groupe j JOIN sacoche_user u2 ON u2.user_id = j.user_id WHERE "
            f"j.groupe_id = {own2}{members.replace('u.user_', 'u2.user_')})"
        )

    def _left_alone(self, g: Any) -> str:
        e = g.subject
        row = self.group_row("", e.type, e.groupe_id, e.ref, e.nom)
        return f"EXISTS (SELECT 1 FROM sacoche_groupe WHERE {row})"
