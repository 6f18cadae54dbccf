"""The tenant registry: provisioning a regency office."""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_web.cli.common import (
    CLI_ACTOR,
    load_settings,
    run_in_unit_of_work,
)

tenants_app = typer.Typer(help="The tenant registry.", no_args_is_help=True)


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
