"""Alerts at national scale (issue 14): every one of the 514 regencies starts firing at once.

On the national data set (benchmarks/national_data.py), with one operator per regency, one
supervisor per province and a platform admin (each with an e-mail address), every regency's
recording is made to stop in the same minute. Then, as in production, through the job queue:
``BENCH_ALERT_WORKERS`` ``siaga worker`` processes (default 2, each running
``BENCH_ALERT_CONCURRENCY`` jobs at once, default 2 as the command's own) on the benchmark's
database, their SMTP server a real one (aiosmtpd, the sink). ``alerts.evaluate`` is deferred
on the queue; one worker runs it (opening the alerts, writing the inbox items and delivery
rows) and defers one ``alerts.deliver`` job per message, which both workers take. Measured:

- the time from deferring the evaluation until every message is in the sink, and per message
  the time from the evaluation's start (its clock reading: the alerts' ``opened_at``) to its
  arrival, p50/p95/max; messages per second; that no Message-ID arrived twice;
- the evaluation job's own duration (its clock reading to the job's end, deliveries deferred);
- a steady evaluation after, with the workers stopped (nothing changes: the cost of every
  minute's tick), called in this process.

The workers are the real command (``python -m siaga_web.cli worker``), not apps in this process:
their periodic ticks (the hardware sweep every 30 s, the evaluation every minute) run beside
the storm as they would, each worker has its own connection pools and event loop, and the two
compete for the 2 cores as production processes do. Before the storm they run until the first
periodic evaluation has told of the data set's standing troubles; the storm is deferred early in
a minute, after that minute's tick.

    make bench
    BENCH_TOTAL=200000 infra/postgres/with-throwaway.sh var/pgbench \
        .venv/bin/python -m benchmarks.alerts_bench
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from typing import IO, Any

import psycopg
from aiosmtpd.controller import Controller

from benchmarks.common import REPO_ROOT, BenchDatabase
from benchmarks.national_data import generate
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.auth.principal import Role
from siaga_platform.db.engine import create_engine
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import ALERTS_EVALUATE
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships import service as memberships

WORKERS = int(os.environ.get("BENCH_ALERT_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("BENCH_ALERT_CONCURRENCY", "2"))  # `siaga worker`'s default
STEADY_RUNS = 5
#: Long enough for a slow machine; the 5-minute target is what matters.
STORM_TIMEOUT = 600
LOGS = REPO_ROOT / "var" / "bench-logs"


def _free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd's controller needs the port before it starts
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Sink:
    """Counts what arrives: the wall-clock time (comparable with the workers' timestamps in the
    database) and the Message-ID of each message."""

    def __init__(self) -> None:
        self.arrived: list[tuple[float, str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        at = time.time()
        headers = BytesHeaderParser().parsebytes(envelope.content)  # type: ignore[attr-defined]
        self.arrived.append((at, str(headers["Message-ID"])))
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


Connection = psycopg.Connection[tuple[Any, ...]]


def _admin(database: BenchDatabase) -> Connection:
    """The superuser (RLS does not apply): counting across every tenant, and the queue's rows."""
    return psycopg.connect(
        database.admin_url.replace("postgresql+psycopg", "postgresql"), autocommit=True
    )


def _one(conn: Connection, sql: str, *args: object) -> Any:
    row = conn.execute(sql, args).fetchone()
    assert row is not None
    return row[0]


def _count(conn: Connection, sql: str, *args: object) -> int:
    return int(_one(conn, sql, *args))


def _since(conn: Connection, what: str, table: str, at: float) -> Any:
    """``what`` over ``table``'s rows written since ``at`` (the storm's)."""
    column = "opened_at" if table == "alerts" else "created_at"
    return _one(conn, f"SELECT {what} FROM {table} WHERE {column} >= to_timestamp(%s)", at)


def _stop_every_recording(conn: Connection) -> None:
    """The same minute everywhere: every regency's recording sets down (the summaries the
    province page reads say so)."""
    conn.execute(
        "UPDATE hardware_summaries SET working_sets = 0, total_sets = greatest(total_sets, 2),"
        " recording_stopped_since = now() - interval '4 minutes'"
    )


def _alert_jobs_waiting(conn: Connection) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM procrastinate_jobs"
        " WHERE task_name LIKE 'alerts.%%' AND status IN ('todo', 'doing')",
    )


