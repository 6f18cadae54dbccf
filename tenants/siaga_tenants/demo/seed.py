"""The demo province: Kalimantan Tengah (62), its 14 regencies and a user for each role.

Running it twice changes nothing. Domain issues extend it with their own demo data (Murung Raya's
lightning-struck server, its empty blanko stock, its 2,299 letters).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Role
from siaga_tenants.memberships import service as memberships
from siaga_tenants.regions import repository as regions
from siaga_tenants.registry.models import Tenant
from siaga_tenants.registry.service import provision_tenant

DEMO_PROVINCE = "62"
SEED_ACTOR = "system:demo-seed"


@dataclass(frozen=True, slots=True)
class DemoUser:
    subject: str
    display_name: str
    role: Role
    scope: str  # tenant or province code, or "platform"


def _short(regency_name: str) -> str:
    return regency_name.removeprefix("Kabupaten ").removeprefix("Kota ")


def demo_subject(role: Role, scope: str) -> str:
    return f"demo-{role.value.replace('_', '-')}-{scope}"


async def seed_demo(session: AsyncSession) -> list[DemoUser]:
    province = await regions.get_province(session, DEMO_PROVINCE)
    if province is None:
        raise RuntimeError("reference data missing: run `siaga db upgrade` first")
    users: list[DemoUser] = []
    tenants: list[Tenant] = []
    for regency in await regions.list_regencies(session, DEMO_PROVINCE):
        tenant = await provision_tenant(session, regency.code, actor_subject=SEED_ACTOR)
        tenants.append(tenant)
        for role, title in ((Role.OPERATOR, "Operator"), (Role.KEPALA_DINAS, "Kepala Dinas")):
            user = DemoUser(
                demo_subject(role, tenant.code),
                f"{title} {_short(regency.name)}",
                role,
                tenant.code,
            )
            await memberships.ensure_user(session, user.subject, user.display_name, is_demo=True)
            await memberships.grant(session, user.subject, role, tenant_id=tenant.id)
            users.append(user)

    supervisor = DemoUser(
        demo_subject(Role.SUPERVISOR_PROVINSI, DEMO_PROVINCE),
        f"Supervisor {province.name}",
        Role.SUPERVISOR_PROVINSI,
        DEMO_PROVINCE,
    )
    admin = DemoUser(
        demo_subject(Role.ADMIN_PLATFORM, "platform"),
        "Admin Platform Siaga",
        Role.ADMIN_PLATFORM,
        "platform",
    )
    for user in (supervisor, admin):
        await memberships.ensure_user(session, user.subject, user.display_name, is_demo=True)
    await memberships.grant(
        session, supervisor.subject, Role.SUPERVISOR_PROVINSI, province_code=DEMO_PROVINCE
    )
    await memberships.grant(session, admin.subject, Role.ADMIN_PLATFORM)
    return [supervisor, admin, *users]
