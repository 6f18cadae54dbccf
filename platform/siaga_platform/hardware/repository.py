"""Every query of the hardware domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware.models import Device, DeviceToken, Heartbeat, Site


async def token(db: AsyncSession, token_hash: str) -> DeviceToken | None:
    return await db.get(DeviceToken, token_hash)


async def tokens_of(db: AsyncSession, device_id: uuid.UUID) -> Sequence[DeviceToken]:
    return (await db.scalars(select(DeviceToken).where(DeviceToken.device_id == device_id))).all()


async def device(db: AsyncSession, device_id: uuid.UUID, *, lock: bool = False) -> Device | None:
    query = select(Device).where(Device.id == device_id)
    if lock:
        query = query.with_for_update()
    return await db.scalar(query)


async def site(db: AsyncSession, site_id: uuid.UUID) -> Site | None:
    return await db.scalar(select(Site).where(Site.id == site_id))


async def devices_at(db: AsyncSession, site_id: uuid.UUID) -> Sequence[Device]:
    rows = await db.scalars(select(Device).where(Device.site_id == site_id).order_by(Device.label))
    return rows.all()


async def insert_beat(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    taken_at: datetime,
    status: str,
    readings: dict[str, Any],
) -> bool:
    """Stores a beat once; returns False when the same beat was already stored."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Heartbeat)
        .values(
            tenant_id=tenant_id,
            device_id=device_id,
            taken_at=taken_at,
            status=status,
            readings=readings,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "device_id", "taken_at"])
        .returning(Heartbeat.taken_at)
    )
    # RETURNING, not rowcount: a skipped duplicate returns no row on every driver.
    return (await db.execute(statement)).first() is not None


async def recent_beats(
    db: AsyncSession, device_id: uuid.UUID, limit: int = 50
) -> Sequence[Heartbeat]:
    rows = await db.scalars(
        select(Heartbeat)
        .where(Heartbeat.device_id == device_id)
        .order_by(Heartbeat.taken_at.desc())
        .limit(limit)
    )
    return rows.all()
