"""Reference data Kemendagri region codes (Kepmendagri 300.2.2-2138/2025)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base


class RegencyKind(StrEnum):
    KABUPATEN = "kabupaten"
    KOTA = "kota"


class TimeZone(StrEnum):
    WIB = "WIB"
    WITA = "WITA"
    WIT = "WIT"


class Province(Base):
    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    population: Mapped[int | None]
    timezone: Mapped[TimeZone] = mapped_column(String(4))


class Regency(Base):
    __tablename__ = "regencies"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[RegencyKind] = mapped_column(String(10))
    population: Mapped[int | None]


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    regency_code: Mapped[str] = mapped_column(ForeignKey("regencies.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
