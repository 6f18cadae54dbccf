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
    figures: dict[uuid.UUID, LetterFigures] = {}
    for tenant_id in expiry.keys() | month.keys():
        active, expiring, expired = expiry.get(tenant_id, (0, 0, 0))
        counts = month.get(tenant_id, {})
        figures[tenant_id] = LetterFigures(
            active=active,
            expiring=expiring,
            expired=expired,
            issued_this_month=counts.get("issued", 0),
            converted_this_month=counts.get("converted", 0),
            revoked_this_month=counts.get("revoked", 0),
        )
    return figures


async def for_tenant(db: AsyncSession, tenant_id: uuid.UUID, today: date) -> LetterFigures:
    return (await per_tenant(db, today)).get(tenant_id, LetterFigures())
