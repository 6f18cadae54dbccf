"""The bare endpoint the heartbeat benchmark compares against: a raw ASGI app sending the very
statements Siaga's PostgreSQL intake sends (``hardware/beat_sql.py``: the token's regency and
device; scope, device lock and idempotent insert in one pipeline; the fold; the commit) with no
framework, no ORM, no sessions. Run: uvicorn benchmarks.bare_heartbeat:app"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from siaga_platform.hardware import beat_sql
from siaga_platform.tenancy import rls
from siaga_platform.tenancy.scope import TenantScope

DSN = os.environ["BARE_DSN"]
POOL_SIZE = int(os.environ.get("BARE_POOL_SIZE", "16"))
pool = AsyncConnectionPool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE * 2, open=False)


async def _handle(token: str, body: dict[str, Any]) -> tuple[int, bytes]:
    taken_at = datetime.fromisoformat(body["taken_at"])
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    # No ``conn.transaction()``: its BEGIN would be a round trip of its own; the implicit BEGIN
    # rides in the pipeline, as in Siaga.
    async with pool.connection() as conn:
        named = await (await conn.execute(beat_sql.TOKENS, {"hashes": [token_hash]})).fetchone()
        if named is None:
            await conn.rollback()
            return 401, b'{"detail":"token"}'
        _, tenant_id, device_id, _on_citus = named  # one regency: one LOCK and FOLD anyway
        async with conn.pipeline():
            for statement in rls.scope_statement_list(
                TenantScope(frozenset({tenant_id}), frozenset({tenant_id}))
            ):
                await conn.execute(statement)
            locked = await conn.execute(beat_sql.LOCK, {"tenants": [tenant_id], "ids": [device_id]})
            stored = await conn.execute(
                beat_sql.STORE,
                {
                    "now": datetime.now(UTC),
                    "tenants": [tenant_id],
                    "devices": [device_id],
                    "times": [taken_at],
                    "statuses": [body["status"]],
                    "readings": [json.dumps(body.get("readings", {}))],
                },
            )
            device = await locked.fetchone()
            inserted = await stored.fetchone()
        if device is not None and inserted:
            # The same fold statement; a plain "one more good beat" stands for the fold rule.
            await conn.execute(
                beat_sql.FOLD,
                {
                    "tenants": [tenant_id],
                    "device_tenants": [tenant_id],
                    "ids": [device_id],
                    "last_beat_at": [taken_at],
                    "last_status": [body["status"]],
                    "good_streak": [device[5] + 1],
                    "recovering": [False],
                    "silent_after": [taken_at + timedelta(seconds=device[2] * 3)],
                },
            )
        await conn.commit()
    return 202, json.dumps(
        {"accepted": 1 if inserted else 0, "duplicates": 0 if inserted else 1}
    ).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await pool.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = dict(scope["headers"])
    try:
        payload_in = json.loads(body)
        payload_in["taken_at"]
    except (ValueError, KeyError, TypeError):
        status, payload = 422, b'{"detail":"taken_at"}'
    else:
        status, payload = await _handle(headers.get(b"x-device-token", b"").decode(), payload_in)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
