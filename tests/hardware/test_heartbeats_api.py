"""Heartbeats over HTTP on both databases: tokens, idempotence, time bounds, malformed input,
another tenant's device."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.auth.principal import Role
from siaga_platform.hardware.models import Device, Heartbeat, Incident
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
    assert batch.json() == {"accepted": 1, "duplicates": 1, "refused": []}
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


async def _count(db: ScratchDatabase, model: type[Any], code: str) -> int:
    who = await operator(db, code)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_batch_spans_regencies_and_a_fault_opens_an_incident(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    murung_raya = await _device(client, "62.12")
    kotawaringin = await _device(client, "62.01")
    batch = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**_beat(3), "device_token": murung_raya["token"]},
                {**_beat(2, "fault"), "device_token": murung_raya["token"]},
                {**_beat(2), "device_token": kotawaringin["token"]},
                {**_beat(1), "device_token": kotawaringin["token"]},
            ]
        },
    )
    assert batch.json() == {"accepted": 4, "duplicates": 0, "refused": []}
    assert (await client.get(f"/api/v1/devices/{kotawaringin['id']}")).json()["state"] == "up"
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    assert (await client.get(f"/api/v1/devices/{murung_raya['id']}")).json()["state"] == "down"
    assert await _count(db, Incident, "62.12") == 1
    assert await _count(db, Incident, "62.01") == 0
    assert await _count(db, Heartbeat, "62.01") == 2


async def test_one_bad_token_refuses_the_whole_batch_and_stores_nothing(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    answer = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**_beat(2), "device_token": device["token"]},
                {**_beat(1), "device_token": "bukan-token"},
            ]
        },
    )
    assert answer.status_code == 401
    assert await _count(db, Heartbeat, "62.12") == 0


async def test_a_batch_takes_its_good_beats_and_names_each_refused_one(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = device["token"]
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    items = [
        {**_beat(3), "device_token": token},
        {**_beat(8 * 24 * 60), "device_token": token},
        {**_beat(2), "readings": {"suhu": float("nan")}, "device_token": token},
        {**_beat(1.5), "readings": deep, "device_token": token},
        {**_beat(1.2), "readings": {"log": "x" * 5000}, "device_token": token},
        {**_beat(1), "device_token": token},
    ]
    # NaN, Infinity and 1e999 as a client's JSON encoder writes them (not valid JSON).
    body = json.dumps({"heartbeats": items}).replace(
        '"readings": {"suhu": NaN}', '"readings": {"suhu": NaN, "t": Infinity, "u": 1e999}'
    )
    assert "1e999" in body
    answer = await client.post(
        "/api/v1/heartbeats/batch", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    refused = {r["index"]: r for r in result["refused"]}
    assert sorted(refused) == [1, 2, 3, 4]
    assert refused[1]["field"] == "heartbeats[1].taken_at" and "7 hari" in refused[1]["reason"]
    assert refused[2]["field"] == "heartbeats[2].readings" and "NaN" in refused[2]["reason"]
    assert "tingkat" in refused[3]["reason"] and "byte" in refused[4]["reason"]
    assert await _count(db, Heartbeat, "62.12") == 2
    # Every beat refused: still 202, each named, nothing stored.
    none = await client.post(
        "/api/v1/heartbeats/batch",
        json={"heartbeats": [{**_beat(-30), "device_token": token}]},
    )
    assert none.status_code == 202
    assert none.json()["accepted"] == 0 and none.json()["refused"][0]["index"] == 0
    assert "masa depan" in none.json()["refused"][0]["reason"]
    assert await _count(db, Heartbeat, "62.12") == 2


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_a_single_beat_with_a_non_finite_reading_is_422(
    db: ScratchDatabase, client: httpx.AsyncClient, value: str
) -> None:
    device = await _device(client)
    body = json.dumps(_beat(1)).replace('{"disk_free_gb": 40}', f'{{"disk_free_gb": {value}}}')
    answer = await client.post(
        "/api/v1/heartbeats",
        content=body,
        headers={"X-Device-Token": device["token"], "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "readings" and "NaN" in answer.json()["detail"]
    assert await _count(db, Heartbeat, "62.12") == 0


@pytest.mark.parametrize(
    "readings", [{"model": "a\u0000b"}, {"a\u0001": 1}, {"disks": [{"label": "x\u001fy"}]}]
)
async def test_control_characters_in_readings_are_422_not_stored(
    db: ScratchDatabase, client: httpx.AsyncClient, readings: dict[str, object]
) -> None:
    device = await _device(client)
    headers = {"X-Device-Token": device["token"]}
    answer = await client.post(
        "/api/v1/heartbeats", json={**_beat(1), "readings": readings}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "readings"
    batch = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**_beat(2), "readings": readings, "device_token": device["token"]},
                {**_beat(1), "device_token": device["token"]},
            ]
        },
    )
    assert batch.status_code == 202, batch.text
    assert batch.json()["accepted"] == 1 and batch.json()["refused"][0]["index"] == 0
    assert await _count(db, Heartbeat, "62.12") == 1


async def test_readings_at_the_bounds_are_taken(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    headers = {"X-Device-Token": device["token"]}
    four_deep = {"a": {"b": {"c": [1.5, None, "ok"]}}}  # the readings themselves are level 1
    fits = {"log": "x" * (4096 - len('{"log": ""}'))}
    for minutes, readings in ((2, four_deep), (1, fits)):
        answer = await client.post(
            "/api/v1/heartbeats", json={**_beat(minutes), "readings": readings}, headers=headers
        )
        assert answer.status_code == 202, answer.text
    over = {"log": "x" * (4097 - len('{"log": ""}'))}
    answer = await client.post(
        "/api/v1/heartbeats", json={**_beat(0.5), "readings": over}, headers=headers
    )
    assert answer.status_code == 422 and answer.json()["field"] == "readings"
    assert await _count(db, Heartbeat, "62.12") == 2


async def test_concurrent_beats_of_one_device_fold_without_losing_any(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"]}
    beats = [_beat(2 - i * 0.1) for i in range(20)]
    answers = await asyncio.gather(
        *(client.post("/api/v1/heartbeats", json=beat, headers=token) for beat in beats)
    )
    assert sorted(a.status_code for a in answers) == [202] * 20
    assert sum(a.json()["accepted"] for a in answers) == 20
    assert await _count(db, Heartbeat, "62.12") == 20
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        kept = await session.get(Device, (who.tenant_id, uuid.UUID(device["id"])))
        assert kept is not None and kept.last_beat_at is not None
        newest = max(datetime.fromisoformat(b["taken_at"]) for b in beats)
        last = kept.last_beat_at
        assert (last if last.tzinfo else last.replace(tzinfo=UTC)) == newest
        assert kept.logged_state == "up"


async def test_a_time_sent_twice_in_a_batch_is_stored_once_and_folded_as_stored(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    device = await _device(client)
    twice = _beat(1)
    answer = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**twice, "device_token": device["token"]},
                {**twice, "status": "fault", "device_token": device["token"]},
            ]
        },
    )
    assert answer.json() == {"accepted": 1, "duplicates": 1, "refused": []}
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        stored = await session.scalar(select(Heartbeat.status))
    state = (await client.get(f"/api/v1/devices/{device['id']}")).json()["state"]
    assert state == ("down" if stored == "fault" else "up")


async def test_a_revoked_token_in_a_batch_refuses_it_and_stores_nothing(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    kept = await _device(client)
    retired = await _device(client)
    revoked = await client.post(
        f"/api/v1/devices/{retired['id']}/revoke-tokens", headers=retired["csrf"]
    )
    assert revoked.json() == {"revoked": 1}
    answer = await client.post(
        "/api/v1/heartbeats/batch",
        json={
            "heartbeats": [
                {**_beat(2), "device_token": kept["token"]},
                {**_beat(1), "device_token": retired["token"]},
            ]
        },
    )
    assert answer.status_code == 401
    assert await _count(db, Heartbeat, "62.12") == 0


async def test_a_late_beat_is_history_only(db: ScratchDatabase, client: httpx.AsyncClient) -> None:
    device = await _device(client)
    token = {"X-Device-Token": device["token"]}
    newer, older = _beat(1), _beat(2, "fault")
    assert (await client.post("/api/v1/heartbeats", json=newer, headers=token)).status_code == 202
    late = await client.post("/api/v1/heartbeats", json=older, headers=token)
    assert late.json() == {"accepted": 1, "duplicates": 0}
    answer = (await client.get(f"/api/v1/devices/{device['id']}")).json()
    assert answer["state"] == "up"
    assert datetime.fromisoformat(answer["last_beat_at"]).replace(tzinfo=UTC) == (
        datetime.fromisoformat(newer["taken_at"])
    )
    assert await _count(db, Heartbeat, "62.12") == 2
