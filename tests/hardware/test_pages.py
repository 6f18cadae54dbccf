"""The hardware board, device and incident pages over HTTP on both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_platform.hardware import outages
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

BOARD = "/wilayah/62.12/perangkat"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def test_register_beat_go_silent_and_see_it_on_the_board(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    page = await client.get(BOARD)
    token = csrf_from(page.text)
    await client.post(
        f"{BOARD}/lokasi", data={"csrf_token": token, "name": "Kantor Puruk Cahu", "kind": "office"}
    )
    page = await client.get(BOARD)
    site_id = re.search(r'<option value="([0-9a-f-]{36})">Kantor Puruk Cahu', page.text)
    assert site_id
    answer = await client.post(
        f"{BOARD}/baru",
        data={
            "csrf_token": token,
            "site_id": site_id.group(1),
            "kind": "recording_server",
            "label": "Server perekaman",
            "funding": "APBN",
            "recording_set": "*",
        },
    )
    device_token = re.search(r'<pre class="token">([^<]+)</pre>', answer.text)
    assert device_token, "the token is shown once"
    await client.post(
        f"{BOARD}/baru",
        data={
            "csrf_token": token,
            "site_id": site_id.group(1),
            "kind": "recording_pc",
            "label": "PC perekaman 1",
            "funding": "APBN",
            "recording_set": "set-1",
        },
    )
    again = await client.get(BOARD)
    assert device_token.group(1) not in again.text  # never shown again
    beat_at = datetime.now(UTC) - timedelta(hours=3)
    sent = await client.post(
        "/api/v1/heartbeats",
        headers={"X-Device-Token": device_token.group(1)},
        json={"taken_at": beat_at.isoformat(), "status": "ok"},
    )
    assert sent.status_code == 202
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await outages.sweep_tenant(session, who.tenant_id, now=datetime.now(UTC))  # type: ignore[arg-type]
    board = await client.get(BOARD)
    assert "Perekaman terhenti sejak" in board.text
    assert "Server perekaman mati" in board.text and "Mati" in board.text
    fragment = await client.get(BOARD, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Perekaman terhenti" in fragment.text
    incident_link = re.search(
        r'href="(/wilayah/62\.12/perangkat/kejadian/[0-9a-f-]{36})"', board.text
    )
    assert incident_link
    incident = await client.get(incident_link.group(1))
    assert incident.status_code == 200 and "Eskalasi ke kementerian" in incident.text
    device_link = re.search(r'href="(/wilayah/62\.12/perangkat/alat/[0-9a-f-]{36})"', board.text)
    assert device_link
    device = await client.get(device_link.group(1))
    assert device.status_code == 200 and "APBN" in device.text and "ok" in device.text


async def test_supervisor_reads_and_other_tenants_do_not(client: httpx.AsyncClient) -> None:
    await sign_in(client, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
    board = await client.get(BOARD)
    assert board.status_code == 200 and "Tambah lokasi" not in board.text
    await sign_in(client, demo_subject(Role.OPERATOR, "62.03"))
    assert (await client.get(BOARD)).status_code == 404


async def test_site_maintenance_planned_on_the_board_opens_no_incident(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    token = csrf_from((await client.get(BOARD)).text)
    await client.post(
        f"{BOARD}/lokasi",
        data={"csrf_token": token, "name": "UPT Tanah Siang", "kind": "kecamatan"},
    )
    page = await client.get(BOARD)
    site_id = re.search(r'<option value="([0-9a-f-]{36})">UPT Tanah Siang', page.text)
    assert site_id
    tokens = []
    for kind, label in (("router", "Router"), ("recording_pc", "PC 1")):
        answer = await client.post(
            f"{BOARD}/baru",
            data={
                "csrf_token": token,
                "site_id": site_id.group(1),
                "kind": kind,
                "label": label,
                "funding": "APBD",
            },
        )
        found = re.search(r'<pre class="token">([^<]+)</pre>', answer.text)
        assert found
        tokens.append(found.group(1))
    beat_at = datetime.now(UTC) - timedelta(hours=2)
    # Planned in the office's time (WIB, UTC+7), covering the whole silence.
    local = beat_at + timedelta(hours=7)
    planned = await client.post(
        f"{BOARD}/perawatan",
        data={
            "csrf_token": token,
            "site_id": site_id.group(1),
            "starts_at": (local - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Pemindahan kantor UPT",
        },
    )
    assert planned.status_code == 303 and planned.headers["location"] == BOARD
    for device_token in tokens:
        await client.post(
            "/api/v1/heartbeats",
            headers={"X-Device-Token": device_token},
            json={"taken_at": beat_at.isoformat(), "status": "ok"},
        )
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await outages.sweep_tenant(session, who.tenant_id, now=datetime.now(UTC))  # type: ignore[arg-type]
    board = await client.get(BOARD)
    assert "Perawatan terjadwal" in board.text and "Pemindahan kantor UPT" in board.text
    assert "Kejadian terbuka" not in board.text  # both silent, inside the planned window
    assert board.text.count('class="tile down"') == 1  # the router: still shown as it is
    refused = await client.post(
        f"{BOARD}/perawatan",
        data={
            "csrf_token": token,
            "site_id": site_id.group(1),
            "starts_at": "2026-12-02T10:00",
            "ends_at": "2026-12-01T10:00",
            "reason": "x",
        },
    )
    assert refused.status_code == 422 and "Waktu selesai harus setelah waktu mulai" in refused.text
