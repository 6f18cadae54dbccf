"""CSRF: a per-session token, sent by htmx in a header (``hx-headers`` on <body>) and by plain
forms in a hidden field; every unsafe method checks it. The session cookie is SameSite=Lax too.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from siaga_platform.errors import Forbidden
from siaga_web.runtime import runtime
from siaga_web.security import origin_of

SESSION_KEY = "csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STALE_FORM = "Formulir kedaluwarsa. Muat ulang halaman lalu kirim lagi."


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def _allowed_origins(request: Request) -> set[str]:
    """The site's own origin: as published (base URL) and as this request reached it."""
    return {
        origin_of(runtime(request.app).settings.base_url),
        f"{request.url.scheme}://{request.url.netloc}",
    }


def _same_origin(request: Request) -> bool:
    """Browsers send Origin (or at least Referer) with every unsafe request; a value from
    another site is refused. Clients that send neither (scripts, agents) rely on the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer is None:
            return origin is None
        origin = origin_of(referer)
    return origin in _allowed_origins(request)


async def verify_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise Forbidden("Permintaan dari situs lain ditolak. Buka Siaga langsung lalu coba lagi.")
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str):
        # No token in the session: refused before any body is read (an upload included).
        raise Forbidden(STALE_FORM)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden(STALE_FORM)


async def verify_csrf_unless_bearer(request: Request) -> None:
    """JSON routes: a Bearer token is not sent by browsers on their own, a cookie is."""
    if request.headers.get("authorization", "")[:7].lower() == "bearer ":
        return
    await verify_csrf(request)
