"""Per-device hourly roll-ups: each UTC hour's beats (by status) and its seconds up and counted
(from the state log, planned maintenance left out), kept two years. The worker rolls each
regency's complete hours from its mark on, and rolls a day again (late beats are final by then)
just before its raw beats are dropped; uptime over long ranges sums them (``board``).

Beside the hours, in the same transaction, their sums per whole UTC day, per UTC month and
place in the UTC week (week-hour, 0..167), and per UTC month: all its hours, and the office's
hours as the regency sets them (office hours are a set of week-hours whatever the setting).
Each run rewrites the days, the (month, week-hour) rows and the months its hours fall in, from
the stored hours; a year of uptime, office hours or not, then reads ~12 rows per device and the
edges. A month summed before the regency changed its office hours (or before the months were
kept) is summed again a few per run; until then pages read its week-hours instead."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.hardware import repository
from siaga_platform.hardware.models import HourlyRollup
from siaga_platform.hardware.uptime import (
    HOUR,
    OfficeHours,
    floor_hour,
    month_of,
    next_month,
    seconds_by_hour,
    week_hour,
)
from siaga_platform.hardware.watch import tenants_with_devices
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

#: How long the roll-ups are kept.
KEPT = timedelta(days=2 * 366)
#: At most this much rolled per regency and run: a first run over a long state log, or a
#: worker back after days away, catches up over a few runs instead of one long transaction.
MOST_PER_RUN = timedelta(days=7)
#: At most this many months summed again per regency and run after its office hours changed.
MONTHS_PER_RUN = 6

#: A regency's office hours (its own session, scope entered), None when it has none: the
#: registry's, which the hardware domain does not know.
OfficeHoursSource = Callable[[AsyncSession, uuid.UUID], Awaitable[OfficeHours | None]]


async def roll_hours(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    start: datetime,
    end: datetime,
    office: OfficeHours | None = None,
) -> int:
    """Rolls up [start, end) (whole UTC hours) of the regency in scope; rows written."""
    counts = await repository.beat_counts(db, start, end)
    changes = await repository.state_changes_of_all(db, start, end)
    windows = list(await repository.maintenance_between(db, start, end))
    rows: dict[tuple[uuid.UUID, datetime], dict[str, object]] = {}

    def row(device_id: uuid.UUID, hour: datetime) -> dict[str, object]:
        return rows.setdefault(
            (device_id, hour),
            {
                "tenant_id": tenant_id,
                "device_id": device_id,
                "hour": hour,
                "week_hour": week_hour(hour),
                "beats": 0,
                "ok": 0,
                "degraded": 0,
                "fault": 0,
                "up_seconds": 0.0,
                "counted_seconds": 0.0,
            },
        )

    for device in await repository.all_devices(db):
        planned = [
            (w.starts_at, w.ends_at)
            for w in windows
            if w.device_id == device.id or w.site_id == device.site_id
        ]
        logged = changes.get(device.id, [])
        for hour, (up, counted) in seconds_by_hour(logged, start, end, maintenance=planned).items():
            row(device.id, hour).update(up_seconds=up, counted_seconds=counted)
    for (device_id, hour), (beats, ok, degraded, fault) in counts.items():
        row(device_id, hour).update(beats=beats, ok=ok, degraded=degraded, fault=fault)
    await repository.save_hours(db, list(rows.values()))
    await db.flush()
    await repository.sum_days(db, tenant_id, start.date(), (end - HOUR).date())
    await repository.sum_week_hours(db, tenant_id, start, end)
    await repository.sum_months(db, tenant_id, _months(start, end), office)
    return len(rows)


def _months(start: datetime, end: datetime) -> list[date]:
    """The UTC months (first days) the hours [start, end) fall in."""
    months = []
    month = month_of(start)
    while month <= month_of(end - HOUR):
        months.append(month)
        month = next_month(month)
    return months


async def resum_stale_months(
    db: AsyncSession, tenant_id: uuid.UUID, rolled_until: datetime, office: OfficeHours | None
) -> int:
    """Months kept but not summed for the regency's office hours as they are now (changed
    since, or kept before the months were), newest first, at most ``MONTHS_PER_RUN``; how
    many were summed."""
    kept = _months(rolled_until - KEPT, rolled_until)
    if not kept:
        return 0
    end = next_month(kept[-1])
    marks = await repository.month_marks(db, kept[0], end)
    wanted = repository.office_key(office)
    stale = [m for m in reversed(kept) if m not in marks or marks[m] != wanted]
    await repository.sum_months(db, tenant_id, stale[:MONTHS_PER_RUN], office)
    return len(stale[:MONTHS_PER_RUN])


async def roll_up_tenant(
    db: AsyncSession, tenant_id: uuid.UUID, *, now: datetime, office: OfficeHours | None = None
) -> int:
    """The regency's complete hours since its mark (at most ``MOST_PER_RUN``); rows written."""
    mark = await repository.rollup_mark(db, lock=True)
    end = floor_hour(now)
    if mark is not None:
        start = mark.rolled_until
    else:
        first = await repository.first_state_change(db)
        start = floor_hour(first) if first is not None else end
    start = max(start, end - KEPT)
    end = min(end, start + MOST_PER_RUN)
    written = await roll_hours(db, tenant_id, start, end, office) if start < end else 0
    if mark is None:
        db.add(HourlyRollup(tenant_id=tenant_id, rolled_until=end))
    else:
        mark.rolled_until = max(mark.rolled_until, end)
    await repository.delete_hours_before(db, end - KEPT)
    if mark is not None or start < end:  # the regency has hours rolled up
        rolled_until = end if mark is None else mark.rolled_until
        await resum_stale_months(db, tenant_id, rolled_until, office)
    await db.flush()
    return written


def _day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + 24 * HOUR


async def roll_up_all(
    factory: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    final_days: Sequence[date] = (),
    office_hours: OfficeHoursSource | None = None,
) -> int:
    """Every regency with devices: its new hours, and ``final_days`` rolled again (their raw
    beats are about to be dropped); rows written. Without ``office_hours`` the months are kept
    without office sums (pages then read office hours from the week-hours)."""
    async with unit_of_work(factory) as db:
        tenant_ids = await tenants_with_devices(db)
    written = 0
    for tenant_id in sorted(tenant_ids, key=str):
        async with (
            unit_of_work(factory) as db,
            system_scope(db, TenantScope.single(tenant_id), why="hardware.rollup.roll_up_all"),
        ):
            office = await office_hours(db, tenant_id) if office_hours is not None else None
            for day in final_days:
                start, end = _day_range(day)
                written += await roll_hours(db, tenant_id, start, end, office)
            written += await roll_up_tenant(db, tenant_id, now=now, office=office)
    return written
