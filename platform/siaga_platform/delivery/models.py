"""A person's channels, their inbox and the log of every message sent on their behalf.

``NotifyPreference`` is keyed by the person's SSO subject like ``memberships``, but lives here,
below the tenant registry: the delivery job (core) reads the address at send time and flags a
channel that keeps failing, and the core cannot import ``siaga_tenants``. It holds no tenant
data, so it is not a tenant table (a supervisor's one e-mail address serves every regency).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    TELEGRAM = "telegram"


class InboxKind(StrEnum):
    OPENED = "opened"
    ESCALATED = "escalated"
    REMINDED = "reminded"
    RESOLVED = "resolved"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class NotifyPreference(Base):
    __tablename__ = "notify_preferences"

    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    email_on: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_on: Mapped[bool] = mapped_column(default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    #: Sealed with the field keys (``FieldCipher.seal``), never as typed.
    webhook_secret: Mapped[str | None] = mapped_column(String(400))
    telegram_on: Mapped[bool] = mapped_column(default=False)
    #: The chat the platform's bot (SIAGA_TELEGRAM_BOT_TOKEN) writes to.
    telegram_chat_id: Mapped[str | None] = mapped_column(String(40))
    #: Per channel, since when every delivery failed (None: the last one went through).
    email_failing_since: Mapped[datetime | None]
    webhook_failing_since: Mapped[datetime | None]
    telegram_failing_since: Mapped[datetime | None]
    #: The last failure's reason (no personal data: the channels' reasons never hold any).
    last_failure: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_on(self, channel: Channel) -> bool:
        on: bool = getattr(self, f"{channel.value}_on")
        return on

    def failing_since(self, channel: Channel) -> datetime | None:
        since: datetime | None = getattr(self, f"{channel.value}_failing_since")
        return since


class InboxItem(TenantScoped, Base):
    """One line in a person's in-app inbox (the alert's regency owns it)."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "alert_id"], ["alerts.tenant_id", "alerts.id"]),
        # One item per (alert, what happened, step, person): a rerun of a tick adds nothing.
        UniqueConstraint(
            "tenant_id",
            "alert_id",
            "kind",
            "step",
            "recipient",
            "event_at",
            name="uq_inbox_items_event",
        ),
        Index(None, "tenant_id", "recipient", "read_at"),
        Index(None, "tenant_id", "alert_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID]
    recipient: Mapped[str] = mapped_column(String(255))
    kind: Mapped[InboxKind] = mapped_column(String(12))
    step: Mapped[int] = mapped_column(default=0)
    #: When the alert's event happened (a reminder is a new item, a rerun is not).
    event_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class AlertDelivery(TenantScoped, Base):
    """One message to one person on one channel: queued, then sent or failed (the log)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "alert_id"], ["alerts.tenant_id", "alerts.id"]),
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index(None, "tenant_id", "alert_id"),
        Index(None, "tenant_id", "created_at"),
        # The tick's catch-up of lost jobs reads only the queued rows.
        Index(
            "ix_alert_deliveries_queued",
            "tenant_id",
            "created_at",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID]
    recipient: Mapped[str] = mapped_column(String(255))
    channel: Mapped[Channel] = mapped_column(String(12))
    kind: Mapped[InboxKind] = mapped_column(String(12))
    step: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[DeliveryStatus] = mapped_column(String(8), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Why the last try failed, from the channel (never an address, a token or the message).
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class DigestDelivery(Base):
    """One morning digest to one supervisor on one channel: the claim that makes it once per
    province and day however many workers run, then the log (sent, or failed with why).

    Keyed by province like the province's alert defaults: a digest is no one regency's data.
    """

    __tablename__ = "digest_deliveries"

    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)  # the province's own day
    recipient: Mapped[str] = mapped_column(String(255), primary_key=True)
    channel: Mapped[Channel] = mapped_column(String(12), primary_key=True)
    status: Mapped[DeliveryStatus] = mapped_column(String(8), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
