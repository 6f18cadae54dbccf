"""The demo election: set once (seeding twice adds nothing), 60 days after the demo's day, for
the 14 regencies of Kalimantan Tengah."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from siaga_platform.elections.models import Election, ElectionRegency
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.elections import DAYS_AHEAD, seed_demo_election
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


async def test_the_demo_election_is_seeded_once(db: ScratchDatabase) -> None:
    await seed(db)
    today = date(2027, 1, 4)
    async with unit_of_work(db.session_factory) as session:
        made = await seed_demo_election(session, today=today)
    assert made is not None
    async with unit_of_work(db.session_factory) as session:
        assert await seed_demo_election(session, today=today) is None
    async with db.session_factory() as session:
        [election] = (await session.scalars(select(Election))).all()
        regencies = await session.scalar(select(func.count()).select_from(ElectionRegency))
    assert election.voting_day == today + timedelta(days=DAYS_AHEAD)
    assert election.province_code == "62"
    assert regencies == 14
