"""Tenants: one regency office (Disdukcapil kabupaten/kota) each, and their settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped
from siaga_tenants.regions.models import RegencyKind, TimeZone


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(Base):
    """The registry row (a reference table in a Citus layout, readable by every tenant)."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(ForeignKey("regencies.code"), unique=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[RegencyKind] = mapped_column(String(10))
    population: Mapped[int | None]
    timezone: Mapped[TimeZone] = mapped_column(String(4))
    status: Mapped[TenantStatus] = mapped_column(String(12), default=TenantStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantSettings(TenantScoped, Base):
    """Per-tenant figures that DOMAIN.md says are reported, not fixed by law."""

    __tablename__ = "tenant_settings"
    __table_args__ = (
        CheckConstraint("office_opens_hour < office_closes_hour", name="office_hours"),
        CheckConstraint("letter_validity_months > 0", name="letter_validity"),
    )

    office_opens_hour: Mapped[int] = mapped_column(default=8)
    office_closes_hour: Mapped[int] = mapped_column(default=16)
    letter_validity_months: Mapped[int] = mapped_column(default=6)
    prr_waiting_alert_days: Mapped[int] = mapped_column(default=14)
    low_stock_days_of_cover: Mapped[int] = mapped_column(default=14)
    #: Substitute-letter numbers: ``{nomor}`` (the year's sequence, 4 digits) and ``{tahun}``.
    letter_number_format: Mapped[str] = mapped_column(
        String(80), default="470/{nomor}/DISDUKCAPIL/{tahun}"
    )
    #: Who signs the letters (printed on them); a letter cannot be issued without a signer.
    head_of_office_name: Mapped[str | None] = mapped_column(String(120))
    head_of_office_title: Mapped[str] = mapped_column(
        String(160), default="Kepala Dinas Kependudukan dan Pencatatan Sipil"
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
