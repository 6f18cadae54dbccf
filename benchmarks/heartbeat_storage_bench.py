"""Bounded heartbeat storage on PostgreSQL (issue 17): what the day partitions and the hourly
roll-ups weigh, and the uptime page over a year answered from the roll-ups.

Storage: 50,000 devices beating every minute for 30 days (2.16 billion beats) does not fit this
2-core machine, so ``BENCH_STORAGE_DEVICES`` devices (default 1,000, a 50th) beat every minute
for ``BENCH_STORAGE_DAYS`` (default 2) days, written server-side into their day partitions;
a day partition's table + index bytes per beat are measured and extrapolated linearly (each day
is a table of its own: 30 days are 30 such tables). The roll-ups likewise: a year of one
regency's device-hours is measured per row and extrapolated to 50,000 devices × 2 years.

Uptime page: Murung Raya (62.12) with 100 devices (50,000 / 514 regencies ≈ 97) and a year of
their hourly roll-ups (876,000 rows; their daily sums, their sums per month and week-hour, and
per month for all hours and the office's, summed by the worker's own step)
plus the other regencies' rows of the storage part; the page through the real ASGI app
(session, RLS, the template), ``dari`` a year back, all day and office hours only.

    make bench    # among the others; or alone, through infra/postgres/with-throwaway.sh
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from benchmarks.applications_bench import BIG_TENANT, SETTINGS, prepare
from benchmarks.common import BenchDatabase, timed
from siaga_platform.db.engine import create_engine
from siaga_platform.hardware.repository import rollup_mark
from siaga_platform.hardware.rollup import resum_stale_months
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work
from siaga_tenants.domain_inputs.hardware import regency_office_hours
from siaga_web.app import create_app
from siaga_web.runtime import runtime

STORAGE_DEVICES = int(os.environ.get("BENCH_STORAGE_DEVICES", "1000"))
STORAGE_DAYS = int(os.environ.get("BENCH_STORAGE_DAYS", "2"))
PAGE_DEVICES = int(os.environ.get("BENCH_PAGE_DEVICES", "100"))
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "20"))
FLEET = 50_000
RAW_DAYS = 30
ROLLUP_DAYS = 2 * 365


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def load_devices(conn: psycopg.Connection, tenant_ids: list[uuid.UUID], count: int) -> None:
    """``count`` devices spread over ``tenant_ids`` (one site each), up since a day."""
    now = datetime.now(UTC)
    conn.execute(
        "INSERT INTO hardware_sites (tenant_id, id, name, kind, created_at)"
        " SELECT t, gen_random_uuid(), 'Kantor', 'office', now() FROM unnest(%s::uuid[]) AS t"
        " ON CONFLICT DO NOTHING",
        [tenant_ids],
    )
    conn.execute(
        "INSERT INTO hardware_devices (tenant_id, id, site_id, kind, label, funding,"
        " expected_interval_seconds, good_streak, recovering, logged_state, created_at,"
        " last_beat_at, last_status, logged_state_since, silent_after)"
        " SELECT s.tenant_id, gen_random_uuid(), s.id, 'recording_pc', 'PC ' || n, 'APBN', 60,"
        " 5, false, 'up', %(now)s, %(now)s, 'ok', %(since)s, %(now)s + interval '2 hours'"
        " FROM generate_series(0, %(count)s - 1) AS n"
        " JOIN (SELECT tenant_id, id, row_number() OVER (ORDER BY tenant_id) - 1 AS k"
        "       FROM hardware_sites WHERE tenant_id = ANY(%(tenants)s)) AS s"
        " ON s.k = n %% %(sites)s",
        {
            "now": now,
            "since": now - timedelta(days=400),
            "count": count,
            "tenants": tenant_ids,
            "sites": len(tenant_ids),
        },
    )
    conn.execute(
        "INSERT INTO hardware_state_changes (tenant_id, id, device_id, at, state)"
        " SELECT tenant_id, gen_random_uuid(), id, %s, 'up' FROM hardware_devices"
        " WHERE tenant_id = ANY(%s)",
        [now - timedelta(days=400), tenant_ids],
    )


def storage(conn: psycopg.Connection, tenant_ids: list[uuid.UUID]) -> list[str]:
    load_devices(conn, tenant_ids, STORAGE_DEVICES)
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(1, STORAGE_DAYS + 1)]
    conn.execute("SELECT hardware_heartbeats_ensure_partitions(%s, %s)", [days[-1], today])
    for day in days:
        # Each device's beats of the day, as the intake writes them (readings included).
        conn.execute(
            "INSERT INTO hardware_heartbeats"
            " (tenant_id, device_id, taken_at, status, readings, received_at)"
            " SELECT d.tenant_id, d.id, m, 'ok',"
            ' \'{"disk_free_gb": 41.5, "cpu_temp_c": 57, "printer_ribbon_pct": 80}\','
            " m + interval '2 seconds'"
            " FROM hardware_devices AS d CROSS JOIN generate_series("
            " %s::timestamptz, %s::timestamptz - interval '1 minute', interval '1 minute') AS m"
            " WHERE d.tenant_id = ANY(%s)",
            [
                datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
                tenant_ids,
            ],
        )
        conn.commit()
    conn.execute("VACUUM ANALYZE hardware_heartbeats")
    sizes = [
        conn.execute(
            "SELECT pg_table_size(%s), pg_indexes_size(%s), (SELECT count(*) FROM " + part + ")",
            [part, part],
        ).fetchone()
        for part in (f"hardware_heartbeats_p{day:%Y%m%d}" for day in days)
    ]
    table = sum(s[0] for s in sizes if s)
    index = sum(s[1] for s in sizes if s)
    beats = sum(s[2] for s in sizes if s)
    per_beat = (table + index) / beats
    full = FLEET * 1440 * RAW_DAYS
    return [
        f"raw beats: {beats:,} rows over {STORAGE_DAYS} day partitions ({STORAGE_DEVICES:,}"
        f" devices): table {table / 2**20:.0f} MiB + index {index / 2**20:.0f} MiB"
        f" = {per_beat:.0f} bytes/beat ({table / beats:.0f} + {index / beats:.0f})",
        f"  extrapolated, {FLEET:,} devices × {RAW_DAYS} days ({full / 1e9:.2f} G beats):"
        f" {full * table / beats / 2**30:.0f} GiB table + {full * index / beats / 2**30:.0f} GiB"
        f" index = {full * per_beat / 2**30:.0f} GiB, {FLEET * 1440 * per_beat / 2**30:.1f} GiB"
        " per day partition",
    ]


def rollups(conn: psycopg.Connection, tenant_id: uuid.UUID) -> list[str]:
    """A year of one regency's hourly roll-ups (one device down an hour in ten)."""
    load_devices(conn, [tenant_id], PAGE_DEVICES)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=365)
    conn.execute(
        "INSERT INTO hardware_hourly (tenant_id, device_id, hour, week_hour, beats, ok,"
        " degraded, fault, up_seconds, counted_seconds)"
        " SELECT d.tenant_id, d.id, h,"
        " ((extract(isodow FROM h AT TIME ZONE 'UTC')::int - 1) * 24"
        "  + extract(hour FROM h AT TIME ZONE 'UTC')::int),"
        " 60, CASE WHEN n %% 10 = 0 THEN 0 ELSE 60 END, 0,"
        " CASE WHEN n %% 10 = 0 THEN 60 ELSE 0 END,"
        " CASE WHEN n %% 10 = 0 THEN 0 ELSE 3600 END, 3600"
        " FROM hardware_devices AS d CROSS JOIN LATERAL generate_series(%s::timestamptz,"
        " %s::timestamptz - interval '1 hour', interval '1 hour') WITH ORDINALITY AS g(h, n)"
        " WHERE d.tenant_id = %s",
        [start, end, tenant_id],
    )
    conn.execute(
        "INSERT INTO hardware_daily (tenant_id, device_id, day, beats, up_seconds,"
        " counted_seconds) SELECT tenant_id, device_id, (hour AT TIME ZONE 'UTC')::date,"
        " sum(beats), sum(up_seconds), sum(counted_seconds) FROM hardware_hourly"
        " WHERE tenant_id = %s GROUP BY 1, 2, 3",
        [tenant_id],
    )
    conn.execute(
        "INSERT INTO hardware_weekhour_monthly (tenant_id, week_hour, month, device_id,"
        " up_seconds, counted_seconds) SELECT tenant_id, week_hour,"
        " date_trunc('month', hour AT TIME ZONE 'UTC')::date, device_id, sum(up_seconds),"
        " sum(counted_seconds) FROM hardware_hourly WHERE tenant_id = %s GROUP BY 1, 2, 3, 4",
        [tenant_id],
    )
    conn.execute(
        "INSERT INTO hardware_hourly_marks (tenant_id, rolled_until) VALUES (%s, %s)"
        " ON CONFLICT (tenant_id) DO UPDATE SET rolled_until = excluded.rolled_until",
        [tenant_id, end],
    )
    conn.commit()
    conn.execute("VACUUM ANALYZE hardware_hourly")
    conn.execute("VACUUM ANALYZE hardware_daily")
    conn.execute("VACUUM ANALYZE hardware_weekhour_monthly")
    table, index, rows = conn.execute(
        "SELECT pg_table_size('hardware_hourly'), pg_indexes_size('hardware_hourly'),"
        " (SELECT count(*) FROM hardware_hourly)"
    ).fetchone() or (0, 0, 1)
    per_row = (table + index) / rows
    full = FLEET * 24 * ROLLUP_DAYS
    return [
        f"hourly roll-ups: {rows:,} rows: {per_row:.0f} bytes/row"
        f" ({table / rows:.0f} table + {index / rows:.0f} index)",
        f"  extrapolated, {FLEET:,} devices × 2 years ({full / 1e6:.0f} M rows):"
        f" {full * per_row / 2**30:.0f} GiB",
    ]


