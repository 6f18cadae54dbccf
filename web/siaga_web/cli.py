"""The ``siaga`` command: serve, db upgrade, tenants provision, demo seed.

Every failure a user can cause or meet (bad settings, unknown code, database down) ends in one
line that says what to do, not a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.config import Settings, SettingsRefused, get_settings
from siaga_platform.config import settings_error_line as _settings_error_line
from siaga_platform.db.engine import create_engine, create_session_factory, unit_of_work
from siaga_platform.errors import DomainError

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_ACTOR = "system:cli"
# What a database that is down, refusing us or not there looks like from here.
UNREACHABLE = (OperationalError, InterfaceError, OSError)

app = typer.Typer(
    help="Siaga: KTP-el operations for regency Dukcapil offices.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
tenants_app = typer.Typer(help="The tenant registry.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo province (Kalimantan Tengah).", no_args_is_help=True)
keycloak_app = typer.Typer(help="The government Keycloak (SSO).", no_args_is_help=True)
users_app = typer.Typer(help="People and their memberships.", no_args_is_help=True)
hardware_app = typer.Typer(help="Recording hardware.", no_args_is_help=True)
keys_app = typer.Typer(help="The keys that protect personal data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keycloak_app, name="keycloak")
app.add_typer(users_app, name="users")
app.add_typer(hardware_app, name="hardware")
app.add_typer(tenants_app, name="tenants")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"siaga: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        get_settings.cache_clear()
        return get_settings()
    except (ValidationError, SettingsRefused) as error:
        fail(_settings_error_line(error), code=2)


def database_down_message(error: Exception) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return (
        f"database tidak dapat dihubungi ({reason}). "
        "Periksa SIAGA_DATABASE_URL dan pastikan databasenya berjalan."
    )


def run_in_unit_of_work(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        fail(error.message)
    except UNREACHABLE as error:
        fail(database_down_message(error))


def _schema_verdict(url: str) -> str:
    """One line when the database is not ready for this code, else ``""``."""
    from siaga_web.schema_state import schema_state

    async def check() -> str:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                state = await schema_state(connection)
        finally:
            await engine.dispose()
        if state.verdict != "behind":
            return ""
        if state.current is None:
            return "database belum disiapkan: jalankan `siaga db upgrade` dahulu."
        return (
            f"database pada migrasi {state.current}, kode ini memerlukan {state.head}: "
            "jalankan `siaga db upgrade` dahulu."
        )

    try:
        return asyncio.run(check())
    except UNREACHABLE as error:
        fail(database_down_message(error))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (one per core in production)."),
) -> None:
    """Serve the web app (uvicorn)."""
    from siaga_web.server import serve as run_server

    settings = load_settings()
    if refused := _schema_verdict(settings.database_url):
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


@app.command()
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
    from siaga_platform.delivery.send import channel_settings
    from siaga_platform.jobs import queue
    from siaga_platform.observability.logging import configure_logging
    from siaga_platform.observability.sentry import init_sentry

    # Every model mapped (the web app imports them through its routes): a flush resolves
    # foreign keys across packages, e.g. a device's tenant.
    from siaga_tenants import all_models  # noqa: F401
    from siaga_tenants.memberships.audience import alert_audience, digest_provinces
    from siaga_tenants.registry.service import active_regencies

    settings = load_settings()
    if not queue.is_shared(settings.database_url):
        fail(
            "`siaga worker` memerlukan PostgreSQL (SIAGA_DATABASE_URL). Dengan SQLite, "
            "`siaga serve` menjalankan pekerjaan yang sama di dalam prosesnya sendiri."
        )
    if refused := _schema_verdict(settings.database_url):
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
                context = queue.WorkerContext(
                    create_session_factory(engine),
                    active_regencies,
                    alert_audience,
                    channel_settings(settings),
                    digest_provinces,
                )
                await queue.run_worker(jobs, context, name=name, concurrency=concurrency)
        finally:
            await engine.dispose()

    typer.echo(f"Siaga worker {name} berjalan (Ctrl+C untuk berhenti).")
    try:
        asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))


@app.command()
def backup(
    target: Path = typer.Argument(..., help="The backup file to write (never overwritten)."),
) -> None:
    """Back up the whole database (pg_dump as the schema owner; SQLite's online backup)."""
    from siaga_platform.db.backup import BackupFailed
    from siaga_platform.db.backup import backup as run_backup

    settings = load_settings()
    try:
        url = (
            settings.backup_database_url or settings.migration_database_url or settings.database_url
        )
        done = run_backup(url, target)
    except BackupFailed as error:
        fail(str(error))
    typer.echo(
        f"Cadangan tersimpan: {done.path} ({done.size_bytes / 1e6:.1f} MB). Simpan kunci "
        "SIAGA_FIELD_KEYS dan SIAGA_SEARCH_KEY terpisah: tanpa keduanya data pribadi tak terbaca."
    )


@app.command()
def restore(
    source: Path = typer.Argument(..., help="A file written by `siaga backup`."),
    replace: bool = typer.Option(False, help="Replace what the database holds now."),
) -> None:
    """Restore a backup into an empty database (all or nothing), then `siaga serve`."""
    from siaga_platform.db.backup import BackupFailed
    from siaga_platform.db.backup import restore as run_restore

    settings = load_settings()
    try:
        run_restore(
            settings.migration_database_url or settings.database_url, source, replace=replace
        )
    except BackupFailed as error:
        fail(str(error))
    typer.echo(f"Dipulihkan dari {source}. Jalankan `siaga db upgrade` bila kodenya lebih baru.")


@keys_app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(500, min=1, max=10_000, help="Rows per short transaction."),
) -> None:
    """Encrypt every NIK and name again under the first key of SIAGA_FIELD_KEYS and rebuild
    every search hash under the first key of SIAGA_SEARCH_KEY (put the new key first, keep
    the old ones after it); webhook secrets too. Resumable; the app serves meanwhile."""
    from siaga_platform.privacy.crypto import cipher_from_settings
    from siaga_platform.privacy.rotation import (
        RotationReport,
        SearchRotationReport,
        rotate_field_keys,
        rotate_search_keys,
    )
    from siaga_tenants import all_models  # noqa: F401 - every model mapped for the flush
    from siaga_tenants.registry import repository as tenants

    settings = load_settings()
    cipher = cipher_from_settings(settings)

    def shown(report: RotationReport) -> None:
        typer.echo(f"  {report.applications} permohonan dienkripsi ulang…")

    def hashed(report: SearchRotationReport) -> None:
        typer.echo(f"  {report.applications} permohonan diberi hash pencarian baru…")

    async def main() -> tuple[RotationReport, SearchRotationReport]:
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        try:
            async with factory() as session:
                ids = [t.id for t in await tenants.list_all(session)]
            fields = await rotate_field_keys(factory, cipher, ids, batch_size=batch, progress=shown)
            search = await rotate_search_keys(
                factory, cipher, ids, batch_size=batch, progress=hashed
            )
            return fields, search
        finally:
            await engine.dispose()

    try:
        fields, search = asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))
    typer.echo(
        f"Selesai: {fields.applications} permohonan dan {fields.webhook_secrets} kunci webhook "
        f"kini memakai kunci {cipher.current_key_id}; {search.applications} permohonan dan "
        f"{search.letters} surat kini dicari dengan kunci {cipher.current_search_key_id}. "
        "Kunci lama boleh dilepas dari SIAGA_FIELD_KEYS dan SIAGA_SEARCH_KEY setelah cadangan "
        "yang memakainya tidak diperlukan lagi."
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest revision and load the region codes (idempotent)."""
    from alembic import command

    from siaga_tenants.regions.service import load_reference_data
    from siaga_web.schema_state import alembic_config

    settings = load_settings()
    url = settings.migration_database_url or settings.database_url
    config = alembic_config(url)
    try:
        command.upgrade(config, "head")
    except UNREACHABLE as error:
        fail(database_down_message(error))
    loaded = run_in_unit_of_work(url, load_reference_data)
    typer.echo(
        "Database siap. Kode wilayah ditambahkan: "
        f"{loaded.provinces_added} provinsi, {loaded.regencies_added} kabupaten/kota, "
        f"{loaded.kecamatan_added} kecamatan."
    )


@tenants_app.command("provision")
def tenants_provision(code: str = typer.Argument(..., help="Kemendagri code, e.g. 62.12")) -> None:
    """Create the tenant for a regency office (any of the 514 codes)."""
    from siaga_tenants.registry import repository
    from siaga_tenants.registry.service import provision_tenant

    settings = load_settings()

    async def work(session: AsyncSession) -> tuple[str, bool]:
        from siaga_tenants.regions.codes import normalize_regency_code

        normalized = normalize_regency_code(code)
        existed = bool(normalized) and await repository.get_by_code(session, normalized or "")
        tenant = await provision_tenant(session, code, actor_subject=CLI_ACTOR)
        return f"{tenant.code} {tenant.name} (zona {tenant.timezone})", bool(existed)

    label, existed = run_in_unit_of_work(settings.database_url, work)
    typer.echo(f"Tenant {label} {'sudah ada' if existed else 'dibuat'}.")


def _demo_alerts(url: str) -> int:
    """The demo's alerts, evaluated as if watched for the last 75 minutes (see the module)."""
    from datetime import UTC, datetime

    from siaga_tenants.demo.alerts import seed_demo_alerts

    async def main() -> int:
        engine = create_engine(url)
        try:
            return await seed_demo_alerts(create_session_factory(engine), now=datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))


