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

import pytest
from _pytest.reports import TestReport

from tests.fixtures.databases import (
    BACKENDS,
    DatabaseTemplates,
    ScratchDatabase,
    service_missing,
)

REQUIRE_SERVICES = os.environ.get("SIAGA_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked postgres_only do not run on the SQLite parameter, sqlite_only ones not on
    the PostgreSQL one."""
    kept = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if item.get_closest_marker("postgres_only") and backend == "sqlite":
            continue
        if item.get_closest_marker("sqlite_only") and backend == "postgresql":
            continue
        kept.append(item)
    items[:] = kept


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
