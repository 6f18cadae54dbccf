"""The demo province's applications (Murung Raya's pile) and the figures the province view
reads, checked against a recomputation from the raw rows."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from statistics import median

from sqlalchemy import func, select

from siaga_platform.applications import figures
from siaga_platform.applications.models import Application
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.applications import seed_demo_applications
from siaga_tenants.registry import repository as tenants
from tests.fixtures.applications import CIPHER
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


def test_median_of_histogram() -> None:
    assert figures.median_of_histogram([]) is None
    assert figures.median_of_histogram([(5, 3)]) == 5
    assert figures.median_of_histogram([(1, 1), (3, 1)]) == 2
    values = [0, 1, 1, 2, 7, 7, 7, 30]
    histogram = sorted(Counter(values).items())
    assert figures.median_of_histogram(histogram) == median(values)


async def test_demo_applications_once_with_murung_raya_piled_up(db: ScratchDatabase) -> None:
    await seed(db)
    today = date.today()
    async with unit_of_work(db.session_factory) as session:
        first = await seed_demo_applications(session, CIPHER, today=today)
    async with unit_of_work(db.session_factory) as session:
        second = await seed_demo_applications(session, CIPHER, today=today)
    assert len(first) == 14 and second == {}
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        kapuas = await tenants.get_by_code(session, "62.03")
        assert mura is not None and kapuas is not None
        await enter_scope(session, TenantScope.single(mura.id))
        stats = await figures.tenant_figures(session, today=today)
        raw = dict(
            (
                await session.execute(
                    select(Application.status, func.count()).group_by(Application.status)
                )
            ).all()
        )
        assert stats.backlog == raw  # maintained counts agree with the rows
        assert raw["registered"] >= 400 and raw["prr"] >= 250
        # Nobody recorded since the strike: the oldest unrecorded registration is weeks old.
        assert stats.oldest_waiting_since["registered"].date() <= today - timedelta(days=60)
        recorded_since = (
            await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.recorded_at > func.now() - timedelta(days=69))
            )
            if db.is_postgres
            else None
        )
        assert recorded_since in (0, None)
        await enter_scope(session, TenantScope.single(kapuas.id))
        kapuas_stats = await figures.tenant_figures(session, today=today)
        assert kapuas_stats.backlog.get("registered", 0) < raw["registered"]
        assert kapuas_stats.printed_per_day and kapuas_stats.median_days_recorded_to_prr is not None
