"""Request counts per client and minute, shared by every worker and replica.

Not tenant-owned: a bucket names a client address, a session or a device-token failure, and
holds no personal data (addresses and session ids are stored as keyed hashes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base


class RateWindow(Base):
    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