@demo_app.command("seed")
def demo_seed() -> None:
    """Build the demo province (Kalimantan Tengah); running it twice creates no duplicates."""
    from siaga_tenants.demo.seed import seed_demo

    settings = load_settings()
    if settings.is_production:
        fail("demo seed tidak dijalankan di produksi.", code=2)
    from datetime import UTC, datetime, timedelta

    from siaga_platform.privacy.crypto import cipher_from_settings
    from siaga_tenants.demo.applications import seed_demo_applications
    from siaga_tenants.regions.codes import UTC_OFFSET_HOURS
    from siaga_tenants.regions.models import TimeZone

    users = run_in_unit_of_work(settings.database_url, seed_demo)
    cipher = cipher_from_settings(settings)
    # The demo province's own day (Kalimantan Tengah is WIB), not the server's.
    today = (datetime.now(UTC) + timedelta(hours=UTC_OFFSET_HOURS[TimeZone.WIB])).date()

    async def applications(session: AsyncSession) -> dict[str, int]:
        return await seed_demo_applications(session, cipher, today=today)

    added = run_in_unit_of_work(settings.database_url, applications)

    from siaga_tenants.demo.hardware import save_tokens, seed_demo_hardware

    async def hardware(session: AsyncSession) -> dict[str, str]:
        return await seed_demo_hardware(session, now=datetime.now(UTC))

    save_tokens(run_in_unit_of_work(settings.database_url, hardware))

    from siaga_tenants.demo.stock import seed_demo_stock

    async def stock(session: AsyncSession) -> int:
        return await seed_demo_stock(session, today=today, now=datetime.now(UTC))

    run_in_unit_of_work(settings.database_url, stock)

    from siaga_tenants.demo.letters import seed_demo_letters

    async def letters(session: AsyncSession) -> dict[str, int]:
        return await seed_demo_letters(session, cipher, today=today)

    run_in_unit_of_work(settings.database_url, letters)

    from siaga_tenants.demo.elections import seed_demo_election

    async def election(session: AsyncSession) -> object:
        return await seed_demo_election(session, today=today)

    run_in_unit_of_work(settings.database_url, election)
    alerts = _demo_alerts(settings.database_url)
    typer.echo("Provinsi demo Kalimantan Tengah siap: 14 kabupaten/kota.")
    if alerts:
        typer.echo(f"Peringatan demo: {alerts} perubahan (sebagian sudah dieskalasi ke provinsi).")
    if added:
        typer.echo(f"Permohonan demo ditambahkan: {sum(added.values())} di {len(added)} wilayah.")
    typer.echo("Pengguna demo (pilih di halaman Masuk):")
    for user in users:
        typer.echo(f"  {user.role.value:<20} {user.scope:<9} {user.display_name}")


