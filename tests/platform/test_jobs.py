"""The worker: the hardware sweep runs from the job queue as the app's own database role, and a
periodic tick is run once for the whole cluster however many workers there are. On SQLite the
web process runs the same tasks itself."""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from siaga_platform.hardware import repository, service
from siaga_platform.hardware.models import BeatStatus
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import (
    ALERTS_DELIVER,
    ALERTS_EVALUATE,
    HARDWARE_SWEEP,
    TICK_PRIORITY,
)
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_web.runtime import runtime
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server
from tests.fixtures.web import build_app, live_app
from tests.fixtures.worker import WORKER_COMMAND, siaga_worker, worker_environment


async def _silent_server(db: ScratchDatabase) -> object:
    """A recording server whose last beat was two hours ago."""
    who, _device, token, _site = await office_server(db)
    at = datetime.now(UTC) - timedelta(hours=2)
    async with unit_of_work(db.session_factory) as session:
        await service.take_beats(session, [(token, service.BeatIn(at, BeatStatus.OK))], now=at)
    return who


def _context(db: ScratchDatabase) -> queue.WorkerContext:
    return queue.WorkerContext(db.session_factory, active_regencies)


async def _open_incidents(db: ScratchDatabase, who: object) -> int:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[attr-defined]
        return len(await repository.open_incidents(session))


def test_the_periodic_tasks_and_their_ticks() -> None:
    jobs = queue.job_app("sqlite+aiosqlite:///unused.db")
    periodic = {p.task.name: p for p in jobs.periodic_registry.periodic_tasks.values()}
    assert periodic[HARDWARE_SWEEP].cron == "* * * * * */30"
    assert periodic[ALERTS_EVALUATE].cron == "* * * * *"  # a stopped server alerts within ~5 min
    assert all(p.task.blueprint is jobs for p in periodic.values())  # jobs go to this queue
    # The ticks go ahead of the messages and imports waiting (a national storm's backlog).
    assert {p.task.priority for p in periodic.values()} == {TICK_PRIORITY}
    assert jobs.tasks[ALERTS_DELIVER].priority < TICK_PRIORITY


@pytest.mark.postgres_only
async def test_a_worker_runs_the_sweep_from_the_queue(db: ScratchDatabase) -> None:
    who = await _silent_server(db)
    assert await _open_incidents(db, who) == 0
    jobs = queue.job_app(db.app_url)  # the app's role: the grants of migration 0013 suffice
    async with jobs.open_async():
        await jobs.configure_task(HARDWARE_SWEEP).defer_async(timestamp=int(time.time()))
        app_jobs = jobs.run_worker_async(
            wait=False,  # stops once the queue is empty
            additional_context=_context(db).as_dict(),
            install_signal_handlers=False,
        )
        await asyncio.wait_for(app_jobs, timeout=60)
    assert await _open_incidents(db, who) == 1


@pytest.mark.postgres_only
async def test_two_workers_run_each_tick_once(db: ScratchDatabase) -> None:
    who = await _silent_server(db)
    workers = [queue.job_app(db.app_url) for _ in range(2)]
    for jobs in workers:
        await jobs.open_async()
    running = [
        asyncio.create_task(
            queue.run_worker(jobs, _context(db), name=f"w{n}", install_signal_handlers=False)
        )
        for n, jobs in enumerate(workers)
    ]
    try:
        deadline = time.monotonic() + 45  # a tick comes every 30 s
        while time.monotonic() < deadline and await _open_incidents(db, who) == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for jobs in workers:
            await jobs.close_async()
    assert await _open_incidents(db, who) == 1
    async with db.engine.connect() as connection:
        per_tick = (
            await connection.execute(
                text(
                    "select task_name, defer_timestamp, count(*)"
                    " from procrastinate_periodic_defers group by task_name, defer_timestamp"
                )
            )
        ).all()
    assert per_tick and all(count == 1 for *_, count in per_tick), per_tick


async def _run_until_empty(jobs: Any, db: ScratchDatabase) -> None:
    await asyncio.wait_for(
        jobs.run_worker_async(
            wait=False, additional_context=_context(db).as_dict(), install_signal_handlers=False
        ),
        timeout=60,
    )


async def _statuses(db: ScratchDatabase, *ids: int) -> dict[int, str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("select id, status from procrastinate_jobs where id = any(:ids)"),
            {"ids": list(ids)},
        )
        return {job_id: status for job_id, status in rows.all()}


@pytest.mark.postgres_only
async def test_a_tick_waits_while_the_last_one_of_its_task_still_runs(db: ScratchDatabase) -> None:
    jobs = queue.job_app(db.app_url)
    async with jobs.open_async():
        running = await jobs.configure_task(ALERTS_EVALUATE).defer_async(timestamp=60)
        async with db.engine.begin() as connection:  # a slow evaluation, still going elsewhere
            await connection.execute(
                text("update procrastinate_jobs set status = 'doing' where id = :id"),
                {"id": running},
            )
        waiting = await jobs.configure_task(ALERTS_EVALUATE).defer_async(timestamp=120)
        other = await jobs.configure_task(HARDWARE_SWEEP).defer_async(timestamp=120)
        await _run_until_empty(jobs, db)
    status = await _statuses(db, waiting, other)
    assert status == {waiting: "todo", other: "succeeded"}  # the sweep was not held up

    # The "running" one belonged to a worker that died: released, the next tick runs.
    async with jobs.open_async():
        assert await queue.release_stalled_jobs(jobs) == [running]
        await _run_until_empty(jobs, db)
    after = await _statuses(db, running, waiting)
    assert after == {running: "failed", waiting: "succeeded"}


@pytest.mark.sqlite_only  # on PostgreSQL `siaga worker` runs it
async def test_on_sqlite_the_web_process_runs_the_sweep_itself(db: ScratchDatabase) -> None:
    who = await _silent_server(db)
    async with live_app(build_app(db)):  # the lifespan starts the in-process worker
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and await _open_incidents(db, who) == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    assert await _open_incidents(db, who) == 1


@pytest.mark.postgres_only
async def test_siaga_worker_runs_until_stopped_and_the_web_leaves_the_sweep_to_it(
    db: ScratchDatabase,
) -> None:
    who = await _silent_server(db)
    app = build_app(db)
    async with live_app(app):
        assert runtime(app).in_process_jobs is None  # no loop in every web replica

    async def swept() -> bool:
        return await _open_incidents(db, who) != 0

    with siaga_worker(db.app_url, name="test-worker") as worker:
        await worker.wait_for(swept, seconds=45)  # a tick comes every 30 s
    assert await _open_incidents(db, who) == 1, worker.output
    assert worker.returncode == 0, worker.output  # a clean stop on SIGTERM


async def test_siaga_worker_on_sqlite_says_what_to_do_instead(tmp_path: Path) -> None:
    refused = subprocess.run(  # noqa: ASYNC221 - a short command
        WORKER_COMMAND,
        env=worker_environment(f"sqlite+aiosqlite:///{tmp_path / 'siaga.db'}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "memerlukan PostgreSQL" in refused.stderr and "Traceback" not in refused.stderr
