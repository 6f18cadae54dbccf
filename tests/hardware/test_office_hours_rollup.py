"""Office-hours uptime over whole months from the week-hour sums (``hardware_weekhour_monthly``)
agrees with summing the office's hours one by one, on both databases: random hours (gaps,
partial hours), the sums kept up as the worker does (runs of any length, hours rewritten),
random office hours in WIB/WITA/WIT and random ranges crossing month edges."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from siaga_platform.db.engine import unit_of_work
from siaga_platform.hardware import board, repository, rollup, service
from siaga_platform.hardware.models import BeatStatus, DeviceWeekHourMonth, HourlyRollup
from siaga_platform.hardware.uptime import HOUR, OfficeHours, floor_hour, week_hour
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server


def _row(tenant_id: object, device_id: object, hour: datetime, rng: random.Random) -> dict:
    counted = rng.choice([3600.0, 3600.0, 1800.0, 0.0])
    return {
        "tenant_id": tenant_id,
        "device_id": device_id,
        "hour": hour,
        "week_hour": week_hour(hour),
        "beats": rng.randint(0, 60),
        "ok": 0,
        "degraded": 0,
        "fault": 0,
        "up_seconds": rng.uniform(0, counted),
        "counted_seconds": counted,
    }


def _ratio(sums: dict, device_id: object) -> float | None:
    up, counted = sums.get(device_id, (0.0, 0.0))
    return up / counted if counted else None


async def test_office_hours_from_the_week_hour_months_agree_with_the_hours(
    db: ScratchDatabase,
) -> None:
    rng = random.Random(20261203)  # noqa: S311 (a repeatable test, not a secret)
    who, device_id, _token, _site = await office_server(db)
    tenant_id = who.tenant_id
    assert tenant_id is not None
    other = device_id.__class__(int=device_id.int ^ 1)  # a second device's rows, no device row
    first = datetime(2026, 1, 20, tzinfo=UTC)
    end = datetime(2026, 5, 10, 5, tzinfo=UTC)  # Jan 20 .. May 10: three whole months inside
    hours = [first + n * HOUR for n in range(int((end - first) / HOUR))]
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        # Kept up as the worker does: runs of one hour, of days, of more than a week.
        at = 0
        while at < len(hours):
            step = rng.choice([1, 1, 5, 30, 200])
            run = hours[at : at + step]
            rows = [
                _row(tenant_id, device, hour, rng)
                for hour in run
                for device in (device_id, other)
                if rng.random() > 0.1  # some hours never heard of
            ]
            await repository.save_hours(session, rows)
            await repository.sum_days(session, tenant_id, run[0].date(), run[-1].date())
            await repository.sum_week_hours(session, tenant_id, run[0], run[-1] + HOUR)
            at += step
        # Hours rolled again (late beats, maintenance written afterwards) across a month edge.
        again = [
            h
            for h in hours
            if datetime(2026, 2, 27, tzinfo=UTC) <= h < datetime(2026, 3, 2, tzinfo=UTC)
        ]
        await repository.save_hours(session, [_row(tenant_id, device_id, h, rng) for h in again])
        await repository.sum_days(session, tenant_id, again[0].date(), again[-1].date())
        await repository.sum_week_hours(session, tenant_id, again[0], again[-1] + HOUR)
        session.add(HourlyRollup(tenant_id=tenant_id, rolled_until=end))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        months = (await session.scalars(select(DeviceWeekHourMonth))).all()
        assert {m.month.month for m in months} == {1, 2, 3, 4, 5}
        for _ in range(12):
            office = OfficeHours(
                rng.choice([7, 8, 9]), opens := rng.randint(0, 12), rng.randint(opens + 1, 23)
            )
            a = first + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
            b = end - timedelta(minutes=rng.randint(0, 60 * 24 * 40))
            got = await board.device_uptimes(session, a, b, office=office)
            # The reference: the office's hours one by one (no state log here: nothing else).
            hourly = await repository.hourly_sums(
                session, board.ceil_hour(a), floor_hour(b), week_hours=office.week_hours()
            )
            for device in (device_id,):
                expected = _ratio(hourly, device)
                if expected is None:
                    assert device not in got
                else:
                    assert got[device] == pytest.approx(expected, rel=1e-9)
            whole = await repository.week_hour_sums(
                session, board.ceil_month(a), b.date().replace(day=1), office.week_hours()
            )
            assert whole  # the whole months did come from the week-hour rows
        # Plain uptime (no office hours) is untouched: days and edge hours.
        plain = await board.device_uptimes(session, first, end)
        everything = await repository.hourly_sums(session, first, end)
        assert plain[device_id] == pytest.approx(_ratio(everything, device_id), rel=1e-9)


async def test_the_worker_keeps_the_week_hour_months_in_step_with_the_state_log(
    db: ScratchDatabase,
) -> None:
    """Random beats over ~40 days (a whole month inside), rolled up by the worker in its runs
    of at most a week: office-hours uptime from the roll-ups equals the state log's."""
    rng = random.Random(17)  # noqa: S311 - a reproducible sequence of beats
    who, _device_id, token, _site = await office_server(db)
    tenant_id = who.tenant_id
    assert tenant_id is not None
    now = floor_hour(datetime.now(UTC))
    first = (now - timedelta(days=40)).replace(minute=0)
    async with unit_of_work(db.session_factory) as session:
        await repository.ensure_beat_partitions(session, first.date(), now.date())
    at = first + timedelta(minutes=7)
    statuses = [BeatStatus.OK, BeatStatus.OK, BeatStatus.DEGRADED, BeatStatus.FAULT]
    while at < now - HOUR:
        async with unit_of_work(db.session_factory) as session:
            await service.take_beats(
                session, [(token, service.BeatIn(at, rng.choice(statuses)))], now=at
            )
        at += timedelta(minutes=rng.randint(20, 600))
    settings = [
        OfficeHours(rng.choice([7, 8, 9]), o := rng.randint(0, 12), rng.randint(o + 1, 23))
        for _ in range(4)
    ]
    ranges = [
        (
            first + timedelta(minutes=rng.randint(0, 60 * 24 * 8)),
            now - timedelta(minutes=rng.randint(0, 60 * 24 * 2)),
        )
        for _ in range(4)
    ]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        from_log = [
            await board.device_uptimes(session, a, b, office=o) for o in settings for a, b in ranges
        ]
    while await rollup.roll_up_all(db.session_factory, now=now) > 0:
        pass
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        mark = await session.scalar(select(HourlyRollup))
        assert mark is not None and mark.rolled_until == now
        assert await session.scalar(select(DeviceWeekHourMonth).limit(1)) is not None
        rolled = [
            await board.device_uptimes(session, a, b, office=o) for o in settings for a, b in ranges
        ]
    assert any(
        ranges_cross
        for ranges_cross in (board.ceil_month(a) < b.date().replace(day=1) for a, b in ranges)
    )
    assert any(0 < value < 1 for values in from_log for value in values.values())
    for expected, got in zip(from_log, rolled, strict=True):
        assert got.keys() == expected.keys()
        for device, value in expected.items():
            assert got[device] == pytest.approx(value, rel=1e-9)


async def test_a_month_goes_once_all_its_hours_are_gone(db: ScratchDatabase) -> None:
    rng = random.Random(3)  # noqa: S311 - reproducible rows
    who, device_id, _token, _site = await office_server(db)
    tenant_id = who.tenant_id
    assert tenant_id is not None
    first = datetime(2026, 3, 30, tzinfo=UTC)
    hours = [first + n * HOUR for n in range(5 * 24)]  # Mar 30 .. Apr 3
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        await repository.save_hours(session, [_row(tenant_id, device_id, h, rng) for h in hours])
        await repository.sum_week_hours(session, tenant_id, first, hours[-1] + HOUR)
        await repository.delete_hours_before(session, datetime(2026, 4, 2, tzinfo=UTC))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        months = {m.month.month for m in (await session.scalars(select(DeviceWeekHourMonth)))}
    assert months == {4}  # March's hours are all gone, April's partly kept
