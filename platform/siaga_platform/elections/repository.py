"""Every query of the elections domain.

The readiness reads go to the regencies' own tables in the session's read scope (the tenant
wall filters them): one grouped statement each for all regencies of an election.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from siaga_platform.applications.models import Application
from siaga_platform.applications.statuses import Status
from siaga_platform.db.upsert import insert_for
from siaga_platform.elections.models import Election, ElectionRegency, TurnedAwayDay
from siaga_platform.letters.models import Letter, LetterExpiryCount


async def get(db: AsyncSession, election_id: uuid.UUID) -> Election | None:
    return await db.get(Election, election_id)


async def regency_ids(db: AsyncSession, election_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await db.scalars(
        select(ElectionRegency.regency_id).where(ElectionRegency.election_id == election_id)
    )
    return list(rows)


async def listed(
    db: AsyncSession, *, province_code: str | None, national: bool, since: date
) -> Sequence[Election]:
    """Elections whose voting day is ``since`` or later: a province's own, national ones, or
    both, soonest first."""
    conditions = []
    if province_code is not None:
        conditions.append(Election.province_code == province_code)
    if national:
        conditions.append(Election.province_code.is_(None))
    if not conditions:
        return []
    query = (
        select(Election)
        .where(Election.voting_day >= since)
        .where(conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1])
        .order_by(Election.voting_day, Election.name)
    )
    return (await db.scalars(query)).all()


async def for_regency(db: AsyncSession, regency_id: uuid.UUID, since: date) -> Sequence[Election]:
    query = (
        select(Election)
        .join(ElectionRegency, ElectionRegency.election_id == Election.id)
        .where(ElectionRegency.regency_id == regency_id, Election.voting_day >= since)
        .order_by(Election.voting_day)
    )
    return (await db.scalars(query)).all()


async def without_letter_on(
    db: AsyncSession,
    statuses: Collection[Status],
    waiting: Collection[Status],
    voting_day: date,
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """Per tenant in scope: (residents with an application in ``statuses``; of them, those
    holding no letter in force on ``voting_day``; of those, the ones whose application is in
    ``waiting``). A resident is a NIK (its keyed hash)."""
    held = aliased(Letter)
    in_force = and_(
        held.tenant_id == Application.tenant_id,
        held.nik_hash == Application.nik_hash,
        held.revoked_at.is_(None),
        held.valid_until >= voting_day,
    )
    resident = func.distinct(Application.nik_hash)
    rows = await db.execute(
        select(
            Application.tenant_id,
            func.count(resident),
            func.count(resident).filter(held.id.is_(None)),
            func.count(resident).filter(
                held.id.is_(None), Application.status.in_([s.value for s in waiting])
            ),
        )
        .outerjoin(held, in_force)
        .where(Application.status.in_([s.value for s in statuses]))
        .group_by(Application.tenant_id)
    )
    return {t: (int(total), int(none), int(waits)) for t, total, none, waits in rows}


async def expiring_before(
    db: AsyncSession, voting_day: date
) -> dict[uuid.UUID, list[tuple[date, int]]]:
    """Per tenant in scope: letters not revoked per expiry date before ``voting_day`` (the
    maintained ``letter_expiry_counts``)."""
    found: dict[uuid.UUID, list[tuple[date, int]]] = defaultdict(list)
    rows = await db.execute(
        select(LetterExpiryCount.tenant_id, LetterExpiryCount.valid_until, LetterExpiryCount.count)
        .where(LetterExpiryCount.valid_until < voting_day, LetterExpiryCount.count > 0)
        .order_by(LetterExpiryCount.valid_until)
    )
    for tenant, valid_until, count in rows:
        found[tenant].append((valid_until, int(count)))
    return dict(found)


async def letters_expiring(db: AsyncSession, today: date, voting_day: date) -> Sequence[Letter]:
    """The regency's letters in force today that lapse before ``voting_day``, soonest first."""
    rows = await db.scalars(
        select(Letter)
        .where(
            Letter.revoked_at.is_(None),
            Letter.valid_until >= today,
            Letter.valid_until < voting_day,
        )
        .order_by(Letter.valid_until, Letter.number)
    )
    return rows.all()


async def voting_between(
    db: AsyncSession, first: date, last: date
) -> list[tuple[Election, uuid.UUID]]:
    """(election, regency concerned) for every election voting from ``first`` to ``last``."""
    rows = await db.execute(
        select(Election, ElectionRegency.regency_id)
        .join(ElectionRegency, ElectionRegency.election_id == Election.id)
        .where(Election.voting_day >= first, Election.voting_day <= last)
        .order_by(Election.voting_day, Election.name)
    )
    return [(election, regency_id) for election, regency_id in rows]


async def turned_away_days(
    db: AsyncSession, election_ids: Collection[uuid.UUID], since: date
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[date, int]]:
    """Per (tenant in scope, election): the recorded counts from ``since`` on, by day."""
    found: dict[tuple[uuid.UUID, uuid.UUID], dict[date, int]] = defaultdict(dict)
    if not election_ids:
        return {}
    rows = await db.execute(
        select(
            TurnedAwayDay.tenant_id,
            TurnedAwayDay.election_id,
            TurnedAwayDay.day,
            TurnedAwayDay.turned_away,
        ).where(TurnedAwayDay.election_id.in_(list(election_ids)), TurnedAwayDay.day >= since)
    )
    for tenant, election, day, count in rows:
        found[(tenant, election)][day] = int(count)
    return dict(found)


async def record_turned_away(
    db: AsyncSession, tenant_id: uuid.UUID, day: date, counts: dict[uuid.UUID, int]
) -> None:
    """The regency's counts of ``day`` per election; a day already recorded is kept as it was
    (the first evaluation of the day writes it, later ones change nothing)."""
    if not counts:
        return
    insert = insert_for(db)
    statement = insert(TurnedAwayDay).on_conflict_do_nothing(
        index_elements=["tenant_id", "election_id", "day"]
    )
    await db.execute(
        statement,
        [
            {"tenant_id": tenant_id, "election_id": election, "day": day, "turned_away": count}
            for election, count in sorted(counts.items())
        ],
    )
