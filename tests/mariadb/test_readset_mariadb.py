"""The read set at plan time: the whole tables' sums, derived from the same per-row pass as the sums
without the touched rows, equal the server's own SUM; a database that moves while the plan is made is
refused, naming the table."""

from __future__ import annotations

import pytest
from helpers import EXAMPLES
from support.mariadb import SacocheDatabase
from support.state_copy import copy_sqlite_to_mysql

from engine.errors import OndeError
from engine.readset import plan_read_set, read_set

pytestmark = pytest.mark.mariadb


@pytest.fixture
def school(sacoche_mysql: SacocheDatabase) -> SacocheDatabase:
    copy_sqlite_to_mysql(EXAMPLES / "sacoche-ecole-des-tilleuls.db", sacoche_mysql)
    return sacoche_mysql


def test_an_unmoved_database_passes_and_nothing_touched_gives_the_whole_sums(school: SacocheDatabase) -> None:
    early = read_set(school.url)
    assert early is not None and early["sacoche_user"]["rows"] > 0
    found = plan_read_set(school.url, early, [])
    assert {t: v for t, v in found.items() if t in early} == early  # nothing touched: the whole tables


def test_a_database_moving_while_planning_is_refused(school: SacocheDatabase) -> None:
    early = read_set(school.url)
    school.query("UPDATE sacoche_groupe SET groupe_nom = 'Nom changé' ORDER BY groupe_id LIMIT 1")
    with pytest.raises(OndeError, match=r"changed while the plan was being made \(sacoche_groupe\)"):
        plan_read_set(school.url, early, [])
