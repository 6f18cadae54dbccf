"""Shared pieces of the benchmarks: a migrated PostgreSQL database, timing, reporting."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BenchDatabase:
    admin_url: str  # superuser: bulk loading with COPY (RLS does not apply to it)
    owner_url: str  # schema owner: migrations
    app_url: str  # the app's role: what is measured

    @classmethod
    def create(cls, name: str | None = None) -> BenchDatabase:
        admin = os.environ.get("SIAGA_TEST_POSTGRES_ADMIN_URL")
        if not admin:
            raise SystemExit("run through `make bench` (it starts a throwaway PostgreSQL)")
        name = name or f"siaga_bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name} OWNER siaga_owner"))
        engine.dispose()
        base = make_url(admin)

        def url(user: str, password: str | None) -> str:
            return base.set(username=user, password=password, database=name).render_as_string(
                hide_password=False
            )

        database = cls(
            url("postgres", None), url("siaga_owner", "siaga_owner"), url("siaga_web", "siaga_web")
        )
        config = Config(str(REPO_ROOT / "alembic.ini"))
        config.attributes["database_url"] = database.owner_url
        command.upgrade(config, "head")
        return database


@dataclass(frozen=True)
class Timing:
    name: str
    samples_ms: list[float]

    def p(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def line(self) -> str:
        return (
            f"{self.name}: n={len(self.samples_ms)} p50={self.p(0.5):.1f} ms "
            f"p95={self.p(0.95):.1f} ms p99={self.p(0.99):.1f} ms "
            f"mean={statistics.fmean(self.samples_ms):.1f} ms"
        )


async def timed(name: str, runs: int, call: Callable[[int], Awaitable[object]]) -> Timing:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(name, samples)
