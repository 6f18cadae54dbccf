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
from siaga_platform.alerts.rules import (
    LETTERS_WINDOW_DAYS,
    Extras,
    Finding,
    OpenIncident,
    SiteDown,
    Thresholds,
)
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


async def _maintained_sites(
    db: AsyncSession, now: datetime
) -> dict[uuid.UUID, tuple[datetime, str, set[uuid.UUID]]]:
    """Per site with planned maintenance now: (until, reason, the down devices it covers; an
    empty set when the whole site is covered). Two small statements."""
    windows = await hardware.maintenance_between(db, now, now)
    by_device = {w.device_id: w for w in windows if w.device_id is not None}
    covered: dict[uuid.UUID, tuple[datetime, str, set[uuid.UUID]]] = {
        w.site_id: (w.ends_at, w.reason, set()) for w in windows if w.site_id is not None
    }
    for site_id, device_id in await hardware.down_devices_at_sites(db, set(by_device)):
        if site_id in covered and not covered[site_id][2]:
            continue  # the whole site is in maintenance
        window = by_device[device_id]
        until, reason, devices = covered.get(site_id, (window.ends_at, window.reason, set()))
        devices.add(device_id)
        covered[site_id] = (min(until, window.ends_at), reason, devices)
    return covered


def _site_down(
    site_id: uuid.UUID,
    name: str,
    devices: int,
    since: datetime | None,
    maintained: dict[uuid.UUID, tuple[datetime, str, set[uuid.UUID]]],
) -> SiteDown:
    found = maintained.get(site_id)
    # Silenced only when maintenance covers every device down there.
    if found is None or (found[2] and len(found[2]) < devices):
        return SiteDown(str(site_id), name, devices, since)
    return SiteDown(str(site_id), name, devices, since, found[0], found[1])


async def extras_of(
    db: AsyncSession, regencies: list[Regency], now: datetime
) -> dict[uuid.UUID, Extras]:
    """Per regency in scope, what the rules need beyond its row: a few statements in all."""
    sites: dict[uuid.UUID, list[SiteDown]] = defaultdict(list)
    maintained = await _maintained_sites(db, now)
    for tenant_id, site_id, name, devices, since in await hardware.sites_with_devices_down(db):
        sites[tenant_id].append(_site_down(site_id, name, devices, since, maintained))
    incidents: dict[uuid.UUID, list[OpenIncident]] = defaultdict(list)
    for tenant_id, incident_id, site, opened in await hardware.unacknowledged_incidents(db):
        label = site or "Kejadian perangkat"
        incidents[tenant_id].append(OpenIncident(str(incident_id), label, opened))
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
            unacknowledged_incidents=tuple(incidents.get(tenant_id, ())),
        )
        for tenant_id in sites.keys()
        | ribbons.keys()
        | pending.keys()
        | expiring.keys()
        | incidents.keys()
    }


async def findings_now(
    db: AsyncSession, regencies: list[Regency], now: datetime
) -> tuple[dict[uuid.UUID, list[Finding]], dict[uuid.UUID, int], dict[uuid.UUID, Thresholds]]:
    """(findings, open alerts, thresholds) per regency, read across all of them at once."""
    async with acting_for(db, TenantScope.read_only({r.tenant_id for r in regencies})):
        rows = await read_rows(db, regencies, now=now)
        open_counts = await repository.open_counts(db)
        limits = await limits_of(db, regencies)
        extras = await extras_of(db, regencies, now)
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
