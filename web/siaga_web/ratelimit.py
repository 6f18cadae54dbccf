"""Which requests are limited, keyed on what, and a per-replica cache for public pages.

The counts live in the database (``siaga_platform.limits``), so a limit holds across workers
and replicas. The client address is the connection's, or the one a trusted proxy forwarded
(``SIAGA_TRUSTED_PROXIES``; uvicorn applies it before any route sees the request).
Each limit is checked before the request's own transaction begins.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import suppress

from fastapi import Request
from starlette.types import Scope

from siaga_platform.limits.service import Limit, RateLimiter, TooManyRequests
from siaga_web.deps import SESSION_ID
from siaga_web.runtime import runtime

PUBLIC_STOCK = Limit(
    "public-stock", 30, "Terlalu banyak permintaan dari alamat ini. Coba lagi dalam satu menit."
)
LETTER_VERIFICATION = Limit(
    "letter-verify", 20, "Terlalu banyak pemeriksaan dari alamat ini. Coba lagi dalam satu menit."
)
SIGN_IN = Limit("sign-in", 20, "Terlalu banyak percobaan masuk dari alamat ini. Tunggu satu menit.")
DEVICE_TOKEN_FAILURES = Limit(
    "device-token-failures",
    30,
    "Terlalu banyak token perangkat yang ditolak dari alamat ini. Periksa token agen, "
    "lalu tunggu satu menit.",
)
API_MESSAGE = "Terlalu banyak permintaan API. Tunggu sebentar lalu coba lagi."


def limiter(request: Request) -> RateLimiter:
    found: RateLimiter = runtime(request.app).rate_limiter
    return found


def client_address(request: Request) -> str:
    return address_of(request.scope)


def address_of(scope: Scope) -> str:
    """The client's address from the ASGI scope (the heartbeat lane has no Request)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def per_client(limit: Limit) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting the request against ``limit`` for its client address."""

    async def check(request: Request) -> None:
        await limiter(request).hit(limit, client_address(request))

    return check


def _api_key(request: Request) -> str:
    """A signed-in session, a Bearer token (hashed), or else the client address."""
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return "token:" + hashlib.sha256(authorization[7:].strip().encode()).hexdigest()
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        return "session:" + session_id
    return "address:" + client_address(request)


async def device_token_guard(request: Request) -> None:
    """Heartbeats from an address whose tokens keep failing are refused for a minute."""
    guard: DeviceTokenGuard = runtime(request.app).device_token_guard
    await guard.refuse_if_over(request)


async def api_rate_limit(request: Request) -> None:
    """The JSON API, per principal (session or token): one integration cannot starve others."""
    per_minute: int = runtime(request.app).settings.api_requests_per_minute
    await limiter(request).hit(Limit("api", per_minute, API_MESSAGE), _api_key(request))


class DeviceTokenGuard:
    """Failed device tokens per client address. Every beat would pay a database read to ask;
    so a worker asks only for addresses it saw fail in the last two minutes itself (at most
    one more failure per worker gets through before the shared count refuses)."""

    def __init__(self) -> None:
        self._recent: OrderedDict[str, float] = OrderedDict()

    def suspects(self, address: str) -> bool:
        """Whether this worker saw a token from ``address`` fail in the last two minutes."""
        seen = self._recent.get(address)
        return seen is not None and time.monotonic() - seen < 120

    async def refuse_if_over(self, request: Request) -> None:
        address = client_address(request)
        if self.suspects(address):
            await limiter(request).refuse_if_over(DEVICE_TOKEN_FAILURES, address)

    async def count_failure(self, request: Request) -> None:
        address = client_address(request)
        self._recent.pop(address, None)
        self._recent[address] = time.monotonic()
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        # This failure is answered 401 all the same; the next request from here gets the 429.
        with suppress(TooManyRequests):
            await limiter(request).hit(DEVICE_TOKEN_FAILURES, address)


class TtlCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[str, tuple[float, object]] = {}

    def get(self, key: str) -> object | None:
        found = self._values.get(key)
        if found and time.monotonic() - found[0] < self.seconds:
            return found[1]
        return None

    def put(self, key: str, value: object) -> None:
        if len(self._values) > 2_000:
            self._values.clear()
        self._values[key] = (time.monotonic(), value)
