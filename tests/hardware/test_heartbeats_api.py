"""Heartbeats over HTTP on both databases: tokens, idempotence, time bounds, malformed input,
another tenant's device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.auth.principal import Role
from siaga_platform.hardware.models import Heartbeat
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _device(client: httpx.AsyncClient, code: str = "62.12") -> dict[str, Any]:
    await sign_in(client, demo_subject(Role.OPERATOR, code))
    page = await client.get(f"/wilayah/{code}")
    headers = {"X-CSRF-Token": csrf_from(page.text)}
    site = await client.post(
        "/api/v1/sites", headers=headers, json={"name": "Kantor Disdukcapil", "kind": "office"}
    )
    assert site.status_code == 201, site.text
    device = await client.post(
        "/api/v1/devices",
        headers=headers,
        json={
            "site_id": site.json()["id"],
            "kind": "recording_server",
            "label": "Server perekaman",
            "funding": "APBN",
        },
    )
    assert device.status_code == 201, device.text
    return {**device.json(), "csrf": headers}


def _beat(minutes_ago: float = 0, status: str = "ok") -> dict[str, Any]:
    taken = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"taken_at": taken.isoformat(), "status": status, "readings": {"disk_free_gb": 40}}


async def test_beats_are_taken_once_and_derive_the_state(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"]}
    first = _beat(1)
    answer = await client.post("/api/v1/heartbeats", json=first, headers=token)
    assert answer.status_code == 202 and answer.json() == {"accepted": 1, "duplicates": 0}
    again = await client.post("/api/v1/heartbeats", json=first, headers=token)
    assert again.json() == {"accepted": 0, "duplicates": 1}
    state = await client.get(f"/api/v1/devices/{device['id']}")
    assert state.json()["state"] == "up"
    batch = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**_beat(0.5, "fault"), "device_token": device["token"]},
                {**first, "device_token": device["token"]},
            ]
        },
    )
    assert batch.json() == {"accepted": 1, "duplicates": 1}
    assert (await client.get(f"/api/v1/devices/{device['id']}")).json()["state"] == "down"
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        assert await session.scalar(select(func.count()).select_from(Heartbeat)) == 2


async def test_bad_or_revoked_tokens_are_401(client: httpx.AsyncClient) -> None:
    device = await _device(client)
    assert (await client.post("/api/v1/heartbeats", json=_beat())).status_code == 401
    wrong = await client.post("/api/v1/heartbeats", json=_beat(), headers={"X-Device-Token": "x"})
    assert wrong.status_code == 401
    revoked = await client.post(
        f"/api/v1/devices/{device['id']}/revoke-tokens", headers=device["csrf"]
    )
    assert revoked.json() == {"revoked": 1}
    after = await client.post(
        "/api/v1/heartbeats", json=_beat(), headers={"X-Device-Token": device["token"]}
    )
    assert after.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"taken_at": "2026-13-01T00:00:00+07:00", "status": "ok"}, "taken_at"),
        ({"taken_at": datetime.now(UTC).isoformat(), "status": "broken"}, "status"),
        ({"status": "ok"}, "taken_at"),
    ],
)
async def test_malformed_beats_name_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    device = await _device(client)
    answer = await client.post(
        "/api/v1/heartbeats", json=body, headers={"X-Device-Token": device["token"]}
    )
    assert answer.status_code == 422 and answer.json()["field"] == field


@pytest.mark.parametrize(("minutes_ago", "says"), [(-30, "masa depan"), (8 * 24 * 60, "7 hari")])
async def test_beats_from_the_future_or_far_past_are_refused(
    client: httpx.AsyncClient, minutes_ago: float, says: str
) -> None:
    device = await _device(client)
    answer = await client.post(
        "/api/v1/heartbeats", json=_beat(minutes_ago), headers={"X-Device-Token": device["token"]}
    )
    assert answer.status_code == 422 and says in answer.json()["detail"]


async def test_another_tenants_device_is_404(client: httpx.AsyncClient) -> None:
    device = await _device(client, "62.12")
    await sign_in(client, demo_subject(Role.OPERATOR, "62.03"))
    assert (await client.get(f"/api/v1/devices/{device['id']}")).status_code == 404
    page = await client.get("/wilayah/62.03")
    revoke = await client.post(
        f"/api/v1/devices/{device['id']}/revoke-tokens",
        headers={"X-CSRF-Token": csrf_from(page.text)},
    )
    assert revoke.status_code == 404
