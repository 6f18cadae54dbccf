"""Pure ASGI middleware: a request id on every request (logs, audit entries, error reports),
and one access line and one latency observation per request, by route template (an accepted
heartbeat is only counted: see ``COUNTED_NOT_LOGGED``)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siaga_platform.observability.metrics import REQUEST_SECONDS
from siaga_platform.observability.request_context import reset_request_id, set_request_id

access = logging.getLogger("siaga.access")


def route_template(scope: Scope) -> str:
    """``/wilayah/{code}/stok``, never the path itself (ids would make a label per request)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


def tenant_of(scope: Scope) -> str | None:
    """The signed-in person's regency code, once the dependencies resolved them."""
    principal = scope.get("state", {}).get("principal")
    code = getattr(principal, "tenant_code", None) or getattr(principal, "province_code", None)
    return str(code) if code else None


#: Routes whose answers below 400 are counted in the metrics but get no access line: at 50,000
#: devices beating every minute, a line per beat would be 72 million lines a day (and ~10 % of
#: a beat's CPU). Their refusals and failures are still logged, one line each.
COUNTED_NOT_LOGGED = frozenset({"/api/v1/heartbeats", "/api/v1/heartbeats/batch"})

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(elapsed)
            if status >= 400 or route not in COUNTED_NOT_LOGGED:
                self._log(scope, route, status, elapsed)
            reset_request_id(token)

    @staticmethod
    def _log(scope: Scope, route: str, status: int, elapsed: float) -> None:
        access.info(
            "%s %s %s %.0f ms",
            scope["method"],
            route,
            status,
            elapsed * 1000,
            extra={
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "tenant": tenant_of(scope),
            },
        )


class BoostedFormRedirects:
    """A form boosted by htmx (``hx-boost``: stock, hardware) that succeeds answers with a
    redirect to the page showing what it did; htmx would follow it and swap that page into
    the old one. Turned into ``HX-Redirect`` so the browser loads it whole (with its success
    note), while a refusal (4xx) is still swapped in place beside the form, values kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if headers.get(b"hx-boosted") != b"true" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return

        async def navigate_instead(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (302, 303):
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"location"]
                location = next(
                    (v for k, v in message.get("headers", []) if k.lower() == b"location"), b"/"
                )
                message = {
                    **message,
                    "status": 200,
                    "headers": [*kept, (b"hx-redirect", location)],
                }
            await send(message)

        await self.app(scope, receive, navigate_instead)
