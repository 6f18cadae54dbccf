"""Every query of the alerts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import Alert, AlertEvent


async def open_alerts(db: AsyncSession, *, for_update: bool = False) -> Sequence[Alert]:
    """The alerts of the tenants in scope that are not resolved."""
    query = select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.opened_at)
    if for_update:
        query = query.with_for_update()
    return (await db.scalars(query)).all()


async def open_counts(db: AsyncSession) -> dict[uuid.UUID, int]:
    """Per tenant in scope, how many alerts are open (one statement for a whole province)."""
    rows = await db.execute(
        select(Alert.tenant_id, func.count())
        .where(Alert.resolved_at.is_(None))
        .group_by(Alert.tenant_id)
    )
    return {tenant_id: count for tenant_id, count in rows}


async def get(db: AsyncSession, alert_id: uuid.UUID, *, for_update: bool = False) -> Alert | None:
    query = select(Alert).where(Alert.id == alert_id)
    if for_update:
        query = query.with_for_update()
    return (await db.scalars(query)).first()


async def listing(db: AsyncSession, *, resolved_since: datetime) -> Sequence[Alert]:
    """Open alerts and those resolved since ``resolved_since``, newest first."""
    query = (
        select(Alert)
        .where(or_(Alert.resolved_at.is_(None), Alert.resolved_at >= resolved_since))
        .order_by(Alert.resolved_at.is_not(None), Alert.level, Alert.opened_at.desc())
    )
    return (await db.scalars(query)).all()


async def timeline(db: AsyncSession, alert_id: uuid.UUID) -> Sequence[AlertEvent]:
    query = select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.at)
    return (await db.scalars(query)).all()
