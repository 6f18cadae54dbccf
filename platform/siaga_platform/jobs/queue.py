"""The job queue for a database, and a worker running over it.

PostgreSQL: procrastinate's tables (migration 0013), reached as the app's own role; any number
of `siaga worker` processes share them. SQLite (development): the same tasks on a queue held in
memory by the web process itself, so `make run` stays one command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts.digest import ProvinceSource
from siaga_platform.alerts.evaluate import RegencySource
from siaga_platform.delivery.recipients import AudienceSource
from siaga_platform.delivery.send import ChannelSettings
from siaga_platform.hardware.rollup import OfficeHoursSource
from siaga_platform.jobs.tasks import (
    AUDIENCES,
    CHANNELS,
    CIPHER,
    CLOCK,
    IMPORTS,
    OFFICE_HOURS,
    PROVINCES,
    REGENCIES,
    SESSION_FACTORY,
    ImportSource,
    defer_import,
    register,
)
from siaga_platform.privacy.crypto import FieldCipher

log = logging.getLogger(__name__)


def is_shared(database_url: str) -> bool:
    """Whether the queue lives in the database (shared by every worker) or in memory."""
    return make_url(database_url).get_backend_name() == "postgresql"


def psycopg_conninfo(database_url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no ``+driver``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def job_app(database_url: str, *, concurrency: int = 2) -> procrastinate.App:
    if is_shared(database_url):
        connector: procrastinate.BaseConnector = procrastinate.PsycopgConnector(
            conninfo=psycopg_conninfo(database_url),
            # A worker needs a connection to listen, one to fetch and one per running job
            # (a job deferring hundreds of others waited on a pool of 4 with 8 jobs running).
            min_size=1,
            max_size=concurrency + 2,
        )
    else:
        connector = InMemoryConnector()
    app = procrastinate.App(connector=connector)
    register(app)
    return app


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What the tasks need from the process running them (the core does not build them)."""

    session_factory: async_sessionmaker[AsyncSession]
    regencies: RegencySource
    #: Who is told of a regency's alerts (None: nobody, the alerts are only kept).
    audiences: AudienceSource | None = None
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    #: The provinces and their supervisors, for the morning digest (None: no digest).
    provinces: ProvinceSource | None = None
    #: What time the tasks take it to be (None: the wall clock; tests pass their own).
    clock: Callable[[], datetime] | None = None
    #: Imports: the regency's kecamatan and day, and the key that encrypts what is imported.
    imports: ImportSource | None = None
    cipher: FieldCipher | None = None
    #: Each regency's office hours, kept summed by the hourly roll-up (None: not kept).
    office_hours: OfficeHoursSource | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            SESSION_FACTORY: self.session_factory,
            REGENCIES: self.regencies,
            AUDIENCES: self.audiences,
            CHANNELS: self.channels,
            PROVINCES: self.provinces,
            CLOCK: self.clock,
            IMPORTS: self.imports,
            CIPHER: self.cipher,
            OFFICE_HOURS: self.office_hours,
        }


async def run_worker(
    app: procrastinate.App,
    context: WorkerContext,
    *,
    name: str = "siaga-worker",
    concurrency: int = 2,
    install_signal_handlers: bool = True,
) -> None:
    """Runs until stopped (a signal, or the task being cancelled). ``app`` must be open."""
    releasing = asyncio.create_task(release_stalled_jobs_forever(app))
    try:
        await app.run_worker_async(
            name=name,
            concurrency=concurrency,
            additional_context=context.as_dict(),
            install_signal_handlers=install_signal_handlers,
            # A sweep every 30 s would otherwise leave 2,880 rows a day; failed jobs stay, with
            # their error, for whoever looks into them.
            delete_jobs="successful",
            update_heartbeat_interval=WORKER_HEARTBEAT_SECONDS,
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
        )
    finally:
        releasing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await releasing


#: A worker writes a sign of life this often; one silent for STALLED_AFTER_SECONDS is gone.
WORKER_HEARTBEAT_SECONDS = 10.0
STALLED_AFTER_SECONDS = 60.0


async def release_stalled_jobs(app: procrastinate.App) -> list[int]:
    """Mark failed the jobs left "doing" by a worker that died (killed, its machine gone): a
    tick holds its task's lock while it runs, and a dead one would hold it for ever, so no
    sweep or alert evaluation would run again. The next tick runs in its place; an import is
    resumed by the imports watch. The ids released."""
    released = []
    for job in await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=STALLED_AFTER_SECONDS
    ):
        if job.id is None:
            continue
        await app.job_manager.finish_job_by_id_async(
            job.id, status=procrastinate.jobs.Status.FAILED, delete_job=False
        )
        log.warning("job %s (%s): its worker stopped; marked failed", job.id, job.task_name)
        released.append(job.id)
    return released


async def release_stalled_jobs_forever(app: procrastinate.App, every: float = 60.0) -> None:
    while True:
        try:
            await release_stalled_jobs(app)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("could not look for stalled jobs")
        await asyncio.sleep(every)


class JobQueue:
    """A process's handle on the queue for deferring jobs (the web's imports): the app is
    opened on first use, in the running event loop, and closed with the process."""

    def __init__(self, database_url: str) -> None:
        self.app = job_app(database_url)
        self._open = False
        self._opening = asyncio.Lock()

    async def opened(self) -> procrastinate.App:
        async with self._opening:
            if not self._open:
                await self.app.open_async()
                self._open = True
        return self.app

    async def close(self) -> None:
        if self._open:
            await self.app.close_async()
            self._open = False


async def queue_import(queue: JobQueue, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
    """Defer an import's run: called after the request committed the import (a worker must
    find its row); should this process die first, the imports watch queues it later."""
    await defer_import(await queue.opened(), tenant_id, job_id)


class InProcessJobs:
    """The in-memory queue's worker inside the web process (SQLite development)."""

    def __init__(self, queue: JobQueue, worker: asyncio.Task[None]) -> None:
        self.queue = queue
        self.worker = worker

    @classmethod
    async def start(cls, queue: JobQueue, context: WorkerContext) -> InProcessJobs:
        app = await queue.opened()
        worker = asyncio.create_task(
            run_worker(app, context, name="in-process", install_signal_handlers=False)
        )
        return cls(queue, worker)

    async def stop(self) -> None:
        self.worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.worker
