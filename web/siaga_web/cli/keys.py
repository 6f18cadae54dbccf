"""The keys that protect personal data: rotating them."""

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
)

keys_app = typer.Typer(help="The keys that protect personal data.", no_args_is_help=True)


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
