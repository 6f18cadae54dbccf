"""The province page and the national view on a national data set (benchmarks/national_data.py).

Time of the real app in its own uvicorn process (session, membership, ORM wall, RLS, the
rollup reads, template rendering), measured by a client on loopback, signed in as the
Kalimantan Tengah supervisor and as a platform admin: cold (the first request of a freshly
started server: new connection pool, nothing cached) and warm. The page's transferred size.
And what the summaries add to each event write: a print (the per-day stock row) and a letter
(its counts), p95 with and without.

    make bench
    BENCH_TOTAL=1000000 BENCH_BIG=200000 .venv/bin/python -m benchmarks.rollup_bench
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from benchmarks.applications_bench import SETTINGS
from benchmarks.common import REPO_ROOT, BenchDatabase, Timing, applicants_waiting_for_print, timed
from benchmarks.national_data import MURUNG_RAYA, generate
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.db.engine import create_engine
from siaga_platform.letters import repository as letter_repository
from siaga_platform.letters import service as letters
from siaga_platform.letters.models import LetterReason
from siaga_platform.privacy.crypto import cipher_from_settings
from siaga_platform.stock import ledger
from siaga_platform.stock import repository as stock_repository
from siaga_platform.stock.models import EntryKind, Item
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy, update_letter_settings
from siaga_tenants.memberships import service as memberships
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants

WARM_RUNS = 100
COLD_RUNS = 8
NATIONAL_WARM_RUNS = 40
EVENT_RUNS = 300


async def _grant(database: BenchDatabase) -> None:
    engine = create_engine(database.app_url)
    async with unit_of_work(create_session_factory(engine)) as session:
        await memberships.ensure_user(session, "bench-supervisor", "Supervisor Benchmark")
        await memberships.grant(
            session, "bench-supervisor", Role.SUPERVISOR_PROVINSI, province_code="62"
        )
        await memberships.ensure_user(session, "bench-admin", "Admin Benchmark")
        await memberships.grant(session, "bench-admin", Role.ADMIN_PLATFORM)
    await engine.dispose()


def _serve(database: BenchDatabase, tree: Path = REPO_ROOT) -> subprocess.Popen[bytes]:
    """The app in its own uvicorn process (one worker): a server's heap, not this one's.
    ``tree``: the source tree to serve (its packages first on the path; pages_ab.py)."""
    port = 8790
    packages = [tree / "platform", tree / "tenants", tree / "web", tree]
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "siaga_web.app:create_app", "--factory",
         "--port", str(port), "--host", "127.0.0.1", "--log-level", "warning",
         "--no-access-log"],
        cwd=tree,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(p) for p in packages),
            "SIAGA_DATABASE_URL": database.app_url,
            "SIAGA_SECRET_KEY": SETTINGS.secret_key.get_secret_value(),
        },
    )  # fmt: skip
    deadline = time.monotonic() + 120  # the warm-up builds the national page first
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()  # else it keeps the port and answers the next run from a dead database
    raise RuntimeError(f"the app of {tree} did not start")


async def _signed_in(subject: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url="http://127.0.0.1:8790", timeout=30)
    page = await client.get("/masuk")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = await client.post(
        "/masuk/dev", data={"subject": subject, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303, answer.text
    return client


async def _page(database: BenchDatabase, subject: str, path: str, warm_runs: int) -> list[str]:
    """Timed by the client on loopback: the server's time plus a local HTTP round trip."""
    cold = []
    for _ in range(COLD_RUNS):
        server = _serve(database)
        try:
            client = await _signed_in(subject)
            started = time.perf_counter()
            answer = await client.get(path)
            cold.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text[:300]
            await client.aclose()
        finally:
            server.terminate()
            server.wait()
    server = _serve(database)
    try:
        client = await _signed_in(subject)

        async def get(_i: int) -> None:
            answer = await client.get(path)
            assert answer.status_code == 200

        await get(0)
        warm: Timing = await timed(f"{path} warm", warm_runs, get)
        body = (await client.get(path)).content
        await client.aclose()
    finally:
        server.terminate()
        server.wait()
    return [
        Timing(f"{path} cold (first request of a fresh server)", cold).line(),
        warm.line(),
        f"{path} size: {len(body) / 1024:.1f} KiB HTML,"
        f" {len(gzip.compress(body)) / 1024:.1f} KiB gzipped",
    ]


