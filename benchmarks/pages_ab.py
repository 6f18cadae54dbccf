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
from pathlib import Path

import httpx

from benchmarks.common import REPO_ROOT, BenchDatabase, _execute, timed
from benchmarks.national_data import generate
from benchmarks.rollup_bench import _grant, _serve, _signed_in

PAGES = (("bench-supervisor", "/provinsi/62", 60), ("bench-admin", "/nasional", 40))


def _trees() -> dict[str, Path]:
    spec = os.environ.get("BENCH_TREES", f"main={REPO_ROOT}")
    named = (item.split("=", 1) for item in spec.split(",") if item)
    return {name: Path(path).resolve() for name, path in named}


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
