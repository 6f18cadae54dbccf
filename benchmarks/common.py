"""Shared pieces of the benchmarks: a migrated PostgreSQL database, timing, reporting."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.applications.bulk import HistoricApplication, write_applications
from siaga_platform.applications.models import Application, Reason
from siaga_platform.applications.nik import parse_nik
from siaga_platform.applications.statuses import Status
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BenchDatabase:
    admin_url: str  # superuser: bulk loading with COPY (RLS does not apply to it)
    owner_url: str  # schema owner: migrations
    app_url: str  # the app's role: what is measured
    #: On a Citus cluster (``make bench-citus``): the workers' ports; the tables are
    #: distributed by ``distribute()`` once the data is loaded.
    worker_ports: tuple[int, ...] = ()

    @classmethod
    def create(cls, name: str | None = None) -> BenchDatabase:
        admin = os.environ.get("SIAGA_TEST_POSTGRES_ADMIN_URL")
        if not admin:
            raise SystemExit("run through `make bench` (it starts a throwaway PostgreSQL)")
        name = name or f"siaga_bench_{uuid.uuid4().hex[:8]}"
        base = make_url(admin)
        workers = tuple(int(p) for p in os.environ.get(CITUS_WORKERS, "").split(",") if p)
        for port in (base.port, *workers):
            _create_on_node(base.set(port=port), name, citus=bool(workers))

        def url(user: str, password: str | None) -> str:
            return base.set(username=user, password=password, database=name).render_as_string(
                hide_password=False
            )

        database = cls(
            url("postgres", None),
            url("siaga_owner", "siaga_owner"),
            url("siaga_web", "siaga_web"),
            workers,
        )
        if workers:  # the nodes are known before the migrations (0026 then writes Citus policies)
            _execute(
                database.admin_url,
                f"SELECT citus_set_coordinator_host('127.0.0.1', {base.port})",
                *[f"SELECT citus_add_node('127.0.0.1', {port})" for port in workers],
            )
        config = Config(str(REPO_ROOT / "alembic.ini"))
        config.attributes["database_url"] = database.owner_url
        command.upgrade(config, "head")
        return database

    def distribute(self) -> None:
        """On a cluster, distribute the loaded tables (infra/citus/distribute.sql: Citus copies
        the rows into the shards) and refresh the statistics; on plain PostgreSQL nothing."""
        if not self.worker_ports:
            return
        url = make_url(self.admin_url)
        started = time.perf_counter()
        subprocess.run(
            [
                shutil.which("psql") or "/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", str(url.host), "-p", str(url.port), "-U", "postgres", "-d", str(url.database),
                "-f", str(REPO_ROOT / "infra/citus/distribute.sql"),
            ],
            check=True,
        )  # fmt: skip
        _execute(self.admin_url, "ANALYZE")
        print(f"distributed over {len(self.worker_ports)} workers in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip


CITUS_WORKERS = "SIAGA_TEST_CITUS_WORKER_PORTS"  # set by infra/citus/with-citus-cluster.sh


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _create_on_node(server: URL, name: str, *, citus: bool) -> None:
    """Database ``name`` on one server; on a cluster node with the citus extension (Citus
    would otherwise propagate the CREATE DATABASE itself, before the workers are added)."""
    _execute(
        server.render_as_string(hide_password=False),
        *(["SET citus.enable_create_database_propagation = off"] if citus else []),
        f"CREATE DATABASE {name} OWNER siaga_owner",
    )
    if citus:
        _execute(server.set(database=name).render_as_string(hide_password=False),
                 "CREATE EXTENSION citus")  # fmt: skip


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


async def applicants_waiting_for_print(
    factory: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    cipher: FieldCipher,
    count: int,
    *,
    nik_prefix: str,
    created_by: str,
) -> list[uuid.UUID]:
    """``count`` Murung Raya applicants recorded a month ago and now at PRR (bulk-written, as
    an import would), ready for letters; their ids."""
    start = datetime.now(UTC) - timedelta(days=30)
    path = [Status.REGISTERED, Status.RECORDED, Status.SENT, Status.RECEIVED, Status.PRR]
    items = [
        HistoricApplication(
            nik=parse_nik(f"{nik_prefix}{n:04d}", today=date.today()),
            name=f"Pemohon Benchmark {n}",
            kecamatan_code="62.12.01",
            reason=Reason.FIRST_CARD,
            history=[(s, start + timedelta(days=i)) for i, s in enumerate(path)],
        )
        for n in range(1, count + 1)
    ]
    async with unit_of_work(factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        await write_applications(session, tenant_id, cipher, items, created_by=created_by)
        rows = await session.scalars(
            select(Application.id).where(Application.created_by == created_by)
        )
        return list(rows.all())
