"""Every query of the hardware domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.upsert import insert_for, replacing
from siaga_platform.hardware.models import (
    BeatStatus,
    Device,
    DeviceDay,
    DeviceHour,
    DeviceMonth,
    DeviceStateChange,
    DeviceToken,
    DeviceWeekHourMonth,
    HardwareSummary,
    Heartbeat,
    HourlyRollup,
    Incident,
    IncidentEvent,
    MaintenanceWindow,
    RolledMonth,
    Site,
)
from siaga_platform.hardware.uptime import WEEK_HOURS, OfficeHours, month_of, next_month

# Row locks here are FOR NO KEY UPDATE (``key_share=True``), never FOR UPDATE: no key of a site
# or device is ever changed, and FOR UPDATE would also block the FOR KEY SHARE that PostgreSQL's
# foreign-key check takes on the referenced row. A second update of a device in one transaction
# re-checks its site key (PostgreSQL does so for a row version the transaction wrote itself),
# so a beat held a share lock on its devices' sites before locking them in order, and two beats
# waiting to lock a site each held the other's share lock: deadlocks (issue 16).


async def token(db: AsyncSession, token_hash: str) -> DeviceToken | None:
    return await db.get(DeviceToken, token_hash)


async def tokens_of(db: AsyncSession, device_id: uuid.UUID) -> Sequence[DeviceToken]:
    return (await db.scalars(select(DeviceToken).where(DeviceToken.device_id == device_id))).all()


async def device(db: AsyncSession, device_id: uuid.UUID, *, lock: bool = False) -> Device | None:
    query = select(Device).where(Device.id == device_id)
    if lock:
        query = query.with_for_update(key_share=True)
    return await db.scalar(query)


async def sites(db: AsyncSession) -> Sequence[Site]:
    return (await db.scalars(select(Site).order_by(Site.kind, Site.name))).all()


async def site(db: AsyncSession, site_id: uuid.UUID) -> Site | None:
    return await db.scalar(select(Site).where(Site.id == site_id))


async def devices_at(db: AsyncSession, site_id: uuid.UUID) -> Sequence[Device]:
    rows = await db.scalars(select(Device).where(Device.site_id == site_id).order_by(Device.label))
    return rows.all()


async def insert_beat(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    taken_at: datetime,
    status: str,
    readings: dict[str, Any],
) -> bool:
    """Stores a beat once; returns False when the same beat was already stored."""
    insert = insert_for(db)
    statement = (
        insert(Heartbeat)
        .on_conflict_do_nothing(index_elements=["tenant_id", "device_id", "taken_at"])
        .returning(Heartbeat.taken_at)
    )
    row = {
        "tenant_id": tenant_id,
        "device_id": device_id,
        "taken_at": taken_at,
        "status": status,
        "readings": readings,
    }
    # RETURNING, not rowcount: a skipped duplicate returns no row on every driver.
    # The row goes as parameters (not .values()): the statement's SQL is compiled once and
    # cached, and the tenancy wall reads the row's tenant without compiling anything.
    return (await db.execute(statement, [row])).first() is not None


async def recent_beats(
    db: AsyncSession, device_id: uuid.UUID, limit: int = 50
) -> Sequence[Heartbeat]:
    rows = await db.scalars(
        select(Heartbeat)
        .where(Heartbeat.device_id == device_id)
        .order_by(Heartbeat.taken_at.desc())
        .limit(limit)
    )
    return rows.all()


# The day partitions of the heartbeats (PostgreSQL, migration 0020): the app's role owns no
# table, so it calls the owner's SECURITY DEFINER functions. SQLite keeps one plain table.
_ENSURE_PARTITIONS = text("SELECT hardware_heartbeats_ensure_partitions(:first, :last)")
_DROP_PARTITIONS = text("SELECT * FROM hardware_heartbeats_drop_partitions(:before)")


async def ensure_beat_partitions(db: AsyncSession, first: date, last: date) -> int:
    """Creates the missing day partitions of [first, last] (UTC days); how many were made."""
    if db.get_bind().dialect.name != "postgresql":
        return 0
    return int(await db.scalar(_ENSURE_PARTITIONS, {"first": first, "last": last}) or 0)


async def drop_beat_partitions(db: AsyncSession, before: date) -> list[date]:
    """Drops the raw beats of the days before ``before`` (whole partitions); the days dropped.
    PostgreSQL refuses a day a beat may still arrive for."""
    if db.get_bind().dialect.name != "postgresql":
        return []
    return list(await db.scalars(_DROP_PARTITIONS, {"before": before}))


async def all_devices(db: AsyncSession, *, lock: bool = False) -> Sequence[Device]:
    query = select(Device).order_by(Device.id)  # one lock order everywhere: no deadlocks
    if lock:
        query = query.with_for_update(key_share=True)
    return (await db.scalars(query)).all()


def _silent_while_working(now: datetime) -> ColumnElement[bool]:
    """A device that went silent while counted as working (or unreachable)."""
    return and_(
        Device.silent_after < now, Device.logged_state.in_(["up", "degraded", "unreachable"])
    )


async def sites_due_for_sweep(db: AsyncSession, now: datetime) -> list[uuid.UUID]:
    rows = await db.scalars(select(Device.site_id).where(_silent_while_working(now)).distinct())
    return list(rows)


async def tenants_with_silent_devices(db: AsyncSession, now: datetime) -> list[uuid.UUID]:
    rows = await db.scalars(select(Device.tenant_id).where(_silent_while_working(now)).distinct())
    return list(rows)


async def devices_at_sites(
    db: AsyncSession, site_ids: list[uuid.UUID], *, lock: bool = False
) -> Sequence[Device]:
    query = select(Device).where(Device.site_id.in_(site_ids)).order_by(Device.id)
    if lock:
        query = query.with_for_update(key_share=True)
    return (await db.scalars(query)).all()


async def open_automatic_incidents_at(db: AsyncSession, site_id: uuid.UUID) -> Sequence[Incident]:
    rows = await db.scalars(
        select(Incident).where(
            Incident.site_id == site_id,
            Incident.closed_at.is_(None),
            Incident.opened_automatically.is_(True),
        )
    )
    return rows.all()


async def lock_site(db: AsyncSession, site_id: uuid.UUID) -> None:
    """Serialises incident bookkeeping per site (a beat and the sweep may both reconcile).
    Callers lock sites in one order (by id) after their devices."""
    await db.execute(select(Site.id).where(Site.id == site_id).with_for_update(key_share=True))


async def incident(db: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await db.scalar(select(Incident).where(Incident.id == incident_id))


async def open_incidents(db: AsyncSession) -> Sequence[Incident]:
    rows = await db.scalars(
        select(Incident).where(Incident.closed_at.is_(None)).order_by(Incident.opened_at)
    )
    return rows.all()


async def incident_timeline(db: AsyncSession, incident_id: uuid.UUID) -> Sequence[IncidentEvent]:
    rows = await db.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.at)
    )
    return rows.all()


async def maintenance_between(
    db: AsyncSession, start: datetime, end: datetime
) -> Sequence[MaintenanceWindow]:
    rows = await db.scalars(
        select(MaintenanceWindow).where(
            MaintenanceWindow.starts_at < end, MaintenanceWindow.ends_at > start
        )
    )
    return rows.all()


async def unacknowledged_incidents(
    db: AsyncSession,
) -> Sequence[tuple[uuid.UUID, uuid.UUID, str | None, datetime]]:
    """Open incidents of the regencies in scope that no province supervisor acknowledged:
    (tenant, incident, its site's name, opened at). The title stays out: typed by hand, it
    may hold a person's name, and this goes into messages."""
    acknowledged = (
        select(IncidentEvent.id)
        .where(
            IncidentEvent.tenant_id == Incident.tenant_id,
            IncidentEvent.incident_id == Incident.id,
            IncidentEvent.kind == "acknowledged",
        )
        .exists()
    )
    rows = await db.execute(
        select(Incident.tenant_id, Incident.id, Site.name, Incident.opened_at)
        .outerjoin(Site, and_(Site.tenant_id == Incident.tenant_id, Site.id == Incident.site_id))
        .where(Incident.closed_at.is_(None), ~acknowledged)
    )
    return [(tenant, incident, site, opened) for tenant, incident, site, opened in rows]


async def down_devices_at_sites(
    db: AsyncSession, device_ids: set[uuid.UUID]
) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
    """(site, device) for those of ``device_ids`` that are down now (in scope)."""
    if not device_ids:
        return []
    rows = await db.execute(
        select(Device.site_id, Device.id).where(
            Device.id.in_(device_ids), Device.logged_state == "down"
        )
    )
    return [(site, device) for site, device in rows]


async def state_changes(
    db: AsyncSession, device_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[datetime, str]]:
    """The changes inside [start, end) and the last one before start."""
    before = await db.execute(
        select(DeviceStateChange.at, DeviceStateChange.state)
        .where(DeviceStateChange.device_id == device_id, DeviceStateChange.at < start)
        .order_by(DeviceStateChange.at.desc())
        .limit(1)
    )
    inside = await db.execute(
        select(DeviceStateChange.at, DeviceStateChange.state)
        .where(
            DeviceStateChange.device_id == device_id,
            DeviceStateChange.at >= start,
            DeviceStateChange.at < end,
        )
        .order_by(DeviceStateChange.at)
    )
    return [(at, state) for at, state in [*before.all(), *inside.all()]]


async def summary(
    db: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False
) -> HardwareSummary | None:
    query = select(HardwareSummary).where(HardwareSummary.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return await db.scalar(query)


async def summaries(db: AsyncSession) -> Sequence[HardwareSummary]:
    return (await db.scalars(select(HardwareSummary))).all()


async def summaries_with_stale_uptime(db: AsyncSession, before: datetime) -> list[uuid.UUID]:
    rows = await db.scalars(
        select(HardwareSummary.tenant_id).where(HardwareSummary.uptime_as_of < before)
    )
    return list(rows)


async def acknowledged(
    db: AsyncSession, incident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, IncidentEvent]:
    """The latest acknowledgement (a supervisor's note) of each of these incidents."""
    if not incident_ids:
        return {}
    rows = await db.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id.in_(incident_ids), IncidentEvent.kind == "acknowledged")
        .order_by(IncidentEvent.at)
    )
    return {event.incident_id: event for event in rows}


