"""Raw heartbeats kept for a window of days (``SIAGA_HEARTBEAT_RETENTION_DAYS``), run by the
worker's ``hardware.partitions`` task about hourly: on PostgreSQL the day partitions of the
accept window and the days ahead are made, every regency's new hours are rolled up (and the
days about to go rolled once more, their beats final), then the days past the window are
dropped whole. SQLite (development) keeps its one plain table and everything in it, and is
rolled up the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.hardware import repository, rollup
from siaga_platform.hardware.service import OLDEST_ACCEPTED
from siaga_platform.tenancy.unit_of_work import unit_of_work

#: Day partitions made ahead: a worker away for up to a week loses nothing to the DEFAULT
#: partition (which would keep the beats anyway, moving them out when their day is made).
DAYS_AHEAD = 7


@dataclass(frozen=True, slots=True)
class RetentionReport:
    partitions_made: int
    hours_rolled: int
    days_dropped: list[date]


def oldest_kept_day(now: datetime, retention_days: int) -> date:
    """The first UTC day whose raw beats are kept."""
    return (now - timedelta(days=retention_days)).date()


async def keep_beats(
    factory: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    retention_days: int,
    office_hours: rollup.OfficeHoursSource | None = None,
) -> RetentionReport:
    """Partitions for every day a beat may arrive for, the hours rolled up, then the days past
    the window dropped (never before their roll-up is written)."""
    first_kept = oldest_kept_day(now, retention_days)
    async with unit_of_work(factory) as db:
        made = await repository.ensure_beat_partitions(
            db, (now - OLDEST_ACCEPTED).date(), now.date() + timedelta(days=DAYS_AHEAD)
        )
        going = [day for day in await repository.beat_partition_days(db) if day < first_kept]
    rolled = await rollup.roll_up_all(factory, now=now, final_days=going, office_hours=office_hours)
    async with unit_of_work(factory) as db:
        dropped = await repository.drop_beat_partitions(db, first_kept)
    return RetentionReport(made, rolled, dropped)
