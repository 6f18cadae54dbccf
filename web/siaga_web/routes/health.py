"""Liveness, readiness (database, migrations, worker) and the Prometheus metrics."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.errors import NotFound
from siaga_platform.jobs import service as jobs
from siaga_platform.jobs.queue import is_shared
from siaga_platform.observability.metrics import REGISTRY, set_job_counts
from siaga_web import clock
from siaga_web.deps import Public
from siaga_web.runtime import runtime
from siaga_web.schema_state import schema_state

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

#: A worker is alive while its heartbeat (procrastinate's, every 10 s) is this recent.
WORKER_SILENT_AFTER = timedelta(seconds=60)


@router.get("/healthz", dependencies=[Public])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


async def _worker_state(request: Request, db: AsyncSession) -> str:
    """``alive``, ``down`` (no worker heartbeat for a minute) or ``in-process`` (SQLite)."""
    if not is_shared(runtime(request.app).settings.database_url):
        background = runtime(request.app).in_process_jobs
        return "in-process" if background is not None and not background.worker.done() else "down"
    since = clock.now() - WORKER_SILENT_AFTER
    return "alive" if await jobs.worker_alive(db, since) else "down"


@router.get("/readyz", dependencies=[Public], response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """The database answers and is migrated for this code. Also reports the migration head
    and whether a worker is alive (a replica serves without one, so it stays ready)."""
    try:
        async with runtime(request.app).engine.connect() as connection:
            schema = await schema_state(connection)
            async with AsyncSession(bind=connection) as db:
                worker = await _worker_state(request, db)
    except (SQLAlchemyError, OSError) as error:
        log.warning("readyz: %s", error)
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "detail": "Basis data tidak dapat dihubungi. Coba lagi sebentar lagi.",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )
    body = {
        "status": "ok",
        "database": "ok",
        "migration": {"current": schema.current, "head": schema.head, "state": schema.verdict},
        "worker": worker,
    }
    if schema.verdict == "behind":
        body["status"] = "unavailable"
        body["detail"] = (
            "Basis data belum dimigrasikan untuk versi ini: jalankan `siaga db upgrade`."
        )
        return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})
    return JSONResponse(body)


def _may_scrape(request: Request) -> bool:
    settings = runtime(request.app).settings
    if settings.metrics_public:
        return True
    if settings.metrics_token is None:
        return False
    sent = request.headers.get("authorization", "")
    expected = f"Bearer {settings.metrics_token.get_secret_value()}"
    return hmac.compare_digest(sent.encode(), expected.encode())


@router.get("/metrics", dependencies=[Public], include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format; hidden (404) unless the settings allow the caller."""
    if not _may_scrape(request):
        raise NotFound("Halaman tidak ditemukan.")
    if is_shared(runtime(request.app).settings.database_url):
        try:
            async with AsyncSession(bind=runtime(request.app).engine) as db:
                set_job_counts(await jobs.job_counts(db))
        except (SQLAlchemyError, OSError) as error:
            # The process's own figures still answer; the queue's are last scrape's.
            log.warning("metrics: the job queue could not be read (%s)", type(error).__name__)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
