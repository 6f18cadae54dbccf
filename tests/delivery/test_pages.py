"""The pages over HTTP on both databases: the inbox with the unread count in the header and
mark-as-read, the notification profile (bad input → 422 in Bahasa, nothing saved), and the
delivery log for platform admins only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from siaga_platform.delivery import repository
from tests.delivery.helpers import (
    ADMIN,
    OPERATOR,
    OTHER_OPERATOR,
    STOPPED,
    SUPERVISOR,
    T0,
    people,
    tick,
)
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

UNREAD = re.compile(r'class="count"[^>]*>(\d+)<')


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    tenant = await people(db)
    await tick(db, tenant, [STOPPED], T0)
    await tick(db, tenant, [STOPPED], T0 + timedelta(minutes=60))  # escalated to the province
    async with client_for(build_app(db, webhook_allow_private=False)) as client:
        yield client


def _unread(html: str) -> int:
    found = UNREAD.search(html)
    return int(found.group(1)) if found else 0


async def test_the_inbox_counts_unread_and_marks_read(client: httpx.AsyncClient) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get("/kotak-masuk")
    assert page.status_code == 200
    assert _unread(page.text) == 2  # opened, then escalated
    assert "Perekaman berhenti" in page.text and "Murung Raya" in page.text
    assert "/wilayah/62.12/peringatan/" in page.text
    item = re.search(r'action="/kotak-masuk/([0-9a-f-]{36})/dibaca"', page.text)
    assert item
    token = csrf_from(page.text)
    marked = await client.post(f"/kotak-masuk/{item.group(1)}/dibaca", data={"csrf_token": token})
    assert marked.status_code == 303
    assert _unread((await client.get("/kotak-masuk")).text) == 1
    await client.post("/kotak-masuk/dibaca-semua", data={"csrf_token": token})
    page = await client.get("/kotak-masuk")
    assert _unread(page.text) == 0 and "Tandai dibaca" not in page.text


async def test_a_supervisor_sees_the_escalation_and_marks_it_read(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get("/provinsi/62")
    assert _unread(page.text) == 1  # the header on any page
    token = csrf_from(page.text)
    await client.post("/kotak-masuk/dibaca-semua", data={"csrf_token": token})
    assert _unread((await client.get("/kotak-masuk")).text) == 0


async def test_another_regency_sees_nothing_and_cannot_mark_others(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, OPERATOR)
    inbox = (await client.get("/kotak-masuk")).text
    item = re.search(r'action="/kotak-masuk/([0-9a-f-]{36})/dibaca"', inbox)
    assert item
    await client.post("/keluar", data={"csrf_token": csrf_from(inbox)})
    await sign_in(client, OTHER_OPERATOR)
    page = await client.get("/kotak-masuk")
    assert _unread(page.text) == 0 and "Belum ada pesan" in page.text
    refused = await client.post(
        f"/kotak-masuk/{item.group(1)}/dibaca", data={"csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email_on": "true", "email": "bukan alamat"}, "email", "Alamat e-mail tidak valid"),
        (
            {"webhook_on": "true", "webhook_url": "ftp://jembatan.example.go.id/x"},
            "webhook_url",
            "harus diawali http:// atau https://",
        ),
        (
            {
                "webhook_on": "true",
                "webhook_url": "http://127.0.0.1:9/x",
                "webhook_secret": "x" * 40,
            },
            "webhook_url",
            "jaringan privat",
        ),
        (
            {"telegram_on": "true", "telegram_chat_id": "nama saya"},
            "telegram_chat_id",
            "ID chat Telegram tidak valid",
        ),
    ],
)
async def test_bad_channels_are_refused_in_bahasa_and_nothing_is_saved(
    client: httpx.AsyncClient,
    db: ScratchDatabase,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    await sign_in(client, OPERATOR)
    async with db.session_factory() as session:
        before = await repository.preference(session, OPERATOR)
        assert before is not None  # the defaults the first alert wrote
        was = (before.email_on, before.email, before.webhook_on, before.telegram_on)
    page = await client.get("/profil/notifikasi")
    assert page.status_code == 200
    sent = await client.post(
        "/profil/notifikasi", data={"csrf_token": csrf_from(page.text), **fields}
    )
    assert sent.status_code == 422
    assert message in sent.text and 'class="invalid"' in sent.text
    assert "k3y-k3y-" not in sent.text  # a secret typed is never sent back
    async with db.session_factory() as session:
        after = await repository.preference(session, OPERATOR)
        assert after is not None
        assert (after.email_on, after.email, after.webhook_on, after.telegram_on) == was


async def test_channels_are_saved_and_a_failing_one_is_flagged(
    client: httpx.AsyncClient, db: ScratchDatabase
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get("/profil/notifikasi")
    sent = await client.post(
        "/profil/notifikasi",
        data={
            "csrf_token": csrf_from(page.text),
            "email_on": "true",
            "email": "operator@disdukcapil.murungrayakab.go.id",
            "telegram_on": "true",
            "telegram_chat_id": "-1001234567890",
        },
    )
    assert sent.status_code == 303
    async with db.session_factory() as session:
        saved = await repository.preference(session, OPERATOR)
        assert saved is not None and saved.telegram_on and saved.telegram_chat_id
        assert saved.email == "operator@disdukcapil.murungrayakab.go.id"
    async with db.session_factory() as session, session.begin():
        saved = await repository.preference(session, OPERATOR)
        assert saved is not None
        saved.telegram_failing_since = T0
        saved.last_failure = "telegram: Telegram menolak (403)"
    page = await client.get("/profil/notifikasi")
    assert "terus gagal" in page.text and "Telegram menolak" in page.text


async def test_the_delivery_log_is_for_platform_admins(client: httpx.AsyncClient) -> None:
    await sign_in(client, ADMIN)
    page = await client.get("/nasional/pengiriman")
    assert page.status_code == 200
    assert page.text.count("Antre") >= 3  # operator, head of office, supervisor (queued)
    assert "@" not in re.sub(r"<[^>]+>", "", page.text.split("<main")[1])  # no address
    one = re.search(r'href="/nasional/pengiriman\?peringatan=([0-9a-f-]{36})"', page.text)
    assert one
    of_alert = await client.get(f"/nasional/pengiriman?peringatan={one.group(1)}")
    assert of_alert.status_code == 200 and "Hanya pesan satu peringatan" in of_alert.text
    await client.post("/keluar", data={"csrf_token": csrf_from(page.text)})
    await sign_in(client, SUPERVISOR)
    assert (await client.get("/nasional/pengiriman")).status_code == 403


async def test_the_pages_speak_english_second(client: httpx.AsyncClient) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get("/profil/notifikasi")
    await client.post(
        "/bahasa",
        data={"lang": "en", "next": "/kotak-masuk", "csrf_token": csrf_from(page.text)},
    )
    inbox = await client.get("/kotak-masuk")
    assert "Mark all as read" in inbox.text and "Inbox" in inbox.text
    assert "Send by e-mail" in (await client.get("/profil/notifikasi")).text