Workers = list[tuple[subprocess.Popen[bytes], IO[str]]]


def _start_workers(database: BenchDatabase, smtp_port: int) -> Workers:
    """``siaga worker`` as production starts it, its SMTP server the sink; logs in var/."""
    LOGS.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    env |= {
        "SIAGA_DATABASE_URL": database.app_url,
        "SIAGA_SMTP_HOST": "127.0.0.1",
        "SIAGA_SMTP_PORT": str(smtp_port),
        "SIAGA_SMTP_SECURITY": "none",
    }
    workers: Workers = []
    for i in range(WORKERS):
        log = (LOGS / f"alerts-worker-{i}.log").open("w")
        command = [sys.executable, "-m", "siaga_web.cli", "worker"]
        command += ["--name", f"bench-worker-{i}", "--concurrency", str(CONCURRENCY)]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        workers.append((process, log))
    return workers


def _stop_workers(workers: Workers) -> None:
    for process, _log in workers:
        process.send_signal(signal.SIGTERM)
    for process, log in workers:
        process.wait(timeout=60)
        log.close()
        if process.returncode != 0:
            print(f"a worker ended with {process.returncode}: see {log.name}", flush=True)


def _check(workers: Workers) -> None:
    for process, log in workers:
        if process.poll() is not None:
            raise SystemExit(f"a worker stopped ({process.returncode}): see {log.name}")


def _settle(
    conn: Connection,
    sink: Sink,
    workers: Workers,
    since: float,
) -> None:
    """Until the workers' first periodic evaluation has run and its messages (the data set's
    standing troubles) have gone, then until early in a minute, after that minute's tick."""
    deadline = time.monotonic() + 300
    while True:
        _check(workers)
        assert time.monotonic() < deadline, "the workers never ran a periodic evaluation"
        ticked = _count(
            conn,
            "SELECT count(*) FROM procrastinate_periodic_defers"
            " WHERE task_name = %s AND defer_timestamp >= %s",
            ALERTS_EVALUATE,
            int(since) - 60,
        )
        seen = len(sink.arrived)
        if ticked and _alert_jobs_waiting(conn) == 0:
            time.sleep(3)
            if len(sink.arrived) == seen and _alert_jobs_waiting(conn) == 0:
                break
        time.sleep(1)
    while not (3 <= datetime.now(UTC).second <= 15 and _alert_jobs_waiting(conn) == 0):
        _check(workers)
        time.sleep(0.5)


