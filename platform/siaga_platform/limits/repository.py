"""The statements of the shared rate limits (one upsert per counted request)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Insert, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.upsert import add_to
from siaga_platform.limits.models import RateWindow


async def count_hit(session: AsyncSession, bucket: str, window_start: datetime) -> int:
    """Adds one hit to the bucket's window and returns the window's hits."""
    statement = add_to(
        session.get_bind().dialect.name,
        RateWindow,
        {"bucket": bucket, "window_start": window_start},
        {"hits": 1},
    )
    returning = cast(Insert, statement).returning(RateWindow.hits)
    return int((await session.execute(returning)).scalar_one())


async def hits(
    session: AsyncSession, bucket: str, window_starts: list[datetime]
) -> dict[datetime, int]:
    rows = await session.execute(
        select(RateWindow.window_start, RateWindow.hits).where(
            RateWindow.bucket == bucket, RateWindow.window_start.in_(window_starts)
        )
    )
    return {start: count for start, count in rows}


async def forget_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(RateWindow).where(RateWindow.window_start < cutoff))
