"""The sweep, run for every tenant: by the worker every ``SWEEP_SECONDS`` (``jobs.tasks``) and
from the command line. It is idempotent and locks the devices it looks at."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.hardware import repository, summary
from siaga_platform.hardware.models import DeviceToken
from siaga_platform.hardware.outages import SweepReport, sweep_tenant
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30
UPTIMES_PER_SWEEP = 20  # 514 regencies refreshed within the hour


async def tenants_with_devices(db: AsyncSession) -> list[uuid.UUID]:
    # The token registry names each device's tenant without entering any tenant's scope.
    rows = await db.scalars(select(DeviceToken.tenant_id).distinct())
    return list(rows)


async def work_for_sweep(
    db: AsyncSession, now: datetime
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(tenants with silent devices, tenants whose 30-day uptime is stale), read across every
    tenant with devices at once (a read-only scope of all of them): a quiet fleet costs two
    queries per sweep, not one transaction per regency."""
    tenant_ids = await tenants_with_devices(db)
    if not tenant_ids:
        return [], []
    async with system_scope(
        db, TenantScope.read_only(set(tenant_ids)), why="hardware.watch.work_for_sweep"
    ):
        due = await repository.tenants_with_silent_devices(db, now)
        stale = await repository.summaries_with_stale_uptime(db, now - summary.UPTIME_REFRESH)
    return due, stale[:UPTIMES_PER_SWEEP]


async def sweep_all(factory: async_sessionmaker[AsyncSession], *, now: datetime) -> SweepReport:
    async with unit_of_work(factory) as db:
        tenant_ids, stale = await work_for_sweep(db, now)
    for tenant_id in stale:  # the 30-day uptime, a few regencies per sweep
        async with (
            unit_of_work(factory) as db,
            system_scope(db, TenantScope.single(tenant_id), why="hardware.watch.sweep_all"),
        ):
            await summary.refresh(db, tenant_id, now=now, with_uptime=True)
    total = SweepReport(0, 0, 0)
    for tenant_id in tenant_ids:
        async with unit_of_work(factory) as db:
            report = await sweep_tenant(db, tenant_id, now=now)
        total = SweepReport(
            total.changes + report.changes,
            total.opened + report.opened,
            total.closed + report.closed,
        )
    return total
