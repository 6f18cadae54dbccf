"""The government Keycloak (SSO): its groups."""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_web.cli.common import (
    fail,
    load_settings,
    run_in_unit_of_work,
)

keycloak_app = typer.Typer(help="The government Keycloak (SSO).", no_args_is_help=True)


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
