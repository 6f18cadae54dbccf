"""Heartbeats under load on PostgreSQL: 32 clients for a minute (``HEARTBEAT_STRESS_SECONDS``),
single beats and batches spanning sites and regencies, faults and recoveries that open and
close incidents, and the sweep running alongside. No request may fail (a deadlock was a 500)
and every acknowledged beat must be stored."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.engine import create_engine
from siaga_platform.hardware import intake, repository, service, watch
from siaga_platform.hardware.models import DeviceKind, Funding, Heartbeat, Incident, SiteKind
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import is_transient, retry_transient, unit_of_work
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_web.app import create_app
from siaga_web.runtime import runtime
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import heartbeat_lane_open, settings_for

pytestmark = pytest.mark.postgres_only

SECONDS = float(os.environ.get("HEARTBEAT_STRESS_SECONDS", "60"))
CLIENTS = 32
#: One regency with three sites, two more with two: batches cross sites and regencies.
SITES = {"62.12": 3, "62.01": 2, "62.03": 2}
DEVICES_PER_SITE = 4


@dataclass(frozen=True, slots=True)
class Beating:
    tenant_id: uuid.UUID
    token: str
    #: A few devices beat rarely: they fall silent, the sweep logs them down, a beat brings
    #: them back (the sweep's locks meet the beats').
    weight: float


async def _fleet(db: ScratchDatabase) -> list[Beating]:
    await seed(db)
    fleet = []
    for code, sites in SITES.items():
        who = await operator(db, code)
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            for s in range(sites):
                site = await service.create_site(
                    session,
                    who,
                    CodeListDirectory(),
                    name=f"Lokasi {s}",
                    kind=SiteKind.KECAMATAN,
                    kecamatan_code=None,
                )
                for d in range(DEVICES_PER_SITE):
                    _device, token = await service.register_device(
                        session,
                        who,
                        site_id=site.id,
                        kind=DeviceKind.RECORDING_PC,
                        label=f"PC {d}",
                        funding=Funding.APBN,
                        recording_set=f"Set {d // 2}",
                        expected_interval_seconds=10,
                    )
                    rare = d == DEVICES_PER_SITE - 1 and s == 0
                    fleet.append(Beating(who.tenant_id, token, 0.002 if rare else 1.0))  # type: ignore[arg-type]
    return fleet


async def test_32_clients_for_a_minute_lose_no_beat_and_see_no_error(
    db: ScratchDatabase,
) -> None:
    fleet = await _fleet(db)
    engine = create_engine(db.app_url, pool_size=CLIENTS + 2, max_overflow=4)
    app = create_app(settings_for(db), engine=engine)
    factory = runtime(app).session_factory
    weights = [b.weight for b in fleet]
    last_sent: dict[str, datetime] = {}
    acknowledged: Counter[uuid.UUID] = Counter()
    errors: list[str] = []
    requests = itertools.count()
    deadline = time.monotonic() + SECONDS

    def beat(device: Beating, rng: random.Random) -> dict[str, object]:
        # A time of its own per device (no duplicates): a second ago, after the last one sent.
        previous = last_sent.get(device.token, datetime.min.replace(tzinfo=UTC))
        taken = max(datetime.now(UTC) - timedelta(seconds=1), previous + timedelta(microseconds=1))
        last_sent[device.token] = taken
        status = rng.choices(["ok", "fault", "degraded"], [85, 10, 5])[0]
        return {"taken_at": taken.isoformat(), "status": status, "readings": {"n": 1}}

    async def client_loop(client: httpx.AsyncClient, number: int) -> None:
        rng = random.Random(number)  # noqa: S311 - a load pattern, not a secret
        while time.monotonic() < deadline:
            picked = rng.choices(fleet, weights, k=rng.choice([1, 1, 2, 5, 20]))
            beats = [(device, beat(device, rng)) for device in picked]
            next(requests)
            try:
                if len(beats) == 1:
                    [(device, body)] = beats
                    answer = await client.post(
                        "/api/v1/heartbeats", json=body, headers={"X-Device-Token": device.token}
                    )
                else:
                    answer = await client.post(
                        "/api/v1/heartbeats/batch",
                        json={"heartbeats": [{**b, "device_token": d.token} for d, b in beats]},
                    )
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            if answer.status_code != 202:
                errors.append(f"{answer.status_code}: {answer.text[:300]}")
                continue
            result = answer.json()
            if (result["accepted"], result["duplicates"], result.get("refused", [])) != (
                len(beats),
                0,
                [],
            ):
                errors.append(f"not all taken: {result}")
                continue
            for device, _body in beats:
                acknowledged[device.tenant_id] += 1

    async def sweeping() -> None:
        while time.monotonic() < deadline:
            try:
                await watch.sweep_all(factory, now=datetime.now(UTC))
            except Exception as error:
                errors.append(f"sweep {type(error).__name__}: {error}")
            await asyncio.sleep(1)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with (
            heartbeat_lane_open(app),
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", timeout=120
            ) as client,
        ):
            await asyncio.gather(sweeping(), *(client_loop(client, n) for n in range(CLIENTS)))
        stored: dict[uuid.UUID, int] = {}
        incidents = 0
        async with factory() as session:
            for tenant_id in acknowledged:
                await enter_scope(session, TenantScope.single(tenant_id))
                count = await session.scalar(select(func.count()).select_from(Heartbeat))
                stored[tenant_id] = int(count or 0)
                incidents += int(
                    await session.scalar(select(func.count()).select_from(Incident)) or 0
                )
    finally:
        await engine.dispose()
    assert errors == [], f"{len(errors)} errors of {next(requests)} requests: {errors[:5]}"
    assert stored == dict(acknowledged)
    assert sum(acknowledged.values()) > 1000 and incidents > 0  # the load did what it claims


@pytest.mark.parametrize("via", ["orm", "driver"])
async def test_a_deadlocks_victim_is_run_again(db: ScratchDatabase, via: str) -> None:
    """Two transactions lock two sites in opposite orders: PostgreSQL kills one, the helper
    rolls it back and runs it again, and both finish (the heartbeat routes' safety net; the
    intake itself speaks to the driver, hence both ways)."""
    await seed(db)
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        first, second = [
            (
                await service.create_site(
                    session,
                    who,
                    CodeListDirectory(),
                    name=name,
                    kind=SiteKind.OFFICE,
                    kecamatan_code=None,
                )
            ).id
            for name in ("A", "B")
        ]
    both_hold_one = asyncio.Barrier(2)
    runs: Counter[str] = Counter()

    async def lock(session: AsyncSession, site_id: uuid.UUID) -> None:
        if via == "orm":
            await repository.lock_site(session, site_id)
        else:
            pg = await intake._driver_connection(session)
            await pg.execute(
                "SELECT id FROM hardware_sites WHERE id = %s FOR NO KEY UPDATE", [site_id]
            )

    async def work(session: AsyncSession, name: str, order: list[uuid.UUID]) -> None:
        runs[name] += 1
        await lock(session, order[0])
        if runs[name] == 1:
            await both_hold_one.wait()
        await lock(session, order[1])

    async def one(name: str, order: list[uuid.UUID]) -> None:
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            await retry_transient(session, lambda: work(session, name, order))

    await asyncio.wait_for(
        asyncio.gather(one("x", [first, second]), one("y", [second, first])), timeout=60
    )
    assert sorted(runs.values()) == [1, 2]  # one victim, run again once
    assert not is_transient(ValueError("x"))


async def test_an_intake_chosen_as_a_deadlocks_victim_is_run_again(db: ScratchDatabase) -> None:
    """The intake's own pipeline (driver level) as the victim: a transaction holding device B
    that then takes a beat of A, against a batch of A and B; both end stored."""
    await seed(db)
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        site = await service.create_site(
            session,
            who,
            CodeListDirectory(),
            name="Kantor",
            kind=SiteKind.OFFICE,
            kecamatan_code=None,
        )
        (_a, token_a), (b, token_b) = [
            await service.register_device(
                session,
                who,
                site_id=site.id,
                kind=DeviceKind.RECORDING_PC,
                label=label,
                funding=Funding.APBN,
            )
            for label in ("A", "B")
        ]
    holds_b = asyncio.Event()
    runs: Counter[str] = Counter()

    def beat(seconds_ago: int) -> service.BeatIn:
        return service.BeatIn(
            datetime.now(UTC) - timedelta(seconds=seconds_ago), service.BeatStatus.OK
        )

    async def holder(session: AsyncSession) -> None:
        runs["holder"] += 1
        await repository.device(session, b.id, lock=True)
        holds_b.set()
        await asyncio.sleep(0.5)  # the batch is waiting for B by now
        await service.take_beats(session, [(token_a, beat(30))], now=datetime.now(UTC))

    async def batch(session: AsyncSession) -> None:
        runs["batch"] += 1
        await service.take_beats(
            session, [(token_a, beat(20)), (token_b, beat(10))], now=datetime.now(UTC), batch=True
        )

    async def one(work: Callable[[AsyncSession], Awaitable[None]], wait: bool) -> None:
        if wait:
            await holds_b.wait()
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            await retry_transient(session, lambda: work(session))

    await asyncio.wait_for(asyncio.gather(one(holder, False), one(batch, True)), timeout=60)
    assert sum(runs.values()) == 3  # one of the two was run again
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        assert await session.scalar(select(func.count()).select_from(Heartbeat)) == 3
