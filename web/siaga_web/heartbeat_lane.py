"""The heartbeat lane: a well-formed single heartbeat is taken here, before the framework.

Tens of thousands of devices post a beat every minute. Through FastAPI (routing, dependency
resolution, body and response models, the browser's middleware) and an ORM session, a beat
cost about three times the CPU of the SQL it sends (benchmarks/README.md). This lane sits
inside the request id and the security layer, so every answer still has its request id, its
latency observation and its security headers; it takes the common case on a driver connection
of its own with the service's own function (``hardware.service.take_beat_on``: the same
checks, the same statements as the route) and commits.

Everything else goes on to the route, with the body replayed: a malformed body, a missing or
unknown token, a beat out of range, a client whose tokens keep failing, a database that does
not answer. The route answers those as it always did (422 naming the field, 401, 429, 503
after its retry) and counts them; a beat is idempotent, so a beat handed on after a failed
attempt is still stored once. Batches always take the route.

A device whose beat changes its state (back up, or a fault) has the change logged in a second
unit of work right after the beat's commit (``settle_moved``, as the sweep would).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg import Error as DriverError
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siaga_platform.config import Settings
from siaga_platform.db.engine import driver_dsn
from siaga_platform.errors import DomainError
from siaga_platform.hardware import service
from siaga_platform.hardware.schemas import TOKEN_HEADER_MAX, BeatBody
from siaga_platform.jobs.queue import is_shared
from siaga_platform.observability.metrics import count_beats
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_web.ratelimit import address_of
from siaga_web.runtime import Runtime

log = logging.getLogger(__name__)

PATH = "/api/v1/heartbeats"
#: How long a beat waits for one of the lane's connections before the route takes it.
CONNECTION_WAIT_SECONDS = 2.0
#: After the database failed the lane, beats go to the route for this long (it answers 503
#: at once while the database is away, instead of each beat waiting here first).
STAND_ASIDE_SECONDS = 5.0


class HeartbeatConnections:
    """The lane's own connections to PostgreSQL: opened by the app's lifespan (a fresh pool
    each time: a closed pool cannot be opened again), closed at its end."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self.size = size
        self.pool: AsyncConnectionPool | None = None
        self._aside_until = 0.0

    async def open(self) -> None:
        self.pool = AsyncConnectionPool(
            self.dsn,
            # Grows to the app's pool size under load, back to one after ten idle minutes.
            min_size=1,
            max_size=self.size,
            timeout=CONNECTION_WAIT_SECONDS,
            open=False,
            name="heartbeat-lane",
        )
        # Filled in the background: the route serves beats until it is (or while it cannot).
        await self.pool.open(wait=False)

    async def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()

    def usable(self) -> AsyncConnectionPool | None:
        """The pool, unless closed or standing aside after the database failed it."""
        if self.pool is None or time.monotonic() < self._aside_until:
            return None
        return self.pool

    def stand_aside(self) -> None:
        self._aside_until = time.monotonic() + STAND_ASIDE_SECONDS

    @property
    def beats_asked(self) -> int:
        """Connections handed out so far (a beat each)."""
        return int(self.pool.get_stats().get("requests_num", 0)) if self.pool else 0


def heartbeat_connections(settings: Settings) -> HeartbeatConnections | None:
    """On PostgreSQL; on the SQLite development default every beat takes the route."""
    if not is_shared(settings.database_url):
        return None
    return HeartbeatConnections(driver_dsn(settings.database_url), settings.database_pool_size)


@dataclass(frozen=True, slots=True)
class LaneRoute:
    """What the access log and the latency histogram read as the route (its template)."""

    path: str


ROUTE = LaneRoute(PATH)


class HeartbeatLane:
    def __init__(self, app: ASGIApp, *, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before its beat was whole
        answer = await self._take(scope, body)
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = ROUTE
        await send(
            {
                "type": "http.response.start",
                "status": 202,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def _take(self, scope: Scope, body: bytes) -> bytes | None:
        """The answer of a beat taken here, or None: the route answers this request."""
        connections = self.runtime.heartbeat_connections
        if connections is None:
            return None
        pool = connections.usable()
        if pool is None:
            return None
        token = Headers(scope=scope).get("x-device-token")
        if (
            not token
            or len(token) > TOKEN_HEADER_MAX
            or self.runtime.device_token_guard.suspects(address_of(scope))
        ):
            return None
        try:
            sent = BeatBody.model_validate_json(body)
        except ValidationError:
            return None
        beat = service.BeatIn(sent.taken_at, sent.status, sent.readings)
        now = datetime.now(UTC)
        try:
            # Committed when the block ends without an exception, rolled back otherwise.
            async with pool.connection() as pg:
                taken = await service.take_beat_on(pg, token, beat, now=now)
        except DomainError:
            return None
        except (PoolTimeout, DriverError):  # a pool error is a driver error too
            connections.stand_aside()
            log.warning("heartbeat lane: the database did not answer; the route takes beats")
            return None
        if taken.moved:
            try:
                async with unit_of_work(self.runtime.session_factory) as db:
                    await service.settle_moved(db, taken.moved, now=now)
            except Exception:  # the beat is kept; the sweep logs the change within a minute
                log.warning("heartbeat lane: a state change is left to the sweep", exc_info=True)
        count_beats(taken.result.accepted, taken.result.duplicates, 0)
        answer = {"accepted": taken.result.accepted, "duplicates": taken.result.duplicates}
        return json.dumps(answer).encode()


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once more for the route, then what the client's connection says next."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
