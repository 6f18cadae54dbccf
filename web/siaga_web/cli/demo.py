"""The demo province (Kalimantan Tengah): seeding it and keeping its devices beating."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.engine import create_engine
from siaga_platform.tenancy.unit_of_work import create_session_factory
from siaga_web.cli.common import (
    UNREACHABLE,
    database_down_message,
    fail,
    load_settings,
    run_in_unit_of_work,
)

demo_app = typer.Typer(help="The demo province (Kalimantan Tengah).", no_args_is_help=True)


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
