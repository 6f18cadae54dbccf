"""The bare endpoint the heartbeat benchmark compares against: a raw ASGI app doing the same
database work as Siaga's endpoint (token lookup, RLS scope, idempotent insert, device update)
with no framework, no ORM, no sessions. Run: uvicorn benchmarks.bare_heartbeat:app"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

DSN = os.environ["BARE_DSN"]
pool = AsyncConnectionPool(DSN, min_size=4, max_size=20, open=False)


async def _handle(token: str, body: dict[str, Any]) -> tuple[int, bytes]:
    taken_at = datetime.fromisoformat(body["taken_at"])
    async with pool.connection() as conn, conn.transaction():
        row = await (
            await conn.execute(
                "SELECT tenant_id, device_id FROM hardware_device_tokens "
                "WHERE token_hash = %s AND revoked_at IS NULL",
                (hashlib.sha256(token.encode()).hexdigest(),),
            )
        ).fetchone()
        if row is None:
            return 401, b'{"detail":"token"}'
        tenant_id, device_id = row
        await conn.execute(
            "SELECT set_config('app.read_tenant_ids', %s, true),"
            " set_config('app.write_tenant_ids', %s, true)",
            (str(tenant_id), str(tenant_id)),
        )
        await conn.execute(
            "SELECT 1 FROM hardware_devices WHERE tenant_id = %s AND id = %s FOR UPDATE",
            (tenant_id, device_id),
        )
        inserted = await (
            await conn.execute(
                "INSERT INTO hardware_heartbeats (tenant_id, device_id, taken_at, status, readings,"
                " received_at) VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING"
                " RETURNING taken_at",
                (
                    tenant_id,
                    device_id,
                    taken_at,
                    body["status"],
                    json.dumps(body.get("readings", {})),
                ),
            )
        ).fetchone()
        if inserted:
            await conn.execute(
                "UPDATE hardware_devices SET last_beat_at = %s, last_status = %s"
                " WHERE tenant_id = %s AND id = %s AND (last_beat_at IS NULL OR last_beat_at < %s)",
                (taken_at, body["status"], tenant_id, device_id, taken_at),
            )
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
