"""A small per-client rate limit and response cache for public pages (no sign-in). Each
replica keeps its own counts: a client spread over replicas gets a little more, which is
fine for pages meant to be read by anyone."""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from fastapi import Request

from siaga_platform.errors import DomainError


class TooManyRequests(DomainError):
    status_code = 429
    message = "Terlalu banyak permintaan dari alamat ini. Coba lagi dalam satu menit."


class RateLimit:
    def __init__(self, per_minute: int, *, max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_clients = max_clients

    def check(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        now = time.monotonic()
        hits = self._hits.pop(client, deque())
        while hits and now - hits[0] > 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            self._hits[client] = hits
            raise TooManyRequests()
        hits.append(now)
        self._hits[client] = hits
        while len(self._hits) > self._max_clients:  # forget the least recent clients
            self._hits.popitem(last=False)


class TtlCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[str, tuple[float, object]] = {}

    def get(self, key: str) -> object | None:
        found = self._values.get(key)
        if found and time.monotonic() - found[0] < self.seconds:
            return found[1]
        return None

    def put(self, key: str, value: object) -> None:
        if len(self._values) > 2_000:
            self._values.clear()
        self._values[key] = (time.monotonic(), value)
