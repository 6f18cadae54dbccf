"""Demo blank-card and ribbon stock for Kalimantan Tengah: 90 days of ledger history per
regency. Murung Raya ran out after its last delivery (a request to the centre pending); two
regencies hold a large surplus, so the province's loan suggestion has something to say."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.stock.ledger import record
from siaga_platform.stock.models import (
    CentreRequest,
    Custody,
    EntryKind,
    Item,
    RequestStatus,
    SpoilageReason,
    StockBalance,
)
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.demo.seed import DEMO_PROVINCE, SEED_ACTOR
from siaga_tenants.registry import repository as tenants

HISTORY_DAYS = 90
# The offices work 64 days in those 90 (weekdays only). A fixed count, not the weekdays that
# happen to fall in the calendar window, so the closing balances (the alerts' story) are the
# same whatever the weekday the demo is seeded on: counting calendar days gave 582 cards
# instead of 97 to Kotawaringin Timur when seeded on a Friday, and no alert.
WORKING_DAYS = 64
DELIVERY_ON_WORKING_DAY = 42  # the one delivery of the period, two months in
MURUNG_RAYA = "62.12"
SURPLUS = {"62.01": 6000, "62.71": 4500}  # Kotawaringin Barat, Palangka Raya
# Cards for the records each of these waits to print (cover counts what is left after them),
# so Kotawaringin Timur keeps about 4 days of cover and Seruyan about 8: the alerts' story.
SURPLUS.update({"62.02": 25, "62.07": 46})


async def seed_demo_stock(session: AsyncSession, *, today: date, now: datetime) -> int:
    """Adds each regency's history once; returns the number of regencies seeded."""
    seeded = 0
    for tenant in await tenants.list_in_province(session, DEMO_PROVINCE):
        async with system_scope(
            session, TenantScope.single(tenant.id), why="demo.stock.seed_demo_stock"
        ):
            if await session.scalar(select(StockBalance.item).limit(1)) is not None:
                continue
            rng = random.Random(f"siaga-stock-{tenant.code}")  # noqa: S311 - demo data
            await _history(session, tenant.id, tenant.code, rng, today, now)
            seeded += 1
    return seeded


async def _history(
    session: AsyncSession,
    tenant_id: object,
    code: str,
    rng: random.Random,
    today: date,
    now: datetime,
) -> None:
    start = today - timedelta(days=HISTORY_DAYS)
    daily = rng.randint(8, 25)
    mura = code == MURUNG_RAYA

    async def move(
        kind: EntryKind, quantity: int, day: date, item: Item = Item.BLANK_CARD, **extra: object
    ) -> None:
        await record(
            session,
            tenant_id=tenant_id,  # type: ignore[arg-type]
            item=item,
            kind=kind,
            quantity=quantity,
            business_date=day,
            actor=SEED_ACTOR,
            # Recorded on its own day, so "out of stock since" tells the story.
            now=min(now, datetime.combine(day, time(3), tzinfo=UTC)),
            **extra,
        )

    first = 500 if mura else daily * 45 + SURPLUS.get(code, 0)
    await move(EntryKind.RECEIPT, first, start, reference=f"SPB/{code}/{start:%Y%m}")
    await move(EntryKind.RECEIPT, 8 * 500, start, Item.RIBBON, reference=f"RIB/{code}/{start:%Y%m}")
    on_hand = first
    for number, day in enumerate(_working_days(today), start=1):
        if not mura and number == DELIVERY_ON_WORKING_DAY:
            delivery = daily * 22
            await move(EntryKind.RECEIPT, delivery, day, reference=f"SPB/{code}/{day:%Y%m%d}")
            on_hand += delivery
        # Murung Raya's recording stopped ten weeks ago: it printed what it had, then nothing.
        taken = min(on_hand, rng.randint(daily - 5, daily + 5) if not mura else 40)
        if mura and number > 14:
            taken = 0
        if taken:
            await move(EntryKind.CONSUMPTION, -taken, day)
            await move(EntryKind.CONSUMPTION, -taken, day, Item.RIBBON)
            on_hand -= taken
        if on_hand > 3 and rng.random() < 0.08:
            await move(
                EntryKind.SPOILAGE,
                -2,
                day,
                spoilage_reason=SpoilageReason.PRINT_ERROR.value,
                custody=Custody.HELD.value,
            )
            on_hand -= 2
    if mura:
        session.add(
            CentreRequest(
                quantity_requested=3000,
                status=RequestStatus.SUBMITTED,
                note="Blanko habis; 2.299 surat keterangan menunggu kartu.",
                created_by=SEED_ACTOR,
                created_at=now - timedelta(days=40),
                updated_at=now - timedelta(days=38),
            )
        )
        await session.flush()


def _working_days(today: date) -> list[date]:
    """The last ``WORKING_DAYS`` weekdays up to today, oldest first (all after the opening
    receipt, ``HISTORY_DAYS`` ago)."""
    days: list[date] = []
    day = today
    while len(days) < WORKING_DAYS:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]
