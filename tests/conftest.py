"""Shared test set-up: each test gets a fresh database on SQLite and on PostgreSQL.

- SQLite: a migrated template file (reference data loaded) is copied per test.
- PostgreSQL: the throwaway cluster that `make test` starts (SIAGA_TEST_POSTGRES_ADMIN_URL); a
  migrated template database is cloned per test. The app connects as ``siaga_web`` (owns
  nothing, not BYPASSRLS), migrations run as ``siaga_owner``.

Without PostgreSQL its tests are skipped as "service missing"; under CI
(SIAGA_REQUIRE_SERVICES=1) such a skip is a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _pytest.reports import TestReport

from tests.fixtures.databases import (
    BACKENDS,
    DatabaseTemplates,
    ScratchDatabase,
    service_missing,
)

REQUIRE_SERVICES = os.environ.get("SIAGA_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres_only do not run on the SQLite parameter, sqlite_only ones not on
    the PostgreSQL one. A browser test runs on PostgreSQL only unless marked sqlite_only: what
    the browser sees does not depend on the database, and every read and write behind a page is
    tested on both backends without a browser (a browser test costs 10-25 s)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        fixtures = getattr(item, "fixturenames", ())
        sqlite_only = item.get_closest_marker("sqlite_only")
        postgres_only = item.get_closest_marker("postgres_only") or (
            "browser" in fixtures and not sqlite_only
        )
        if (postgres_only and backend == "sqlite") or (sqlite_only and backend == "postgresql"):
            dropped.append(item)
            continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


KEYCLOAK_TESTS = "tests/sso/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist (`make test` runs one worker per core) the tests are handed out one
    by one, except the Keycloak ones (tests/sso/, where the ``keycloak`` fixture lives): they
    share one realm whose client each test points at its own Siaga (redirect and back-channel
    logout URLs), so they run in order on one worker. (xdist's own ``loadgroup`` marks do not
    reach the scheduler under pytest 9.2, which no longer reads ``Item._nodeid``.)"""
    from xdist.scheduler import LoadScopeScheduling

    class KeycloakTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return KEYCLOAK_TESTS if nodeid.startswith(KEYCLOAK_TESTS) else nodeid

    return KeycloakTestsTogether(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: TestReport = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and "service missing" in str(report.longrepr):
        report.outcome = "failed"


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplates]:
    holder = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))
    holder.prepare()
    yield holder
    holder.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db(
    backend: str, templates: DatabaseTemplates, tmp_path: os.PathLike[str]
) -> AsyncIterator[ScratchDatabase]:
    if backend == "postgresql" and not templates.postgres_available:
        service_missing("PostgreSQL (make test starts a throwaway cluster)")
    database = templates.fresh(backend, str(tmp_path))
    try:
        yield database
    finally:
        await database.dispose()
        templates.drop(database)
