"""Users (identified by their SSO subject) and what the local table lets them do.

The local table is the authority: a token claiming a tenant or role grants nothing unless a
membership here allows it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.auth.principal import Role
from siaga_platform.db.base import Base, new_id, utcnow


class User(Base):
    __tablename__ = "users"

    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(255))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_subject", "role", "scope_key"),
        CheckConstraint(
            "(role IN ('operator', 'kepala_dinas') AND tenant_id IS NOT NULL"
            " AND province_code IS NULL)"
            " OR (role = 'supervisor_provinsi' AND tenant_id IS NULL"
            " AND province_code IS NOT NULL)"
            " OR (role = 'admin_platform' AND tenant_id IS NULL AND province_code IS NULL)",
            name="scope_matches_role",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_subject: Mapped[str] = mapped_column(ForeignKey("users.subject"), index=True)
    role: Mapped[Role] = mapped_column(String(24))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    #: ``tenant:<id>``, ``province:<code>`` or ``platform``: one key makes uniqueness work
    #: on every database (NULLs are distinct in a unique constraint).
    scope_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def scope_key_for(role: Role, tenant_id: uuid.UUID | None, province_code: str | None) -> str:
    if tenant_id is not None:
        return f"tenant:{tenant_id}"
    if province_code is not None:
        return f"province:{province_code}"
    return "platform"
