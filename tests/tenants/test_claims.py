"""What a token's claims may grant, decided by Siaga's own tables (no Keycloak needed here:
the claims are what a validated token would carry)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.memberships.models import Membership
from siaga_tenants.memberships.service import (
    AccessRefused,
    ClaimedAccess,
    principal_from_claims,
)
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.models import TenantStatus
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


def claims(sub: str, roles: list[str], groups: list[str]) -> ClaimedAccess:
    return ClaimedAccess.from_claims(
        {"sub": sub, "name": "Petugas", "roles": roles, "groups": groups}
    )


async def test_regency_group_and_tenant_role_grant_that_tenant(db: ScratchDatabase) -> None:
    await seed(db)
    async with unit_of_work(db.session_factory) as session:
        principal = await principal_from_claims(
            session, claims(str(uuid.uuid4()), ["operator"], ["/62/62.12"])
        )
    assert principal.role is Role.OPERATOR and principal.tenant_code == "62.12"


@pytest.mark.parametrize(
    ("roles", "groups", "says"),
    [
        (["operator"], ["/63/63.01"], "belum terdaftar di Siaga"),
        (["operator"], ["/62/63.01"], "belum punya peran"),  # province part does not match
        (["supervisor_provinsi"], ["/62"], "belum disetujui"),
        (["admin_platform"], [], "belum disetujui"),
        (["operator"], [], "belum punya peran"),
        ([], ["/62/62.12"], "belum punya peran"),
    ],
)
async def test_claims_the_local_table_does_not_allow_grant_nothing(
    db: ScratchDatabase, roles: list[str], groups: list[str], says: str
) -> None:
    await seed(db)
    subject = str(uuid.uuid4())
    async with unit_of_work(db.session_factory) as session:
        with pytest.raises(AccessRefused, match=says):
            await principal_from_claims(session, claims(subject, roles, groups))
    async with db.session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_subject == subject)
        )
        assert count == 0


async def test_suspended_tenant_grants_nothing(db: ScratchDatabase) -> None:
    await seed(db)
    async with unit_of_work(db.session_factory) as session:
        tenant = await tenants.get_by_code(session, "62.12")
        assert tenant is not None
        tenant.status = TenantStatus.SUSPENDED
    async with unit_of_work(db.session_factory) as session:
        with pytest.raises(AccessRefused, match="ditangguhkan"):
            await principal_from_claims(
                session, claims(str(uuid.uuid4()), ["operator"], ["/62/62.12"])
            )


async def test_locally_granted_supervisor_gets_the_explicit_province_list(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    subject = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
    async with unit_of_work(db.session_factory) as session:
        principal = await principal_from_claims(
            session, claims(subject, ["supervisor_provinsi"], ["/62"])
        )
    assert principal.role is Role.SUPERVISOR_PROVINSI
    assert len(principal.province_tenant_ids) == 14
