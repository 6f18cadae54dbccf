"""Status and event codes reach the Indonesian pages as words, not as the stored English codes:
a loan's status and a spoiled card's custody on the stock card, an incident's timeline, a
heartbeat's status on the device page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in
from tests.web.test_catalog import visible_text

HEAD = demo_subject(Role.KEPALA_DINAS, "62.01")
#: Stored codes that must never be shown as they are.
RAW_CODES = re.compile(
    r"\b(requested|proposed|approved|rejected|held|returned|opened|escalated|acknowledged"
    r"|closed|note|fault|degraded|queued|running|done|failed)\b"
)


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        await sign_in(client, HEAD)
        yield client


@pytest.mark.sqlite_only  # labels come from the templates and route tables, not the database
async def test_codes_are_shown_as_indonesian_words(client: httpx.AsyncClient) -> None:
    card = await client.get("/wilayah/62.01/stok")
    token = csrf_from(card.text)
    spoiled = await client.post(
        "/wilayah/62.01/stok/rusak",
        data={
            "csrf_token": token,
            "quantity": "1",
            "reason": "print_error",
            "custody": "held",
            "business_date": date.today().isoformat(),
        },
    )
    assert spoiled.status_code == 303, spoiled.text
    asked = await client.post(
        "/wilayah/62.01/stok/pinjam",
        data={"csrf_token": token, "lender_code": "62.02", "quantity": "5"},
    )
    assert asked.status_code == 303, asked.text
    card = await client.get("/wilayah/62.01/stok")
    text = visible_text(card.text)
    assert "disimpan di kantor" in text and "diminta wilayah" in text
    assert not RAW_CODES.findall(text), RAW_CODES.findall(text)

    board = await client.get("/wilayah/62.01/perangkat")
    kinds = re.search(r'<select name="kind">(.*?)</select>', board.text, re.S)
    assert kinds and "Kantor Disdukcapil" in kinds.group(1)
    assert not re.search(r">(office|mobile)<", kinds.group(1)), kinds.group(1)
    reported = await client.post(
        "/wilayah/62.01/perangkat/kejadian",
        data={
            "csrf_token": csrf_from(board.text),
            "title": "Kamera rusak",
            "cause": "hardware_fault",
            "note": "lensa pecah",
        },
    )
    assert reported.status_code == 303, reported.text
    incident = await client.get(reported.headers["location"])
    timeline = visible_text(incident.text.split('class="timeline"', 1)[1])
    assert "Dibuka" in timeline
    assert not RAW_CODES.findall(timeline), RAW_CODES.findall(timeline)

    device = re.search(r'href="(/wilayah/62\.01/perangkat/alat/[^"]+)"', board.text)
    assert device, "the demo regency has devices"
    page = await client.get(device.group(1))
    beats = visible_text(page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    assert re.search(r"\b(Baik|Terganggu|Rusak)\b", beats), beats
    assert not RAW_CODES.findall(beats) and not re.search(r"\bok\b", beats), beats
