"""What a regency's hardware looks like now (the board) and the figures the province view
reads: recording sets working/total, open incidents with cause and age, recording stopped
since, uptime over the last 30 days."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.errors import NotFound
from siaga_platform.hardware import repository
from siaga_platform.hardware.capacity import SHARED, Capacity, recording_capacity
from siaga_platform.hardware.models import Device, Heartbeat, Incident, MaintenanceWindow, Site
from siaga_platform.hardware.state import DeviceState, site_states
from siaga_platform.hardware.uptime import (
    Interval,
    OfficeHours,
    ceil_hour,
    floor_hour,
    next_month,
    recording_availability,
    up_and_counted_seconds,
    week_hour,
)

UPTIME_DAYS = 30


@dataclass(frozen=True, slots=True)
class SiteView:
    site: Site
    devices: list[tuple[Device, DeviceState]]


@dataclass(frozen=True, slots=True)
class Board:
    sites: list[SiteView]
    capacity: Capacity
    open_incidents: list[Incident]


async def board(
    db: AsyncSession, *, now: datetime, devices: Sequence[Device] | None = None
) -> Board:
    """The regency's devices by site with their state now (``devices``: all of them, when the
    caller read them already)."""
    if devices is None:
        devices = await repository.all_devices(db)
    sites = {s.id: s for s in await repository.sites(db)}
    by_site: dict[uuid.UUID, list[Device]] = {}
    for device in devices:
        by_site.setdefault(device.site_id, []).append(device)
    states: dict[uuid.UUID, DeviceState] = {}
    views = []
    for site_id, site in sites.items():
        listed = by_site.get(site_id, [])
        site_state = site_states(listed, now)
        states.update(site_state)
        views.append(SiteView(site, [(d, site_state[d.id]) for d in listed]))
    return Board(
        sites=views,
        capacity=recording_capacity(devices, states),
        open_incidents=list(await repository.open_incidents(db)),
    )


@dataclass(frozen=True, slots=True)
class UptimeReport:
    """The uptime page's figures over a range."""

    device_uptimes: dict[uuid.UUID, float]
    recording: float | None  # the office's recording availability
    board: Board  # the devices by site, as they are now


async def uptime_report(
    db: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    office: OfficeHours | None,
    now: datetime,
) -> UptimeReport:
    """Uptime per device and the office's recording availability over [start, end) (only
    within ``office`` hours when given), beside the board now: the devices read once."""
    devices = list(await repository.all_devices(db))
    only = office.between(start, end) if office is not None else None
    return UptimeReport(
        device_uptimes=await device_uptimes(db, start, end, office=office, devices=devices),
        recording=await recording_share(db, start, end, only=only, devices=devices),
        board=await board(db, now=now, devices=devices),
    )


async def device_uptimes(
    db: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    office: OfficeHours | None = None,
    devices: Sequence[Device] | None = None,
) -> dict[uuid.UUID, float]:
    """Uptime of each device (``devices``: all of the regency's, when the caller read them
    already) over [start, end), planned maintenance left out, optionally only within the
    office's hours. The whole hours the worker rolled up are summed from the
    hourly roll-ups (a year is one query); the rest (the hours since, a partial hour) is
    integrated from the state log, with the maintenance windows."""
    mark = await repository.rollup_mark(db)
    rolled_from = ceil_hour(start)
    rolled_to = min(floor_hour(end), mark.rolled_until) if mark is not None else rolled_from
    if rolled_from < rolled_to:
        sums = await _rolled_sums(db, rolled_from, rolled_to, office)
        rest = [(start, rolled_from), (rolled_to, end)]
    else:
        sums, rest = {}, [(start, end)]
    rest = [(a, b) for a, b in rest if a < b]
    windows = list(await repository.maintenance_between(db, start, end)) if rest else []
    logs = [(a, b, await repository.state_changes_of_all(db, a, b)) for a, b in rest]
    values: dict[uuid.UUID, float] = {}
    if devices is None:
        devices = await repository.all_devices(db)
    for device in devices:
        planned = [
            (w.starts_at, w.ends_at)
            for w in windows
            if w.device_id == device.id or w.site_id == device.site_id
        ]
        up, counted = sums.get(device.id, (0.0, 0.0))
        for a, b, changes in logs:
            more_up, more_counted = up_and_counted_seconds(
                changes.get(device.id, []),
                a,
                b,
                maintenance=planned,
                only=office.between(a, b) if office is not None else None,
            )
            up, counted = up + more_up, counted + more_counted
        if counted:
            values[device.id] = up / counted
    return values


async def _rolled_sums(
    db: AsyncSession, start: datetime, end: datetime, office: OfficeHours | None
) -> dict[uuid.UUID, tuple[float, float]]:
    """(seconds up, counted) per device over rolled-up [start, end): whole UTC months from the
    monthly sums, the rest of the whole days from the daily sums and the hours at the edges
    from the hourly rows; office hours (which days cannot tell) from the monthly sums kept for
    them, the edge months' office hours from the hourly rows (``_office_sums``)."""
    if office is not None:
        return await _office_sums(db, start, end, office)
    first_day = ceil_day(start)
    last_day = end.astimezone(UTC).date()
    if first_day >= last_day:
        return await repository.hourly_sums(db, start, end)
    first_month = ceil_month(start)
    last_month = last_day.replace(day=1)
    if first_month >= last_month:
        first_month = last_month = last_day  # no whole month: all whole days
    return _added(
        await _whole_months(db, first_month, last_month, None),
        await repository.daily_sums(db, first_day, first_month),
        await repository.daily_sums(db, last_month, last_day),
        await repository.hourly_sums(db, start, _midnight(first_day)),
        await repository.hourly_sums(db, _midnight(last_day), end),
    )


