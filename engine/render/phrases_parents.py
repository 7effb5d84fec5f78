"""The phrases and conditions about parents (docs/parents.md): their TUT accounts in ``sacoche_user``,
their links to their children (``sacoche_jointure_parent_eleve``, aliases ``l``, ``p`` the parent and
``e`` the pupil) and their address (``sacoche_parent_adresse``, alias ``pa``).

A parent or a pupil this plan creates has no ``user_id`` in plan.json: it is found by its login (as
SACoche's UNIQUE(user_login) compares it, then as bytes) and its profile.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.render.columns import PARENT, PUPIL, TEXT
from engine.render.phrases_base import PhraseBase
from engine.render.views import Fact


class ParentPhrases(PhraseBase):
    CONDITIONS: ClassVar[dict[str, str]] = {
        "parent": "_parent_old",
        "parent_new": "_parent_new",
        "account_exists": "_account_exists",
        "address_old": "_address_old",
        "address_new": "_address_new",
        "link_absent": "_link_absent",
        "link_present": "_link_present",
    }

    # phrases the templates call ---------------------------------------------------------------------
    def account_is(self, alias: str, user_id: Any, login: Any, profil: str) -> str:
        """The account of this profile: by user_id and login, or (created by this plan) by login."""
        column = self.col(alias, "user_profil_sigle")
        if user_id is not None:
            return (
                f"{self.col(alias, 'user_id')} = {self.lit(user_id)} AND "
                f"{self.text_is(self.col(alias, 'user_login'), login)} AND {column} = {self.lit(profil)}"
            )
        return f"{self.same(alias, Fact('user_login', TEXT, login))} AND {column} = {self.lit(profil)}"

    def parent_is(self, alias: str, x: Any) -> str:
        """The parent of a view (link, address or account change)."""
        return self.account_is(alias, x.parent_id if hasattr(x, "parent_id") else x.user_id, x.login, PARENT)

    def pupil_is(self, alias: str, lk: Any) -> str:
        return self.account_is(alias, lk.eleve_id, lk.eleve_login, PUPIL)

    def link_ends(self, lk: Any) -> str:
        """``FROM``-less condition on ``p`` (the parent) and ``e`` (the pupil) of a link."""
        return f"{self.parent_is('p', lk)} AND {self.pupil_is('e', lk)}"

    def address_row(self, a: Any, facts: Any) -> str:
        """A row of sacoche_parent_adresse (``pa``) of this parent (``p``) holding these values."""
        values = f" AND {self.all_same('pa', facts)}" if facts else ""
        return (
            "EXISTS (SELECT 1 FROM sacoche_parent_adresse pa JOIN sacoche_user p ON p.user_id = pa.parent_id "
            f"WHERE {self.parent_is('p', a)}{values})"
        )

    def link_row(self, lk: Any, *, with_num: bool) -> str:
        num = f" AND l.resp_legal_num = {self.lit(lk.num)}" if with_num else ""
        return (
            "EXISTS (SELECT 1 FROM sacoche_jointure_parent_eleve l JOIN sacoche_user p ON p.user_id = "
            f"l.parent_id JOIN sacoche_user e ON e.user_id = l.eleve_id WHERE {self.link_ends(lk)}{num})"
        )

    # conditions -------------------------------------------------------------------------------------
    def _parent_old(self, g: Any) -> str:
        return self._parent_with(g.subject, g.subject.olds)

    def _parent_new(self, g: Any) -> str:
        return self._parent_with(g.subject, g.subject.news)

    def _parent_with(self, u: Any, preds: Any) -> str:
        return (
            f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.account_is('', u.user_id, u.login, PARENT)} "
            f"AND {self.all_same('', preds)})"
        )

    def _account_exists(self, g: Any) -> str:
        a = g.subject
        return (
            f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.account_is('', a.user_id, a.login, a.profil)})"
        )

    def _address_old(self, g: Any) -> str:
        a = g.subject
        if not a.row_exists:
            return f"NOT {self.address_row(a, [])}"
        return self.address_row(a, a.olds)

    def _address_new(self, g: Any) -> str:
        return self.address_row(g.subject, g.subject.state)

    def _link_absent(self, g: Any) -> str:
        return f"NOT {self.link_row(g.subject, with_num=False)}"

    def _link_present(self, g: Any) -> str:
        return self.link_row(g.subject, with_num=True)
