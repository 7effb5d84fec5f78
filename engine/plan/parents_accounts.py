"""The parents' account items (docs/parents.md): a new parent (login, password, address, links) or a
matched one (update or reactivation, address, links added and removed), as methods the parents' planner
(:mod:`engine.plan.parents`) inherits; they read its state and add through its ``add``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.names import abbreviate
from engine.plan.logins import make_password, new_password_length, password_hash
from engine.plan.parents_match import FileParent
from engine.plan.parents_rules import ACCOUNT_ATTR
from engine.state import ACTIVE, ADDRESS_COLUMNS, ParentAccount
from engine.widths import DEFAULT_WIDTHS


def shown_account(account: ParentAccount) -> dict[str, Any]:
    """A TUT account as a subject or candidate shows it."""
    return {
        "user_id": account.user_id,
        "nom": account.nom,
        "prenom": account.prenom,
        "login": account.login,
        "sortie_date": account.sortie_date,
    }


class AccountItems:
    """The account-level items of the parents' planner (a mixin: ``self`` is the planner)."""

    state: Any
    policy: Mapping[str, Any]
    parents_policy: dict[str, Any]
    pupils: Any
    allocator: Any
    children_of: dict[int, set[int]]
    passwords: dict[str, str]
    items: list[Any]
    unchanged: int
    rng: Any

    def add(self, *args: Any, **kwargs: Any) -> Any:  # the planner's
        raise NotImplementedError

    def subject(self, parent: FileParent) -> dict[str, Any]:  # the planner's
        raise NotImplementedError

    def reason(self, parent: FileParent, situation: str, **more: Any) -> dict[str, Any]:  # the planner's
        raise NotImplementedError

    def values(self, parent: FileParent) -> dict[str, str]:
        """The parent's columns of sacoche_user, fitted to the database's widths as SACoche abbreviates."""
        first = parent.first
        widths = self.state.widths
        return {
            "civilite": first.civilite or "I",
            "nom": abbreviate(first.nom, int(widths.get("user_nom", 50))),
            "prenom": abbreviate(first.prenom, int(widths.get("user_prenom", 50))),
            "email": first.email[: int(widths.get("user_email", 100))],
        }

    def address(self, parent: FileParent) -> tuple[str, ...] | None:
        first = parent.first
        cells = (first.adresse, "", "", "", first.code_postal, first.commune, first.pays)
        if not any(cells):
            return None
        widths = self.state.widths
        return tuple(
            v[: int(widths.get(c, DEFAULT_WIDTHS[c]))] for c, v in zip(ADDRESS_COLUMNS, cells, strict=True)
        )

    def field_changes(self, values: Mapping[str, str], account: ParentAccount) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        for column, spec in self.parents_policy["fields"].items():
            policy = spec.get("policy", "overwrite")
            if policy == "never":
                continue
            if any(
                getattr(account, c.removeprefix("user_"), None) == v
                for c, v in spec.get("protect_if", {}).items()
            ):
                continue
            new, old = values[spec["from"]], getattr(account, ACCOUNT_ATTR[column])
            absent = {"", *spec.get("absent", ())}
            if new == old or (policy == "overwrite_if_present" and new in absent):
                continue
            if policy == "fill_if_empty" and old not in absent:
                continue
            changes[column] = {"old": old, "new": new}
        return changes

    def plan_address(self, parent: FileParent, parent_id: int | None, login: str, id_part: Any) -> None:
        new = self.address(parent)
        if new is None:
            return
        old = self.state.parent_addresses.get(parent_id) if parent_id is not None else None
        if old == new:
            return
        if old is None:
            changes = {c: {"old": None, "new": v} for c, v in zip(ADDRESS_COLUMNS, new, strict=True)}
        else:
            changes = {
                c: {"old": o, "new": v} for c, o, v in zip(ADDRESS_COLUMNS, old, new, strict=True) if o != v
            }
        self.add(
            "parent_address",
            {
                "table": "sacoche_parent_adresse",
                "parent_id": parent_id,
                "parent_login": login,
                "row_exists": old is not None,
            },
            changes,
            self.reason(parent, "address_new" if old is None else "address_changed"),
            self.subject(parent),
            (id_part, changes),
        )

    def plan_links(
        self, parent: FileParent, parent_id: int | None, login: str, id_part: Any, numbers: Mapping[Any, int]
    ) -> None:
        linked = self.children_of.get(parent_id, set()) if parent_id is not None else set()
        for pupil in parent.resolved():
            if pupil.user_id is not None and pupil.user_id in linked:
                continue
            number = numbers.get(pupil.ref, 1)
            if pupil.user_id is not None:  # a number the child's other parents hold is not given again
                taken = self.numbers_taken(pupil.user_id)
                while number in taken and number < 255:
                    number += 1
                taken.add(number)
            self.add(
                "parent_link",
                {
                    "table": "sacoche_jointure_parent_eleve",
                    "parent_id": parent_id,
                    "parent_login": login,
                    "eleve_id": pupil.user_id,
                    "eleve_login": pupil.login,
                },
                {"resp_legal_num": {"old": None, "new": number}},
                self.reason(parent, "child_listed"),
                {**self.subject(parent), "child": pupil.shown()},
                (id_part, pupil.ref),
            )

    def numbers_taken(self, eleve_id: int) -> set[int]:
        """The resp_legal_num values of a pupil's links (existing, then those this plan adds)."""
        if not hasattr(self, "_numbers_taken"):
            self._numbers_taken: dict[int, set[int]] = {}
            for (_parent_id, child), number in self.state.parent_links.items():
                self._numbers_taken.setdefault(child, set()).add(number)
        return self._numbers_taken.setdefault(eleve_id, set())

    def plan_new(self, parent: FileParent, numbers: Mapping[Any, int]) -> None:
        accounts = self.policy.get("accounts", {})
        values = self.values(parent)
        profile = self.state.parent_profile
        login = self.allocator.allocate(values["prenom"], values["nom"], profile.model)
        password = make_password(
            min_length=new_password_length(profile.password_min_length, accounts.get("password_min_length")),
            alphabet=accounts.get("password_alphabet", "23456789abcdfghknpqrstuvxyz"),
            rng=self.rng,
        )
        columns = {
            "user_profil_sigle": "TUT",
            "user_genre": values["civilite"],
            "user_nom": values["nom"],
            "user_prenom": values["prenom"],
            "user_email": values["email"],
            "user_login": login,
            "user_password": password_hash(password, accounts.get("password_salt", "grain_de_sel")),
            "user_sortie_date": ACTIVE,
        }
        item = self.add(
            "parent_create",
            {"table": "sacoche_user", "login": login},
            {c: {"old": None, "new": v} for c, v in columns.items()},
            self.reason(parent, "parent_new", tier=None),
            self.subject(parent),
            (parent.key,),
        )
        self.passwords[item.id] = password
        self.plan_address(parent, None, login, parent.key)
        self.plan_links(parent, None, login, parent.key, numbers)

    def plan_matched(
        self, parent: FileParent, account: ParentAccount, tier: str, numbers: Mapping[Any, int]
    ) -> None:
        if not parent.resolved():
            return  # every child awaits an answer: nothing else until then
        changes = self.field_changes(self.values(parent), account)
        target = {"table": "sacoche_user", "user_id": account.user_id, "login": account.login}
        subject = {**self.subject(parent), "account": shown_account(account)}
        before = len(self.items)
        if not account.active:
            changes["user_sortie_date"] = {"old": account.sortie_date, "new": ACTIVE}
            self.add(
                "parent_reactivate",
                target,
                changes,
                self.reason(parent, "parent_reappeared", tier=tier),
                subject,
                (account.user_id, changes),
            )
        elif changes:
            self.add(
                "parent_update",
                target,
                changes,
                self.reason(parent, "parent_changed", tier=tier),
                subject,
                (account.user_id, changes),
            )
        self.plan_address(parent, account.user_id, account.login, account.user_id)
        self.plan_links(parent, account.user_id, account.login, account.user_id, numbers)
        if not parent.unresolved():
            listed = {p.user_id for p in parent.resolved()}
            for eleve_id in sorted(self.children_of.get(account.user_id, set())):
                if eleve_id in listed or eleve_id not in self.pupils.active_after:
                    continue
                number = self.state.parent_links.get((account.user_id, eleve_id), 1)
                self.add(
                    "parent_unlink",
                    {
                        "table": "sacoche_jointure_parent_eleve",
                        "parent_id": account.user_id,
                        "parent_login": account.login,
                        "eleve_id": eleve_id,
                        "eleve_login": self._login_of(eleve_id),
                        "resp_legal_num": number,
                    },
                    {},
                    self.reason(parent, "child_not_listed", tier=tier),
                    subject,
                    (account.user_id, eleve_id),
                )
        if len(self.items) == before:
            self.unchanged += 1

    def _login_of(self, user_id: int) -> str:
        if not hasattr(self, "_logins"):
            self._logins = {a.user_id: a.login for a in self.state.accounts}
        return self._logins.get(user_id, "")
