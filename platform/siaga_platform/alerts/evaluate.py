"""The evaluator: every regency's rules from its province-page row, then the lifecycle.

The rows come from the maintained summaries in a few statements for all regencies at once;
only regencies whose alerts change (one opened, resolved, reworded, escalated, reminded or
silenced) get a write transaction of their own; the standing alerts of all the others are
marked seen in one statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts import repository, rules, service, thresholds
from siaga_platform.alerts.models import Alert
from siaga_platform.alerts.rules import (
    ELECTION_WINDOW_DAYS,
    LETTERS_WINDOW_DAYS,
    TURNED_AWAY_LOOKBACK_DAYS,
    Extras,
    Finding,
    OpenIncident,
    SiteDown,
    Thresholds,
    TurnedAway,
)
from siaga_platform.alerts.service import Change
from siaga_platform.elections import repository as elections
from siaga_platform.elections import service as readiness
from siaga_platform.hardware import repository as hardware
from siaga_platform.letters import repository as letters
from siaga_platform.rollup.rows import Regency, read_rows
from siaga_platform.stock import repository as stock
from siaga_platform.stock.models import Item
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

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


#: Per regency, the counts of its upcoming elections still to record for its day.
ToRecord = dict[uuid.UUID, tuple[date, dict[uuid.UUID, int]]]


async def elections_of(
    db: AsyncSession, regencies: list[Regency]
) -> tuple[dict[uuid.UUID, tuple[TurnedAway, ...]], ToRecord]:
    """Per regency in scope, its elections voting within ``ELECTION_WINDOW_DAYS`` of its own
    day with who would be turned away now and ``TURNED_AWAY_LOOKBACK_DAYS`` before (from the
    recorded days); and the counts not yet recorded for today. A few statements per election."""
    if not regencies:
        return {}, {}
    by_id = {r.tenant_id: r for r in regencies}
    first = min(r.today for r in regencies)
    last = max(r.today for r in regencies) + timedelta(days=ELECTION_WINDOW_DAYS)
    concerned: dict[uuid.UUID, list[Regency]] = defaultdict(list)
    named = {}
    for election, regency_id in await elections.voting_between(db, first, last):
        regency = by_id.get(regency_id)
        if regency is None or not (
            regency.today <= election.voting_day
            and (election.voting_day - regency.today).days <= ELECTION_WINDOW_DAYS
        ):
            continue
        concerned[election.id].append(regency)
        named[election.id] = election
    if not concerned:
        return {}, {}
    history = await elections.turned_away_days(
        db, set(concerned), first - timedelta(days=TURNED_AWAY_LOOKBACK_DAYS)
    )
    found: dict[uuid.UUID, list[TurnedAway]] = defaultdict(list)
    to_record: ToRecord = {}
    for election_id, those in concerned.items():
        election = named[election_id]
        for row in await readiness.regency_figures(db, election.voting_day, those):
            tid, today = row.regency.tenant_id, row.regency.today
            days = history.get((tid, election_id), {})
            found[tid].append(
                TurnedAway(
                    election_id=str(election_id),
                    election_name=election.name,
                    voting_day=election.voting_day,
                    days_left=row.days_left,
                    count=row.turned_away,
                    before=days.get(today - timedelta(days=TURNED_AWAY_LOOKBACK_DAYS)),
                )
            )
            if today not in days:
                to_record.setdefault(tid, (today, {}))[1][election_id] = row.turned_away
    return {tid: tuple(items) for tid, items in found.items()}, to_record


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
) -> tuple[
    dict[uuid.UUID, list[Finding]],
    dict[uuid.UUID, list[Alert]],
    dict[uuid.UUID, Thresholds],
    ToRecord,
]:
    """(findings, open alerts, thresholds, election counts to record) per regency, read across
    all of them at once."""
    async with system_scope(
        db,
        TenantScope.national({r.tenant_id for r in regencies}),
        why="alerts.evaluate.findings_now",
    ):
        rows = await read_rows(db, regencies, now=now)
        open_alerts: dict[uuid.UUID, list[Alert]] = defaultdict(list)
        for alert in await repository.open_alerts(db):
            open_alerts[alert.tenant_id].append(alert)
        limits = await limits_of(db, regencies)
        extras = await extras_of(db, regencies, now)
        upcoming, to_record = await elections_of(db, regencies)
    found = {}
    for row in rows:
        tid = row.regency.tenant_id
        extra = extras.get(tid, Extras())
        if tid in upcoming:
            extra = replace(extra, elections=upcoming[tid])
        found[tid] = rules.evaluate(row, limits[tid], now) + rules.evaluate_extras(
            extra, limits[tid], now
        )
    return found, open_alerts, limits, to_record


async def evaluate_all(
    factory: async_sessionmaker[AsyncSession],
    regencies_of: RegencySource,
    *,
    now: datetime,
    after_reconcile: AfterReconcile | None = None,
) -> list[Change]:
    async with unit_of_work(factory) as db:
        regencies = await regencies_of(db, now)
        found, open_alerts, limits, to_record = await findings_now(db, regencies, now)
    for tenant_id, (today, counts) in to_record.items():
        # The day's history of the turned-away counts: one write a day per regency.
        async with (
            unit_of_work(factory) as db,
            system_scope(db, TenantScope.single(tenant_id), why="alerts.evaluate.evaluate_all"),
        ):
            await elections.record_turned_away(db, tenant_id, today, counts)
    changes: list[Change] = []
    seen: dict[uuid.UUID, list[uuid.UUID]] = {}
    for tenant_id, findings in found.items():
        current = open_alerts.get(tenant_id, [])
        if service.only_seen(current, findings, limits=limits[tenant_id], now=now):
            # Standing alerts with nothing to tell (or all clear): no transaction of its own.
            seen[tenant_id] = [alert.id for alert in current]
            continue
        async with (
            unit_of_work(factory) as db,
            system_scope(db, TenantScope.single(tenant_id), why="alerts.evaluate.evaluate_all"),
        ):
            these = await service.reconcile(
                db, tenant_id, findings, limits=limits[tenant_id], now=now
            )
            if these and after_reconcile is not None:
                await after_reconcile(db, tenant_id, these)
            changes += these
    standing = frozenset(tenant_id for tenant_id, ids in seen.items() if ids)
    if standing:
        # Read above without locks: an acknowledgement or silence since then changes nothing
        # here, and only this (locked, one at a time) evaluation opens or resolves alerts.
        async with (
            unit_of_work(factory) as db,
            system_scope(
                db,
                TenantScope(read_tenant_ids=standing, write_tenant_ids=standing),
                why="alerts.evaluate.evaluate_all",
            ),
        ):
            await service.mark_seen(db, [i for ids in seen.values() for i in ids], now=now)
    return changes
