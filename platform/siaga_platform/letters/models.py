"""Substitute letters (Surat Keterangan pengganti KTP-el): the letters, their append-only
history, the per-year number counter, and the counts kept beside them for cheap reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped


class LetterReason(StrEnum):
    """Why the card could not be printed: the ministry asks for one on every letter."""

    NO_BLANK_CARDS = "no_blank_cards"
    PRINTER_DOWN = "printer_down"
    DATA_CENTRE_DOWN = "data_centre_down"
    WAITING_PRR = "waiting_prr"
    OTHER = "other"


class LetterState(StrEnum):
    """Derived, never stored: revoked is recorded, expired follows from the date."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Letter(TenantScoped, Base):
    __tablename__ = "letters"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id"], ["applications.tenant_id", "applications.id"]
        ),
        # Numbers never repeat within a tenant's year.
        UniqueConstraint("tenant_id", "year", "sequence"),
        UniqueConstraint("tenant_id", "token"),
        # One letter in force per applicant, enforced where concurrency cannot break it.
        Index(
            "uq_letters_unrevoked_nik",
            "tenant_id",
            "nik_hash",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index(None, "tenant_id", "valid_until"),
        Index(None, "tenant_id", "application_id"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("valid_until >= issued_on", name="valid_after_issue"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID]
    nik_hash: Mapped[str] = mapped_column(String(40))
    nik_masked: Mapped[str] = mapped_column(String(16))
    #: What the public page shows (``S**i A****h``): it needs no decryption there.
    holder_masked: Mapped[str] = mapped_column(String(120))
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(80))
    reason: Mapped[LetterReason] = mapped_column(String(20))
    reason_note: Mapped[str | None] = mapped_column(String(300))
    #: The applicant's KTP-el status code when the letter was issued or last renewed.
    status_code: Mapped[str] = mapped_column(String(8))
    issued_on: Mapped[date]
    valid_until: Mapped[date]
    renewed_on: Mapped[date | None]
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_title: Mapped[str] = mapped_column(String(160))
    #: The unguessable part of the verification URL (never the NIK).
    token: Mapped[str] = mapped_column(String(40))
    #: A short hash of the printed content, printed at the foot and shown when verifying.
    content_hash: Mapped[str] = mapped_column(String(20))
    revoked_at: Mapped[datetime | None]
    revoked_on: Mapped[date | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    #: Revoked because the applicant's card was issued (a conversion the ministry counts).
    converted: Mapped[bool] = mapped_column(default=False)
    issued_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    def state(self, today: date) -> LetterState:
        if self.revoked_at is not None:
            return LetterState.REVOKED
        return LetterState.EXPIRED if today > self.valid_until else LetterState.ACTIVE


class LetterEvent(TenantScoped, AppendOnly, Base):
    """Issued, renewed, revoked, converted, printed: the letter's history, never changed."""

    __tablename__ = "letter_events"
    __table_args__ = (Index(None, "tenant_id", "letter_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    letter_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(12))
    actor_subject: Mapped[str] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)


class LetterCounter(TenantScoped, Base):
    """The last number given in a tenant's year. Taking a number locks this row until the
    issuing transaction ends, so a rolled-back issue gives its number back: no gaps."""

    __tablename__ = "letter_counters"

    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class LetterExpiryCount(TenantScoped, Base):
    """Letters not revoked, per expiry date: active, expiring soon and expired are sums over
    a date range, exact whatever day it is (kept with every issue, renewal and revocation)."""

    __tablename__ = "letter_expiry_counts"

    valid_until: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class LetterDayCount(TenantScoped, Base):
    """Per business day: letters issued, renewed, converted to cards and revoked otherwise
    (this month's figures and the 30-day trend are sums over at most 31 rows)."""

    __tablename__ = "letter_day_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
