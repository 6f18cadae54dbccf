"""What the job queue's own tables say (procrastinate's, migration 0013): read for the metrics
and the readiness check; no RLS there, they hold no tenant data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column

_jobs = table("procrastinate_jobs", column("task_name"), column("status"))
_workers = table("procrastinate_workers", column("id"), column("last_heartbeat"))


async def job_counts(db: AsyncSession) -> list[tuple[str, str, int]]:
    """(task, status, jobs) of every job kept (successful ones are deleted as they finish)."""
    rows = await db.execute(
        select(_jobs.c.task_name, _jobs.c.status, func.count()).group_by(
            _jobs.c.task_name, _jobs.c.status
        )
    )
    return [(task, status, count) for task, status, count in rows]


async def live_workers(db: AsyncSession, since: datetime) -> int:
    """Workers whose heartbeat (every 10 s) came after ``since``."""
    count = await db.scalar(
        select(func.count()).select_from(_workers).where(_workers.c.last_heartbeat > since)
    )
    return int(count or 0)
