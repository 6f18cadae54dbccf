"""Provisioning any of the 514 codes, time zones, memberships as the authority."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from siaga_platform.audit.models import AuditEvent
from siaga_platform.auth.principal import Role
from siaga_platform.errors import InvalidInput
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject, seed_demo
from siaga_tenants.memberships.models import Membership, User
from siaga_tenants.memberships.service import resolve_principal
from siaga_tenants.regions.reference import read_wilayah
from siaga_tenants.registry import repository
from siaga_tenants.registry.models import Tenant, TenantSettings, TenantStatus
from siaga_tenants.registry.service import UnknownRegencyCode, provision_tenant
from tests.fixtures.databases import ScratchDatabase


def _population(code: str) -> int | None:
    return next(r.population for r in read_wilayah() if r.code == code)


@pytest.mark.parametrize(
    ("code", "kind", "zone"),
    [("62.12", "kabupaten", "WIB"), ("71.71", "kota", "WITA"), ("94.01", "kabupaten", "WIT")],
)
async def test_provision_takes_facts_from_the_code_list(
    db: ScratchDatabase, code: str, kind: str, zone: str
) -> None:
    async with unit_of_work(db.session_factory) as session:
        tenant = await provision_tenant(session, code, actor_subject="test")
    assert (tenant.code, tenant.kind, tenant.timezone, tenant.status) == (
        code,
        kind,
        zone,
        TenantStatus.ACTIVE,
    )
    assert tenant.population == _population(code)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant.id))
        settings = await repository.get_settings(session)
        assert settings is not None and settings.letter_validity_months == 6
        audits = await session.scalar(select(func.count()).select_from(AuditEvent))
        assert audits == 1


async def test_provision_is_idempotent_and_refuses_unknown_codes(db: ScratchDatabase) -> None:
    async with unit_of_work(db.session_factory) as session:
        first = await provision_tenant(session, "62.12", actor_subject="test")
        second = await provision_tenant(session, " 6212 ", actor_subject="test")
        assert first.id == second.id
        with pytest.raises(UnknownRegencyCode, match=r"99\.99"):
            await provision_tenant(session, "99.99", actor_subject="test")
        with pytest.raises(InvalidInput) as info:
            await provision_tenant(session, "62-12-01", actor_subject="test")
        assert info.value.field == "code"
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Tenant)) == 1


async def test_demo_seed_twice_changes_nothing(db: ScratchDatabase) -> None:
    async def counts() -> tuple[int, ...]:
        async with db.session_factory() as session:
            tenants = await session.scalar(select(func.count()).select_from(Tenant))
            users = await session.scalar(select(func.count()).select_from(User))
            members = await session.scalar(select(func.count()).select_from(Membership))
            ids = await repository.active_ids_in_province(session, "62")
            await enter_scope(session, TenantScope.read_only(ids))
            settings = await session.scalar(select(func.count()).select_from(TenantSettings))
            return tenants or 0, users or 0, members or 0, settings or 0

    for _ in range(2):
        async with unit_of_work(db.session_factory) as session:
            users = await seed_demo(session)
    assert await counts() == (14, 30, 30, 14)
    assert {u.role for u in users} == set(Role)


async def test_membership_is_the_authority(db: ScratchDatabase) -> None:
    async with unit_of_work(db.session_factory) as session:
        await seed_demo(session)
    async with unit_of_work(db.session_factory) as session:
        operator = await resolve_principal(session, demo_subject(Role.OPERATOR, "62.12"))
        assert operator is not None and operator.tenant_code == "62.12"
        supervisor = await resolve_principal(session, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
        assert supervisor is not None and len(supervisor.province_tenant_ids) == 14
        assert await resolve_principal(session, "someone-unknown") is None
        tenant = await repository.get_by_code(session, "62.12")
        assert tenant is not None
        tenant.status = TenantStatus.SUSPENDED
    async with unit_of_work(db.session_factory) as session:
        # A suspended tenant grants nothing, and drops out of the supervisor's explicit list.
        assert await resolve_principal(session, demo_subject(Role.OPERATOR, "62.12")) is None
        supervisor = await resolve_principal(session, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
        assert supervisor is not None and len(supervisor.province_tenant_ids) == 13
