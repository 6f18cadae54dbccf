"""Hourly roll-ups on both databases: they agree with the raw beats and the state log, uptime
over a year answers from them, and (PostgreSQL) dropping old raw days keeps them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from siaga_platform.hardware import board, incidents, repository, rollup, service
from siaga_platform.hardware.models import BeatStatus, DeviceHour, Heartbeat, HourlyRollup
from siaga_platform.hardware.retention import keep_beats
from siaga_platform.hardware.uptime import HOUR, OfficeHours, floor_hour, week_hour
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server

MINUTE = timedelta(minutes=1)


async def _beat(db: ScratchDatabase, token: str, at: datetime, status: BeatStatus) -> None:
    """A beat taken at ``at`` as if it were then (its state change logged then too)."""
    async with unit_of_work(db.session_factory) as session:
        await service.take_beats(session, [(token, service.BeatIn(at, status))], now=at)


async def _history(db: ScratchDatabase, token: str, start: datetime, hours: int) -> None:
    """A beat every 10 minutes; faults in the second hour (the device is down then)."""
    for n in range(hours * 6):
        at = start + n * 10 * MINUTE + 3 * MINUTE
        status = BeatStatus.FAULT if 6 <= n < 12 else BeatStatus.OK
        if n == 20:
            status = BeatStatus.DEGRADED
        await _beat(db, token, at, status)


async def test_the_rollup_agrees_with_the_raw_beats_and_the_state_log(
    db: ScratchDatabase,
) -> None:
    who, device_id, token, _site = await office_server(db)
    assert who.tenant_id is not None
    now = datetime.now(UTC)
    start = floor_hour(now) - 5 * HOUR
    await _history(db, token, start, 4)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        direct = await board.device_uptimes(session, start, floor_hour(now))
        office = OfficeHours(7, 0, 23)  # all but an hour of the working days
        direct_office = await board.device_uptimes(session, start, floor_hour(now), office=office)
    assert await rollup.roll_up_all(db.session_factory, now=now) > 0
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        beats = (await session.scalars(select(Heartbeat))).all()
        hours = {h.hour: h for h in (await session.scalars(select(DeviceHour))).all()}
        mark = await session.scalar(select(HourlyRollup))
        rolled = await board.device_uptimes(session, start, floor_hour(now))
        rolled_office = await board.device_uptimes(session, start, floor_hour(now), office=office)
    assert mark is not None and mark.rolled_until == floor_hour(now)
    per_hour = Counter((floor_hour(b.taken_at), b.status) for b in beats)
    for hour, row in hours.items():
        assert row.device_id == device_id and row.week_hour == week_hour(hour)
        assert row.beats == sum(n for (h, _s), n in per_hour.items() if h == hour)
        assert (row.ok, row.degraded, row.fault) == tuple(
            per_hour[(hour, s.value)]
            for s in (BeatStatus.OK, BeatStatus.DEGRADED, BeatStatus.FAULT)
        )
    assert sum(h.beats for h in hours.values()) == len(beats) == 24
    assert hours[start + HOUR].fault == 6 and hours[start + 3 * HOUR].degraded == 1
    # Down for most of the second hour (from its first fault to the first good beats after it).
    assert hours[start + HOUR].up_seconds < hours[start + HOUR].counted_seconds
    assert rolled[device_id] == pytest.approx(direct[device_id])
    assert 0 < rolled[device_id] < 1
    if direct_office:  # the range may fall on a weekend in the office's zone
        assert rolled_office[device_id] == pytest.approx(direct_office[device_id])
    # A second run has nothing new: the mark holds.
    assert await rollup.roll_up_all(db.session_factory, now=now) == 0


async def test_uptime_over_a_year_answers_from_the_rollups(db: ScratchDatabase) -> None:
    who, device_id, token, _site = await office_server(db)
    assert who.tenant_id is not None
    now = datetime.now(UTC)
    await _beat(db, token, now - 2 * MINUTE, BeatStatus.OK)  # the state log starts now
    year_ago = floor_hour(now) - 365 * 24 * HOUR
    # A year of rolled-up hours (the raw beats long dropped): down one hour in ten.
    rows = [
        {
            "tenant_id": who.tenant_id,
            "device_id": device_id,
            "hour": year_ago + n * HOUR,
            "week_hour": week_hour(year_ago + n * HOUR),
            "beats": 60,
            "ok": 60 if n % 10 else 0,
            "degraded": 0,
            "fault": 0 if n % 10 else 60,
            "up_seconds": 3600.0 if n % 10 else 0.0,
            "counted_seconds": 3600.0,
        }
        for n in range(365 * 24 - 1)
    ]
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        await repository.save_hours(session, rows)
        await repository.sum_days(session, who.tenant_id, year_ago.date(), now.date())
        await repository.sum_week_hours(session, who.tenant_id, year_ago, floor_hour(now))
        session.add(HourlyRollup(tenant_id=who.tenant_id, rolled_until=floor_hour(now) - HOUR))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        values = await board.device_uptimes(session, year_ago, now)
        log_only = await repository.state_changes(session, device_id, year_ago, now)
    assert len(log_only) == 1  # the state log knows only the last minutes
    assert values[device_id] == pytest.approx(0.9, abs=0.001)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        office = await board.device_uptimes(session, year_ago, now, office=OfficeHours(7, 8, 16))
        days = await repository.daily_sums(session, year_ago.date(), now.date())
    assert office[device_id] == pytest.approx(0.9, abs=0.01)  # from the hours
    assert len(days) == 1 and days[device_id][1] > 360 * 86400  # whole days summed


@pytest.mark.postgres_only
async def test_dropping_old_days_keeps_their_rollups(db: ScratchDatabase) -> None:
    who, _device_id, token, _site = await office_server(db)
    assert who.tenant_id is not None
    now = datetime.now(UTC)
    old = floor_hour(now) - 40 * 24 * HOUR
    async with unit_of_work(db.session_factory) as session:
        await repository.ensure_beat_partitions(session, old.date(), old.date())
    await _history(db, token, old, 3)
    await _beat(db, token, now - MINUTE, BeatStatus.OK)
    report = await keep_beats(db.session_factory, now=now, retention_days=30)
    assert old.date() in report.days_dropped
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        raw = (await session.scalars(select(Heartbeat))).all()
        hours = (
            await session.scalars(select(DeviceHour).where(DeviceHour.hour < old + 3 * HOUR))
        ).all()
    assert len(raw) == 1  # the old day's beats are gone with their partition
    assert sum(h.beats for h in hours) == 18 and sum(h.fault for h in hours) == 6
    assert {h.hour for h in hours} == {old, old + HOUR, old + 2 * HOUR}


async def test_maintenance_planned_afterwards_rolls_the_hours_again(db: ScratchDatabase) -> None:
    who, device_id, token, site_id = await office_server(db)
    assert who.tenant_id is not None
    now = datetime.now(UTC)
    start = floor_hour(now) - 4 * HOUR
    await _history(db, token, start, 3)
    await rollup.roll_up_all(db.session_factory, now=now)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        before = (await board.device_uptimes(session, start, floor_hour(now)))[device_id]
        # The faulty hour was planned work after all (written down afterwards).
        await incidents.plan_maintenance(
            session,
            who,
            device_id=None,
            site_id=site_id,
            starts_at=start + HOUR,
            ends_at=start + 2 * HOUR,
            reason="Penggantian kabel",
        )
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        mark = await session.scalar(select(HourlyRollup))
        assert mark is not None and mark.rolled_until == start + HOUR
        between = (await board.device_uptimes(session, start, floor_hour(now)))[device_id]
    await rollup.roll_up_all(db.session_factory, now=now)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        after = (await board.device_uptimes(session, start, floor_hour(now)))[device_id]
        planned = await session.scalar(select(DeviceHour).where(DeviceHour.hour == start + HOUR))
    assert after > before and after == pytest.approx(between)
    assert planned is not None and planned.counted_seconds == 0