@keycloak_app.command("sync")
def keycloak_sync() -> None:
    """Create the group /<province>/<regency> in Keycloak for every tenant (idempotent)."""
    from keycloak.exceptions import KeycloakError

    from siaga_tenants.registry import repository
    from siaga_tenants.registry.keycloak_groups import admin_client, sync_groups

    settings = load_settings()

    async def codes(session: AsyncSession) -> list[str]:
        return [t.code for t in await repository.list_all(session)]

    tenant_codes = run_in_unit_of_work(settings.database_url, codes)
    try:
        report = sync_groups(admin_client(settings), tenant_codes)
    except ValueError as error:
        fail(str(error), code=2)
    except KeycloakError as error:
        fail(f"Keycloak menolak atau tidak dapat dihubungi: {str(error).splitlines()[0][:200]}")
    typer.echo(f"Grup Keycloak: {len(report.created)} dibuat, {len(report.existing)} sudah ada.")
    for path in report.created:
        typer.echo(f"  + {path}")


@hardware_app.command("sweep")
def hardware_sweep() -> None:
    """Notice silent devices now (`siaga worker` does this every 30 seconds)."""
    from datetime import UTC, datetime

    from siaga_platform.hardware.outages import SweepReport
    from siaga_platform.hardware.watch import sweep_all

    settings = load_settings()

    async def main() -> SweepReport:
        engine = create_engine(settings.database_url)
        try:
            return await sweep_all(create_session_factory(engine), now=datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))
    typer.echo(
        f"Perubahan status: {report.changes}, kejadian dibuka: {report.opened}, "
        f"ditutup: {report.closed}."
    )


