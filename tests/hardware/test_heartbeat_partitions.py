"""Heartbeats partitioned by day on PostgreSQL (migration 0020): the layout, its grants and
policies, duplicates still caught across the partitions, a beat for a day without partition
kept (DEFAULT) and moved when the day's partition comes, old days dropped whole."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from siaga_platform.config import get_settings
from siaga_platform.db.engine import create_engine
from siaga_platform.hardware import repository, service
from siaga_platform.hardware.models import BeatStatus
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import HARDWARE_PARTITIONS
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server

postgres_only = pytest.mark.postgres_only


async def _owner(db: ScratchDatabase, sql: str) -> list[tuple[object, ...]]:
    """Runs as the schema's owner, reading every tenant (RLS is forced on the owner too)."""
    engine = create_engine(db.owner_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT set_config('app.read_tenant_ids',"
                    " (SELECT string_agg(id::text, ',') FROM tenants), false)"
                )
            )
            rows = [tuple(row) for row in await connection.execute(text(sql))]
            await connection.commit()
            return rows
    finally:
        await engine.dispose()


async def _take(
    db: ScratchDatabase, token: str, times: list[datetime], *, now: datetime
) -> service.BeatResult:
    async with unit_of_work(db.session_factory) as session:
        return await service.take_beats(
            session,
            [(token, service.BeatIn(t, BeatStatus.OK, {"disk_free_gb": 40})) for t in times],
            now=now,
            batch=True,
        )


def _partition(day: date) -> str:
    return f"hardware_heartbeats_p{day:%Y%m%d}"


async def _where(db: ScratchDatabase) -> dict[str, int]:
    rows = await _owner(
        db,
        "SELECT tableoid::regclass::text, count(*) FROM hardware_heartbeats GROUP BY 1",
    )
    return {str(name): int(str(n)) for name, n in rows}


async def _partitions(db: ScratchDatabase) -> set[str]:
    rows = await _owner(
        db,
        "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'hardware_heartbeats'::regclass",
    )
    return {str(name) for (name,) in rows}


@postgres_only
async def test_the_table_is_partitioned_by_day_with_the_tenant_first_in_its_key(
    db: ScratchDatabase,
) -> None:
    (strategy,) = await _owner(
        db,
        "SELECT partstrat FROM pg_partitioned_table"
        " WHERE partrelid = 'hardware_heartbeats'::regclass",
    )
    assert strategy == ("r",)
    key = await _owner(
        db,
        "SELECT a.attname FROM pg_index AS i JOIN LATERAL unnest(i.indkey)"
        " WITH ORDINALITY AS k(attnum, n) ON true JOIN pg_attribute AS a"
        " ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = 'hardware_heartbeats'::regclass AND i.indisprimary ORDER BY k.n",
    )
    assert [name for (name,) in key] == ["tenant_id", "device_id", "taken_at"]
    parts = await _partitions(db)
    today = datetime.now(UTC).date()
    # The template was migrated today: yesterday's, today's and the next days' partitions.
    assert {_partition(today + timedelta(days=n)) for n in range(-1, 6)} <= parts
    assert "hardware_heartbeats_default" in parts
    # The app may add and read beats (append-only), only through the parent, behind RLS.
    grants = await _owner(
        db,
        "SELECT privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = 'siaga_app' AND table_name = 'hardware_heartbeats' ORDER BY 1",
    )
    assert grants == [("INSERT",), ("SELECT",)]
    policies = await _owner(
        db, "SELECT count(*) FROM pg_policies WHERE tablename = 'hardware_heartbeats'"
    )
    assert policies == [(4,)]
    (forced,) = await _owner(
        db, "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'hardware_heartbeats'"
    )
    assert forced == (True,)
    async with unit_of_work(db.session_factory) as session:
        with pytest.raises(Exception, match="permission denied"):
            await session.execute(text(f"SELECT count(*) FROM {_partition(today)}"))


@postgres_only
async def test_beats_land_in_their_days_and_a_duplicate_still_counts_once(
    db: ScratchDatabase,
) -> None:
    _who, _device, token, _site = await office_server(db)
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(days=n, minutes=1) for n in (0, 1, 3)]
    assert await _take(db, token, times, now=now) == service.BeatResult(3, 0)
    again = await _take(db, token, [times[1], now - timedelta(minutes=2)], now=now)
    assert again == service.BeatResult(1, 1)
    where = await _where(db)
    for t in times[1:]:
        assert where.get(_partition(t.date())) == 1, where
    assert sum(where.values()) == 4 and "hardware_heartbeats_default" not in where


