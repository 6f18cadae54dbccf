"""How Siaga is served: uvicorn with its C parser and loop, and a connection protocol that
turns Nagle's algorithm off on every accepted connection.

Why the protocol: with ``--workers N`` uvicorn binds the listening socket itself and leaves its
``proto`` at 0; asyncio sets ``TCP_NODELAY`` only on sockets that say ``IPPROTO_TCP``, so each
keep-alive response waited ~40 ms for the client's delayed ACK (uvicorn issue #3149). Measured
here: two workers answered every heartbeat in 44 ms, however idle the machine. uvloop (the loop
uvicorn picks when installed) sets it itself; this keeps it so on the asyncio loop too.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: For ``uvicorn --http`` (the heartbeat benchmark serves both of its endpoints with it).
HTTP_PROTOCOL = "siaga_web.server:HttpProtocol"


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def proxy_options(trusted_proxies: str) -> dict[str, Any]:
    """Forwarded headers only from the proxies named in the settings (uvicorn's default
    trusts 127.0.0.1, so anyone reaching a local port could pick the client address the rate
    limits key on)."""
    trusted = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def serve(
    host: str, port: int, *, trusted_proxies: str = "", workers: int = 1, **options: Any
) -> None:
    uvicorn.run(
        "siaga_web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HTTP_PROTOCOL,
        **proxy_options(trusted_proxies),
        **options,
    )