async def _event_costs(database: BenchDatabase, tenant_id: uuid.UUID) -> list[str]:
    """A print and a letter issue, each its own transaction, with and without the summary
    write the rollup needs (patched out for the "without" run)."""
    engine = create_engine(database.app_url, pool_size=5)
    factory = create_session_factory(engine)
    scope = TenantScope.single(tenant_id)
    who = Principal(
        subject="bench",
        display_name="B",
        role=Role.OPERATOR,
        tenant_id=tenant_id,
        tenant_code=MURUNG_RAYA,
        province_code="62",
    )
    cipher = cipher_from_settings(SETTINGS)
    today = date.today()
    async with unit_of_work(factory) as session:
        await enter_scope(session, scope)
        await ledger.receive(
            session,
            who,
            item=Item.BLANK_CARD,
            quantity=10 * EVENT_RUNS,
            reference="BENCH",
            business_date=today,
            today=today,
            now=datetime.now(UTC),
        )
        await update_letter_settings(
            session,
            actor_subject="bench",
            number_format="470/{nomor}/SUKET/{tahun}",
            validity_months=6,
            signer_name="Kepala Dinas",
            signer_title="Kepala Dinas",
        )
    ids = await applicants_waiting_for_print(
        factory,
        tenant_id,
        cipher,
        2 * EVENT_RUNS,
        nik_prefix="621201170890",
        created_by="bench-events",
    )
    async with factory() as session:
        await enter_scope(session, scope)
        policy = letter_policy(await tenants.get_settings(session))

    async def print_one(_i: int) -> None:
        async with unit_of_work(factory) as session:
            await enter_scope(session, scope)
            await ledger.record(
                session,
                tenant_id=tenant_id,
                item=Item.BLANK_CARD,
                kind=EntryKind.CONSUMPTION,
                quantity=-1,
                business_date=today,
                actor="bench",
                now=datetime.now(UTC),
            )

    pending = iter(ids)

    async def issue_one(_i: int) -> None:
        async with unit_of_work(factory) as session:
            await enter_scope(session, scope)
            await letters.issue(
                session,
                who,
                cipher,
                CodeListDirectory(),
                next(pending),
                reason=LetterReason.NO_BLANK_CARDS,
                note=None,
                policy=policy,
                today=today,
                now=datetime.now(UTC),
            )

    async def nothing(*_args: object, **_kwargs: object) -> None:
        return None

    lines = []
    for name, call, patches in (
        ("print (ledger entry)", print_one, [(stock_repository, "add_to_day")]),
        (
            "letter issue",
            issue_one,
            [(letter_repository, "bump_expiry"), (letter_repository, "bump_day")],
        ),
    ):
        saved = [(module, attr, getattr(module, attr)) for module, attr in patches]
        for module, attr, _f in saved:
            setattr(module, attr, nothing)
        without = await timed(f"{name} without its summary", EVENT_RUNS, call)
        for module, attr, original in saved:
            setattr(module, attr, original)
        with_summary = await timed(f"{name} with its summary", EVENT_RUNS, call)
        lines += [without.line(), with_summary.line()]
    await engine.dispose()
    return lines


async def measure(database: BenchDatabase, tenant_ids: dict[str, uuid.UUID]) -> None:
    await _grant(database)
    for line in await _page(database, "bench-supervisor", "/provinsi/62", WARM_RUNS):
        print(line, flush=True)
    for line in await _page(database, "bench-admin", "/nasional", NATIONAL_WARM_RUNS):
        print(line, flush=True)
    for line in await _event_costs(database, tenant_ids[MURUNG_RAYA]):
        print(line, flush=True)


def main() -> None:
    print("rollup benchmark: national data set", flush=True)
    database = BenchDatabase.create()
    loaded = generate(database)
    database.distribute()  # on a Citus cluster (make bench-citus); nothing on plain PostgreSQL
    # The loaders left millions of objects in this process (the event-write timings run
    # here): freeze them so the garbage collector does not rescan them during the timings.
    gc.collect()
    gc.freeze()
    asyncio.run(measure(database, {code: t for code, (t, _k) in loaded.items()}))


if __name__ == "__main__":
    main()
