"""Heartbeat ingestion at scale on PostgreSQL (issue: recording hardware health).

50,000 registered devices over 514 regencies. Siaga (one uvicorn worker, the real app with its
sweep loop running) and a bare endpoint doing the same database work with no framework
(benchmarks/bare_heartbeat.py, one uvicorn worker) are loaded in turn from a separate process
with concurrent clients; reports heartbeats/s, p50/p95/p99 latency, the Siaga/bare ratio, the
batch form's throughput, and the worker's resident memory.

    make bench                         # all benchmarks
    BENCH_DEVICES=5000 BENCH_SECONDS=10 .venv/bin/python -m benchmarks.heartbeats_bench
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from benchmarks.applications_bench import SETTINGS, prepare
from benchmarks.common import REPO_ROOT as ROOT
from benchmarks.common import BenchDatabase, Timing

DEVICES = int(os.environ.get("BENCH_DEVICES", "50000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "24"))
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


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def load(url: str, tokens: list[str], *, batch: bool) -> tuple[Timing, float]:
    rng = random.Random(7)
    base = datetime.now(UTC) - timedelta(minutes=1)
    counter = 0
    samples: list[float] = []
    beats = 0
    stop_at = time.monotonic() + SECONDS

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter, beats
        while time.monotonic() < stop_at:
            counter += 1
            taken = (base + timedelta(microseconds=counter)).isoformat()
            started = time.perf_counter()
            if batch:
                body = {
                    "heartbeats": [
                        {"device_token": rng.choice(tokens), "taken_at": taken, "status": "ok"}
                        for _ in range(BATCH)
                    ]
                }
                answer = await client.post(f"{url}/api/v1/heartbeats/batch", json=body)
                n = BATCH
            else:
                answer = await client.post(
                    f"{url}/api/v1/heartbeats",
                    headers={"X-Device-Token": rng.choice(tokens)},
                    json={"taken_at": taken, "status": "ok"},
                )
                n = 1
            samples.append((time.perf_counter() - started) * 1000)
            if answer.status_code == 202:
                beats += n

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        begin = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - begin
    kind = f"batch of {BATCH}" if batch else "single"
    return Timing(f"{url} {kind}", samples), beats / elapsed


def main() -> None:
    print(
        f"heartbeat benchmark: {DEVICES:,} devices, {SECONDS:.0f} s per run, "
        f"{CONCURRENCY} concurrent clients",
        flush=True,
    )
    database = BenchDatabase.create()
    tenant_map = asyncio.run(prepare(database))
    tokens = load_devices(database, [t for t, _ in tenant_map.values()])
    siaga_env = {
        "SIAGA_DATABASE_URL": database.app_url,
        "SIAGA_SECRET_KEY": SETTINGS.secret_key.get_secret_value(),
    }
    bare_env = {"BARE_DSN": database.app_url.replace("postgresql+psycopg", "postgresql")}
    results = []
    for name, module, env, factory, port in (
        ("siaga", "siaga_web.app:create_app", siaga_env, True, 18901),
        ("bare", "benchmarks.bare_heartbeat:app", bare_env, False, 18902),
    ):
        process = start(module, port, env, factory)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(load(url, tokens[:100], batch=False))  # warm up
            timing, rate = asyncio.run(load(url, tokens, batch=False))
            results.append((name, timing, rate))
            print(f"{name} single: {rate:,.0f} heartbeats/s; {timing.line()}", flush=True)
            if name == "siaga":
                batch_timing, batch_rate = asyncio.run(load(url, tokens, batch=True))
                print(
                    f"siaga batch: {batch_rate:,.0f} heartbeats/s; {batch_timing.line()}",
                    flush=True,
                )
            print(f"{name} worker resident memory: {rss_mib(process.pid):.0f} MiB", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
    siaga_rate, bare_rate = results[0][2], results[1][2]
    print(f"ratio siaga/bare (single): {siaga_rate / bare_rate:.2f}", flush=True)


if __name__ == "__main__":
    main()
