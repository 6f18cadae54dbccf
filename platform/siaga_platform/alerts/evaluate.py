"""The evaluator: every regency's rules from its province-page row, then the lifecycle.

The rows come from the maintained summaries in a few statements for all regencies at once;
only regencies with a finding or an open alert get a write transaction of their own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts import repository, rules, service, thresholds
from siaga_platform.alerts.rules import LETTERS_WINDOW_DAYS, Extras, Finding, SiteDown, Thresholds
from siaga_platform.alerts.service import Change
from siaga_platform.db.engine import unit_of_work
from siaga_platform.hardware import repository as hardware
from siaga_platform.letters import repository as letters
from siaga_platform.rollup.rows import Regency, read_rows
from siaga_platform.stock import repository as stock
from siaga_platform.stock.models import Item
from siaga_platform.tenancy.scope import TenantScope, acting_for

#: Who the regencies are, with their own day and thresholds (the tenant registry knows; the
#: core does not import it, so the worker passes this in).
RegencySource = Callable[[AsyncSession, datetime], Awaitable[list[Regency]]]
#: Called in the same transaction as a regency's changes (the inbox and the delivery rows are
#: written with the alert they tell of, or not at all).
AfterReconcile = Callable[[AsyncSession, uuid.UUID, list[Change]], Awaitable[None]]


def thresholds_for(
    regency: Regency,
    province: Mapping[str, int] | None = None,
    own: Mapping[str, int] | None = None,
) -> Thresholds:
    """The thresholds in force for a regency: its own overrides over its province's defaults
    over its settings (low cover, backlog age) and the built-in values (thresholds.py)."""
    return thresholds.compose(regency, province, own)


async def limits_of(db: AsyncSession, regencies: list[Regency]) -> dict[uuid.UUID, Thresholds]:
    """Every regency's thresholds in two statements (in a scope that reads them all)."""
    own = await thresholds.regency_overrides(db)
    defaults = await thresholds.province_defaults(db, {r.province_code for r in regencies})
    return {
        r.tenant_id: thresholds_for(r, defaults.get(r.province_code), own.get(r.tenant_id))
        for r in regencies
    }


async def extras_of(db: AsyncSession, regencies: list[Regency]) -> dict[uuid.UUID, Extras]:
    """Per regency in scope, what the rules need beyond its row: four statements in all."""
    sites: dict[uuid.UUID, list[SiteDown]] = defaultdict(list)
    for tenant_id, site_id, name, devices, since in await hardware.sites_with_devices_down(db):
        sites[tenant_id].append(SiteDown(str(site_id), name, devices, since))
    ribbons = {b.tenant_id: b.on_hand for b in await stock.balances(db, Item.RIBBON)}
    pending = await stock.oldest_pending_requests(db)
    expiring: dict[uuid.UUID, int] = defaultdict(int)
    if regencies:
        # Each regency counts from its own day (time zones): one read spanning all of them.
        today = {r.tenant_id: r.today for r in regencies}
        window = timedelta(days=LETTERS_WINDOW_DAYS)
        first, last = min(today.values()), max(today.values()) + window
        for tenant_id, day, count in await letters.expiry_counts_between(db, first, last):
            own = today.get(tenant_id)
            if own is not None and own <= day < own + window:
                expiring[tenant_id] += count
    return {
        tenant_id: Extras(
            sites_down=tuple(sites.get(tenant_id, ())),
            ribbon_on_hand=ribbons.get(tenant_id),
            oldest_pending_request=pending.get(tenant_id),
            letters_expiring=expiring.get(tenant_id, 0),
        )
        for tenant_id in sites.keys() | ribbons.keys() | pending.keys() | expiring.keys()
    }


async def findings_now(
    db: AsyncSession, regencies: list[Regency], now: datetime
) -> tuple[dict[uuid.UUID, list[Finding]], dict[uuid.UUID, int], dict[uuid.UUID, Thresholds]]:
    """(findings, open alerts, thresholds) per regency, read across all of them at once."""
    async with acting_for(db, TenantScope.read_only({r.tenant_id for r in regencies})):
        rows = await read_rows(db, regencies, now=now)
        open_counts = await repository.open_counts(db)
        limits = await limits_of(db, regencies)
        extras = await extras_of(db, regencies)
    found = {
        row.regency.tenant_id: rules.evaluate(row, limits[row.regency.tenant_id], now)
        + rules.evaluate_extras(
            extras.get(row.regency.tenant_id, Extras()), limits[row.regency.tenant_id], now
        )
        for row in rows
    }
    return found, open_counts, limits


async def evaluate_all(
    factory: async_sessionmaker[AsyncSession],
    regencies_of: RegencySource,
    *,
    now: datetime,
    after_reconcile: AfterReconcile | None = None,
) -> list[Change]:
    async with unit_of_work(factory) as db:
        regencies = await regencies_of(db, now)
        found, open_counts, limits = await findings_now(db, regencies, now)
    changes: list[Change] = []
    for tenant_id, findings in found.items():
        if not findings and not open_counts.get(tenant_id):
            continue  # all clear and nothing to resolve: no transaction
        async with (
            unit_of_work(factory) as db,
            acting_for(db, TenantScope.single(tenant_id)),
        ):
            these = await service.reconcile(
                db, tenant_id, findings, limits=limits[tenant_id], now=now
            )
            if these and after_reconcile is not None:
                await after_reconcile(db, tenant_id, these)
            changes += these
    return changes
