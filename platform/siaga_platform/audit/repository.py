from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit.models import AuditEvent


async def events_for_object(
    session: AsyncSession, object_type: str, object_id: str
) -> Sequence[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.occurred_at)
    )
    return rows.all()
