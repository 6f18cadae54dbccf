"""Alerts at national scale (issue 14): every one of the 514 regencies starts firing at once.

On the national data set (benchmarks/national_data.py), with one operator per regency, one
supervisor per province and a platform admin (each with an e-mail address), every regency's
recording is made to stop in the same minute. Measured:

- the evaluation that opens the alerts, with the inbox items and delivery rows written in the
  same transactions (``alerts.evaluate`` as the worker runs it), and a steady evaluation after
  (nothing changes: the cost of every minute's tick);
- delivery of every message to a real SMTP server (aiosmtpd) through ``delivery.send.deliver``,
  the function each ``alerts.deliver`` job runs, with ``BENCH_SENDERS`` at once (a worker's
  concurrency): the time until the last message is in the sink, and per message the time from
  the evaluation's start (the moment the condition was read) to its arrival, p50/p95/max.

    make bench
    BENCH_TOTAL=200000 infra/postgres/with-throwaway.sh var/pgbench \
        .venv/bin/python -m benchmarks.alerts_bench
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import psycopg
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from benchmarks.common import BenchDatabase
from benchmarks.national_data import generate
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.service import Change
from siaga_platform.auth.principal import Role
from siaga_platform.db.engine import create_engine, create_session_factory, unit_of_work
from siaga_platform.delivery import service as delivery
from siaga_platform.delivery.models import AlertDelivery, InboxItem
from siaga_platform.delivery.send import ChannelSettings, deliver
from siaga_platform.notify.email import SmtpSecurity, SmtpSettings
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_tenants.memberships import service as memberships
from siaga_tenants.memberships.audience import alert_audience
from siaga_tenants.registry.service import active_regencies

SENDERS = int(os.environ.get("BENCH_SENDERS", "16"))
STEADY_RUNS = 5


def _free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd's controller needs the port before it starts
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Sink:
    """Counts what arrives, with the time it arrived."""

    def __init__(self) -> None:
        self.arrived: list[float] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.arrived.append(time.perf_counter())
        return "250 OK"


async def _people(database: BenchDatabase, tenants: dict[str, tuple[uuid.UUID, list[str]]]) -> None:
    factory = create_session_factory(create_engine(database.app_url))
    async with unit_of_work(factory) as session:
        for code, (tenant_id, _kecamatan) in tenants.items():
            subject = f"bench-operator-{code}"
            await memberships.ensure_user(
                session, subject, f"Operator {code}", email=f"op-{code}@bench.siaga.test"
            )
            await memberships.grant(session, subject, Role.OPERATOR, tenant_id=tenant_id)
        for province in sorted({code[:2] for code in tenants}):
            subject = f"bench-supervisor-{province}"
            await memberships.ensure_user(
                session, subject, f"Supervisor {province}", email=f"sup-{province}@bench.siaga.test"
            )
            await memberships.grant(
                session, subject, Role.SUPERVISOR_PROVINSI, province_code=province
            )
        await memberships.ensure_user(
            session, "bench-admin", "Admin", email="admin@bench.siaga.test"
        )
        await memberships.grant(session, "bench-admin", Role.ADMIN_PLATFORM)


def _stop_every_recording(database: BenchDatabase) -> None:
    """The same minute everywhere: every regency's recording sets down (the summaries the
    province page reads say so)."""
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "UPDATE hardware_summaries SET working_sets = 0, total_sets = greatest(total_sets, 2),"
            " recording_stopped_since = now() - interval '4 minutes'"
        )
        conn.commit()


async def measure(database: BenchDatabase) -> None:
    engine = create_engine(database.app_url, pool_size=SENDERS, max_overflow=SENDERS)
    factory = create_session_factory(engine)
    queued: list[delivery.Queued] = []

    async def tell(db: object, tenant_id: uuid.UUID, changes: list[Change]) -> None:
        audience = await alert_audience(db, tenant_id)  # type: ignore[arg-type]
        if audience is not None:
            queued.extend(await delivery.fan_out(db, audience, changes, now=now))  # type: ignore[arg-type]

    now = datetime.now(UTC)
    started = time.perf_counter()
    changes = await evaluate_all(factory, active_regencies, now=now, after_reconcile=tell)
    evaluated = time.perf_counter()
    kinds = Counter(c.kind.value for c in changes)
    regencies = len({c.tenant_id for c in changes})
    print(
        f"first evaluation: {evaluated - started:.2f} s for {regencies} regencies "
        f"({dict(kinds)}), {len(queued)} deliveries queued",
        flush=True,
    )
    async with unit_of_work(factory) as db:
        ids = {r.tenant_id for r in await active_regencies(db, now)}
        async with acting_for(db, TenantScope.read_only(ids)):
            inbox = await db.scalar(select(func.count()).select_from(InboxItem))
            rows = await db.scalar(select(func.count()).select_from(AlertDelivery))
    print(f"inbox items {inbox}, delivery rows {rows}", flush=True)

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channels = ChannelSettings(
            smtp=SmtpSettings(host="127.0.0.1", port=port, security=SmtpSecurity.NONE)
        )
        gate = asyncio.Semaphore(SENDERS)

        async def send(item: delivery.Queued) -> None:
            async with gate:
                await deliver(
                    factory,
                    alert_audience,  # type: ignore[arg-type]
                    channels,
                    item.tenant_id,
                    item.delivery_id,
                    now=datetime.now(UTC),
                )

        t0 = time.perf_counter()
        await asyncio.gather(*(send(item) for item in queued))
        done = time.perf_counter()
    finally:
        controller.stop()
    latencies = sorted(arrival - started for arrival in sink.arrived)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(
        f"delivery: {len(sink.arrived)} of {len(queued)} messages in the SMTP sink "
        f"{done - t0:.1f} s after sending began ({SENDERS} at once, "
        f"{len(sink.arrived) / max(done - t0, 1e-9):.0f}/s)",
        flush=True,
    )
    if latencies:
        print(
            f"detect→deliver (from the evaluation's read to arrival): "
            f"p50 {statistics.median(latencies):.1f} s, p95 {p95:.1f} s, "
            f"max {latencies[-1]:.1f} s",
            flush=True,
        )
    steady = []
    for _ in range(STEADY_RUNS):
        t0 = time.perf_counter()
        again = await evaluate_all(factory, active_regencies, now=datetime.now(UTC))
        steady.append(time.perf_counter() - t0)
        assert again == [], "nothing changed: a steady tick changes nothing"
    print(
        f"steady evaluation (every minute): median {statistics.median(steady) * 1000:.0f} ms, "
        f"max {max(steady) * 1000:.0f} ms",
        flush=True,
    )
    await engine.dispose()


def main() -> None:
    print(f"alerts benchmark: national data set, {SENDERS} senders", flush=True)
    database = BenchDatabase.create()
    tenants = generate(database)
    asyncio.run(_people(database, tenants))
    _stop_every_recording(database)
    asyncio.run(measure(database))


if __name__ == "__main__":
    main()
