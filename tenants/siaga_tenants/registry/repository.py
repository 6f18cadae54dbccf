from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.registry.models import Tenant, TenantSettings, TenantStatus


async def get_by_code(session: AsyncSession, code: str) -> Tenant | None:
    return await session.scalar(select(Tenant).where(Tenant.code == code))


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def list_all(session: AsyncSession) -> Sequence[Tenant]:
    return (await session.scalars(select(Tenant).order_by(Tenant.code))).all()


async def directory(session: AsyncSession, province_code: str | None = None) -> Sequence[Any]:
    """The registry as plain rows (id, code, name, province_code, timezone, status), for
    reads over many regencies: no ORM objects to track for a national page."""
    statement = select(
        Tenant.id, Tenant.code, Tenant.name, Tenant.province_code, Tenant.timezone, Tenant.status
    ).order_by(Tenant.code)
    if province_code is not None:
        statement = statement.where(Tenant.province_code == province_code)
    return (await session.execute(statement)).all()


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


async def rollup_thresholds(session: AsyncSession) -> dict[uuid.UUID, tuple[int, int]]:
    """Per tenant in the read scope (a province, the nation): (low-stock days of cover, PRR
    waiting alert days), as plain rows."""
    rows = await session.execute(
        select(
            TenantSettings.tenant_id,
            TenantSettings.low_stock_days_of_cover,
            TenantSettings.prr_waiting_alert_days,
        )
    )
    return {tenant_id: (low, alert) for tenant_id, low, alert in rows}


async def get_settings(session: AsyncSession) -> TenantSettings | None:
    """The settings of the tenant in scope (the tenancy wall picks the row)."""
    return await session.scalar(select(TenantSettings))