async def sites_with_devices_down(
    db: AsyncSession,
) -> Sequence[tuple[uuid.UUID, uuid.UUID, str, int, datetime | None]]:
    """Per site of the regencies in scope with a device down (silent or faulty, as the sweep
    and the beats logged it): (tenant, site, site name, devices down, down since the
    earliest), one statement for all of them."""
    rows = await db.execute(
        select(
            Device.tenant_id,
            Site.id,
            Site.name,
            func.count(),
            func.min(Device.logged_state_since),
        )
        .join(Site, and_(Site.tenant_id == Device.tenant_id, Site.id == Device.site_id))
        .where(Device.logged_state == "down")
        .group_by(Device.tenant_id, Site.id, Site.name)
    )
    return [(t, s, name, count, since) for t, s, name, count, since in rows]


# The hourly roll-ups (``hardware.rollup``), of the regency in scope.
_PARTITION_DAYS = text(
    "SELECT to_date(right(c.relname, 8), 'YYYYMMDD') FROM pg_inherits AS i"
    " JOIN pg_class AS c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'hardware_heartbeats'::regclass"
    " AND c.relname ~ '^hardware_heartbeats_p[0-9]{8}$' ORDER BY 1"
)


async def beat_partition_days(db: AsyncSession) -> list[date]:
    """The days that have a partition of raw beats (PostgreSQL; none on SQLite)."""
    if db.get_bind().dialect.name != "postgresql":
        return []
    return list(await db.scalars(_PARTITION_DAYS))