@users_app.command("grant")
def users_grant(
    subject: str = typer.Argument(..., help="The person's SSO subject (Keycloak user id)."),
    role: str = typer.Argument(
        ..., help="operator | kepala_dinas | supervisor_provinsi | admin_platform"
    ),
    name: str = typer.Option(..., help="Display name, e.g. 'Supervisor Kalimantan Tengah'."),
    tenant: str | None = typer.Option(None, help="Regency code for operator/kepala_dinas."),
    province: str | None = typer.Option(None, help="Province code for supervisor_provinsi."),
) -> None:
    """Grant a membership in the local table (supervisors and admins need one before SSO)."""
    from siaga_platform.auth.principal import TENANT_ROLES, Role
    from siaga_platform.errors import InvalidInput
    from siaga_tenants.memberships import service as memberships
    from siaga_tenants.regions import repository as regions
    from siaga_tenants.registry import repository

    settings = load_settings()
    try:
        chosen = Role(role)
    except ValueError:
        fail(f"peran '{role}' tidak dikenal: pilih {', '.join(r.value for r in Role)}.", code=2)

    async def work(session: AsyncSession) -> str:
        await memberships.ensure_user(session, subject, name)
        if chosen in TENANT_ROLES:
            found = await repository.get_by_code(session, tenant or "")
            if found is None:
                raise InvalidInput(f"--tenant {tenant}: kabupaten/kota ini belum terdaftar.")
            await memberships.grant(session, subject, chosen, tenant_id=found.id)
            return f"{chosen.value} di {found.code} {found.name}"
        if chosen is Role.SUPERVISOR_PROVINSI:
            if await regions.get_province(session, province or "") is None:
                raise InvalidInput(f"--province {province}: kode provinsi tidak dikenal.")
            await memberships.grant(session, subject, chosen, province_code=province)
            return f"{chosen.value} provinsi {province}"
        await memberships.grant(session, subject, chosen)
        return chosen.value

    granted = run_in_unit_of_work(settings.database_url, work)
    typer.echo(f"{name}: {granted}.")


@app.command()
def routes() -> None:
    """Every route of the app with the permission it requires."""
    from siaga_web.app import create_app
    from siaga_web.permissions_table import route_permissions

    for method_path, permission in sorted(route_permissions(create_app(load_settings())).items()):
        typer.echo(f"{method_path:<45} {permission}")


@demo_app.command("heartbeats")
def demo_heartbeats(
    url: str = typer.Option("http://127.0.0.1:8000", help="Siaga's address."),
    interval: int = typer.Option(60, help="Seconds between rounds."),
    rounds: int = typer.Option(0, help="Stop after this many rounds (0: never)."),
) -> None:
    """Keep the demo's healthy devices beating (development only; Murung Raya's struck
    server stays silent)."""
    import json
    import time
    from datetime import UTC, datetime

    import httpx

    from siaga_tenants.demo.hardware import TOKENS_FILE

    if not TOKENS_FILE.exists():
        fail("belum ada perangkat demo: jalankan `siaga demo seed` dahulu.")
    tokens = list(json.loads(TOKENS_FILE.read_text()).values())
    done = 0
    while True:
        beats = [
            {"device_token": t, "taken_at": datetime.now(UTC).isoformat(), "status": "ok"}
            for t in tokens
        ]
        try:
            for start in range(0, len(beats), 500):
                httpx.post(
                    f"{url}/api/v1/heartbeats/batch",
                    json={"heartbeats": beats[start : start + 500]},
                    timeout=30,
                )
        except httpx.HTTPError:
            pass  # the server is starting or gone; try again next round
        done += 1
        if rounds and done >= rounds:
            return
        time.sleep(interval)


@app.command()
def agent(
    config: Path = typer.Option(..., help="The agent's TOML configuration file."),
    requeue_kept_aside: bool = typer.Option(
        False, help="Put the beats kept aside (refused) back in the queue, then exit."
    ),
) -> None:
    """Run the device agent on a recording PC (see README, "The device agent")."""
    import logging

    from siaga_platform.hardware.agent import Agent, AgentConfig
    from siaga_platform.hardware.agent_queue import BeatQueue

    if not config.exists():
        fail(f"file konfigurasi {config} tidak ada.", code=2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    loaded = AgentConfig.load(config)
    if requeue_kept_aside:
        queue = BeatQueue.open(loaded.queue_file, max_beats=loaded.max_queued_beats)
        typer.echo(f"{queue.requeue_kept_aside()} denyut dikembalikan ke antrean.")
        return
    Agent(loaded).run_forever()


if __name__ == "__main__":
    app()
