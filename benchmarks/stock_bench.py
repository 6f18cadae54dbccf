"""Blank-card stock at scale on PostgreSQL (issue: blank cards and ribbon).

1,000,000 ledger entries over the 514 regencies (COPY, with their balances). Measured through
the app's own repository and service code as the app's database role (RLS on):
current on-hand for all regencies of a province and of the nation (the maintained balances),
on-hand at a past date for one regency (summed from the ledger), and 200 concurrent prints
against one regency's balance of 150 cards (throughput, and proof of zero oversell).

    make bench
    BENCH_ENTRIES=100000 .venv/bin/python -m benchmarks.stock_bench
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg

from benchmarks.applications_bench import BIG_TENANT, prepare
from benchmarks.common import BenchDatabase, Timing, timed
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.db.engine import create_engine
from siaga_platform.stock import ledger, repository
from siaga_platform.stock.models import Item
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
RUNS = 200
TODAY = date.today()


def load(database: BenchDatabase, tenant_ids: list[uuid.UUID]) -> None:
    """Per regency: a receipt every 30 days and daily prints over the history; balances set to
    the ledger's sum."""
    rng = random.Random(6)
    per_tenant = ENTRIES // len(tenant_ids)
    now = datetime.now(UTC)
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        balances = {}
        with conn.cursor().copy(
            "COPY stock_ledger (tenant_id, id, item, kind, quantity, balance_after,"
            " business_date, recorded_at, actor_subject, reference) FROM STDIN"
        ) as copy:
            for tenant_id in tenant_ids:
                balance = 0
                start = TODAY - timedelta(days=per_tenant // 3)
                for n in range(per_tenant):
                    day = start + timedelta(days=n // 3)
                    if n % 90 == 0:
                        quantity, kind, ref = 2000, "receipt", f"SPB-{n}"
                    else:
                        quantity = -min(balance, rng.randint(5, 25))
                        kind, ref = "consumption", None
                    balance += quantity
                    copy.write_row(
                        (
                            tenant_id,
                            uuid.uuid4(),
                            "blank_card",
                            kind,
                            quantity,
                            balance,
                            day,
                            now,
                            "bench",
                            ref,
                        )
                    )
                balances[tenant_id] = balance
        with conn.cursor().copy(
            "COPY stock_balances (tenant_id, item, on_hand, updated_at) FROM STDIN"
        ) as copy:
            for tenant_id, balance in balances.items():
                copy.write_row((tenant_id, "blank_card", balance, now))
        conn.execute("ANALYZE")
        conn.commit()


async def measure(database: BenchDatabase, tenants: dict[str, tuple[uuid.UUID, list[str]]]) -> None:
    engine = create_engine(database.app_url, pool_size=20, max_overflow=10)
    factory = create_session_factory(engine)
    province = frozenset(t for code, (t, _k) in tenants.items() if code.startswith("62."))
    nation = frozenset(t for t, _k in tenants.values())
    big = tenants[BIG_TENANT][0]

    async def on_hand_of(ids: frozenset[uuid.UUID]) -> int:
        async with factory() as session:
            await enter_scope(session, TenantScope.read_only(ids))
            return sum(b.on_hand for b in await repository.balances(session, Item.BLANK_CARD))

    async def past(i: int) -> int:
        async with factory() as session:
            await enter_scope(session, TenantScope.read_only({big}))
            return await repository.on_hand_at(
                session, Item.BLANK_CARD, TODAY - timedelta(days=1 + i % 300)
            )

    for name, call in (
        ("on hand, Kalimantan Tengah (14 regencies)", lambda _i: on_hand_of(province)),
        ("on hand, nation (514 regencies)", lambda _i: on_hand_of(nation)),
        ("on hand at a past date, one regency", past),
    ):
        await call(0)  # warm
        timing: Timing = await timed(name, RUNS, call)
        print(timing.line(), flush=True)

    # 200 concurrent prints against 150 cards (ribbon plenty): exactly 150 may succeed.
    who = Principal(
        subject="bench",
        display_name="B",
        role=Role.OPERATOR,
        tenant_id=big,
        tenant_code=BIG_TENANT,
        province_code="62",
    )
    async with unit_of_work(factory) as session:
        await enter_scope(session, TenantScope.single(big))
        current = await repository.balance(session, Item.BLANK_CARD)
        have = current.on_hand if current else 0
        await ledger.count(
            session,
            who,
            item=Item.BLANK_CARD,
            counted=150,
            note=None,
            today=TODAY,
            now=datetime.now(UTC),
        )
        await ledger.receive(
            session,
            who,
            item=Item.RIBBON,
            quantity=1,
            reference="R",
            business_date=TODAY,
            today=TODAY,
            now=datetime.now(UTC),
        )

    async def local(_db: object, _tenant: uuid.UUID, _now: datetime) -> date:
        return TODAY

    stock = ledger.LedgerCardStock(local)  # type: ignore[arg-type]

    async def one() -> bool:
        try:
            async with unit_of_work(factory) as session:
                await enter_scope(session, TenantScope.single(big))
                await stock.take_for_print(
                    session,
                    tenant_id=big,
                    application_id=uuid.uuid4(),
                    actor="bench",
                    now=datetime.now(UTC),
                )
            return True
        except ledger.OutOfStock:
            return False

    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(200)))
    elapsed = time.perf_counter() - started
    async with factory() as session:
        await enter_scope(session, TenantScope.read_only({big}))
        left = await repository.balance(session, Item.BLANK_CARD)
    print(
        f"200 concurrent prints against 150 cards (balance was {have}): {sum(results)} printed,"
        f" {len(results) - sum(results)} refused, balance now {left.on_hand if left else '?'},"
        f" {len(results) / elapsed:,.0f} attempts/s ({elapsed * 1000:.0f} ms)",
        flush=True,
    )
    await engine.dispose()


def main() -> None:
    print(f"stock benchmark: {ENTRIES:,} ledger entries", flush=True)
    database = BenchDatabase.create()
    tenants = asyncio.run(prepare(database))
    started = time.perf_counter()
    load(database, [t for t, _k in tenants.values()])
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    asyncio.run(measure(database, tenants))


if __name__ == "__main__":
    main()
