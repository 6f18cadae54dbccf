"""Signing in and out: Keycloak SSO (authorization code + PKCE) and, in development only, the
pick-a-demo-user sign-in. Both end in the same place: a server-side session acting with one
membership of the local table.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth import service as auth_sessions
from siaga_platform.auth.oidc import KeycloakOidc, SsoUnavailable, TokenRefused
from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_platform.errors import Forbidden, NotFound
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.memberships import service as memberships
from siaga_tenants.memberships.service import (
    ClaimedAccess,
    acting_key,
    principal_from_claims,
    resolve_principal,
)
from siaga_tenants.registry import service as registry
from siaga_web.csrf import verify_csrf
from siaga_web.deps import SESSION_ID, DbSession, Public
from siaga_web.labels import ROLE_LABELS
from siaga_web.ratelimit import SIGN_IN, per_client
from siaga_web.runtime import runtime
from siaga_web.templating import render

router = APIRouter(tags=["sign-in"])
LOGIN_STATE = "login_state"

_ROLE_ORDER = {role: index for index, role in enumerate(ROLE_LABELS)}


def _by_role(pair: tuple[Any, Any]) -> tuple[int, str, str]:
    user, membership = pair
    return (
        _ROLE_ORDER.get(Role(membership.role), 9),
        membership.province_code or "",
        user.display_name,
    )


async def _demo_groups(
    db: AsyncSession,
) -> tuple[list[tuple[Any, Any]], list[tuple[str, list[tuple[Any, Any]]]]]:
    """The demo users: the platform's and provinces' people, then one group per regency in
    code order (head of office before operators), never the database's order."""
    pairs = await memberships.demo_users(db)
    wide = sorted((p for p in pairs if p[1].role not in TENANT_ROLES), key=_by_role)
    regencies = {t.id: (t.code, t.name) for t in await registry.directory(db)}
    local: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for pair in pairs:
        if pair[1].role in TENANT_ROLES:
            place = regencies.get(pair[1].tenant_id, ("", ""))
            local.setdefault(place, []).append(pair)
    groups = [
        (f"{name} ({code})" if code else "", sorted(members, key=_by_role))
        for (code, name), members in sorted(local.items())
    ]
    return wide, groups


def _oidc(request: Request) -> KeycloakOidc:
    oidc: KeycloakOidc | None = runtime(request.app).oidc
    if oidc is None:
        raise NotFound("Masuk lewat SSO belum dikonfigurasi di server ini.")
    return oidc


async def _begin_session(request: Request, session_id: str, principal: Principal) -> Response:
    # A new session id at every sign-in: nothing from before sign-in carries over.
    request.session.clear()
    request.session[SESSION_ID] = session_id
    return RedirectResponse(principal.home_path, status_code=303)


@router.get("/masuk", dependencies=[Public])
async def sign_in_page(request: Request, db: DbSession) -> Response:
    settings = runtime(request.app).settings
    wide, groups = await _demo_groups(db) if settings.dev_sign_in_enabled else ([], [])
    return render(
        request,
        "pages/signin.html",
        {
            "dev_sign_in": settings.dev_sign_in_enabled,
            "sso": runtime(request.app).oidc is not None,
            "wide_users": wide,
            "regency_groups": groups,
            "role_labels": ROLE_LABELS,
        },
    )


@router.post(
    "/masuk/dev", dependencies=[Public, Depends(per_client(SIGN_IN)), Depends(verify_csrf)]
)
async def dev_sign_in(
    request: Request, db: DbSession, subject: Annotated[str, Form(max_length=255)]
) -> Response:
    if not runtime(request.app).settings.dev_sign_in_enabled:
        raise Forbidden("Masuk cara pengembangan tidak tersedia di sini. Gunakan SSO.")
    principal = await resolve_principal(db, subject)
    if principal is None:
        raise Forbidden("Pengguna ini tidak punya keanggotaan aktif. Hubungi admin platform.")
    role, scope_key = acting_key(principal)
    session_id = await auth_sessions.open_session(
        db, subject=subject, method="dev", acting_role=role, acting_scope_key=scope_key
    )
    return await _begin_session(request, session_id, principal)


@router.get("/auth/login", dependencies=[Public, Depends(per_client(SIGN_IN))])
async def sso_login(request: Request, db: DbSession) -> Response:
    started = await auth_sessions.start_login(
        db, _oidc(request), redirect_uri=runtime(request.app).settings.oidc_redirect_uri
    )
    request.session[LOGIN_STATE] = started.state
    return RedirectResponse(started.authorization_url, status_code=303)


@router.get("/auth/callback", dependencies=[Public, Depends(per_client(SIGN_IN))])
async def sso_callback(
    request: Request,
    db: DbSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    oidc = _oidc(request)
    browser_state = request.session.pop(LOGIN_STATE, None)
    if error or not code or not state:
        raise auth_sessions.LoginRefused()
    # Spend the attempt in its own transaction: a replay is refused even if the rest fails.
    async with unit_of_work(runtime(request.app).session_factory) as attempts:
        attempt = await auth_sessions.consume_login(
            attempts, state=state, browser_state=browser_state
        )
        nonce, verifier = attempt.nonce, attempt.code_verifier
    tokens = await oidc.exchange_code(
        code=code,
        redirect_uri=runtime(request.app).settings.oidc_redirect_uri,
        code_verifier=verifier,
        nonce=nonce,
    )
    claims = {**tokens.id_claims, **tokens.access_claims}
    principal = await principal_from_claims(db, ClaimedAccess.from_claims(claims))
    role, scope_key = acting_key(principal)
    session_id = await auth_sessions.open_session(
        db,
        subject=principal.subject,
        method="sso",
        acting_role=role,
        acting_scope_key=scope_key,
        tokens=tokens,
    )
    return await _begin_session(request, session_id, principal)


@router.post("/keluar", dependencies=[Public, Depends(verify_csrf)])
async def sign_out(request: Request, db: DbSession) -> Response:
    """Ends the local session and, for SSO, the Keycloak session (RP-initiated logout)."""
    target = "/masuk"
    raw_id = request.session.get(SESSION_ID)
    row = await auth_sessions.active_session(db, raw_id) if isinstance(raw_id, str) else None
    if row is not None:
        oidc: KeycloakOidc | None = runtime(request.app).oidc
        if row.method == "sso" and row.id_token and oidc is not None:
            # If Keycloak is unreachable the local session still ends; Keycloak's own session
            # then ends at its idle timeout.
            with contextlib.suppress(SsoUnavailable):
                target = await oidc.end_session_url(
                    id_token_hint=row.id_token,
                    post_logout_redirect_uri=runtime(request.app).settings.post_logout_redirect_uri,
                )
        auth_sessions.end_session(row, "signed_out")
    request.session.clear()
    return RedirectResponse(target, status_code=303)


@router.post("/auth/backchannel-logout", dependencies=[Public])
async def backchannel_logout(
    request: Request, db: DbSession, logout_token: Annotated[str, Form(max_length=8192)]
) -> Response:
    """Keycloak's server-to-server logout: every local session of that Keycloak session ends."""
    try:
        claims = await _oidc(request).validate_logout_token(logout_token)
    except TokenRefused:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    await auth_sessions.end_keycloak_session(
        db, keycloak_sid=claims.get("sid"), subject=claims.get("sub")
    )
    return Response(status_code=200, headers={"Cache-Control": "no-store"})
