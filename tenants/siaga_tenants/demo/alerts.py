"""The demo's alerts: the evaluator run as if the province had been watching for the last
seventy-five minutes, so that `make run` opens on firing alerts (Murung Raya's stopped
recording among them) already escalated to the province, with the supervisor's inbox filled.

The messages themselves are sent by the running app's worker (its overdue pass picks up the
queued deliveries): to `var/mail/` in development.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.service import Change
from siaga_platform.delivery import service as delivery
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships.audience import alert_audience

#: Opened this long ago, unacknowledged: past the 60-minute escalation to the province.
WATCHED_FOR = timedelta(minutes=75)


async def seed_demo_alerts(factory: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Evaluate at ``now - WATCHED_FOR`` and at ``now``; answers how many alerts changed."""
    changed = 0
    for moment in (now - WATCHED_FOR, now):

        async def tell(
            db: AsyncSession, tenant_id: uuid.UUID, changes: list[Change], at: datetime = moment
        ) -> None:
            audience = await alert_audience(db, tenant_id)
            if audience is not None:
                await delivery.fan_out(db, audience, changes, now=at)

        changed += len(
            await evaluate_all(factory, active_regencies, now=moment, after_reconcile=tell)
        )
    return changed
