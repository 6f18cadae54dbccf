"""Uptime over whole months from the monthly sums (``hardware_monthly``, all hours and the
office's) or, for months not summed for the office hours asked, from the week-hour sums
(``hardware_weekhour_monthly``) and the days, agrees with summing the hours one by one, on both
databases: random hours (gaps, partial hours), the sums kept up as the worker does (runs of any
length, hours rewritten), random office hours in WIB/WITA/WIT and random ranges crossing month
edges; and the worker sums the months again when the regency's office hours change."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from siaga_platform.hardware import board, repository, rollup, service
from siaga_platform.hardware.models import (
    BeatStatus,
    DeviceMonth,
    DeviceWeekHourMonth,
    HourlyRollup,
    RolledMonth,
)
from siaga_platform.hardware.uptime import HOUR, OfficeHours, floor_hour, week_hour
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
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


#: The regency's office hours in these tests: 8 to 16 o'clock WITA.
SET = OfficeHours(8, 8, 16)


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
        # The months summed for the regency's office hours, except April (never summed).
        await repository.sum_months(
            session, tenant_id, [date(2026, m, 1) for m in (1, 2, 3, 5)], SET
        )
        session.add(HourlyRollup(tenant_id=tenant_id, rolled_until=end))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        months = (await session.scalars(select(DeviceWeekHourMonth))).all()
        assert {m.month.month for m in months} == {1, 2, 3, 4, 5}
        summed = (await session.scalars(select(DeviceMonth))).all()
        assert {m.month.month for m in summed} == {1, 2, 3, 5}
        for n in range(12):
            office = (
                SET
                if n % 3 == 0
                else OfficeHours(
                    rng.choice([7, 8, 9]), opens := rng.randint(0, 12), rng.randint(opens + 1, 23)
                )
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
        # Plain uptime: the summed months, April's days, the edge days and hours.
        for _ in range(6):
            a = first + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
            b = end - timedelta(minutes=rng.randint(0, 60 * 24 * 40))
            plain = await board.device_uptimes(session, a, b)
            everything = await repository.hourly_sums(session, board.ceil_hour(a), floor_hour(b))
            assert plain[device_id] == pytest.approx(_ratio(everything, device_id), rel=1e-9)
        # The monthly sums are what the page read for the whole months (not a copy of the
        # fallback): a month's sums changed shows in the answer.
        march = date(2026, 3, 1)
        before = await board.device_uptimes(session, first, end, office=SET)
        await session.execute(
            update(DeviceMonth)
            .where(DeviceMonth.month == march, DeviceMonth.device_id == device_id)
            .values(office_up_seconds=0.0)
        )
        after = await board.device_uptimes(session, first, end, office=SET)
        assert after[device_id] < before[device_id]


async def test_the_worker_keeps_the_week_hour_months_in_step_with_the_state_log(
    db: ScratchDatabase,
) -> None:
    """Random beats over ~40 days (a whole month inside), rolled up by the worker in its runs
    of at most a week: office-hours uptime from the roll-ups equals the state log's."""
    rng = random.Random(17)  # noqa: S311 - a reproducible sequence of beats
    who, _device_id, token, _site = await office_server(db)
    tenant_id = who.tenant_id
    assert tenant_id is not None
    # A fixed hour: the seeded ranges (32-40 days back to 0-2 days back) cover a whole month
    # only when they end early in a month; from the clock they did on ~25% of days.
    now = datetime(2026, 12, 4, 21, tzinfo=UTC)
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
    regency_office = settings[0]

    async def office_of(_db: object, tenant: object) -> OfficeHours:
        assert tenant == tenant_id
        return regency_office

    while await rollup.roll_up_all(db.session_factory, now=now, office_hours=office_of) > 0:
        pass
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        mark = await session.scalar(select(HourlyRollup))
        assert mark is not None and mark.rolled_until == now
        assert await session.scalar(select(DeviceWeekHourMonth).limit(1)) is not None
        marks = await repository.month_marks(session, first.date().replace(day=1), now.date())
        assert set(marks.values()) == {repository.office_key(regency_office)}
        rolled = [
            await board.device_uptimes(session, a, b, office=o) for o in settings for a, b in ranges
        ]
    assert any(
        ranges_cross
        for ranges_cross in (board.ceil_month(a) < b.date().replace(day=1) for a, b in ranges)
    )
    assert any(0 < value < 1 for values in from_log for value in values.values())
    _agree(from_log, rolled)

    # The regency changes its office hours: the next run sums the kept months again for them,
    # newest first (these ~40 days are among the first ``rollup.MONTHS_PER_RUN``).
    regency_office = settings[1]
    assert await rollup.roll_up_all(db.session_factory, now=now, office_hours=office_of) == 0
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        marks = await repository.month_marks(session, first.date().replace(day=1), now.date())
        assert set(marks.values()) == {repository.office_key(settings[1])}
        again = [
            await board.device_uptimes(session, a, b, office=o) for o in settings for a, b in ranges
        ]
    _agree(from_log, again)


def _agree(expected_all: list[dict], got_all: list[dict]) -> None:
    for expected, got in zip(expected_all, got_all, strict=True):
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
        await repository.sum_months(session, tenant_id, [date(2026, 3, 1), date(2026, 4, 1)], SET)
        await repository.delete_hours_before(session, datetime(2026, 4, 2, tzinfo=UTC))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        months = {m.month.month for m in (await session.scalars(select(DeviceWeekHourMonth)))}
        summed = {m.month.month for m in (await session.scalars(select(DeviceMonth)))}
        marked = {m.month.month for m in (await session.scalars(select(RolledMonth)))}
    assert months == summed == marked == {4}  # March's hours are all gone, April's partly kept