def _midday_today() -> datetime:
    """Today 12:00 UTC: "a minute before" is the same UTC day (at 00:00:30 it was not)."""
    return datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@postgres_only
async def test_a_beat_for_a_day_without_partition_is_kept_and_moved_when_it_comes(
    db: ScratchDatabase,
) -> None:
    who, device_id, token, _site = await office_server(db)
    assert who.tenant_id is not None
    # The worker stayed away for weeks: the day's partition was never made.
    now = _midday_today() + timedelta(days=20)
    assert await _take(db, token, [now - timedelta(minutes=1)], now=now) == service.BeatResult(1, 0)
    assert await _where(db) == {"hardware_heartbeats_default": 1}
    assert await _take(db, token, [now - timedelta(minutes=1)], now=now) == service.BeatResult(
        0, 1
    )  # the DEFAULT partition keeps the key too
    async with unit_of_work(db.session_factory) as session:
        made = await repository.ensure_beat_partitions(session, now.date(), now.date())
    assert made == 1
    assert await _where(db) == {_partition(now.date()): 1}
    async with unit_of_work(db.session_factory) as session:
        assert await repository.ensure_beat_partitions(session, now.date(), now.date()) == 0
        await enter_scope(session, TenantScope.single(who.tenant_id))
        assert [b.taken_at for b in await repository.recent_beats(session, device_id)] == [
            now - timedelta(minutes=1)
        ]


@postgres_only
async def test_old_days_are_dropped_whole_and_recent_ones_refused(db: ScratchDatabase) -> None:
    _who, _device, token, _site = await office_server(db)
    now = _midday_today()
    old = now - timedelta(days=40)
    async with unit_of_work(db.session_factory) as session:
        assert await repository.ensure_beat_partitions(session, old.date(), old.date()) == 1
    # A beat that old is refused by the intake; it got there when it was new.
    assert await _take(db, token, [old], now=old + timedelta(minutes=1)) == service.BeatResult(1, 0)
    await _take(db, token, [now - timedelta(minutes=1)], now=now)
    async with unit_of_work(db.session_factory) as session:
        dropped = await repository.drop_beat_partitions(session, (now - timedelta(days=30)).date())
    assert old.date() in dropped
    assert all(day < (now - timedelta(days=30)).date() for day in dropped)
    assert await _where(db) == {_partition(now.date()): 1}
    async with unit_of_work(db.session_factory) as session:
        with pytest.raises(Exception, match="P0001"):
            await repository.drop_beat_partitions(session, now.date())


def test_the_partition_task_runs_hourly() -> None:
    jobs = queue.job_app("sqlite+aiosqlite:///unused.db")
    periodic = {p.task.name: p for p in jobs.periodic_registry.periodic_tasks.values()}
    assert periodic[HARDWARE_PARTITIONS].cron == "17 * * * *"


@postgres_only
async def test_the_worker_makes_days_ahead_and_drops_days_past_the_window(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    _who, _device, token, _site = await office_server(db)
    now = datetime.now(UTC).replace(microsecond=0)
    kept, gone = now - timedelta(days=11), now - timedelta(days=13)
    async with unit_of_work(db.session_factory) as session:
        await repository.ensure_beat_partitions(session, gone.date(), kept.date())
    for at in (kept, gone):
        await _take(db, token, [at], now=at + timedelta(minutes=1))
    monkeypatch.setenv("SIAGA_HEARTBEAT_RETENTION_DAYS", "12")
    get_settings.cache_clear()
    try:
        jobs = queue.job_app(db.app_url)  # the app's role calls the owner's functions
        async with jobs.open_async():
            await jobs.configure_task(HARDWARE_PARTITIONS).defer_async(timestamp=int(time.time()))
            await asyncio.wait_for(
                jobs.run_worker_async(
                    wait=False,
                    additional_context=queue.WorkerContext(
                        db.session_factory, active_regencies
                    ).as_dict(),
                    install_signal_handlers=False,
                ),
                timeout=60,
            )
    finally:
        get_settings.cache_clear()
    parts = await _partitions(db)
    assert {_partition(now.date() + timedelta(days=n)) for n in range(8)} <= parts
    assert _partition(kept.date()) in parts and _partition(gone.date()) not in parts
    assert await _where(db) == {_partition(kept.date()): 1}
    ran = await _owner(
        db, "SELECT status FROM procrastinate_jobs WHERE task_name = 'hardware.partitions'"
    )
    assert ran and all(status == "succeeded" for (status,) in ran)
