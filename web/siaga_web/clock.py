"""The requests' clock: the one ``now`` (UTC) the routes and their dependencies read, so a test
moves it in one place. The office's own day is ``TenantContext.today`` (siaga_web/deps.py)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
