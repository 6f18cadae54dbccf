"""The stock pages over HTTP: the stock card and its forms, the public notice (no sign-in,
rate-limited), the province page where the supervisor approves a loan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

CARD = "/wilayah/62.12/stok"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def test_receive_spoil_and_see_the_card(client: httpx.AsyncClient) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    page = await client.get(CARD)
    assert page.status_code == 200 and "Stok habis" in page.text
    token = csrf_from(page.text)
    today = re.search(r'name="business_date" value="([0-9-]{10})"', page.text)
    assert today
    sent = await client.post(
        f"{CARD}/terima",
        data={
            "csrf_token": token,
            "item": "blank_card",
            "quantity": "250",
            "reference": "SPB/470/2026/118",
            "business_date": today.group(1),
        },
    )
    assert sent.status_code == 303
    await client.post(
        f"{CARD}/rusak",
        data={
            "csrf_token": token,
            "quantity": "2",
            "reason": "print_error",
            "custody": "held",
            "business_date": today.group(1),
        },
    )
    card = await client.get(CARD)
    assert "<strong>248</strong>" in card.text and "SPB/470/2026/118" in card.text
    assert "Salah cetak" in card.text and "<polyline" in card.text
    only_spoilage = await client.get(
        CARD, params={"kind": "spoilage"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in only_spoilage.text and "SPB/470/2026/118" not in only_spoilage.text
    refused = await client.post(
        f"{CARD}/terima",
        data={
            "csrf_token": token,
            "item": "blank_card",
            "quantity": "10",
            "reference": " ",
            "business_date": today.group(1),
        },
    )
    assert refused.status_code == 422 and "Nomor pengiriman wajib diisi" in refused.text
    public = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    notice = await public.get("/publik/62.12/blanko")  # no cookie: no sign-in needed
    assert notice.status_code == 200 and "248" in notice.text
    assert notice.headers["cache-control"] == "public, max-age=60"


async def test_the_public_notice_is_rate_limited(client: httpx.AsyncClient) -> None:
    answers = [(await client.get("/publik/62.12/blanko")).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429


async def test_supervisor_approves_a_loan_and_an_operator_cannot(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.01"))
    page = await client.get("/wilayah/62.01/stok")
    token = csrf_from(page.text)
    today = re.search(r'name="business_date" value="([0-9-]{10})"', page.text)
    assert today
    await client.post(
        "/wilayah/62.01/stok/terima",
        data={
            "csrf_token": token,
            "item": "blank_card",
            "quantity": "500",
            "reference": "SPB-1",
            "business_date": today.group(1),
        },
    )
    assert (await client.get("/provinsi/62/stok")).status_code == 403
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    token = csrf_from((await client.get(CARD)).text)
    asked = await client.post(
        f"{CARD}/pinjam", data={"csrf_token": token, "lender_code": "62.01", "quantity": "120"}
    )
    assert asked.status_code == 303
    await sign_in(client, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
    province = await client.get("/provinsi/62/stok")
    assert province.status_code == 200 and "Saran pinjaman" in province.text
    loan = re.search(r'action="(/provinsi/62/stok/pinjaman/[0-9a-f-]{36})"', province.text)
    assert loan
    decided = await client.post(
        loan.group(1), data={"csrf_token": csrf_from(province.text), "decision": "setujui"}
    )
    assert decided.status_code == 303
    assert (await client.get("/provinsi/63/stok")).status_code == 404
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    card = await client.get(CARD)
    assert (
        "<strong>120</strong>" in card.text and "<td>disetujui</td>" in card.text
    )  # the loan, labelled


async def test_the_stock_card_pages_with_total_order_and_the_page_in_the_address(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    page = await client.get(CARD)
    token = csrf_from(page.text)
    today = re.search(r'name="business_date" value="([0-9-]{10})"', page.text)
    assert today
    for number in range(1, 53):
        sent = await client.post(
            f"{CARD}/terima",
            data={
                "csrf_token": token,
                "item": "blank_card",
                "quantity": "1",
                "reference": f"SPB-{number:03d}",
                "business_date": today.group(1),
            },
        )
        assert sent.status_code == 303
    first = await client.get(CARD)
    assert "<strong>52</strong> catatan" in first.text and "halaman 1 dari 2" in first.text
    assert "Urutan: catatan terakhir di atas." in first.text
    assert "SPB-052" in first.text and "SPB-001" not in first.text
    second = await client.get(CARD, params={"halaman": "2", "kind": ""})
    assert "halaman 2 dari 2" in second.text and "SPB-001" in second.text
    assert 'rel="prev"' in second.text and "SPB-052" not in second.text
