"""Running a unit of work's writes again after PostgreSQL chose it as a deadlock's victim or
refused it as a serialization failure: the transaction is rolled back whole, so running the
same work again is safe, and the client never sees a 500 for a conflict it did not cause."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.tenancy.scope import SCOPE_KEY, enter_scope

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
