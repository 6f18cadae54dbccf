"""Rate limits hold across replicas (counts in the database), key on the real client address
(no forwarded header believed unless its proxy is trusted), and cover sign-in, the JSON API per
principal and failed device tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_web.server import HTTP_PROTOCOL, proxy_options
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR_MURA = demo_subject(Role.OPERATOR, "62.12")
OPERATOR_KOBAR = demo_subject(Role.OPERATOR, "62.01")


async def _early_in_a_minute() -> None:
    """The limiter weighs the previous minute's count by how much of it the window still
    covers: a burst that straddles a minute's end on a slow machine can fall just under the
    limit. Bursts start early in a minute instead."""
    second = datetime.now(UTC).second
    if second > 45:
        await asyncio.sleep(61 - second)


@pytest.fixture
async def seeded(db: ScratchDatabase) -> ScratchDatabase:
    await seed(db)
    return db


async def test_a_limit_holds_across_replicas(seeded: ScratchDatabase) -> None:
    """Two apps on one database stand for two replicas (or two workers)."""
    async with (
        client_for(build_app(seeded)) as first,
        client_for(build_app(seeded)) as second,
    ):
        await _early_in_a_minute()
        answers = [
            (await (first if n % 2 else second).get("/publik/62.12/blanko")).status_code
            for n in range(31)
        ]
        assert answers[:30] == [200] * 30
        assert answers[30] == 429
        refused = await first.get("/publik/62.12/blanko")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Coba lagi" in refused.text


async def test_sign_in_attempts_are_limited(seeded: ScratchDatabase) -> None:
    async with client_for(build_app(seeded)) as client:
        token = csrf_from((await client.get("/masuk")).text)
        await _early_in_a_minute()
        answers = [
            (
                await client.post("/masuk/dev", data={"subject": "nobody", "csrf_token": token})
            ).status_code
            for _ in range(21)
        ]
    assert answers[:20] == [403] * 20
    assert answers[20] == 429


async def test_the_json_api_is_limited_per_principal(seeded: ScratchDatabase) -> None:
    app = build_app(seeded, api_requests_per_minute=5)
    async with client_for(app) as busy, client_for(app) as other:
        await sign_in(busy, OPERATOR_MURA)
        await sign_in(other, OPERATOR_KOBAR)
        answers = [(await busy.get("/api/v1/me")).status_code for _ in range(6)]
        assert answers == [200] * 5 + [429]
        refused = await busy.get("/api/v1/me")
        assert refused.json()["detail"].startswith("Terlalu banyak permintaan API")
        assert refused.headers["retry-after"]
        # Another person behind the same address is not starved.
        assert (await other.get("/api/v1/me")).status_code == 200


async def test_failed_device_tokens_are_limited_per_address(seeded: ScratchDatabase) -> None:
    beat = {"taken_at": datetime.now(UTC).isoformat(), "status": "ok", "readings": {}}
    async with client_for(build_app(seeded)) as client:
        answers = [
            (
                await client.post(
                    "/api/v1/heartbeats", json=beat, headers={"X-Device-Token": f"wrong-{n}"}
                )
            ).status_code
            for n in range(31)
        ]
    assert answers[:30] == [401] * 30
    assert answers[30] == 429


@pytest.fixture
async def serve_app(
    seeded: ScratchDatabase,
) -> AsyncIterator[Callable[[str], Awaitable[int]]]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(trusted_proxies: str) -> int:
        config = uvicorn.Config(
            build_app(seeded),
            host="127.0.0.1",
            port=0,
            http=HTTP_PROTOCOL,
            lifespan="off",
            log_level="error",
            **proxy_options(trusted_proxies),
        )
        listener = config.bind_socket()
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve(sockets=[listener]))))
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        return int(listener.getsockname()[1])

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


async def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(
    serve_app: Callable[[str], Awaitable[int]],
) -> None:
    start = serve_app
    untrusted = await start("")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{untrusted}") as client:
        spoofed = [
            (
                await client.get(
                    "/publik/62.12/blanko", headers={"X-Forwarded-For": f"203.0.113.{n}"}
                )
            ).status_code
            for n in range(31)
        ]
    assert spoofed[30] == 429, "60 spoofed addresses must not each get their own budget"

    behind_proxy = await start("127.0.0.1")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{behind_proxy}") as client:
        forwarded = [
            (
                await client.get(
                    "/publik/62.12/blanko", headers={"X-Forwarded-For": f"198.51.100.{n}"}
                )
            ).status_code
            for n in range(31)
        ]
    assert forwarded == [200] * 31  # each client behind the trusted proxy has its own budget
