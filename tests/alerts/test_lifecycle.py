"""The alert lifecycle on both databases: one alert per rule and subject while it fires, a
reminder and an escalation while nobody acknowledges, acknowledging and silencing stop them,
recovery resolves it; and the evaluator over the demo province finds Murung Raya stopped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from siaga_platform.alerts import repository, service
from siaga_platform.alerts.evaluate import evaluate_all, extras_of
from siaga_platform.alerts.models import EventKind, Level, Rule
from siaga_platform.alerts.rules import Finding, Thresholds
from siaga_platform.errors import Conflict, InvalidInput
from siaga_platform.letters.models import LetterExpiryCount
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed, seed_whole_demo

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
LIMITS = Thresholds(escalate_after_minutes=60, remind_every_minutes=30)
STOPPED = Finding(Rule.RECORDING_STOPPED, Level.GAWAT, "Perekaman berhenti: 0 dari 2 set.")


async def _reconcile(
    db: ScratchDatabase, tenant_id: uuid.UUID, findings: list[Finding], now: datetime
) -> list[tuple[EventKind, int]]:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        changes = await service.reconcile(session, tenant_id, findings, limits=LIMITS, now=now)
    return [(c.kind, c.escalation_step) for c in changes]


async def _timeline(db: ScratchDatabase, tenant_id: uuid.UUID) -> list[EventKind]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        alerts = await repository.listing(session, resolved_since=T0 - timedelta(days=1))
        return [e.kind for a in alerts for e in await repository.timeline(session, a.id)]


async def test_one_alert_while_it_fires_then_reminded_escalated_and_resolved(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    assert await _reconcile(db, tenant, [STOPPED], T0) == [(EventKind.OPENED, 0)]
    assert await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=1)) == []
    reminded = await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=30))
    assert reminded == [(EventKind.REMINDED, 0)]
    escalated = await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=60))
    assert escalated == [(EventKind.ESCALATED, 1)]  # to the province's supervisors
    to_platform = await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=120))
    assert to_platform == [(EventKind.ESCALATED, 2)]
    assert await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=180)) == [
        (EventKind.REMINDED, 2)  # the top step: only reminders from here
    ]
    assert await _reconcile(db, tenant, [], T0 + timedelta(minutes=181)) == [
        (EventKind.RESOLVED, 2)
    ]
    assert await _timeline(db, tenant) == [
        EventKind.OPENED,
        EventKind.REMINDED,
        EventKind.ESCALATED,
        EventKind.ESCALATED,
        EventKind.REMINDED,
        EventKind.RESOLVED,
    ]
    # Firing again after recovery is a new alert, not the old one reopened.
    assert await _reconcile(db, tenant, [STOPPED], T0 + timedelta(minutes=200)) == [
        (EventKind.OPENED, 0)
    ]


async def test_acknowledging_and_silencing_stop_reminders_and_escalation(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    low = Finding(Rule.LOW_COVER, Level.PERHATIKAN, "Blanko cukup 5 hari.")
    await _reconcile(db, tenant, [STOPPED, low], T0)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        by_rule = {a.rule: a.id for a in await repository.open_alerts(session)}
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        await service.acknowledge(
            session, who, by_rule[Rule.RECORDING_STOPPED], note=" teknisi  berangkat ", now=T0
        )
    with pytest.raises(Conflict):
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(tenant))
            await service.acknowledge(
                session, who, by_rule[Rule.RECORDING_STOPPED], note="", now=T0
            )
    for bad_until, reason in ((T0 - timedelta(minutes=1), "x"), (T0 + timedelta(days=31), "x")):
        with pytest.raises(InvalidInput):
            async with unit_of_work(db.session_factory) as session:
                await enter_scope(session, TenantScope.single(tenant))
                await service.silence(
                    session, who, by_rule[Rule.LOW_COVER], until=bad_until, reason=reason, now=T0
                )
    with pytest.raises(InvalidInput) as no_reason:
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(tenant))
            await service.silence(
                session,
                who,
                by_rule[Rule.LOW_COVER],
                until=T0 + timedelta(hours=6),
                reason=" ",
                now=T0,
            )
    assert no_reason.value.field == "reason"
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        await service.silence(
            session,
            who,
            by_rule[Rule.LOW_COVER],
            until=T0 + timedelta(hours=6),
            reason="kiriman blanko dalam perjalanan",
            now=T0,
        )
    # Hours pass: neither the acknowledged nor the silenced alert reminds or climbs.
    assert await _reconcile(db, tenant, [STOPPED, low], T0 + timedelta(hours=5)) == []
    # The silence ends: the low-cover alert climbs again.
    after = await _reconcile(db, tenant, [STOPPED, low], T0 + timedelta(hours=7))
    assert after == [(EventKind.ESCALATED, 1)]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        acknowledged = await repository.get(session, by_rule[Rule.RECORDING_STOPPED])
        assert acknowledged is not None
        assert acknowledged.acknowledgement_note == "teknisi berangkat"
        assert acknowledged.acknowledged_by == who.subject


async def test_the_evaluator_finds_murung_raya_stopped_and_opens_each_alert_once(
    db: ScratchDatabase,
) -> None:
    await seed_whole_demo(db)
    now = datetime.now(UTC)
    first = await evaluate_all(db.session_factory, active_regencies, now=now)
    again = await evaluate_all(
        db.session_factory, active_regencies, now=now + timedelta(seconds=60)
    )
    assert first and all(c.kind is EventKind.OPENED for c in first)
    assert again == []  # nothing new a minute later: no duplicate, no reminder yet
    async with db.session_factory() as session:
        regencies = await active_regencies(session, now)
        murung = next(r for r in regencies if r.code == "62.12")
        await enter_scope(session, TenantScope.single(murung.tenant_id))
        rules = {a.rule: a for a in await repository.open_alerts(session)}
    assert rules[Rule.RECORDING_STOPPED].level == Level.GAWAT
    # The struck server's site: one alert for the site (devices down, read beside the row).
    assert rules[Rule.DEVICES_SILENT].subject_label
    assert len({c.tenant_id for c in first}) >= 1


async def test_letters_expiring_count_the_next_fourteen_days_from_each_regencys_own_day(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    now = datetime.now(UTC)
    async with db.session_factory() as session:
        regencies = await active_regencies(session, now)
    murung = next(r for r in regencies if r.code == "62.12")
    today = murung.today
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(murung.tenant_id))
        for offset, count in ((-1, 100), (0, 7), (13, 5), (14, 1000)):
            session.add(LetterExpiryCount(valid_until=today + timedelta(days=offset), count=count))
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({r.tenant_id for r in regencies}))
        extras = await extras_of(session, regencies, now)
    # Expired yesterday: no longer in force; day 14 is outside the window.
    assert extras[murung.tenant_id].letters_expiring == 12
