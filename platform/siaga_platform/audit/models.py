from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped


class AuditEvent(TenantScoped, AppendOnly, Base):
    """One processing of a record (UU PDP asks who did what, when). Never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "tenant_id", "object_type", "object_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_subject: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(80))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
