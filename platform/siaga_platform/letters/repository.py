"""Every query of the letters domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Insert, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.upsert import increment
from siaga_platform.letters.models import (
    Letter,
    LetterCounter,
    LetterDayCount,
    LetterEvent,
    LetterExpiryCount,
    LetterReason,
    LetterState,
)

#: How far ahead "expiring soon" looks.
EXPIRING_DAYS = 30


async def take_number(db: AsyncSession, tenant_id: uuid.UUID, year: int) -> int:
    """The next number of the year in one statement. Its row stays locked until the issuing
    transaction ends: concurrent issues queue, and a rollback gives the number back."""
    statement = increment(
        db.get_bind().dialect.name,
        LetterCounter,
        {"tenant_id": tenant_id, "year": year},
        "last_number",
        1,
    )
    returning = cast(Insert, statement).returning(LetterCounter.last_number)
    return int((await db.execute(returning)).scalar_one())


async def get(db: AsyncSession, letter_id: uuid.UUID) -> Letter | None:
    return await db.scalar(select(Letter).where(Letter.id == letter_id))


async def by_token(db: AsyncSession, token: str) -> Letter | None:
    return await db.scalar(select(Letter).where(Letter.token == token))


async def unrevoked_for_nik(db: AsyncSession, nik_hash: str) -> Letter | None:
    return await db.scalar(
        select(Letter).where(Letter.nik_hash == nik_hash, Letter.revoked_at.is_(None))
    )


async def for_application(db: AsyncSession, application_id: uuid.UUID) -> Sequence[Letter]:
    rows = await db.scalars(
        select(Letter)
        .where(Letter.application_id == application_id)
        .order_by(Letter.created_at.desc())
    )
    return rows.all()


async def history(db: AsyncSession, letter_id: uuid.UUID) -> Sequence[LetterEvent]:
    rows = await db.scalars(
        select(LetterEvent)
        .where(LetterEvent.letter_id == letter_id)
        .order_by(LetterEvent.occurred_at, LetterEvent.id)
    )
    return rows.all()


def _filtered(
    statement: Select[Any],
    *,
    state: str | None,
    reason: LetterReason | None,
    nik_hashes: Sequence[str] | None,
    today: date,
) -> Select[Any]:
    unrevoked = Letter.revoked_at.is_(None)
    if state == LetterState.ACTIVE:
        statement = statement.where(unrevoked, Letter.valid_until >= today)
    elif state == "expiring":
        soon = today + timedelta(days=EXPIRING_DAYS)
        statement = statement.where(
            unrevoked, Letter.valid_until >= today, Letter.valid_until < soon
        )
    elif state == LetterState.EXPIRED:
        statement = statement.where(unrevoked, Letter.valid_until < today)
    elif state == LetterState.REVOKED:
        statement = statement.where(Letter.revoked_at.is_not(None))
    if reason is not None:
        statement = statement.where(Letter.reason == reason.value)
    if nik_hashes is not None:
        statement = statement.where(Letter.nik_hash.in_(nik_hashes))
    return statement


async def register_page(
    db: AsyncSession,
    *,
    today: date,
    state: str | None = None,
    reason: LetterReason | None = None,
    nik_hashes: Sequence[str] | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[Sequence[Letter], int]:
    """A page of the register, newest number first, and how many match in all."""
    counted = select(func.count(Letter.id)).select_from(Letter)
    total = await db.scalar(
        _filtered(counted, state=state, reason=reason, nik_hashes=nik_hashes, today=today)
    )
    statement = _filtered(
        select(Letter), state=state, reason=reason, nik_hashes=nik_hashes, today=today
    ).order_by(Letter.year.desc(), Letter.sequence.desc())
    if limit is not None:
        statement = statement.offset(offset).limit(limit)
    return (await db.scalars(statement)).all(), int(total or 0)


async def bump_expiry(
    db: AsyncSession, tenant_id: uuid.UUID, valid_until: date, delta: int
) -> None:
    await db.execute(
        increment(
            db.get_bind().dialect.name,
            LetterExpiryCount,
            {"tenant_id": tenant_id, "valid_until": valid_until},
            "count",
            delta,
        )
    )


async def bump_day(
    db: AsyncSession, tenant_id: uuid.UUID, day: date, metric: str, delta: int = 1
) -> None:
    await db.execute(
        increment(
            db.get_bind().dialect.name,
            LetterDayCount,
            {"tenant_id": tenant_id, "day": day, "metric": metric},
            "count",
            delta,
        )
    )


async def expiry_sums(db: AsyncSession, today: date) -> dict[uuid.UUID, tuple[int, int, int]]:
    """Per tenant in scope: (active, expiring within 30 days, expired), from the counts."""
    soon = today + timedelta(days=EXPIRING_DAYS)
    count = LetterExpiryCount.count
    rows = await db.execute(
        select(
            LetterExpiryCount.tenant_id,
            func.sum(count).filter(LetterExpiryCount.valid_until >= today),
            func.sum(count).filter(
                LetterExpiryCount.valid_until >= today, LetterExpiryCount.valid_until < soon
            ),
            func.sum(count).filter(LetterExpiryCount.valid_until < today),
        ).group_by(LetterExpiryCount.tenant_id)
    )
    return {
        tenant: (int(active or 0), int(expiring or 0), int(expired or 0))
        for tenant, active, expiring, expired in rows
    }


async def month_sums(db: AsyncSession, today: date) -> dict[uuid.UUID, dict[str, int]]:
    """Per tenant in scope and metric: the sum over the month of ``today`` up to today."""
    rows = await db.execute(
        select(LetterDayCount.tenant_id, LetterDayCount.metric, func.sum(LetterDayCount.count))
        .where(LetterDayCount.day >= today.replace(day=1), LetterDayCount.day <= today)
        .group_by(LetterDayCount.tenant_id, LetterDayCount.metric)
    )
    sums: dict[uuid.UUID, dict[str, int]] = {}
    for tenant, metric, count in rows:
        sums.setdefault(tenant, {})[metric] = int(count or 0)
    return sums


async def per_day(db: AsyncSession, metric: str, since: date) -> dict[uuid.UUID, dict[date, int]]:
    """Per tenant in scope: the metric per day from ``since`` (the 30-day trend)."""
    rows = await db.execute(
        select(LetterDayCount.tenant_id, LetterDayCount.day, LetterDayCount.count).where(
            LetterDayCount.metric == metric, LetterDayCount.day >= since
        )
    )
    days: dict[uuid.UUID, dict[date, int]] = {}
    for tenant, day, count in rows:
        days.setdefault(tenant, {})[day] = int(count)
    return days


async def revoked_total(db: AsyncSession) -> int:
    return int(
        await db.scalar(select(func.count(Letter.id)).where(Letter.revoked_at.is_not(None))) or 0
    )


async def expiry_counts_between(
    db: AsyncSession, first: date, last: date
) -> Sequence[tuple[uuid.UUID, date, int]]:
    """Per tenant in scope and last valid day within [first, last]: how many letters (from
    the counts, one statement for all regencies; each sums over its own days)."""
    rows = await db.execute(
        select(
            LetterExpiryCount.tenant_id,
            LetterExpiryCount.valid_until,
            func.sum(LetterExpiryCount.count),
        )
        .where(LetterExpiryCount.valid_until >= first, LetterExpiryCount.valid_until <= last)
        .group_by(LetterExpiryCount.tenant_id, LetterExpiryCount.valid_until)
    )
    return [(tenant, day, int(count or 0)) for tenant, day, count in rows]