async def rollup_mark(db: AsyncSession, *, lock: bool = False) -> HourlyRollup | None:
    query = select(HourlyRollup)
    if lock:
        query = query.with_for_update()
    return await db.scalar(query)


async def rewind_rollup(db: AsyncSession, since: datetime) -> None:
    """The regency's hours from ``since`` on are rolled up again (a planned maintenance added
    afterwards changes them); until then uptime integrates them from the state log."""
    await db.execute(
        update(HourlyRollup)
        .where(HourlyRollup.rolled_until > since)
        .values(rolled_until=since)
        .execution_options(synchronize_session=False)
    )


async def first_state_change(db: AsyncSession) -> datetime | None:
    return await db.scalar(select(func.min(DeviceStateChange.at)))


def _hour_of(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00", column)


async def beat_counts(
    db: AsyncSession, start: datetime, end: datetime
) -> dict[tuple[uuid.UUID, datetime], tuple[int, int, int, int]]:
    """(beats, ok, degraded, fault) of each device and UTC hour in [start, end)."""
    dialect = db.get_bind().dialect.name
    hour = _hour_of(Heartbeat.taken_at, dialect).label("hour")

    def counting(status: BeatStatus) -> Any:
        return func.sum(case((Heartbeat.status == status.value, 1), else_=0))

    rows = await db.execute(
        select(
            Heartbeat.device_id,
            hour,
            func.count(),
            counting(BeatStatus.OK),
            counting(BeatStatus.DEGRADED),
            counting(BeatStatus.FAULT),
        )
        .where(Heartbeat.taken_at >= start, Heartbeat.taken_at < end)
        .group_by(Heartbeat.device_id, hour)
    )
    counts = {}
    for device_id, at, beats, ok, degraded, fault in rows:
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        counts[(device_id, at.replace(tzinfo=UTC))] = (beats, ok, degraded, fault)
    return counts


async def state_changes_of_all(
    db: AsyncSession, start: datetime, end: datetime
) -> dict[uuid.UUID, list[tuple[datetime, str]]]:
    """Each device's changes inside [start, end) and its last one before start (two queries
    for the whole regency, not two per device)."""
    last = (
        select(DeviceStateChange.device_id, func.max(DeviceStateChange.at).label("at"))
        .where(DeviceStateChange.at < start)
        .group_by(DeviceStateChange.device_id)
        .subquery()
    )
    before = await db.execute(
        select(DeviceStateChange.device_id, DeviceStateChange.at, DeviceStateChange.state).join(
            last,
            and_(
                DeviceStateChange.device_id == last.c.device_id,
                DeviceStateChange.at == last.c.at,
            ),
        )
    )
    inside = await db.execute(
        select(DeviceStateChange.device_id, DeviceStateChange.at, DeviceStateChange.state)
        .where(DeviceStateChange.at >= start, DeviceStateChange.at < end)
        .order_by(DeviceStateChange.at)
    )
    changes: dict[uuid.UUID, list[tuple[datetime, str]]] = {}
    for device_id, at, state in [*before.all(), *inside.all()]:
        changes.setdefault(device_id, []).append((at, state))
    return changes


async def save_hours(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Writes the rolled-up hours, replacing those rolled before (late beats, maintenance)."""
    if not rows:
        return
    kept = ("week_hour", "beats", "ok", "degraded", "fault", "up_seconds", "counted_seconds")
    statement = replacing(db, DeviceHour, ["tenant_id", "device_id", "hour"], kept)
    await db.execute(statement, rows)


async def delete_hours_before(db: AsyncSession, before: datetime) -> None:
    await db.execute(delete(DeviceHour).where(DeviceHour.hour < before))
    await db.execute(delete(DeviceDay).where(DeviceDay.day < before.date()))
    # A month goes once all its hours are gone (the one ``before`` falls in stays whole).
    await db.execute(
        delete(DeviceWeekHourMonth).where(DeviceWeekHourMonth.month < month_of(before))
    )
    await db.execute(delete(DeviceMonth).where(DeviceMonth.month < month_of(before)))
    await db.execute(delete(RolledMonth).where(RolledMonth.month < month_of(before)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


async def sum_week_hours(
    db: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    """The week-hour rows of the months [start, end) touches written again from their hours:
    only the week-hours of [start, end) (an hourly run rewrites one per month, reading ~5
    hours per device by their exact times, not the month's ~720)."""
    if start >= end:
        return
    first, last = month_of(start), month_of(end - timedelta(hours=1))
    lo, hi = _midnight(first), _midnight(next_month(last))
    query = select(
        DeviceHour.device_id,
        DeviceHour.hour,
        DeviceHour.week_hour,
        DeviceHour.up_seconds,
        DeviceHour.counted_seconds,
    )
    week = timedelta(days=7)
    if end - start >= week:
        query = query.where(DeviceHour.hour >= lo, DeviceHour.hour < hi)
    else:
        hours = []
        hour = start
        while hour < end:  # every hour of the months sharing a week-hour with [start, end)
            same = hour - ((hour - lo) // week) * week
            while same < hi:
                hours.append(same)
                same += week
            hour += timedelta(hours=1)
        query = query.where(DeviceHour.hour.in_(hours))
    sums: dict[tuple[uuid.UUID, date, int], list[float]] = {}
    for device_id, hour, week_hour, up, counted in await db.execute(query):
        total = sums.setdefault((device_id, month_of(hour), week_hour), [0.0, 0.0])
        total[0] += up
        total[1] += counted
    if not sums:
        return
    statement = replacing(
        db,
        DeviceWeekHourMonth,
        ["tenant_id", "week_hour", "month", "device_id"],
        ("up_seconds", "counted_seconds"),
    )
    await db.execute(
        statement,
        [
            {
                "tenant_id": tenant_id,
                "week_hour": week_hour,
                "month": month,
                "device_id": device_id,
                "up_seconds": up,
                "counted_seconds": counted,
            }
            for (device_id, month, week_hour), (up, counted) in sums.items()
        ],
    )


#: A month's office hours as its mark keeps them: (UTC offset, opens, closes); None: none.
OfficeKey = tuple[int, int, int] | None


def office_key(office: OfficeHours | None) -> OfficeKey:
    return None if office is None else (office.utc_offset_hours, office.opens, office.closes)


async def sum_months(
    db: AsyncSession, tenant_id: uuid.UUID, months: Sequence[date], office: OfficeHours | None
) -> None:
    """The month rows of these months (first days) written again from their week-hour rows,
    all hours and the office's, and each month marked as summed for ``office``."""
    if not months:
        return
    office_hours = office.week_hours() if office is not None else []
    in_office = DeviceWeekHourMonth.week_hour.in_(
        bindparam("office_hours", office_hours, expanding=True, literal_execute=True)
    )
    rows = await db.execute(
        select(
            DeviceWeekHourMonth.month,
            DeviceWeekHourMonth.device_id,
            func.sum(DeviceWeekHourMonth.up_seconds),
            func.sum(DeviceWeekHourMonth.counted_seconds),
            func.sum(case((in_office, DeviceWeekHourMonth.up_seconds), else_=0.0)),
            func.sum(case((in_office, DeviceWeekHourMonth.counted_seconds), else_=0.0)),
        )
        .where(
            # Every week-hour written out: the key leads with it, so each is a probe of the
            # month's rows instead of a scan of every month the regency kept.
            DeviceWeekHourMonth.week_hour.in_(
                bindparam("week", list(range(WEEK_HOURS)), expanding=True, literal_execute=True)
            ),
            DeviceWeekHourMonth.month.in_(sorted(months)),
        )
        .group_by(DeviceWeekHourMonth.month, DeviceWeekHourMonth.device_id)
    )
    summed = [
        {
            "tenant_id": tenant_id,
            "month": month,
            "device_id": device_id,
            "up_seconds": float(up),
            "counted_seconds": float(counted),
            "office_up_seconds": float(office_up),
            "office_counted_seconds": float(office_counted),
        }
        for month, device_id, up, counted, office_up, office_counted in rows
    ]
    if summed:
        kept = ("up_seconds", "counted_seconds", "office_up_seconds", "office_counted_seconds")
        statement = replacing(db, DeviceMonth, ["tenant_id", "month", "device_id"], kept)
        await db.execute(statement, summed)
    marks = ("office_utc_offset_hours", "office_opens", "office_closes")
    summed_for = dict(zip(marks, office_key(office) or (None, None, None), strict=True))
    await db.execute(
        replacing(db, RolledMonth, ["tenant_id", "month"], marks),
        [{"tenant_id": tenant_id, "month": month, **summed_for} for month in sorted(set(months))],
    )


async def month_marks(db: AsyncSession, first: date, end: date) -> dict[date, OfficeKey]:
    """The summed months in [first, end) (first days), each with the office hours it was
    summed for."""
    rows = await db.execute(
        select(
            RolledMonth.month,
            RolledMonth.office_utc_offset_hours,
            RolledMonth.office_opens,
            RolledMonth.office_closes,
        ).where(RolledMonth.month >= first, RolledMonth.month < end)
    )
    marks: dict[date, OfficeKey] = {}
    for month, offset, opens, closes in rows:
        if offset is not None and opens is not None and closes is not None:
            marks[month] = (offset, opens, closes)
        else:
            marks[month] = None
    return marks


async def monthly_sums(
    db: AsyncSession, months: Sequence[date], *, office: bool
) -> dict[uuid.UUID, tuple[float, float]]:
    """Each device's (seconds up, seconds counted) over these summed months, all their hours
    or only the office's."""
    if not months:
        return {}
    up, counted = (
        (DeviceMonth.office_up_seconds, DeviceMonth.office_counted_seconds)
        if office
        else (DeviceMonth.up_seconds, DeviceMonth.counted_seconds)
    )
    rows = await db.execute(
        select(DeviceMonth.device_id, func.sum(up), func.sum(counted))
        .where(DeviceMonth.month.in_(sorted(months)))
        .group_by(DeviceMonth.device_id)
    )
    return {device_id: (float(u), float(c)) for device_id, u, c in rows}


async def sum_days(db: AsyncSession, tenant_id: uuid.UUID, first: date, last: date) -> None:
    """The daily rows of [first, last] written again from their hours."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    rows = await db.execute(
        select(
            DeviceHour.device_id,
            DeviceHour.hour,
            DeviceHour.beats,
            DeviceHour.up_seconds,
            DeviceHour.counted_seconds,
        ).where(DeviceHour.hour >= start, DeviceHour.hour < end)
    )
    days: dict[tuple[uuid.UUID, date], list[float]] = {}
    for device_id, hour, beats, up, counted in rows:
        total = days.setdefault((device_id, hour.astimezone(UTC).date()), [0, 0.0, 0.0])
        total[0] += beats
        total[1] += up
        total[2] += counted
    if not days:
        return
    statement = replacing(
        db,
        DeviceDay,
        ["tenant_id", "device_id", "day"],
        ("beats", "up_seconds", "counted_seconds"),
    )
    await db.execute(
        statement,
        [
            {
                "tenant_id": tenant_id,
                "device_id": device_id,
                "day": day,
                "beats": int(beats),
                "up_seconds": up,
                "counted_seconds": counted,
            }
            for (device_id, day), (beats, up, counted) in days.items()
        ],
    )


async def daily_sums(
    db: AsyncSession, first: date, end: date
) -> dict[uuid.UUID, tuple[float, float]]:
    """Each device's (seconds up, seconds counted) over the UTC days [first, end)."""
    rows = await db.execute(
        select(
            DeviceDay.device_id, func.sum(DeviceDay.up_seconds), func.sum(DeviceDay.counted_seconds)
        )
        .where(DeviceDay.day >= first, DeviceDay.day < end)
        .group_by(DeviceDay.device_id)
    )
    return {device_id: (float(up), float(counted)) for device_id, up, counted in rows}


async def hourly_sums(
    db: AsyncSession, start: datetime, end: datetime, *, week_hours: list[int] | None = None
) -> dict[uuid.UUID, tuple[float, float]]:
    """Each device's (seconds up, seconds counted) over the rolled-up hours in [start, end),
    only the hours of the week in ``week_hours`` when given (office hours)."""
    query = (
        select(
            DeviceHour.device_id,
            func.sum(DeviceHour.up_seconds),
            func.sum(DeviceHour.counted_seconds),
        )
        .where(DeviceHour.hour >= start, DeviceHour.hour < end)
        .group_by(DeviceHour.device_id)
    )
    if week_hours is not None:
        query = query.where(DeviceHour.week_hour.in_(week_hours))
    rows = await db.execute(query)
    return {device_id: (float(up), float(counted)) for device_id, up, counted in rows}


async def week_hour_sums(
    db: AsyncSession, first: date, end: date, week_hours: list[int]
) -> dict[uuid.UUID, tuple[float, float]]:
    """Each device's (seconds up, seconds counted) over the hours of the UTC months
    [first, end) (first days of months) whose place in the week is one of ``week_hours``."""
    # The office's week-hours and the months written into the statement, not bound: as
    # parameters, after five runs PostgreSQL's generic plan guessed 30 rows for the 44,000 a
    # year of 100 devices reads and sorted them on disk (105 ms against 28). Its text now
    # changes only with the office hours and the month, and the plan stays the right one.
    rows = await db.execute(
        select(
            DeviceWeekHourMonth.device_id,
            func.sum(DeviceWeekHourMonth.up_seconds),
            func.sum(DeviceWeekHourMonth.counted_seconds),
        )
        .where(
            DeviceWeekHourMonth.week_hour.in_(
                bindparam("week_hours", sorted(week_hours), expanding=True, literal_execute=True)
            ),
            DeviceWeekHourMonth.month >= bindparam("first", first, literal_execute=True),
            DeviceWeekHourMonth.month < bindparam("end", end, literal_execute=True),
        )
        .group_by(DeviceWeekHourMonth.device_id)
    )
    return {device_id: (float(up), float(counted)) for device_id, up, counted in rows}


async def hours_sums(
    db: AsyncSession, hours: Sequence[datetime]
) -> dict[uuid.UUID, tuple[float, float]]:
    """Each device's (seconds up, seconds counted) over these rolled-up hours (their starts):
    an index probe per hour, not a scan of the range they lie in."""
    if not hours:
        return {}
    rows = await db.execute(
        select(
            DeviceHour.device_id,
            func.sum(DeviceHour.up_seconds),
            func.sum(DeviceHour.counted_seconds),
        )
        .where(DeviceHour.hour.in_(hours))
        .group_by(DeviceHour.device_id)
    )
    return {device_id: (float(up), float(counted)) for device_id, up, counted in rows}


# The regency-level reads of the province and national pages (rollup/rows.py): one statement
# each for every regency in the read scope; the per-regency ones as column rows rather than
# ORM objects (hundreds of regencies, no identity map to fill).


async def recording_summaries(db: AsyncSession) -> dict[uuid.UUID, Any]:
    """Per regency: its hardware summary (sets working, open incidents, the oldest one,
    devices down, uptime), as a column row."""
    h = HardwareSummary
    rows = await db.execute(
        select(
            h.tenant_id,
            h.working_sets,
            h.total_sets,
            h.recording_stopped_since,
            h.open_incidents,
            h.oldest_incident_title,
            h.oldest_incident_cause,
            h.oldest_incident_opened_at,
            h.devices_down,
            h.uptime_30_days,
        )
    )
    return {row.tenant_id: row for row in rows}


async def last_beats(db: AsyncSession) -> dict[uuid.UUID, datetime | None]:
    """Per regency: the last heartbeat of any of its devices."""
    rows = await db.execute(
        select(Device.tenant_id, func.max(Device.last_beat_at)).group_by(Device.tenant_id)
    )
    return {tenant_id: last for tenant_id, last in rows}


async def incidents_since(db: AsyncSession, window_start: datetime) -> Sequence[Incident]:
    """The incidents open now or closed since ``window_start``, oldest first (the timeline)."""
    return (
        await db.scalars(
            select(Incident)
            .where(or_(Incident.closed_at.is_(None), Incident.closed_at >= window_start))
            .order_by(Incident.opened_at)
        )
    ).all()
