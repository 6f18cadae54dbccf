"""CSRF: a per-session token, sent by htmx in a header (``hx-headers`` on <body>) and by plain
forms in a hidden field; every unsafe method checks it. The session cookie is SameSite=Lax too.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from siaga_platform.errors import Forbidden

SESSION_KEY = "csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def verify_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("Formulir kedaluwarsa. Muat ulang halaman lalu kirim lagi.")


async def verify_csrf_unless_bearer(request: Request) -> None:
    """JSON routes: a Bearer token is not sent by browsers on their own, a cookie is."""
    if request.headers.get("authorization", "")[:7].lower() == "bearer ":
        return
    await verify_csrf(request)
