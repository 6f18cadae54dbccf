"""Server-side sign-in state, shared by every app replica through the database.

Neither table is tenant-owned: a session belongs to a person, whose tenant the membership table
decides on every request. Only hashes of the browser's secrets are stored, and no access token:
only its expiry (a copied table must not hand out working Bearer tokens). The refresh token is
kept to refresh; it is useless without the client secret, which is not in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import Base, utcnow


class LoginAttempt(Base):
    """One OIDC sign-in under way: state → nonce and PKCE verifier; usable once."""

    __tablename__ = "auth_login_attempts"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), index=True)
    method: Mapped[str] = mapped_column(String(8))  # "sso" | "dev"
    #: The membership this session acts with (role + scope key of the memberships table).
    acting_role: Mapped[str] = mapped_column(String(24))
    acting_scope_key: Mapped[str] = mapped_column(String(64))
    keycloak_sid: Mapped[str | None] = mapped_column(String(255), index=True)
    id_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
