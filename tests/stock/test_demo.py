"""The demo stock: Murung Raya out of blank cards with a request pending, two regencies with a
surplus, and a loan suggestion from them to Murung Raya."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from siaga_platform.stock import figures, repository
from siaga_platform.stock.models import Item
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.stock import seed_demo_stock
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import DatabaseTemplates, ScratchDatabase
from tests.fixtures.seed import seed


async def test_demo_stock_tells_the_murung_raya_story(db: ScratchDatabase) -> None:
    await seed(db)
    today, now = date.today(), datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        assert await seed_demo_stock(session, today=today, now=now) == 14
    async with unit_of_work(db.session_factory) as session:
        assert await seed_demo_stock(session, today=today, now=now) == 0  # idempotent
    cover = {}
    async with db.session_factory() as session:
        by_code = {t.code: t for t in await tenants.list_in_province(session, "62")}
        for code, tenant in by_code.items():
            async with acting_for(session, TenantScope.read_only({tenant.id})):
                result = await figures.figures(session, today=today, low_stock_days=14)
                cover[tenant.id] = figures.Standing(result.on_hand, result.daily_rate)
                if code == "62.12":
                    mura = result
                    requests = await repository.centre_requests(session, open_only=True)
                    history = await repository.entries(session, Item.BLANK_CARD, limit=1000)
    assert mura.on_hand == 0 and mura.out_since is not None
    assert mura.stock_out_days == 30 and len(requests) == 1
    assert min(e.business_date for e in history) == today - timedelta(days=90)
    suggestions = figures.suggest_loans(cover)
    lenders = {s.lender for s in suggestions if s.borrower == by_code["62.12"].id}
    assert lenders & {by_code["62.01"].id, by_code["62.71"].id}


async def _closing_balances(database: ScratchDatabase, today: date) -> dict[str, int]:
    await seed(database)
    now = datetime.combine(today, time(10), tzinfo=UTC)
    async with unit_of_work(database.session_factory) as session:
        await seed_demo_stock(session, today=today, now=now)
    balances = {}
    async with database.session_factory() as session:
        for tenant in await tenants.list_in_province(session, "62"):
            async with acting_for(session, TenantScope.read_only({tenant.id})):
                result = await figures.figures(session, today=today, low_stock_days=14)
                balances[tenant.code] = result.on_hand
    return balances


@pytest.mark.sqlite_only
async def test_the_demo_stock_closes_the_same_whatever_the_weekday(
    db: ScratchDatabase, templates: DatabaseTemplates, tmp_path: Path
) -> None:
    # Seeded on a Thursday, then on the Friday after: counting calendar days once gave
    # Kotawaringin Timur 97 cards on the one and 582 on the other (and no alert).
    thursday = date(2026, 12, 3)
    assert thursday.weekday() == 3
    (tmp_path / "friday").mkdir()
    friday_db = templates.fresh(db.backend, str(tmp_path / "friday"))
    try:
        on_thursday = await _closing_balances(db, thursday)
        on_friday = await _closing_balances(friday_db, thursday + timedelta(days=1))
    finally:
        await friday_db.dispose()
        templates.drop(friday_db)
    assert len(on_thursday) == 14 and on_thursday == on_friday
    assert on_thursday["62.12"] == 0 and on_thursday["62.01"] > 6000  # out; the surplus
