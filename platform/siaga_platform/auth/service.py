"""Sign-in state: OIDC login attempts and server-side sessions (shared by all replicas).

The browser holds only a random session id in a signed cookie; the database keeps its hash, so
ending a session here ends it everywhere, and a leaked table grants nothing.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth import repository
from siaga_platform.auth.models import AuthSession, LoginAttempt
from siaga_platform.auth.oidc import (
    KeycloakOidc,
    Pkce,
    RefreshRefused,
    SsoUnavailable,
    TokenSet,
    secret_hash,
)
from siaga_platform.errors import DomainError

SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(hours=10)
REFRESH_MARGIN = timedelta(seconds=60)
LOGIN_ATTEMPT_TTL = timedelta(minutes=10)
LAST_SEEN_GRANULARITY = timedelta(minutes=1)


class LoginRefused(DomainError):
    status_code = 400
    message = "Permintaan masuk tidak sah atau sudah kedaluwarsa. Silakan klik Masuk lagi."


@dataclass(frozen=True, slots=True)
class StartedLogin:
    state: str
    authorization_url: str


def _now() -> datetime:
    return datetime.now(UTC)


async def start_login(db: AsyncSession, oidc: KeycloakOidc, *, redirect_uri: str) -> StartedLogin:
    """A new attempt: state, nonce and PKCE verifier; nothing is written if Keycloak is down."""
    state, nonce, pkce = secrets.token_urlsafe(32), secrets.token_urlsafe(32), Pkce.new()
    url = await oidc.authorization_url(
        redirect_uri=redirect_uri, state=state, nonce=nonce, code_challenge=pkce.challenge
    )
    await db.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < _now() - LOGIN_ATTEMPT_TTL * 6)
    )
    db.add(LoginAttempt(state_hash=secret_hash(state), nonce=nonce, code_verifier=pkce.verifier))
    await db.flush()
    return StartedLogin(state, url)


async def consume_login(db: AsyncSession, *, state: str, browser_state: str | None) -> LoginAttempt:
    """The attempt ``state`` names, once: a replayed, forged or foreign state is refused."""
    if not state or not browser_state or not hmac.compare_digest(state, browser_state):
        raise LoginRefused()
    attempt = await repository.get_login_attempt_for_update(db, secret_hash(state))
    if attempt is None or attempt.used_at is not None:
        raise LoginRefused()
    if attempt.created_at < _now() - LOGIN_ATTEMPT_TTL:
        raise LoginRefused()
    attempt.used_at = _now()
    await db.flush()
    return attempt


def _store_tokens(row: AuthSession, tokens: TokenSet) -> None:
    row.refresh_token = tokens.refresh_token
    row.id_token = tokens.id_token or row.id_token
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at


async def open_session(
    db: AsyncSession,
    *,
    subject: str,
    method: str,
    acting_role: str,
    acting_scope_key: str,
    tokens: TokenSet | None = None,
) -> str:
    """A new server-side session; returns the id for the cookie (only its hash is stored)."""
    raw_id = secrets.token_urlsafe(32)
    row = AuthSession(
        id_hash=secret_hash(raw_id),
        subject=subject,
        method=method,
        acting_role=acting_role,
        acting_scope_key=acting_scope_key,
    )
    if tokens is not None:
        row.keycloak_sid = tokens.id_claims.get("sid") or tokens.access_claims.get("sid")
        _store_tokens(row, tokens)
    db.add(row)
    await db.flush()
    return raw_id


async def active_session(db: AsyncSession, raw_id: str) -> AuthSession | None:
    row = await repository.get_session(db, secret_hash(raw_id))
    if row is None or row.ended_at is not None:
        return None
    now = _now()
    if now - row.created_at > SESSION_MAX or now - row.last_seen_at > SESSION_IDLE:
        end_session(row, "expired")
        return None
    if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
    return row


def end_session(row: AuthSession, reason: str) -> None:
    row.ended_at = _now()
    row.end_reason = reason
    row.refresh_token = None


async def end_keycloak_session(
    db: AsyncSession, *, keycloak_sid: str | None, subject: str | None
) -> int:
    """Back-channel logout: every local session of that Keycloak session (or person) ends."""
    if keycloak_sid:
        return await repository.end_sessions_with_keycloak_sid(
            db, keycloak_sid, "backchannel_logout", _now()
        )
    if subject:
        return await repository.end_sessions_of_subject(db, subject, "backchannel_logout", _now())
    return 0


async def keep_fresh(
    db: AsyncSession, oidc: KeycloakOidc | None, row: AuthSession
) -> TokenSet | None:
    """Refresh an SSO session's tokens shortly before they expire.

    Returns the new tokens when refreshed. A refused refresh ends the session; an unreachable
    Keycloak leaves it working until its access token really expires.
    """
    if row.method != "sso" or row.access_expires_at is None:
        return None
    now = _now()
    if row.access_expires_at - now > REFRESH_MARGIN:
        return None
    if oidc is None or not row.refresh_token:
        end_session(row, "sso_not_configured" if oidc is None else "no_refresh_token")
        return None
    try:
        tokens = await oidc.refresh(row.refresh_token)
    except RefreshRefused:
        end_session(row, "refresh_refused")
        return None
    except SsoUnavailable:
        if row.access_expires_at <= now:
            end_session(row, "sso_unreachable")
        return None
    _store_tokens(row, tokens)
    await db.flush()
    return tokens