async def _office_sums(
    db: AsyncSession, start: datetime, end: datetime, office: OfficeHours
) -> dict[uuid.UUID, tuple[float, float]]:
    """Office hours over rolled-up [start, end): whole UTC months from their sums, the hours
    of the edge months from the hourly rows of the office's hours picked by their times (not
    every hour of the edges filtered)."""
    week_hours = office.week_hours()
    first_month = ceil_month(start)
    last_month = end.astimezone(UTC).date().replace(day=1)
    if first_month >= last_month:
        return await repository.hourly_sums(db, start, end, week_hours=week_hours)
    in_office = set(week_hours)
    edges = [
        hour
        for a, b in ((start, _midnight(first_month)), (_midnight(last_month), end))
        for hour in _hours(a, b)
        if week_hour(hour) in in_office
    ]
    return _added(
        await _whole_months(db, first_month, last_month, office),
        await repository.hours_sums(db, edges),
    )


async def _whole_months(
    db: AsyncSession, first: date, end: date, office: OfficeHours | None
) -> dict[uuid.UUID, tuple[float, float]]:
    """The UTC months [first, end) (first days): those summed (for these office hours) from
    their monthly sums, ~12 rows a device a year; any other (kept before the months were, or
    summed before the office hours changed) from its days, or its office's week-hours."""
    if first >= end:
        return {}
    marks = await repository.month_marks(db, first, end)
    wanted = repository.office_key(office)
    summed: list[date] = []
    missing: list[date] = []
    month = first
    while month < end:
        fresh = month in marks and (office is None or marks[month] == wanted)
        (summed if fresh else missing).append(month)
        month = next_month(month)
    parts = [await repository.monthly_sums(db, summed, office=office is not None)]
    for a, b in _runs(missing):
        if office is None:
            parts.append(await repository.daily_sums(db, a, b))
        else:
            parts.append(await repository.week_hour_sums(db, a, b, office.week_hours()))
    return _added(*parts)


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """Consecutive months (ascending first days) as [first, end) ranges."""
    runs: list[tuple[date, date]] = []
    for month in months:
        if runs and runs[-1][1] == month:
            runs[-1] = (runs[-1][0], next_month(month))
        else:
            runs.append((month, next_month(month)))
    return runs


def _hours(start: datetime, end: datetime) -> list[datetime]:
    """The whole UTC hours starting in [start, end) (both on the hour)."""
    hours = []
    while start < end:
        hours.append(start)
        start += timedelta(hours=1)
    return hours


def _added(*parts: dict[uuid.UUID, tuple[float, float]]) -> dict[uuid.UUID, tuple[float, float]]:
    sums: dict[uuid.UUID, tuple[float, float]] = {}
    for part in parts:
        for device_id, (up, counted) in part.items():
            was_up, was_counted = sums.get(device_id, (0.0, 0.0))
            sums[device_id] = (was_up + up, was_counted + counted)
    return sums


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def ceil_month(at: datetime) -> date:
    utc = at.astimezone(UTC)
    month = utc.date().replace(day=1)
    if utc == _midnight(month):
        return month
    return next_month(month)


def ceil_day(at: datetime) -> date:
    utc = at.astimezone(UTC)
    return utc.date() if utc == _midnight(utc.date()) else utc.date() + timedelta(days=1)


async def recording_share(
    db: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    only: list[Interval] | None = None,
    devices: Sequence[Device] | None = None,
) -> float | None:
    """The office's recording availability over [start, end): the share of its recording
    sets' time they could record (every member up; the ``*`` server belongs to every set),
    planned maintenance left out. What the province page calls uptime: a stopped server makes
    it 0 however many printers and readers stay up. ``devices``: all of the regency's, when
    the caller read them already."""
    if devices is None:
        devices = await repository.all_devices(db)
    shared = [d.id for d in devices if d.recording_set == SHARED]
    sets: dict[str, list[uuid.UUID]] = {}
    for device in devices:
        if device.recording_set and device.recording_set != SHARED:
            sets.setdefault(device.recording_set, list(shared)).append(device.id)
    if not sets:
        return None
    members = {d for ids in sets.values() for d in ids}
    windows = list(await repository.maintenance_between(db, start, end))
    planned = {
        d.id: [
            (w.starts_at, w.ends_at)
            for w in windows
            if w.device_id == d.id or w.site_id == d.site_id
        ]
        for d in devices
        if d.id in members
    }
    changes = {d: await repository.state_changes(db, d, start, end) for d in members}
    return recording_availability(sets, changes, start, end, maintenance=planned, only=only)


async def tenant_recording_share(
    db: AsyncSession, *, now: datetime, days: int = UPTIME_DAYS
) -> float | None:
    return await recording_share(db, now - timedelta(days=days), now)


async def planned_maintenance(
    db: AsyncSession, now: datetime, *, days: int = 30
) -> Sequence[MaintenanceWindow]:
    """The maintenance windows of the regency in scope over the next ``days``."""
    return await repository.maintenance_between(db, now, now + timedelta(days=days))


@dataclass(frozen=True, slots=True)
class DeviceView:
    device: Device
    #: The latest heartbeats, newest first.
    beats: Sequence[Heartbeat]
    #: Its logged state changes since ``since``.
    changes: list[tuple[datetime, str]]
    since: datetime


async def device_view(
    db: AsyncSession, device_id: uuid.UUID, now: datetime, *, days: int = 30
) -> DeviceView:
    """A device of the regency in scope with its recent beats and state log (404 otherwise)."""
    device = await repository.device(db, device_id)
    if device is None:
        raise NotFound("Perangkat tidak ditemukan.")
    since = now - timedelta(days=days)
    changes = await repository.state_changes(db, device.id, since, now)
    return DeviceView(device, await repository.recent_beats(db, device.id), changes, since)
