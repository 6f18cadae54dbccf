"""People and their memberships."""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_web.cli.common import (
    fail,
    load_settings,
    run_in_unit_of_work,
)

users_app = typer.Typer(help="People and their memberships.", no_args_is_help=True)


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
