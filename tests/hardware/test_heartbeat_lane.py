"""The heartbeat lane (siaga_web/heartbeat_lane.py): on PostgreSQL a well-formed beat is taken
before the framework, on the lane's own connections; everything else is answered by the route
exactly as before, and the route takes over while the lane's database does not answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from siaga_platform.hardware.models import Device, DeviceStateChange, Heartbeat
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_web.heartbeat_lane import HeartbeatConnections
from siaga_web.runtime import runtime
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for
from tests.hardware.test_heartbeats_api import _beat, _count, _device

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def app(db: ScratchDatabase) -> FastAPI:
    await seed(db)
    return build_app(db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


def _lane_requests(app: FastAPI) -> int:
    connections = runtime(app).heartbeat_connections
    assert connections is not None, "PostgreSQL has a heartbeat lane"
    return connections.beats_asked


async def test_a_beat_takes_the_lane_and_is_stored_once(
    db: ScratchDatabase, app: FastAPI, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"], "X-Request-Id": "beat-1"}
    before = _lane_requests(app)
    beat = _beat(1)
    answer = await client.post("/api/v1/heartbeats", json=beat, headers=token)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"accepted": 1, "duplicates": 0}
    # Still inside the request id and the security layer.
    assert answer.headers["x-request-id"] == "beat-1"
    assert answer.headers["x-content-type-options"] == "nosniff"
    again = await client.post("/api/v1/heartbeats", json=beat, headers=token)
    assert again.json() == {"accepted": 0, "duplicates": 1}
    assert _lane_requests(app) == before + 2, "both beats were taken by the lane"
    assert await _count(db, Heartbeat, "62.12") == 1


async def test_a_beat_that_moves_the_state_has_the_change_logged(
    db: ScratchDatabase, app: FastAPI, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"]}
    before = _lane_requests(app)
    for minutes_ago, status in ((0.5, "ok"), (0.2, "fault")):
        answer = await client.post(
            "/api/v1/heartbeats", json=_beat(minutes_ago, status), headers=token
        )
        assert answer.status_code == 202, answer.text
    assert _lane_requests(app) == before + 2
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        kept = await session.get(Device, (who.tenant_id, uuid.UUID(device["id"])))
        assert kept is not None and kept.logged_state == "down"
        changes = await session.scalars(
            select(DeviceStateChange.state).order_by(DeviceStateChange.at)
        )
        assert list(changes) == ["up", "down"]


async def test_what_the_lane_does_not_take_the_route_answers(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    unknown = await client.post(
        "/api/v1/heartbeats", json=_beat(1), headers={"X-Device-Token": "not-a-token"}
    )
    assert unknown.status_code == 401
    assert "Token perangkat tidak dikenal" in unknown.json()["detail"]
    token = {"X-Device-Token": device["token"]}
    malformed = await client.post("/api/v1/heartbeats", json={"status": "ok"}, headers=token)
    assert malformed.status_code == 422 and "taken_at" in malformed.text
    future = await client.post("/api/v1/heartbeats", json=_beat(-60), headers=token)
    assert future.status_code == 422 and "taken_at" in future.text
    assert await _count(db, Heartbeat, "62.12") == 0


async def test_the_route_takes_the_beats_while_the_lane_cannot(
    db: ScratchDatabase, app: FastAPI, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"]}
    # The lane's database goes away (a port nobody listens on); the app's own stays.
    away = HeartbeatConnections("postgresql://siaga@127.0.0.1:9/siaga?connect_timeout=1", 2)
    runtime(app).heartbeat_connections = away
    await away.open()
    try:
        first = await client.post("/api/v1/heartbeats", json=_beat(1), headers=token)
        assert first.status_code == 202 and first.json() == {"accepted": 1, "duplicates": 0}
        assert away.usable() is None, "the lane stands aside after its database failed it"
        second = await client.post("/api/v1/heartbeats", json=_beat(0.5), headers=token)
        assert second.status_code == 202 and second.json() == {"accepted": 1, "duplicates": 0}
    finally:
        await away.close()
    assert await _count(db, Heartbeat, "62.12") == 2
