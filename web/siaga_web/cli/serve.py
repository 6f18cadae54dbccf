"""Running Siaga: the web app, the background worker, the list of its routes."""

from __future__ import annotations

import asyncio

import typer

from siaga_platform.db.engine import create_engine
from siaga_platform.tenancy.unit_of_work import create_session_factory
from siaga_web.cli.common import (
    UNREACHABLE,
    database_down_message,
    fail,
    load_settings,
    schema_verdict,
)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (one per core in production)."),
) -> None:
    """Serve the web app (uvicorn)."""
    from siaga_web.server import serve as run_server

    settings = load_settings()
    if refused := schema_verdict(settings.database_url):
        fail(refused)
    from siaga_platform.observability.logging import configure_logging

    configure_logging(fmt=settings.effective_log_format)
    typer.echo(f"Siaga berjalan di http://{host}:{port}  (Ctrl+C untuk berhenti)")
    run_server(
        host,
        port,
        trusted_proxies=settings.trusted_proxies,
        workers=workers,
        log_level="info",
        # Our handler (text or JSON, scrubbed) writes uvicorn's lines too; the access line
        # is the request middleware's, with the route template, tenant and duration.
        log_config=None,
        access_log=False,
    )


def worker(
    concurrency: int = typer.Option(2, help="Jobs run at once by this worker."),
    name: str = typer.Option("siaga-worker", help="The worker's name in logs and job rows."),
    metrics_port: int = typer.Option(
        0, help="Serve this worker's Prometheus metrics on this port (0: none)."
    ),
) -> None:
    """Run the background work (hardware sweep, alerts, digest) from the PostgreSQL job queue.

    Start as many as you like: each periodic task runs once per tick for the whole cluster.
    """
    from siaga_platform.jobs import queue
    from siaga_platform.observability.logging import configure_logging
    from siaga_platform.observability.sentry import init_sentry
    from siaga_platform.privacy.crypto import cipher_from_settings

    # Every model mapped (the web app imports them through its routes): a flush resolves
    # foreign keys across packages, e.g. a device's tenant.
    from siaga_tenants import all_models  # noqa: F401
    from siaga_web.app import worker_context

    settings = load_settings()
    if not queue.is_shared(settings.database_url):
        fail(
            "`siaga worker` memerlukan PostgreSQL (SIAGA_DATABASE_URL). Dengan SQLite, "
            "`siaga serve` menjalankan pekerjaan yang sama di dalam prosesnya sendiri."
        )
    if refused := schema_verdict(settings.database_url):
        fail(refused)
    configure_logging(fmt=settings.effective_log_format)
    init_sentry(settings)
    if metrics_port:
        from prometheus_client import start_http_server

        from siaga_platform.observability.metrics import REGISTRY

        start_http_server(metrics_port, registry=REGISTRY)

    async def main() -> None:
        engine = create_engine(settings.database_url)
        jobs = queue.job_app(settings.database_url, concurrency=concurrency)
        try:
            async with jobs.open_async():
                context = worker_context(
                    settings, create_session_factory(engine), cipher_from_settings(settings)
                )
                await queue.run_worker(jobs, context, name=name, concurrency=concurrency)
        finally:
            await engine.dispose()

    typer.echo(f"Siaga worker {name} berjalan (Ctrl+C untuk berhenti).")
    try:
        asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))


def routes() -> None:
    """Every route of the app with the permission it requires."""
    from siaga_web.app import create_app
    from siaga_web.permissions_table import route_permissions

    for method_path, permission in sorted(route_permissions(create_app(load_settings())).items()):
        typer.echo(f"{method_path:<45} {permission}")
