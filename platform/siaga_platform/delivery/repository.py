"""Every query of the delivery domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Uuid, and_, column, func, or_, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import Alert
from siaga_platform.db.upsert import insert_for
from siaga_platform.delivery.models import (
    AlertDelivery,
    DeliveryStatus,
    DigestDelivery,
    InboxItem,
    NotifyPreference,
)


async def preferences(db: AsyncSession, subjects: Iterable[str]) -> dict[str, NotifyPreference]:
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    rows = await db.scalars(select(NotifyPreference).where(NotifyPreference.subject.in_(wanted)))
    return {p.subject: p for p in rows}


async def preference(
    db: AsyncSession, subject: str, *, for_update: bool = False
) -> NotifyPreference | None:
    query = select(NotifyPreference).where(NotifyPreference.subject == subject)
    if for_update:
        query = query.with_for_update()
    return (await db.scalars(query)).first()


async def add_preferences_if_absent(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = insert_for(db)(NotifyPreference).on_conflict_do_nothing(
            index_elements=["subject"]
        )
        await db.execute(statement, rows)


async def add_digest_rows_if_absent(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = insert_for(db)(DigestDelivery).on_conflict_do_nothing(
            index_elements=["province_code", "day", "recipient", "channel"]
        )
        await db.execute(statement, rows)


async def digest_rows_due(
    db: AsyncSession, province_code: str, day: date, now: datetime
) -> Sequence[DigestDelivery]:
    """The province's digest rows of ``day`` still waiting to be sent and due now."""
    rows = await db.scalars(
        select(DigestDelivery).where(
            DigestDelivery.province_code == province_code,
            DigestDelivery.day == day,
            DigestDelivery.status == DeliveryStatus.QUEUED,
            or_(DigestDelivery.next_attempt_at.is_(None), DigestDelivery.next_attempt_at <= now),
        )
    )
    return rows.all()


async def digest_row(
    db: AsyncSession, province_code: str, day: date, recipient: str, channel: str
) -> DigestDelivery | None:
    """One digest row, locked for the one who sends it."""
    return await db.get(
        DigestDelivery, (province_code, day, recipient, channel), with_for_update=True
    )


async def add_inbox_items_if_absent(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = insert_for(db)(InboxItem).on_conflict_do_nothing(
            index_elements=["tenant_id", "alert_id", "kind", "step", "recipient", "event_at"]
        )
        await db.execute(statement, rows)


async def add_deliveries_if_absent(
    db: AsyncSession, rows: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, str]]:
    """Inserts the rows whose idempotency key is new; (id, key) of those inserted."""
    if not rows:
        return []
    statement = (
        insert_for(db)(AlertDelivery)
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(AlertDelivery.id, AlertDelivery.idempotency_key)
    )
    inserted: list[tuple[uuid.UUID, str]] = []
    for row in rows:  # RETURNING of a skipped row is empty on every driver
        found = (await db.execute(statement, [row])).first()
        if found is not None:
            inserted.append((found[0], found[1]))
    return inserted


async def told_about(db: AsyncSession, alert_id: uuid.UUID) -> list[tuple[str, int]]:
    """(recipient, highest step) of everyone whose inbox holds this alert."""
    rows = await db.execute(
        select(InboxItem.recipient, func.max(InboxItem.step))
        .where(InboxItem.alert_id == alert_id)
        .group_by(InboxItem.recipient)
        .order_by(InboxItem.recipient)
    )
    return [(recipient, step) for recipient, step in rows]


async def delivery(
    db: AsyncSession, delivery_id: uuid.UUID, *, for_update: bool = False
) -> AlertDelivery | None:
    query = select(AlertDelivery).where(AlertDelivery.id == delivery_id)
    if for_update:
        query = query.with_for_update()
    return (await db.scalars(query)).first()


async def regency_ids(db: AsyncSession) -> list[uuid.UUID]:
    """Every regency of the registry (a reference table, as every tenant table's foreign key
    names it): the scope of the catch-up over all of them."""
    regencies = table("tenants", column("id", Uuid))
    return list(await db.scalars(select(regencies.c.id)))


async def overdue_deliveries(
    db: AsyncSession, before: datetime, limit: int
) -> Sequence[AlertDelivery]:
    """Queued deliveries that should have been taken before ``before``: their job was lost
    (the process stopped between commit and defer) or their worker died while sending."""
    query = (
        select(AlertDelivery)
        .where(
            AlertDelivery.status == "queued",
            func.coalesce(AlertDelivery.next_attempt_at, AlertDelivery.created_at) <= before,
        )
        .order_by(AlertDelivery.created_at)
        .limit(limit)
    )
    return (await db.scalars(query)).all()


async def inbox(db: AsyncSession, recipient: str, limit: int) -> Sequence[InboxItem]:
    query = (
        select(InboxItem)
        .where(InboxItem.recipient == recipient)
        .order_by(InboxItem.created_at.desc(), InboxItem.id)
        .limit(limit)
    )
    return (await db.scalars(query)).all()


async def unread_count(db: AsyncSession, recipient: str) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(InboxItem)
        .where(InboxItem.recipient == recipient, InboxItem.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    db: AsyncSession, recipient: str, now: datetime, item_id: uuid.UUID | None = None
) -> int:
    """Marks one item (or every unread item) of ``recipient`` in scope read; how many."""
    statement = update(InboxItem).where(
        InboxItem.recipient == recipient, InboxItem.read_at.is_(None)
    )
    if item_id is not None:
        statement = statement.where(InboxItem.id == item_id)
    result = await db.execute(statement.values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


async def recent_deliveries(
    db: AsyncSession, limit: int, alert_id: uuid.UUID | None = None
) -> Sequence[AlertDelivery]:
    query = select(AlertDelivery).order_by(AlertDelivery.created_at.desc()).limit(limit)
    if alert_id is not None:
        query = query.where(AlertDelivery.alert_id == alert_id)
    return (await db.scalars(query)).all()


async def inbox_with_alerts(
    db: AsyncSession, recipient: str, limit: int
) -> Sequence[tuple[InboxItem, Alert]]:
    """A person's items in the tenants in scope, newest first, each with its alert."""
    rows = await db.execute(
        select(InboxItem, Alert)
        .join(Alert, and_(Alert.tenant_id == InboxItem.tenant_id, Alert.id == InboxItem.alert_id))
        .where(InboxItem.recipient == recipient)
        .order_by(InboxItem.created_at.desc(), InboxItem.id)
        .limit(limit)
    )
    return [(item, alert) for item, alert in rows]


async def inbox_item(db: AsyncSession, recipient: str, item_id: uuid.UUID) -> InboxItem | None:
    query = select(InboxItem).where(InboxItem.id == item_id, InboxItem.recipient == recipient)
    return (await db.scalars(query)).first()


async def tenants_with_unread(db: AsyncSession, recipient: str) -> list[uuid.UUID]:
    rows = await db.scalars(
        select(InboxItem.tenant_id)
        .where(InboxItem.recipient == recipient, InboxItem.read_at.is_(None))
        .distinct()
    )
    return list(rows)
