"""The demo opens on alerts: Murung Raya's stopped recording firing and escalated to the
province, a stock-out, and the supervisor's inbox holding unread messages; seeding again
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from siaga_platform.alerts.models import Alert, Level, Rule
from siaga_platform.auth.principal import Role
from siaga_platform.delivery.models import InboxItem
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.alerts import seed_demo_alerts
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo


async def test_the_demo_shows_murung_raya_escalated_and_a_full_inbox(db: ScratchDatabase) -> None:
    await seed_whole_demo(db)
    now = datetime.now(UTC)
    assert await seed_demo_alerts(db.session_factory, now=now) > 0
    async with db.session_factory() as session:
        regencies = await active_regencies(session, now)
        await enter_scope(session, TenantScope.read_only({r.tenant_id for r in regencies}))
        code_of = {r.tenant_id: r.code for r in regencies}
        alerts = (await session.scalars(select(Alert).where(Alert.resolved_at.is_(None)))).all()
        supervisor = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
        unread = await session.scalar(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.recipient == supervisor, InboxItem.read_at.is_(None))
        )
    murung = {a.rule: a for a in alerts if code_of[a.tenant_id] == "62.12"}
    stopped = murung[Rule.RECORDING_STOPPED]
    assert stopped.level == Level.GAWAT and stopped.escalation_step == 1  # with the province
    assert any(a.rule == Rule.CARDS_OUT for a in alerts)
    assert unread and unread > 0
    assert await seed_demo_alerts(db.session_factory, now=now) == 0  # idempotent
