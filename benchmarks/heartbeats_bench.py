"""Heartbeat ingestion at scale on PostgreSQL (issue: recording hardware health).

50,000 registered devices over 514 regencies. Siaga (the real app, with `siaga worker` running
the sweep and the alert evaluation beside it, as in production) and a bare endpoint sending the
same statements with no framework (benchmarks/bare_heartbeat.py) are served in turn by uvicorn,
one worker per core, and loaded by wrk at several levels of concurrent clients; reports
heartbeats/s, p50/p95/p99 latency and the Siaga/bare ratio per level, the batch form's
throughput, and the workers' resident memory.

    make bench                         # all benchmarks
    BENCH_DEVICES=5000 BENCH_SECONDS=10 BENCH_CONCURRENCY=4,32 \
        infra/postgres/with-throwaway.sh var/pgbench .venv/bin/python -m benchmarks.heartbeats_bench
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from benchmarks.applications_bench import SETTINGS, prepare
from benchmarks.common import REPO_ROOT as ROOT
from benchmarks.common import BenchDatabase
from siaga_web.server import HTTP_PROTOCOL

DEVICES = int(os.environ.get("BENCH_DEVICES", "50000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
#: Concurrent clients of each run; each level is a run of its own.
CONCURRENCY_LEVELS = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "4,16,32").split(",")]
POOL_SIZE = max(CONCURRENCY_LEVELS) // int(os.environ.get("BENCH_WORKERS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # one per core: the target is per machine
WRK_THREADS = 2
BATCH = 50


def load_devices(database: BenchDatabase, tenants: list[uuid.UUID]) -> list[str]:
    tokens = [f"bench-device-{i}" for i in range(DEVICES)]
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        sites = {t: uuid.uuid4() for t in tenants}
        with conn.cursor().copy(
            "COPY hardware_sites (tenant_id, id, name, kind, created_at) FROM STDIN"
        ) as copy:
            for tenant_id, site_id in sites.items():
                copy.write_row((tenant_id, site_id, "Kantor", "office", datetime.now(UTC)))
        devices = []
        with conn.cursor().copy(
            "COPY hardware_devices (tenant_id, id, site_id, kind, label, funding,"
            " expected_interval_seconds, good_streak, recovering, logged_state, created_at,"
            " last_beat_at, last_status, logged_state_since, silent_after) FROM STDIN"
        ) as copy:
            for i in range(DEVICES):
                tenant_id = tenants[i % len(tenants)]
                device_id = uuid.uuid4()
                devices.append((tenant_id, device_id))
                # Steady state: every device already up and beating (a first beat logs a
                # state change, which would measure the day the fleet came online instead).
                now = datetime.now(UTC)
                copy.write_row(
                    (
                        tenant_id,
                        device_id,
                        sites[tenant_id],
                        "recording_pc",
                        f"PC {i}",
                        "APBN",
                        60,
                        5,
                        False,
                        "up",
                        now,
                        now - timedelta(minutes=2),
                        "ok",
                        now - timedelta(days=1),
                        now + timedelta(hours=2),
                    )
                )
        with conn.cursor().copy(
            "COPY hardware_device_tokens (token_hash, tenant_id, device_id, created_at) FROM STDIN"
        ) as copy:
            for token, (tenant_id, device_id) in zip(tokens, devices, strict=True):
                copy.write_row(
                    (
                        hashlib.sha256(token.encode()).hexdigest(),
                        tenant_id,
                        device_id,
                        datetime.now(UTC),
                    )
                )
        conn.execute("ANALYZE")
        conn.commit()
    return tokens


def start(module: str, port: int, env: dict[str, str], factory: bool) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        module,
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(WORKERS),
        # Siaga's own server set-up for both (TCP_NODELAY on every connection: see there).
        "--http",
        HTTP_PROTOCOL,
    ]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/api/v1/heartbeats", json={}, timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{module} did not start")


def worker_pids(process: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children] or [process.pid]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes used so far (load on the machine does not inflate it)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class LoadResult:
    rate: float  # heartbeats per second
    beats: int
    p50: float
    p95: float
    p99: float
    errors: int


def load(
    url: str, tokens_file: Path, run: int, *, batch: int, seconds: float, clients: int
) -> LoadResult:
    """Drives the endpoint with wrk (C, little CPU, so the server gets most of both cores)."""
    base = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    answer = subprocess.run(
        [
            shutil.which("wrk") or "wrk",
            f"-t{WRK_THREADS}",
            f"-c{clients}",
            f"-d{seconds:.0f}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "benchmarks" / "heartbeat_load.lua"),
            url,
        ],
        env={
            **os.environ,
            "BENCH_TOKENS": str(tokens_file),
            "BENCH_BASE": base,
            "BENCH_BATCH": str(batch),
            "BENCH_RUN": str(run),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in answer.stdout.splitlines() if x.startswith("RESULT "))
    fields = dict(part.split("=") for part in line.split()[1:])
    per_request = batch or 1
    return LoadResult(
        rate=int(fields["requests"]) * per_request / float(fields["seconds"]),
        beats=int(fields["requests"]) * per_request,
        p50=float(fields["p50"]),
        p95=float(fields["p95"]),
        p99=float(fields["p99"]),
        errors=int(fields["errors"]),
    )


def steady(database: BenchDatabase) -> None:
    """Every device up, its last beat 2.5 minutes ago (silent after 3): the steady state the
    loaded fleet is meant to be in. Setting up takes minutes, after which the sweep had marked
    the devices down and a run measured each one's first beat moving its state (the day the
    fleet comes back online) instead of the minute-by-minute beats."""
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "UPDATE hardware_devices SET last_beat_at = now() - interval '150 seconds',"
            " last_status = 'ok', recovering = false, good_streak = 5, logged_state = 'up'"
        )


def worker_settled(database: BenchDatabase, timeout: float = 150.0) -> None:
    """Wait for ``siaga worker``'s first alert evaluation to finish. It opens the standing
    alerts of the 514 regencies (no blank stock: ``cards_out``), which took ~30 s of the
    worker's CPU on a loaded machine and fell into the measured runs; a worker that has been
    running for days only looks at them each minute: the steady state measured here."""
    deadline = time.monotonic() + timeout
    url = database.admin_url.replace("postgresql+psycopg", "postgresql")
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM alerts),"
                " (SELECT count(*) FROM procrastinate_jobs"
                "  WHERE task_name = 'alerts.evaluate' AND status IN ('todo', 'doing'))"
            ).fetchone()
        if row is not None and row[0] > 0 and row[1] == 0:
            return
        time.sleep(2)
    print("siaga worker: no finished alert evaluation yet; measuring anyway", flush=True)


def stored_beats(database: BenchDatabase) -> int:
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        row = conn.execute("SELECT count(*) FROM hardware_heartbeats").fetchone()
    return int(row[0]) if row else 0


def describe(name: str, result: LoadResult) -> str:
    return (
        f"{name}: {result.rate:,.0f} heartbeats/s, p50 {result.p50:.1f} ms, "
        f"p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms, errors {result.errors}"
    )


def main() -> None:
    print(
        f"heartbeat benchmark: {DEVICES:,} devices, {SECONDS:.0f} s per run, "
        f"concurrent clients {', '.join(map(str, CONCURRENCY_LEVELS))}",
        flush=True,
    )
    database = BenchDatabase.create()
    tenant_map = asyncio.run(prepare(database))
    tokens = load_devices(database, [t for t, _ in tenant_map.values()])
    database.distribute()  # on a Citus cluster (make bench-citus); nothing on plain PostgreSQL
    tokens_file = ROOT / "var" / "bench-device-tokens.txt"
    tokens_file.parent.mkdir(exist_ok=True)
    tokens_file.write_text("\n".join(tokens) + "\n")
    siaga_env = {
        "SIAGA_DATABASE_URL": database.app_url,
        "SIAGA_SECRET_KEY": SETTINGS.secret_key.get_secret_value(),
        # As many pooled connections as requests in flight per worker (the bare pool's too).
        "SIAGA_DATABASE_POOL_SIZE": str(POOL_SIZE),
    }
    bare_env = {
        "BARE_DSN": database.app_url.replace("postgresql+psycopg", "postgresql"),
        "BARE_POOL_SIZE": str(POOL_SIZE),
    }
    rates: dict[tuple[str, int], float] = {}
    run = 0
    for name, module, env, factory, port in (
        ("siaga", "siaga_web.app:create_app", siaga_env, True, 18901),
        ("bare", "benchmarks.bare_heartbeat:app", bare_env, False, 18902),
    ):
        processes = start(module, port, env, factory)
        # The periodic work runs in its own process, taking its share of the cores and locks.
        background = (
            subprocess.Popen(
                [sys.executable, "-m", "siaga_web.cli", "worker"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
            )
            if name == "siaga" and os.environ.get("BENCH_WORKER", "1") == "1"
            else None
        )
        try:
            url = f"http://127.0.0.1:{port}"
            load(url, tokens_file, run, batch=0, seconds=5, clients=max(CONCURRENCY_LEVELS))
            run += 1
            if background is not None:
                worker_settled(database)
            pids = worker_pids(processes)
            for clients in CONCURRENCY_LEVELS:
                used = cpu_seconds(pids)
                beside = cpu_seconds([background.pid]) if background is not None else 0.0
                started = time.monotonic()
                steady(database)
                before = stored_beats(database)
                single = load(url, tokens_file, run, batch=0, seconds=SECONDS, clients=clients)
                used = cpu_seconds(pids) - used
                if background is not None:  # what the periodic work took of the cores
                    beside = cpu_seconds([background.pid]) - beside
                    minutes = (time.monotonic() - started) / 60
                    print(
                        f"siaga worker's CPU during the run, {clients} clients: "
                        f"{beside:.2f} s ({beside / minutes:.2f} s/min)",
                        flush=True,
                    )
                run += 1
                # Every beat answered is a new one (unique times): each must be in the table.
                stored = stored_beats(database) - before
                print(f"{name} stored {stored:,} of {single.beats:,} beats answered", flush=True)
                if stored < single.beats - single.errors:
                    raise RuntimeError(f"{name} answered beats it did not store")
                rates[(name, clients)] = single.rate
                print(describe(f"{name} single, {clients} clients", single), flush=True)
                # The web workers' own CPU per beat: what the framework costs, whatever else
                # the machine is doing at the time (the rates above depend on that).
                print(
                    f"{name} web workers' CPU per single beat, {clients} clients: "
                    f"{1000 * used / max(single.beats, 1):.2f} ms",
                    flush=True,
                )
            if name == "siaga":
                for clients in CONCURRENCY_LEVELS:
                    batched = load(
                        url, tokens_file, run, batch=BATCH, seconds=SECONDS, clients=clients
                    )
                    run += 1
                    print(
                        describe(f"siaga batches of {BATCH}, {clients} clients", batched),
                        flush=True,
                    )
            memory = ", ".join(f"{rss_mib(pid):.0f}" for pid in worker_pids(processes))
            print(f"{name} resident memory per worker: {memory} MiB", flush=True)
        finally:
            processes.terminate()
            processes.wait(timeout=30)
            if background is not None:
                background.terminate()
                background.wait(timeout=30)
    for clients in CONCURRENCY_LEVELS:
        ratio = rates[("siaga", clients)] / rates[("bare", clients)]
        print(f"ratio siaga/bare (single, {clients} clients): {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
