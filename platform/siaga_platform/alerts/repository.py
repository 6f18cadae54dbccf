"""Every query of the alerts domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import Alert, AlertEvent


async def open_alerts(db: AsyncSession, *, for_update: bool = False) -> Sequence[Alert]:
    """The alerts of the tenants in scope that are not resolved."""
    query = select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.opened_at)
    if for_update:
        query = query.with_for_update()
    return (await db.scalars(query)).all()


async def mark_seen(db: AsyncSession, alert_ids: Collection[uuid.UUID], at: datetime) -> None:
    """``last_seen_at`` of these alerts, still open, moved to ``at`` (one statement)."""
    if not alert_ids:
        return
    await db.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.resolved_at.is_(None))
        .values(last_seen_at=at)
        .execution_options(synchronize_session=False)
    )


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
