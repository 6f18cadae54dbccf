"""Letter figures per tenant, read from the maintained counts (cheap for a whole province)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.letters import repository


@dataclass(frozen=True, slots=True)
class LetterFigures:
    active: int = 0
    expiring: int = 0  # still valid, expiring within 30 days
    expired: int = 0  # not revoked, past its date
    issued_this_month: int = 0
    converted_this_month: int = 0
    revoked_this_month: int = 0


async def per_tenant(db: AsyncSession, today: date) -> dict[uuid.UUID, LetterFigures]:
    """Every tenant in scope that has letters; a tenant without any is absent (all zero)."""
    expiry = await repository.expiry_sums(db, today)
    month = await repository.month_sums(db, today)
    return {
        tenant_id: combine(expiry.get(tenant_id), month.get(tenant_id))
        for tenant_id in expiry.keys() | month.keys()
    }


def combine(expiry: tuple[int, int, int] | None, month: dict[str, int] | None) -> LetterFigures:
    """A tenant's figures from its expiry sums (active, expiring, expired) and its month's
    counts per metric (``repository.expiry_sums`` and ``repository.month_sums``)."""
    active, expiring, expired = expiry or (0, 0, 0)
    counts = month or {}
    return LetterFigures(
        active=active,
        expiring=expiring,
        expired=expired,
        issued_this_month=counts.get("issued", 0),
        converted_this_month=counts.get("converted", 0),
        revoked_this_month=counts.get("revoked", 0),
    )


async def for_tenant(db: AsyncSession, tenant_id: uuid.UUID, today: date) -> LetterFigures:
    return (await per_tenant(db, today)).get(tenant_id, LetterFigures())
