"""The demo province: Kalimantan Tengah (62), its 14 regencies and a user for each role.

Running it twice changes nothing. Domain issues extend it with their own demo data (Murung Raya's
lightning-struck server, its empty blanko stock, its 2,299 letters).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.memberships import service as memberships
from siaga_tenants.regions import repository as regions
from siaga_tenants.regions.reference import read_wilayah
from siaga_tenants.registry import repository as tenant_repository
from siaga_tenants.registry.service import provision_tenant

DEMO_PROVINCE = "62"
DEMO_PROVINCE_NAME = "Kalimantan Tengah"
SEED_ACTOR = "system:demo-seed"
# Demo subjects are fixed UUIDs so the development sign-in and the demo Keycloak realm
# (infra/keycloak/realm-siaga.json, whose user ids are these) name the same people.
DEMO_NAMESPACE = uuid.UUID("5f1b7a4e-2c1d-4c55-9a53-5a1a6a000062")
DEMO_PASSWORD = "siaga-demo"  # noqa: S105 - demo realm only, documented in the README


@dataclass(frozen=True, slots=True)
class DemoUser:
    subject: str
    username: str
    display_name: str
    role: Role
    scope: str  # regency code, province code, or "platform"

    @property
    def group_path(self) -> str | None:
        """The Keycloak group that carries this user's tenant or province."""
        if self.scope == "platform":
            return None
        if len(self.scope) == 2:
            return f"/{self.scope}"
        return f"/{self.scope[:2]}/{self.scope}"


def demo_username(role: Role, scope: str) -> str:
    return f"{role.value.replace('_', '-')}-{scope}"


def demo_subject(role: Role, scope: str) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, demo_username(role, scope)))


def _demo_user(role: Role, scope: str, display_name: str) -> DemoUser:
    return DemoUser(
        demo_subject(role, scope), demo_username(role, scope), display_name, role, scope
    )


def demo_regencies() -> list[tuple[str, str]]:
    """(code, name) of the demo province's regencies, from the shipped code list."""
    return [
        (row.code, row.name)
        for row in read_wilayah()
        if row.level in ("kabupaten", "kota") and row.code.startswith(f"{DEMO_PROVINCE}.")
    ]


def demo_users() -> list[DemoUser]:
    users = [
        _demo_user(Role.SUPERVISOR_PROVINSI, DEMO_PROVINCE, f"Supervisor {DEMO_PROVINCE_NAME}"),
        _demo_user(Role.ADMIN_PLATFORM, "platform", "Admin Platform Siaga"),
    ]
    for code, name in demo_regencies():
        short = name.removeprefix("Kabupaten ").removeprefix("Kota ")
        users.append(_demo_user(Role.OPERATOR, code, f"Operator {short}"))
        users.append(_demo_user(Role.KEPALA_DINAS, code, f"Kepala Dinas {short}"))
    return users


DEMO_SIGNERS = [
    "Drs. Yohanes Tambunan, M.Si.",
    "Hj. Siti Rahayu, S.Sos.",
    "Markus Siang, S.H.",
    "Ir. Dewi Anggraini",
    "Rahmat Hidayat, S.STP.",
]


async def seed_demo(session: AsyncSession) -> list[DemoUser]:
    if await regions.get_province(session, DEMO_PROVINCE) is None:
        raise RuntimeError("reference data missing: run `siaga db upgrade` first")
    tenant_ids = {}
    for index, (code, _name) in enumerate(demo_regencies()):
        tenant = await provision_tenant(session, code, actor_subject=SEED_ACTOR)
        tenant_ids[code] = tenant.id
        async with system_scope(session, TenantScope.single(tenant.id), why="demo.seed.seed_demo"):
            settings = await tenant_repository.get_settings(session)
            if settings is not None and settings.head_of_office_name is None:
                # A fictional signer, so the demo's letters can be issued at once.
                settings.head_of_office_name = DEMO_SIGNERS[index % len(DEMO_SIGNERS)]
    users = demo_users()
    for user in users:
        # A reserved domain (.test): the development server writes their alert e-mails to
        # var/mail/, so a newcomer sees what would be sent.
        await memberships.ensure_user(
            session,
            user.subject,
            user.display_name,
            email=f"{user.username}@demo.siaga.test",
            is_demo=True,
        )
        if user.role is Role.SUPERVISOR_PROVINSI:
            await memberships.grant(session, user.subject, user.role, province_code=user.scope)
        elif user.role is Role.ADMIN_PLATFORM:
            await memberships.grant(session, user.subject, user.role)
        else:
            await memberships.grant(
                session, user.subject, user.role, tenant_id=tenant_ids[user.scope]
            )
    return users
