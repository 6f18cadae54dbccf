"""The province and national pages, warm, served by two source trees in turn on one loaded
database: a before/after of a change without the noise of two data loads (issue 18).

    git worktree add /tmp/before <commit>
    BENCH_TOTAL=1000000 BENCH_BIG=200000 BENCH_LETTERS=50000 \
      BENCH_TREES=before=/tmp/before,after=. \
      infra/postgres/with-throwaway.sh var/pgbench .venv/bin/python -m benchmarks.pages_ab

Under infra/citus/with-citus-cluster.sh the data is distributed first. ``BENCH_LOG_MS`` logs
the statements slower than that on the (coordinator's) server log: where a page's time goes.
``BENCH_ROUNDS`` (2) alternates the trees that many times.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.applications_bench import SETTINGS
from benchmarks.common import REPO_ROOT, BenchDatabase, _execute, timed
from benchmarks.national_data import generate
from benchmarks.rollup_bench import _grant, _signed_in

PORT = 8790
PAGES = (("bench-supervisor", "/provinsi/62", 60), ("bench-admin", "/nasional", 40))


def _trees() -> dict[str, Path]:
    spec = os.environ.get("BENCH_TREES", f"main={REPO_ROOT}")
    named = (item.split("=", 1) for item in spec.split(",") if item)
    return {name: Path(path).resolve() for name, path in named}


def _serve(database: BenchDatabase, tree: Path) -> subprocess.Popen[bytes]:
    """The app of ``tree`` (its packages first on the path) in its own uvicorn process."""
    packages = [tree / "platform", tree / "tenants", tree / "web", tree]
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "siaga_web.app:create_app", "--factory",
         "--port", str(PORT), "--host", "127.0.0.1", "--log-level", "warning",
         "--no-access-log"],
        cwd=tree,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(p) for p in packages),
            "SIAGA_DATABASE_URL": database.app_url,
            "SIAGA_SECRET_KEY": SETTINGS.secret_key.get_secret_value(),
        },
    )  # fmt: skip
    deadline = time.monotonic() + 120  # the warm-up builds the national page first
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the app of {tree} did not start")


async def _pages(name: str) -> list[str]:
    lines = []
    for subject, path, runs in PAGES:
        client = await _signed_in(subject)

        async def get(_i: int, client: httpx.AsyncClient = client, path: str = path) -> None:
            answer = await client.get(path)
            assert answer.status_code == 200, answer.text[:300]

        await get(0)
        lines.append((await timed(f"{name} {path} warm", runs, get)).line())
        await client.aclose()
    return lines


def main() -> None:
    trees = _trees()
    database = BenchDatabase.create()
    generate(database)
    database.distribute()  # on a Citus cluster; nothing on plain PostgreSQL
    asyncio.run(_grant(database))
    if slow := os.environ.get("BENCH_LOG_MS"):
        _execute(database.admin_url, f"ALTER SYSTEM SET log_min_duration_statement = {int(slow)}")
        _execute(database.admin_url, "SELECT pg_reload_conf()")
    for round_number in range(int(os.environ.get("BENCH_ROUNDS", "2"))):
        for name, tree in trees.items():
            server = _serve(database, tree)
            try:
                for line in asyncio.run(_pages(name)):
                    print(f"round {round_number + 1}: {line}", flush=True)
            finally:
                server.terminate()
                server.wait()
    if os.environ.get("BENCH_LOG_MS"):
        _execute(database.admin_url, "ALTER SYSTEM RESET log_min_duration_statement")
        _execute(database.admin_url, "SELECT pg_reload_conf()")


if __name__ == "__main__":
    main()
