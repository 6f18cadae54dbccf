"""The regencies as the rollup (and the alerts, which watch the rollup's rows) read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.rollup.rows import Regency
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.service import RegistryEntry


async def rollup_regencies(
    session: AsyncSession, tenants: Sequence[RegistryEntry], now: datetime
) -> list[Regency]:
    """The regencies as the rollup reads them, with their own business day and thresholds
    (their settings are read in the session's scope, one statement for all)."""
    thresholds = await registry.rollup_thresholds(session)
    regencies = []
    for tenant in tenants:
        low_stock_days, prr_alert_days = thresholds.get(
            tenant.id, (registry.DEFAULT_LOW_STOCK_DAYS, registry.DEFAULT_PRR_ALERT_DAYS)
        )
        regencies.append(
            Regency(
                tenant_id=tenant.id,
                code=tenant.code,
                name=tenant.name,
                province_code=tenant.province_code,
                today=registry.local_day(tenant, now),
                low_stock_days=low_stock_days,
                prr_alert_days=prr_alert_days,
            )
        )
    return regencies


async def active_regencies(session: AsyncSession, now: datetime) -> list[Regency]:
    """Every active regency of every province, as the rollup reads them (the alerts
    evaluator's source: it watches the whole country at once)."""
    active = await registry.active_tenants(session)
    if not active:
        return []
    async with system_scope(
        session,
        TenantScope.national({t.id for t in active}),
        why="domain_inputs.rollup.active_regencies",
    ):
        return await rollup_regencies(session, active, now)
