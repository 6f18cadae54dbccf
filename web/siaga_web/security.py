"""Pure ASGI middleware for what every answer must carry and what no request may exceed.

- Security headers on every answer: a CSP with no inline script (htmx needs none), no framing,
  no MIME sniffing, a strict referrer policy, no powerful browser features, HSTS in production.
- ``Cache-Control: no-store`` on every answer that does not set its own caching (pages and API
  answers carry personal data); an answer that a shared cache may keep (``public``) never sets
  a cookie, or one visitor's cookie would be handed to everyone.
- Request bodies bounded per route, refused with 413 before they are read when the length is
  declared, and cut off while streaming when it is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """How large a request body may be: the first pattern matching the path wins."""

    default: int
    per_path: tuple[tuple[re.Pattern[str], int], ...] = ()

    def for_path(self, path: str) -> int:
        for pattern, limit in self.per_path:
            if pattern.search(path):
                return limit
        return self.default


def body_limits(import_max_bytes: int) -> BodyLimits:
    """Forms and JSON are small; heartbeats smaller still; imports are files (README)."""
    multipart_overhead = 64 * KIB
    return BodyLimits(
        default=64 * KIB,
        per_path=(
            (re.compile(r"^/api/v1/heartbeats/?$"), 16 * KIB),
            # 500 beats with bounded readings each.
            (re.compile(r"^/api/v1/heartbeats/batch/?$"), 2 * MIB),
            (re.compile(r"/impor/?$|/imports/?$"), import_max_bytes + multipart_overhead),
        ),
    )


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    # form-action also governs where a form's redirect may lead (sign-in and sign-out go on to
    # Keycloak), so its origin is allowed there.
    form_action = " ".join(["'self'", *form_targets])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        ]
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class SecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        production: bool,
        form_targets: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.limits = limits
        headers = [
            (b"content-security-policy", content_security_policy(form_targets).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (
                b"permissions-policy",
                b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
            ),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if production:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.limits.for_path(path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, send, limit)
            return

        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self._finish_headers(path, list(message.get("headers", [])))
            await send(message)

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, send, limit)

    def _finish_headers(
        self, path: str, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        cache = next((v for n, v in headers if n.lower() == b"cache-control"), None)
        if cache is not None and b"public" in cache.lower():
            headers = [(n, v) for n, v in headers if n.lower() != b"set-cookie"]
        elif cache is None and not path.startswith("/static/"):
            headers.append((b"cache-control", b"no-store"))
        headers.extend((n, v) for n, v in self.headers if n not in names)
        return headers


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI's body parsing lets
    it through as a 413 (it turns any other error there into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))
        self.limit = limit


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limit_words(limit: int) -> str:
    return f"{limit // MIB} MB" if limit >= MIB else f"{limit // KIB} KB"


def _too_large_message(limit: int) -> str:
    return (
        f"Data yang dikirim terlalu besar (batas {_limit_words(limit)}). "
        "Perkecil berkasnya atau bagi menjadi beberapa kiriman."
    )


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    """413 before the body is read: JSON for the API, a short Bahasa page for people; the
    connection is closed since the rest of the body was not read."""
    message = _too_large_message(limit)
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    else:
        body = (
            "<!doctype html><html lang=id><meta charset=utf-8><title>Terlalu besar</title>"
            f"<p>{message}</p>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