async def sum_months(database: BenchDatabase, tenant_id: uuid.UUID) -> None:
    """The months summed for the regency's office hours, by the worker's own step (its hourly
    runs do this a few months at a time)."""
    engine = create_engine(database.app_url)
    try:
        factory = create_session_factory(engine)
        while True:
            async with unit_of_work(factory) as db, acting_for(db, TenantScope.single(tenant_id)):
                office = await regency_office_hours(db, tenant_id)
                mark = await rollup_mark(db)
                assert mark is not None
                if not await resum_stale_months(db, tenant_id, mark.rolled_until, office):
                    break
    finally:
        await engine.dispose()


async def uptime_page(database: BenchDatabase, tenant_id: uuid.UUID) -> list[str]:
    await sum_months(database, tenant_id)
    app = create_app(SETTINGS.model_copy(update={"database_url": database.app_url}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        page = await client.get("/masuk")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        runtime(app).settings = runtime(app).settings.model_copy(update={"dev_sign_in": True})
        answer = await client.post(
            "/masuk/dev", data={"subject": "bench-operator", "csrf_token": token.group(1)}
        )
        assert answer.status_code == 303, answer.text
        today = datetime.now(UTC).date()
        url = f"/wilayah/{BIG_TENANT}/perangkat/uptime"
        year = {"dari": (today - timedelta(days=364)).isoformat(), "sampai": today.isoformat()}
        for params in (year, {**year, "jam_kantor": "true"}):  # down an hour in ten: ~90 %
            check = await client.get(url, params=params)
            assert check.status_code == 200, check.text[:2000]
            assert re.search(r'id="overall">(89|90)[.,]\d', check.text), check.text[-3000:]
        for _ in range(2):
            await client.get(url, params=year)
        whole = await timed(
            "uptime page, a year", PAGE_RUNS, lambda _: client.get(url, params=year)
        )
        office = await timed(
            "uptime page, a year, office hours only",
            PAGE_RUNS,
            lambda _: client.get(url, params={**year, "jam_kantor": "true"}),
        )
    return [whole.line(), office.line()]


def main() -> None:
    database = BenchDatabase.create()
    tenants = asyncio.run(prepare(database))
    big = tenants[BIG_TENANT][0]
    others = [t for code, (t, _k) in sorted(tenants.items()) if code != BIG_TENANT]
    lines = []
    with psycopg.connect(_pg(database.admin_url), autocommit=True) as conn:
        lines += storage(conn, others)
        lines += rollups(conn, big)
    lines += asyncio.run(uptime_page(database, big))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
