"""How the tool connects to MySQL/MariaDB over a unix socket: without TLS (local, nothing to protect in
transit; a TCP URL keeps PyMySQL's default, TLS when the server offers it)."""

from __future__ import annotations

import contextlib

import pytest
from support.mariadb import SacocheDatabase

from engine.dburl import connect_mysql, parse_url

pytestmark = pytest.mark.mariadb


def test_a_unix_socket_connection_asks_for_no_tls(sacoche_mysql: SacocheDatabase) -> None:
    url = f"mysql://root@localhost/{sacoche_mysql.name}?unix_socket={sacoche_mysql.server.socket}"
    connection = connect_mysql(parse_url(url).resolved())
    with contextlib.closing(connection):  # type: ignore[type-var]
        assert connection.ssl is False  # type: ignore[attr-defined]
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT COUNT(*) FROM sacoche_user")
            assert cursor.fetchone()[0] >= 0
