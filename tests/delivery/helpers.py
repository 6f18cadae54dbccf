"""Builders for the delivery tests: people of known roles with e-mail addresses, an alert that
opens, escalates and resolves, and the fan-out of its changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from siaga_platform.alerts import service as alerts
from siaga_platform.alerts.models import Level, Rule
from siaga_platform.alerts.rules import Finding, Thresholds
from siaga_platform.alerts.service import Change
from siaga_platform.auth.principal import Role
from siaga_platform.delivery import service
from siaga_platform.delivery.models import AlertDelivery, InboxItem
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.memberships import service as memberships
from siaga_tenants.memberships.audience import alert_audience
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
LIMITS = Thresholds(escalate_after_minutes=60, remind_every_minutes=30)
STOPPED = Finding(Rule.RECORDING_STOPPED, Level.GAWAT, "Perekaman berhenti: 0 dari 2 set.")
REGENCY = "62.12"  # Murung Raya

OPERATOR = demo_subject(Role.OPERATOR, REGENCY)
HEAD = demo_subject(Role.KEPALA_DINAS, REGENCY)
OTHER_OPERATOR = demo_subject(Role.OPERATOR, "62.01")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
ADMIN = demo_subject(Role.ADMIN_PLATFORM, "platform")
OTHER_SUPERVISOR = "test-supervisor-63"


def address_of(subject: str) -> str:
    return f"u{subject[:8]}@disdukcapil.example.go.id"


async def people(db: ScratchDatabase) -> uuid.UUID:
    """The demo province with an e-mail address for the people of the test, and a supervisor
    of another province (Kalimantan Selatan); the tenant id of Murung Raya."""
    await seed(db)
    async with unit_of_work(db.session_factory) as session:
        await memberships.ensure_user(session, OTHER_SUPERVISOR, "Supervisor Kalsel")
        await memberships.grant(
            session, OTHER_SUPERVISOR, Role.SUPERVISOR_PROVINSI, province_code="63"
        )
        for subject in (OPERATOR, HEAD, OTHER_OPERATOR, SUPERVISOR, ADMIN, OTHER_SUPERVISOR):
            user = await memberships.repository.get_user(session, subject)
            assert user is not None
            user.email = address_of(subject)
        tenant = await tenants.get_by_code(session, REGENCY)
        assert tenant is not None
        return tenant.id


async def reconcile(
    db: ScratchDatabase, tenant_id: uuid.UUID, findings: list[Finding], now: datetime
) -> list[Change]:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        return await alerts.reconcile(session, tenant_id, findings, limits=LIMITS, now=now)


async def fan_out(
    db: ScratchDatabase, tenant_id: uuid.UUID, changes: list[Change], now: datetime
) -> list[service.Queued]:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        audience = await alert_audience(session, tenant_id)
        assert audience is not None
        return await service.fan_out(session, audience, changes, now=now)


async def tick(
    db: ScratchDatabase, tenant_id: uuid.UUID, findings: list[Finding], now: datetime
) -> list[service.Queued]:
    return await fan_out(db, tenant_id, await reconcile(db, tenant_id, findings, now), now)


async def inbox_of(db: ScratchDatabase, tenant_id: uuid.UUID) -> list[tuple[str, str, int]]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        rows = await session.scalars(select(InboxItem).order_by(InboxItem.created_at))
        return [(i.recipient, i.kind, i.step) for i in rows]


async def deliveries_of(db: ScratchDatabase, tenant_id: uuid.UUID) -> list[AlertDelivery]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        rows = await session.scalars(select(AlertDelivery).order_by(AlertDelivery.created_at))
        return list(rows)


LATER = timedelta(minutes=60)
