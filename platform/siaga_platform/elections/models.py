"""Election days and the regencies they concern.

Both tables are reference-like, as the province's alert defaults are: an election is set by a
platform admin (national) or a province supervisor (its province), not by a regency, and a
supervisor's read-only scope writes no regency's rows. The regency appears as ``regency_id``
(a foreign key to the tenant registry, a reference table), never as a tenant-owned row; the
figures themselves are computed from the regencies' own tables in their scope.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped


class ElectionLevel(StrEnum):
    NATIONAL = "national"  # set by a platform admin
    PROVINCE = "province"  # a regional election, set by the province's supervisor


class Election(Base):
    __tablename__ = "elections"
    __table_args__ = (Index(None, "province_code", "voting_day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    voting_day: Mapped[date]
    level: Mapped[ElectionLevel] = mapped_column(String(10))
    #: The province of a regional election; None for a national one.
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ElectionRegency(Base):
    """One regency concerned by an election."""

    __tablename__ = "election_regencies"
    __table_args__ = (Index(None, "regency_id"),)

    election_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    regency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )


class TurnedAwayDay(TenantScoped, Base):
    """A regency's count of residents who would be turned away on an election's voting day
    (``service.regency_figures``), as the alert evaluation found it on one local day: the
    history the rule "turned away stops falling" reads. One row per (regency, election, day),
    written once a day (the first evaluation of the day); the election is named by its id only
    (no foreign key: the regency's own row, the election a reference row)."""

    __tablename__ = "election_turned_away_days"

    election_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    turned_away: Mapped[int]
