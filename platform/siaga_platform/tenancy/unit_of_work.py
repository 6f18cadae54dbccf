"""The unit of work: a session that carries the tenant wall, one commit at the end, and a
retry when PostgreSQL picks the transaction as a deadlock's victim.

Here rather than in ``db/``: the session class installs the wall (``tenancy/wall.py``), and the
retry puts the unit of work's scope back after rolling back, so ``db`` stays below ``tenancy``
(the ``db-below-tenancy`` import contract).

Retrying a unit of work's writes after PostgreSQL chose it as a deadlock's victim or refused
it as a serialization failure: the transaction is rolled back whole, so running the same work
again is safe, and the client never sees a 500 for a conflict it did not cause.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from siaga_platform.errors import DomainError
from siaga_platform.tenancy.scope import SCOPE_KEY, enter_scope
from siaga_platform.tenancy.wall import install_tenant_wall


class SiagaSession(Session):
    """The sync session under every AsyncSession; it carries the tenancy listeners.

    (AsyncSession itself has no ``after_begin`` event, so the listeners live here.)
    """


install_tenant_wall(SiagaSession)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, sync_session_class=SiagaSession, expire_on_commit=False, class_=AsyncSession
    )


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: services flush, this commits once at the end (or rolls back)."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except DomainError as error:
            if error.keeps_work:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise


log = logging.getLogger(__name__)

T = TypeVar("T")

#: deadlock_detected, serialization_failure: the transaction may succeed if run again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(error: BaseException) -> bool:
    """True for a deadlock or serialization failure, raised by psycopg itself (the heartbeat
    intake speaks to the driver directly) or wrapped by SQLAlchemy."""
    for candidate in (error, getattr(error, "orig", None), error.__cause__):
        if getattr(candidate, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
    return False


async def retry_transient(
    db: AsyncSession, work: Callable[[], Awaitable[T]], *, attempts: int = 4
) -> T:
    """``work()``; on a deadlock or serialization failure the session's transaction is rolled
    back and ``work()`` runs again (after a short jittered pause), up to ``attempts`` times.

    Roll-back means the whole unit of work: wrap everything the request writes (the heartbeat
    routes write nothing else), and only work that may safely run twice."""
    scope = db.info.get(SCOPE_KEY)
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except Exception as error:
            if attempt == attempts or not is_transient(error):
                raise
            log.warning("transaction retried after %s (attempt %d)", type(error).__name__, attempt)
            await db.rollback()
            await enter_scope(db, scope)
            await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter
    raise AssertionError("unreachable")
