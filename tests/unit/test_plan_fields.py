"""engine.plan.fields: the getters of the one-comparison "nothing changed" test read what attrgetter reads."""

from __future__ import annotations

from operator import attrgetter
from types import SimpleNamespace

import pytest

from engine.plan.fields import FieldChanges, _getter
from engine.read import Pupil
from engine.state import Account


def test_getters_read_what_attrgetter_reads() -> None:
    record = SimpleNamespace(nom="LAVANDIER", prenom="Noé", inner=SimpleNamespace(ine="1"))
    for names in (("nom", "prenom"), ("prenom", "nom", "prenom"), ("nom", "inner.ine")):
        assert _getter(names)(record) == attrgetter(*names)(record)
    with pytest.raises(AttributeError):
        _getter(("nom", "missing"))(record)


def test_field_changes_compare_every_field_at_once() -> None:
    changes = FieldChanges(
        {
            "user_nom": {"from": "nom", "policy": "overwrite"},
            "user_prenom": {"from": "prenom", "policy": "overwrite"},
        }
    )
    pupil = Pupil(line=2, nom="LAVANDIER", prenom="Noé")
    account = Account(1, "", "LAVANDIER", "Noe", "", "I", "", "", "noe.lavandie", "9999-12-31", 3)
    assert changes(pupil, account) == {"user_prenom": {"old": "Noe", "new": "Noé"}}
    assert changes(pupil, Account(1, "", "LAVANDIER", "Noé", "", "I", "", "", "x", "9999-12-31", 3)) == {}
