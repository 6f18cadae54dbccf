"""CSV imports run by the worker, on both databases: a run that dies with its worker (mid-file,
after some chunks committed) is found by the imports watch and run again, resuming after the
last committed row, so every row is imported once; after too many runs it is marked failed
with the reason, never left "running"."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from siaga_platform.applications import importer, repository
from siaga_platform.applications.models import Application, ImportStatus
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import IMPORTS_WATCH, defer_import
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.registry.service import import_inputs
from tests.fixtures.applications import CIPHER, CIPHER_SECRET, nik_for, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.worker import siaga_worker

ROWS = 25


class WorkerDied(BaseException):
    """Not an ``Exception``: the run's own error handling never sees it, as with a kill."""


def _file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["nik", "nama", "tanggal_lahir", "jenis_kelamin", "kecamatan", "status", "tanggal"]
    )
    for serial in range(ROWS):
        writer.writerow(
            [
                nik_for(200 + serial),
                f"Warga {serial}",
                "1995-08-17",
                "L",
                "62.12.01",
                "BC",
                "2026-10-01",
            ]
        )
    return out.getvalue().encode()


async def _create(db: ScratchDatabase) -> tuple[uuid.UUID, uuid.UUID]:
    await seed(db)
    who = await operator(db)
    assert who.tenant_id is not None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        job = await importer.create_import(session, who, filename="rekam.csv", content=_file())
    return who.tenant_id, job.id


async def _job(db: ScratchDatabase, tenant: uuid.UUID, job_id: uuid.UUID):  # type: ignore[no-untyped-def]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        job = await repository.get_import(session, job_id)
        count = await session.scalar(select(func.count()).select_from(Application))
        return job, count


async def _die_at_chunk(
    db: ScratchDatabase,
    tenant: uuid.UUID,
    job_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    """A run killed while writing its ``chunk``-th chunk (the earlier ones committed)."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    real = importer.write_applications
    calls = 0

    async def dies_on_the_second_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == chunk:
            raise WorkerDied
        return await real(*args, **kwargs)

    monkeypatch.setattr(importer, "write_applications", dies_on_the_second_chunk)
    async with db.session_factory() as session:
        inputs = await import_inputs(session, tenant, datetime.now(UTC))
    assert inputs is not None
    with pytest.raises(WorkerDied):
        await importer.run_import(
            db.session_factory, CIPHER, inputs[0], tenant_id=tenant, job_id=job_id, today=inputs[1]
        )
    monkeypatch.setattr(importer, "write_applications", real)


async def _watch(db: ScratchDatabase, at: datetime) -> None:
    """The imports watch ticks at ``at``, and the worker runs what it queued."""
    jobs = queue.job_app(db.app_url)
    context = queue.WorkerContext(
        db.session_factory, active_regencies, clock=lambda: at, imports=import_inputs, cipher=CIPHER
    )
    async with jobs.open_async():
        await jobs.configure_task(IMPORTS_WATCH).defer_async(timestamp=int(time.time()))
        await asyncio.wait_for(
            jobs.run_worker_async(
                wait=False, additional_context=context.as_dict(), install_signal_handlers=False
            ),
            timeout=120,
        )


async def test_a_run_that_died_is_resumed_after_its_last_committed_row(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, job_id = await _create(db)
    await _die_at_chunk(db, tenant, job_id, monkeypatch, chunk=2)
    job, count = await _job(db, tenant, job_id)
    assert job.status == ImportStatus.RUNNING and job.processed_rows == 10 and count == 10

    await _watch(db, datetime.now(UTC) + timedelta(minutes=1))
    job, _ = await _job(db, tenant, job_id)
    assert job.status == ImportStatus.RUNNING and job.attempts == 1  # still alive: left alone

    await _watch(db, datetime.now(UTC) + importer.STALLED_AFTER + timedelta(minutes=1))
    job, count = await _job(db, tenant, job_id)
    assert job.status == ImportStatus.DONE and job.attempts == 2
    assert job.processed_rows == ROWS and job.created_count == ROWS and count == ROWS
    assert job.duplicate_count == 0  # the first chunk was not read again


async def test_an_import_that_keeps_dying_is_marked_failed_with_the_reason(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, job_id = await _create(db)
    for _ in range(importer.MAX_ATTEMPTS):
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(tenant))
            job = await repository.get_import(session, job_id)
            assert job is not None
            job.progress_at = datetime.now(UTC) - importer.STALLED_AFTER * 2
        await _die_at_chunk(db, tenant, job_id, monkeypatch, chunk=1)
    async with unit_of_work(db.session_factory) as session:  # the last death, long ago
        await enter_scope(session, TenantScope.single(tenant))
        job = await repository.get_import(session, job_id)
        assert job is not None
        job.progress_at = datetime.now(UTC) - importer.STALLED_AFTER * 2
    job, _ = await _job(db, tenant, job_id)
    assert job.attempts == importer.MAX_ATTEMPTS and job.status == ImportStatus.RUNNING
    await _watch(db, datetime.now(UTC))
    job, _ = await _job(db, tenant, job_id)
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert "Unggah ulang" in (job.message or "") and f"{job.processed_rows} dari {ROWS}" in (
        job.message or ""
    )


@pytest.mark.postgres_only
async def test_the_siaga_worker_command_runs_an_uploaded_import(db: ScratchDatabase) -> None:
    """The production worker (the command, its own context) runs an import job the web
    queued: it once started without the import sources and every import job failed there."""
    tenant, job_id = await _create(db)
    jobs = queue.job_app(db.app_url)
    async with jobs.open_async():
        assert await defer_import(jobs, tenant, job_id)

    async def imported() -> bool:
        job, _count = await _job(db, tenant, job_id)
        return job.status == ImportStatus.DONE

    # The same development keys as the upload's.
    with siaga_worker(db.app_url, name="import-worker", SIAGA_SECRET_KEY=CIPHER_SECRET) as worker:
        await worker.wait_for(imported, seconds=60)
    job, count = await _job(db, tenant, job_id)
    assert job.status == ImportStatus.DONE, worker.output
    assert job.created_count == ROWS and count == ROWS, worker.output
