"""The development sign-in (embedded default) and sign-out.

Keycloak SSO plugs in beside this: it ends in the same place, a session holding the subject,
from which the local membership table decides who the person is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from siaga_platform.auth.principal import Role
from siaga_platform.errors import Forbidden
from siaga_tenants.memberships import repository as memberships
from siaga_tenants.memberships.service import resolve_principal
from siaga_web.csrf import verify_csrf
from siaga_web.deps import SESSION_SUBJECT, DbSession, Public
from siaga_web.templating import render

router = APIRouter(tags=["sign-in"])


@router.get("/masuk", dependencies=[Public])
async def sign_in_page(request: Request, db: DbSession) -> Response:
    settings = request.app.state.settings
    demo_users = await memberships.demo_users(db) if settings.dev_sign_in_enabled else []
    wide = [(u, m) for u, m in demo_users if m.role not in (Role.OPERATOR, Role.KEPALA_DINAS)]
    local = [(u, m) for u, m in demo_users if (u, m) not in wide]
    return render(
        request,
        "pages/signin.html",
        {"dev_sign_in": settings.dev_sign_in_enabled, "wide_users": wide, "local_users": local},
    )


@router.post("/masuk/dev", dependencies=[Public, Depends(verify_csrf)])
async def dev_sign_in(
    request: Request, db: DbSession, subject: Annotated[str, Form(max_length=255)]
) -> Response:
    if not request.app.state.settings.dev_sign_in_enabled:
        raise Forbidden("Masuk cara pengembangan tidak tersedia di sini. Gunakan SSO.")
    principal = await resolve_principal(db, subject)
    if principal is None:
        raise Forbidden("Pengguna ini tidak punya keanggotaan aktif. Hubungi admin platform.")
    # A fresh session at sign-in: nothing from before sign-in carries over.
    request.session.clear()
    request.session[SESSION_SUBJECT] = principal.subject
    return RedirectResponse(principal.home_path, status_code=303)


@router.post("/keluar", dependencies=[Public, Depends(verify_csrf)])
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)
