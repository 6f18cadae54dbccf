"""The database schema and the reference data."""

from __future__ import annotations

import typer

from siaga_web.cli.common import (
    UNREACHABLE,
    database_down_message,
    fail,
    load_settings,
    run_in_unit_of_work,
)

db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


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
