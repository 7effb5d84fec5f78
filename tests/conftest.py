"""Shared fixtures: a private MariaDB server (one per session) and fresh SACoche databases.

MariaDB missing: tests needing it are skipped locally, but FAIL when the environment variable CI is
"true" (a CI run must never silently skip them). The logic lives in tests/support/mariadb.py.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from support.mariadb import MariaDBServer, MariaDBUnavailable, SacocheDatabase

from engine.cache import ENV_VAR as CACHE_ENV_VAR
from engine.cache import cache_dir
from engine.sacoche_schema import create_sqlite

_db_counter = itertools.count(1)

# Hypothesis: derandomised in CI (the same examples on every run), random locally. Tests that set their
# own max_examples read it from ONDE_PROPERTY_EXAMPLES / ONDE_LITERAL_EXAMPLES for longer local runs.
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci() else "dev"))

_saved_cache_setting: list[str | None] = []


def pytest_configure(config: pytest.Config) -> None:
    """The whole run (subprocesses included) caches in a private temporary directory, never in ~/.cache.

    A hook rather than a session fixture: modules such as tests/schools.py load the rules when imported,
    during collection, before any fixture runs.
    """
    _saved_cache_setting.append(os.environ.get(CACHE_ENV_VAR))
    os.environ[CACHE_ENV_VAR] = tempfile.mkdtemp(prefix="onde-sacoche-test-cache-")
    cache_dir.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _saved_cache_setting:
        return
    shutil.rmtree(os.environ[CACHE_ENV_VAR], ignore_errors=True)
    saved = _saved_cache_setting.pop()
    if saved is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = saved
    cache_dir.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using a MariaDB fixture get the ``mariadb`` marker even if they forgot it."""
    for item in items:
        if {"mariadb_server", "sacoche_mysql"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mariadb)


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """A private MariaDB server started once per session (unix socket only), stopped at the end."""
    try:
        server = MariaDBServer(tmp_path_factory.mktemp("mariadb"))
    except MariaDBUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI=true and MariaDB is required: {exc}", pytrace=False)
        pytest.skip(f"MariaDB not installed: {exc}")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sacoche_mysql(mariadb_server: MariaDBServer, request: pytest.FixtureRequest) -> Iterator[SacocheDatabase]:
    """A fresh database (unique name) with engine/sacoche_schema/mysql.sql loaded; dropped afterwards."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", request.node.name).strip("_").lower()
    name = f"t{next(_db_counter):04d}_{slug}"[:64]
    mariadb_server.create_database(name)
    try:
        mariadb_server.load_sacoche_schema(name)
        yield SacocheDatabase(mariadb_server, name)
    finally:
        mariadb_server.drop_database(name)


@pytest.fixture
def sacoche_sqlite(tmp_path: Path) -> Path:
    """Path of a fresh SQLite file holding the SACoche schema (engine/sacoche_schema/sqlite.sql)."""
    path = tmp_path / "sacoche.sqlite"
    create_sqlite(path)
    return path
