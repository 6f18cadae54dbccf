"""Rate limits shared by every worker and replica, kept in the database.

A sliding window over two fixed one-minute windows (the previous window's hits weighed by how
much of it still lies within the last 60 s): one upsert and one read per counted request, no
burst of twice the limit at a minute's edge. Each check runs in its own short transaction, so
a refused request still counts and no row lock is held while the request works; callers check
before the request's own transaction begins (SQLite has one writer at a time).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.errors import DomainError
from siaga_platform.limits import repository
from siaga_platform.tenancy.unit_of_work import unit_of_work

WINDOW = timedelta(minutes=1)
#: Old windows are deleted now and then by whoever counts (about one request in 200).
CLEAN_UP_CHANCE = 1 / 200


class TooManyRequests(DomainError):
    status_code = 429
    message = "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Limit:
    """``per_minute`` requests of one kind (``name``) per key (client, session, …)."""

    name: str
    per_minute: int
    message: str = TooManyRequests.message


def _window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _estimate(now: datetime, current: int, previous: int) -> float:
    elapsed = (now - _window_start(now)) / WINDOW
    return current + previous * (1 - elapsed)


class RateLimiter:
    def __init__(self, factory: async_sessionmaker[AsyncSession], secret: bytes) -> None:
        self._factory = factory
        self._secret = secret

    def _bucket(self, limit: Limit, key: str) -> str:
        # Keyed hash: the table never holds an address or a session id.
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:64]
        return f"{limit.name}:{digest}"[:96]

    async def hit(self, limit: Limit, key: str, *, now: datetime | None = None) -> None:
        """Counts one request of ``key``; refuses it (429) past the limit."""
        now = now or datetime.now(UTC)
        bucket = self._bucket(limit, key)
        start = _window_start(now)
        async with unit_of_work(self._factory) as session:
            current = await repository.count_hit(session, bucket, start)
            previous = (await repository.hits(session, bucket, [start - WINDOW])).get(
                start - WINDOW, 0
            )
            if random.random() < CLEAN_UP_CHANCE:  # noqa: S311 - not a secret
                await repository.forget_before(session, start - WINDOW)
        if _estimate(now, current, previous) > limit.per_minute:
            raise TooManyRequests(limit.message, retry_after=_retry_after(now))

    async def refuse_if_over(self, limit: Limit, key: str, *, now: datetime | None = None) -> None:
        """Refuses (429) when ``key`` is already past the limit, without counting: for limits
        on failures, which are counted only when they happen (``hit`` after the failure)."""
        now = now or datetime.now(UTC)
        bucket = self._bucket(limit, key)
        start = _window_start(now)
        async with unit_of_work(self._factory) as session:
            found = await repository.hits(session, bucket, [start, start - WINDOW])
        if _estimate(now, found.get(start, 0), found.get(start - WINDOW, 0)) >= limit.per_minute:
            raise TooManyRequests(limit.message, retry_after=_retry_after(now))


def _retry_after(now: datetime) -> int:
    return max(1, 60 - now.second)
