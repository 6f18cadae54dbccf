"""The demo's election: a regional election in Kalimantan Tengah 60 days ahead, for all 14
regencies. Murung Raya comes out worst from the demo's own data (2,299 letters, the oldest
of them lapsing within weeks, and a print pile with no blank cards)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.elections.models import Election, ElectionLevel, ElectionRegency
from siaga_tenants.demo.seed import DEMO_PROVINCE, SEED_ACTOR
from siaga_tenants.registry import repository as tenants

DEMO_ELECTION = "Pemilihan Gubernur dan Bupati/Wali Kota Kalimantan Tengah"
DAYS_AHEAD = 60


async def seed_demo_election(session: AsyncSession, *, today: date) -> Election | None:
    """Adds the demo election once (None when it is already there)."""
    existing = await session.scalar(
        select(Election.id).where(
            Election.province_code == DEMO_PROVINCE, Election.name == DEMO_ELECTION
        )
    )
    if existing is not None:
        return None
    election = Election(
        name=DEMO_ELECTION,
        voting_day=today + timedelta(days=DAYS_AHEAD),
        level=ElectionLevel.PROVINCE,
        province_code=DEMO_PROVINCE,
        created_by=SEED_ACTOR,
    )
    session.add(election)
    await session.flush()
    session.add_all(
        ElectionRegency(election_id=election.id, regency_id=t.id)
        for t in await tenants.list_in_province(session, DEMO_PROVINCE)
    )
    await session.flush()
    return election
