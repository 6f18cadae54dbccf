"""What a regency's hardware looks like now (the board) and the figures the province view
reads: recording sets working/total, open incidents with cause and age, recording stopped
since, uptime over the last 30 days."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware import repository
from siaga_platform.hardware.capacity import Capacity, recording_capacity
from siaga_platform.hardware.models import Device, Incident, Site
from siaga_platform.hardware.state import DeviceState, site_states
from siaga_platform.hardware.uptime import (
    OfficeHours,
    ceil_hour,
    floor_hour,
    up_and_counted_seconds,
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


async def board(db: AsyncSession, *, now: datetime) -> Board:
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


async def device_uptimes(
    db: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    office: OfficeHours | None = None,
) -> dict[uuid.UUID, float]:
    """Uptime of each device over [start, end), planned maintenance left out, optionally
    only within the office's hours. The whole hours the worker rolled up are summed from the
    hourly roll-ups (a year is one query); the rest (the hours since, a partial hour) is
    integrated from the state log, with the maintenance windows."""
    mark = await repository.rollup_mark(db)
    rolled_from = ceil_hour(start)
    rolled_to = min(floor_hour(end), mark.rolled_until) if mark is not None else rolled_from
    if rolled_from < rolled_to:
        week_hours = office.week_hours() if office is not None else None
        sums = await repository.hourly_sums(db, rolled_from, rolled_to, week_hours=week_hours)
        rest = [(start, rolled_from), (rolled_to, end)]
    else:
        sums, rest = {}, [(start, end)]
    rest = [(a, b) for a, b in rest if a < b]
    windows = list(await repository.maintenance_between(db, start, end)) if rest else []
    logs = [(a, b, await repository.state_changes_of_all(db, a, b)) for a, b in rest]
    values: dict[uuid.UUID, float] = {}
    for device in await repository.all_devices(db):
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


async def tenant_uptime(
    db: AsyncSession, *, now: datetime, days: int = UPTIME_DAYS
) -> float | None:
    """Mean uptime of the regency's devices over the last ``days`` (planned maintenance out)."""
    values = list((await device_uptimes(db, now - timedelta(days=days), now)).values())
    return sum(values) / len(values) if values else None
