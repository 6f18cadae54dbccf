from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.registry.models import Tenant, TenantSettings, TenantStatus


async def get_by_code(session: AsyncSession, code: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.code == code))


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def list_all(session: AsyncSession) -> Sequence[Tenant]:
    return (await session.scalars(select(Tenant).order_by(Tenant.code))).all()


async def list_in_province(session: AsyncSession, province_code: str) -> Sequence[Tenant]:
    rows = await session.scalars(
        select(Tenant).where(Tenant.province_code == province_code).order_by(Tenant.code)
    )
    return rows.all()


async def active_ids_in_province(session: AsyncSession, province_code: str) -> frozenset[uuid.UUID]:
    rows = await session.scalars(
        select(Tenant.id).where(
            Tenant.province_code == province_code, Tenant.status == TenantStatus.ACTIVE
        )
    )
    return frozenset(rows)


async def count_by_province(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Tenant.province_code, func.count()).group_by(Tenant.province_code)
    )
    return {code: count for code, count in rows}


async def settings_in_scope(session: AsyncSession) -> Sequence[TenantSettings]:
    """The settings of every tenant in the session's read scope (a province, the nation)."""
    return (await session.scalars(select(TenantSettings))).all()


async def get_settings(session: AsyncSession) -> TenantSettings | None:
    """The settings of the tenant in scope (the tenancy wall picks the row)."""
    return await session.scalar(select(TenantSettings))
