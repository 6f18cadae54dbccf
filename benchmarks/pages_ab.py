"""The province and national pages, warm, served by two source trees in turn on one loaded
database: a before/after of a change without the noise of two data loads (issue 18).

    git worktree add /tmp/before <commit>
    BENCH_TOTAL=1000000 BENCH_BIG=200000 BENCH_LETTERS=50000 \
      BENCH_TREES=before=/tmp/before,after=. \
      infra/postgres/with-throwaway.sh var/pgbench .venv/bin/python -m benchmarks.pages_ab

Under infra/citus/with-citus-cluster.sh the data is distributed first. ``BENCH_LOG_MS`` logs
the statements slower than that on the (coordinator's) server log: where a page's time goes.
``BENCH_ROUNDS`` (2) alternates the trees that many times. ``BENCH_BREAKDOWN=N`` then builds
the national page's values N times in this process (this tree's code) and prints where the
time goes: each statement's mean time, and the rest (Python); with ``BENCH_PROFILE=FILE`` the
counted runs are also profiled (cProfile, cumulative time, written to FILE).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

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


async def _breakdown(database: BenchDatabase, runs: int) -> list[str]:
    """The national page's values built ``runs`` times in process: statement times by kind."""
    from siaga_platform.db.engine import create_engine
    from siaga_platform.tenancy.unit_of_work import create_session_factory
    from siaga_web.routes.rollup import national_values

    engine = create_engine(database.app_url)
    spent: dict[str, list[float]] = defaultdict(list)
    started: dict[int, float] = {}

    def before(_c: Any, cursor: Any, statement: str, *_a: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(_c: Any, cursor: Any, statement: str, *_a: Any) -> None:
        took = (time.perf_counter() - started.pop(id(cursor))) * 1000
        spent[" ".join(statement.split())[:90]].append(took)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    factory = create_session_factory(engine)
    totals = []
    profile_to = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile()
    try:
        for run in range(runs + 1):
            if run == 1:  # the first run warms the caches: not counted
                spent.clear()
                if profile_to:
                    profiler.enable()
            start = time.perf_counter()
            async with factory() as db:
                await national_values(db)
            if run:
                totals.append((time.perf_counter() - start) * 1000)
    finally:
        profiler.disable()
        await engine.dispose()
    if profile_to:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(60)
        await asyncio.to_thread(Path(profile_to).write_text, report.getvalue())
    sql = sum(sum(times) for times in spent.values()) / runs
    whole = sum(totals) / runs
    lines = [
        f"national values in process, {runs} runs: mean {whole:.1f} ms (min {min(totals):.1f},"
        f" max {max(totals):.1f}), SQL {sql:.1f} ms, the rest {whole - sql:.1f} ms"
    ]
    for statement, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"  {sum(times) / runs:7.1f} ms x{len(times) // runs}  {statement}")
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
    if runs := int(os.environ.get("BENCH_BREAKDOWN", "0")):
        for line in asyncio.run(_breakdown(database, runs)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
