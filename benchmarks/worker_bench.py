"""What ``siaga worker`` costs when nothing changes (issue 17): the heartbeat benchmark's data
(5,000 devices over 514 regencies, every device up and beating), the worker alone, its CPU per
minute read from /proc after a warm-up (the first ticks open the standing alerts).

    BENCH_DEVICES=5000 BENCH_MINUTES=3 \
        infra/postgres/with-throwaway.sh var/pgbench .venv/bin/python -m benchmarks.worker_bench

``BENCH_PROFILE=path.svg`` also records the measured minutes with py-spy (if installed).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time

import psycopg

from benchmarks.applications_bench import prepare
from benchmarks.common import REPO_ROOT as ROOT
from benchmarks.common import BenchDatabase
from benchmarks.heartbeats_bench import SETTINGS, cpu_seconds, load_devices

MINUTES = float(os.environ.get("BENCH_MINUTES", "3"))
WARM_UP_SECONDS = float(os.environ.get("BENCH_WARM_UP", "75"))
#: The fleet beats: every device's last beat kept this fresh, as wrk's beats would.
BEAT_EVERY_SECONDS = 20


def beat(database: BenchDatabase) -> None:
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "UPDATE hardware_devices SET last_beat_at = now() - interval '30 seconds',"
            " silent_after = now() + interval '150 seconds'"
        )


def main() -> None:
    database = BenchDatabase.create()
    tenant_map = asyncio.run(prepare(database))
    load_devices(database, [t for t, _ in tenant_map.values()])
    env = {
        **os.environ,
        "SIAGA_DATABASE_URL": database.app_url,
        "SIAGA_SECRET_KEY": SETTINGS.secret_key.get_secret_value(),
    }
    beat(database)
    worker = subprocess.Popen(
        [sys.executable, "-m", "siaga_web.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    profiler = None
    try:
        deadline = time.monotonic() + WARM_UP_SECONDS
        while time.monotonic() < deadline:
            beat(database)
            time.sleep(BEAT_EVERY_SECONDS)
        print(f"warm-up: {cpu_seconds([worker.pid]):.2f} s CPU", flush=True)
        used, started = cpu_seconds([worker.pid]), time.monotonic()
        deadline = started + MINUTES * 60
        while time.monotonic() < deadline:
            beat(database)
            time.sleep(min(BEAT_EVERY_SECONDS, max(0.0, deadline - time.monotonic())))
        used = cpu_seconds([worker.pid]) - used
        minutes = (time.monotonic() - started) / 60
        print(f"worker CPU: {used:.2f} s over {minutes:.1f} min = {used / minutes:.2f} s/min")
        profile = os.environ.get("BENCH_PROFILE")
        spy = shutil.which("py-spy", path=os.path.dirname(sys.executable))
        if profile and spy:  # after the measured minutes: sampling costs the worker some CPU
            profiler = subprocess.Popen(
                [
                    spy,
                    "record",
                    "-o",
                    profile,
                    "--pid",
                    str(worker.pid),
                    "--nonblocking",
                    "-d",
                    str(int(MINUTES * 60)),
                    "--format",
                    os.environ.get("BENCH_PROFILE_FORMAT", "flamegraph"),
                ]
            )
            deadline = time.monotonic() + MINUTES * 60 + 5
            while profiler.poll() is None and time.monotonic() < deadline:
                beat(database)
                time.sleep(BEAT_EVERY_SECONDS)
            profiler.wait(timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if worker.returncode not in (0, -15):
        print(f"worker exited {worker.returncode}")


if __name__ == "__main__":
    main()
