from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.models import AuthSession, LoginAttempt


async def get_session(db: AsyncSession, id_hash: str) -> AuthSession | None:
    return await db.get(AuthSession, id_hash)


async def get_login_attempt_for_update(db: AsyncSession, state_hash: str) -> LoginAttempt | None:
    """Locks the attempt on PostgreSQL so two callbacks with one state cannot both use it."""
    return await db.scalar(
        select(LoginAttempt).where(LoginAttempt.state_hash == state_hash).with_for_update()
    )


async def end_sessions_with_keycloak_sid(
    db: AsyncSession, keycloak_sid: str, reason: str, now: datetime
) -> int:
    result = await db.execute(
        update(AuthSession)
        .where(AuthSession.keycloak_sid == keycloak_sid, AuthSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, refresh_token=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def end_sessions_of_subject(
    db: AsyncSession, subject: str, reason: str, now: datetime
) -> int:
    result = await db.execute(
        update(AuthSession)
        .where(AuthSession.subject == subject, AuthSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, refresh_token=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
