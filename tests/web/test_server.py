"""The server set-up: every accepted connection has Nagle's algorithm off, also on the socket
that ``uvicorn --workers N`` binds itself (where uvicorn leaves it on: ~40 ms per response)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import uvicorn

from siaga_web.server import HTTP_PROTOCOL


async def _tiny_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def test_connections_on_a_pre_bound_socket_have_no_delay() -> None:
    config = uvicorn.Config(
        _tiny_app, host="127.0.0.1", port=0, http=HTTP_PROTOCOL, lifespan="off", log_level="error"
    )
    listener = config.bind_socket()  # the socket the multi-worker supervisor hands down
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(500):  # up to 5 s
            if server.started:
                break
            await asyncio.sleep(0.01)
        port = listener.getsockname()[1]
        async with httpx.AsyncClient() as client:
            for _ in range(3):  # keep-alive: one connection, several requests
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
            no_delay = [
                connection.transport.get_extra_info("socket").getsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY
                )
                for connection in server.server_state.connections
            ]
        assert no_delay and all(no_delay), no_delay
    finally:
        server.should_exit = True
        await serving