def _storm(database: BenchDatabase) -> None:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    conn = _admin(database)
    workers = _start_workers(database, port)
    try:
        _settle(conn, sink, workers, time.time())
        before = len(sink.arrived)
        rows_before = _count(conn, "SELECT count(*) FROM alert_deliveries")
        print(
            f"{WORKERS} `siaga worker` processes ({CONCURRENCY} jobs each) running; "
            f"{before} messages of the standing troubles sent before the storm",
            flush=True,
        )
        _stop_every_recording(conn)
        deferred = time.time()
        job = asyncio.run(_defer_evaluation(database))
        expected: int | None = None
        evaluated = deferred
        deadline = time.monotonic() + STORM_TIMEOUT
        while True:
            _check(workers)
            assert time.monotonic() < deadline, f"not every message arrived: see {LOGS}"
            if expected is None and time.time() - deferred > 1:
                evaluating = _count(  # this job, not the next minute's tick
                    conn,
                    "SELECT count(*) FROM procrastinate_jobs WHERE id = %s"
                    " AND status IN ('todo', 'doing')",
                    job,
                )
                if not evaluating:  # its rows are committed, its deliveries deferred
                    evaluated = time.time()  # to the poll's 0.2 s
                    rows = _count(conn, "SELECT count(*) FROM alert_deliveries")
                    expected = rows - rows_before
            if (
                expected is not None
                and len(sink.arrived) - before >= expected
                and _alert_jobs_waiting(conn) == 0
            ):
                break
            time.sleep(0.2)
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        _stop_workers(workers)
        controller.stop()
    storm = sink.arrived[before:]
    opened = _since(conn, "min(opened_at)", "alerts", deferred)
    alerts_opened = _since(conn, "count(*)", "alerts", deferred)
    statuses = conn.execute(
        "SELECT status, count(*) FROM alert_deliveries WHERE created_at >= to_timestamp(%s)"
        " GROUP BY status",
        (deferred,),
    ).fetchall()
    conn.close()
    assert isinstance(opened, datetime)
    start, end = opened.timestamp(), evaluated
    by_status = ", ".join(f"{n} {status}" for status, n in statuses)
    arrivals = sorted(at for at, _id in storm)
    twice = sum(n - 1 for n in Counter(mid for _at, mid in storm).values() if n > 1)
    everything = Counter(mid for _at, mid in sink.arrived)
    latencies = [at - start for at in arrivals]
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    rules_done = _logged_after(deferred, "siaga_platform.jobs.tasks: alerts: ")
    print(
        f"evaluation (in a worker): picked up {start - deferred:.2f} s after the defer; "
        f"rules and rows done {rules_done - start:.1f} s after its clock reading, the job "
        f"(its {expected} delivery jobs deferred) {end - start:.1f} s after; "
        f"{alerts_opened} alerts opened ({by_status} delivery rows)",
        flush=True,
    )
    print(
        f"delivery: {len(storm)} of {expected} messages in the SMTP sink "
        f"{arrivals[-1] - deferred:.1f} s after the evaluation was deferred "
        f"({WORKERS} workers x {CONCURRENCY} jobs); first {arrivals[0] - start:.1f} s after "
        f"the clock reading, then {len(storm) / max(arrivals[-1] - arrivals[0], 1e-9):.1f}/s "
        f"to the last",
        flush=True,
    )
    skipped = _logged_after(deferred, "skipped: a newer one follows", every=True)
    if skipped:
        print(
            f"periodic ticks skipped during the storm (waited > 2 periods behind the "
            f"deliveries): {skipped:.0f}",
            flush=True,
        )
    print(
        f"detect→deliver (from the evaluation's clock reading to arrival): "
        f"p50 {statistics.median(latencies):.1f} s, p95 {p95:.1f} s, max {latencies[-1]:.1f} s",
        flush=True,
    )
    print(
        f"Message-IDs arrived twice: {twice} in the storm, "
        f"{sum(n - 1 for n in everything.values() if n > 1)} in the whole run",
        flush=True,
    )
    assert len(storm) == expected and twice == 0, "every message once"


def _logged_after(since: float, text: str, *, every: bool = False) -> float:
    """When the workers first logged ``text`` after ``since`` (their log's local time, to the
    millisecond), or with ``every`` how many times (0: never)."""
    found = []
    for path in sorted(LOGS.glob("alerts-worker-*.log")):
        for line in path.read_text().splitlines():
            if text in line and line[:4].isdigit():
                stamp, millis = line[:23].split(",")
                at = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
                if at >= since:
                    found.append(at)
    if every:
        return len(found)
    return min(found) if found else float("nan")


async def _defer_evaluation(database: BenchDatabase) -> int:
    """As the periodic tick does (a timestamp, the task's queueing lock), from another app."""
    app = queue.job_app(database.app_url)
    async with app.open_async():
        return await app.configure_task(ALERTS_EVALUATE).defer_async(timestamp=int(time.time()))


async def _steady(database: BenchDatabase) -> None:
    engine = create_engine(database.app_url)
    factory = create_session_factory(engine)
    steady = []
    for _ in range(STEADY_RUNS):
        t0 = time.perf_counter()
        again = await evaluate_all(factory, active_regencies, now=datetime.now(UTC))
        steady.append(time.perf_counter() - t0)
        assert again == [], "nothing changed: a steady tick changes nothing"
    print(
        f"steady evaluation (every minute, in this process, the workers stopped): "
        f"median {statistics.median(steady) * 1000:.0f} ms, max {max(steady) * 1000:.0f} ms",
        flush=True,
    )
    await engine.dispose()


def main() -> None:
    print(
        f"alerts benchmark: national data set, {WORKERS} workers x {CONCURRENCY} jobs", flush=True
    )
    database = BenchDatabase.create()
    tenants = generate(database)
    asyncio.run(_people(database, tenants))
    _storm(database)
    asyncio.run(_steady(database))


if __name__ == "__main__":
    main()
