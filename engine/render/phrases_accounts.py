"""The conditions about pupils' accounts (``sacoche_user``): a login free, a row still as the plan saw
it or as apply.sql wrote it, an account this plan created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from engine.render.phrases_base import PhraseBase


class AccountPhrases(PhraseBase):
    CONDITIONS: ClassVar[dict[str, str]] = {
        "login_free": "_login_free",
        "user": "_user_old",
        "user_new": "_user_new",
        "user_exists": "_user_exists",
        "created": "_created",
        "created_all": "_created_all",
    }

    def login_taken(self, login: Any) -> str:
        """An account holds this login, as SACoche's UNIQUE(user_login) compares logins."""
        raise NotImplementedError

    # phrases the templates call
    def login_free_as(self, alias: str, login: Any) -> str:
        """No account holds this login (``alias`` names sacoche_user: the INSERT writes the table too)."""
        return (
            f"NOT EXISTS (SELECT 1 FROM sacoche_user {alias} WHERE "
            f"{self.login_taken(login).replace('user_login', alias + '.user_login')})"
        )

    def created_is(self, c: Any) -> str:
        """The account this plan created, by the columns it is recognised by (revert)."""
        return self.all_same("", c.identity)

    # conditions
    def _login_free(self, g: Any) -> str:
        return f"NOT EXISTS (SELECT 1 FROM sacoche_user WHERE {self.login_taken(g.subject)})"

    def _user_old(self, g: Any) -> str:
        return self._user_with(g.subject, g.subject.olds)

    def _user_new(self, g: Any) -> str:
        return self._user_with(g.subject, g.subject.news)

    def _user_with(self, u: Any, preds: Iterable[Any]) -> str:
        return (
            f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.user_is('', u.user_id, u.login)} "
            f"AND {self.all_same('', preds)})"
        )

    def _user_exists(self, g: Any) -> str:
        m = g.subject
        return f"EXISTS (SELECT 1 FROM sacoche_user WHERE {self.user_is('', m.user_id, m.login)})"

    def _created(self, g: Any) -> str:
        unused = " AND user_connexion_date IS NULL" if self.deletes_created else ""
        return f"(SELECT COUNT(*) FROM sacoche_user WHERE {self.created_is(g.subject)}{unused}) = 1"

    def _created_all(self, g: Any) -> str:
        return f"(SELECT COUNT(*) FROM sacoche_user WHERE {self.all_same('', g.subject.all)}) = 1"
