"""What the health routes ask of the job queue: is a worker alive, how many jobs wait."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.jobs import repository


async def worker_alive(db: AsyncSession, since: datetime) -> bool:
    """Whether any worker's heartbeat (every 10 s) came after ``since``."""
    return await repository.live_workers(db, since) > 0


async def job_counts(db: AsyncSession) -> list[tuple[str, str, int]]:
    """(task, status, jobs) of every job kept (the metrics' queue figures)."""
    return await repository.job_counts(db)
