"""Writing the audit trail. Callers pass the actor explicitly; the request id comes from context."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit.models import AuditEvent
from siaga_platform.observability.request_context import current_request_id


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor_subject: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_subject=actor_subject,
        action=action,
        object_type=object_type,
        object_id=object_id,
        request_id=current_request_id(),
        details=details or {},
    )
    session.add(event)
    await session.flush()
    return event
