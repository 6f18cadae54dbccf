"""Every query of the stock domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, case, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.db.upsert import add_to, insert_for
from siaga_platform.stock.models import (
    CentreRequest,
    EntryKind,
    Item,
    LedgerEntry,
    Loan,
    LoanStatus,
    RequestStatus,
    StockBalance,
    StockDay,
)


async def ensure_balance(db: AsyncSession, tenant_id: uuid.UUID, item: Item) -> None:
    insert = insert_for(db)
    statement = insert(StockBalance).on_conflict_do_nothing(index_elements=["tenant_id", "item"])
    await db.execute(statement, [{"tenant_id": tenant_id, "item": item.value, "on_hand": 0}])


async def move_balance(
    db: AsyncSession, tenant_id: uuid.UUID, item: Item, delta: int, now: datetime
) -> int | None:
    """Adds ``delta`` in one statement that cannot go below zero (the row lock and the
    re-checked condition make concurrent takes queue, never oversell); the new balance, or
    None when there is not enough."""
    new_balance = StockBalance.on_hand + delta
    statement = (
        update(StockBalance)
        .where(
            StockBalance.tenant_id == tenant_id,
            StockBalance.item == item.value,
            new_balance >= 0,
        )
        .values(
            on_hand=new_balance,
            updated_at=now,
            out_since=case(
                (new_balance == 0, func.coalesce(StockBalance.out_since, now)), else_=None
            ),
        )
        .returning(StockBalance.on_hand)
        .execution_options(synchronize_session=False)
    )
    return (await db.execute(statement)).scalar()


async def add_to_day(
    db: AsyncSession, tenant_id: uuid.UUID, item: Item, day: date, kind: EntryKind, quantity: int
) -> None:
    await db.execute(
        add_to(
            db.get_bind().dialect.name,
            StockDay,
            {"tenant_id": tenant_id, "item": item.value, "day": day},
            {
                "net": quantity,
                "consumed": -quantity if kind is EntryKind.CONSUMPTION else 0,
                "spoiled": -quantity if kind is EntryKind.SPOILAGE else 0,
            },
        )
    )


async def days_since(
    db: AsyncSession, item: Item, since: date
) -> dict[uuid.UUID, list[tuple[date, int, int, int]]]:
    """Per tenant in scope: (day, net, consumed, spoiled) from ``since`` on, in no particular
    order (``figures.from_days`` sums them by day).

    One row per tenant, its days packed into one string (``string_agg`` / ``group_concat``):
    a national read is 514 rows to load instead of ~15,000, which the ORM's per-row work made
    the slowest part of the national page. Every field is separated by ``:`` so that one
    ``split`` and slices unpack a regency's days without a Python loop per day."""
    packed = (
        cast(StockDay.day, String)
        + ":"
        + cast(StockDay.net, String)
        + ":"
        + cast(StockDay.consumed, String)
        + ":"
        + cast(StockDay.spoiled, String)
    )
    rows = await db.execute(
        select(StockDay.tenant_id, func.aggregate_strings(packed, ":"))
        .where(StockDay.item == item.value, StockDay.day >= since)
        .group_by(StockDay.tenant_id)
    )
    days: dict[uuid.UUID, list[tuple[date, int, int, int]]] = {}
    parsed: dict[str, date] = {}  # ~30 distinct days among 514 regencies' rows
    for tenant, text in rows:
        if not text:
            days[tenant] = []
            continue
        fields = text.split(":")
        when = []
        for day in fields[0::4]:
            found = parsed.get(day)
            if found is None:
                found = parsed[day] = date.fromisoformat(day)
            when.append(found)
        days[tenant] = list(
            zip(
                when,
                map(int, fields[1::4]),
                map(int, fields[2::4]),
                map(int, fields[3::4]),
                strict=True,
            )
        )
    return days


async def balance(db: AsyncSession, item: Item) -> StockBalance | None:
    return await db.scalar(select(StockBalance).where(StockBalance.item == item.value))


async def balances(db: AsyncSession, item: Item) -> Sequence[StockBalance]:
    """The balances of every regency in the read scope (one row each)."""
    return (await db.scalars(select(StockBalance).where(StockBalance.item == item.value))).all()


async def balance_rows(db: AsyncSession, item: Item) -> dict[uuid.UUID, Any]:
    """Per regency in the read scope: (on hand, out since, updated at) of ``item`` as a column
    row (the province and national pages: hundreds of regencies, no ORM objects)."""
    rows = await db.execute(
        select(
            StockBalance.tenant_id,
            StockBalance.on_hand,
            StockBalance.out_since,
            StockBalance.updated_at,
        ).where(StockBalance.item == item.value)
    )
    return {row.tenant_id: row for row in rows}


async def on_hand_at(db: AsyncSession, item: Item, day: date) -> int:
    """The balance at the end of ``day``, summed from the ledger."""
    total = await db.scalar(
        select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
            LedgerEntry.item == item.value, LedgerEntry.business_date <= day
        )
    )
    return int(total or 0)


async def entry(db: AsyncSession, entry_id: uuid.UUID) -> LedgerEntry | None:
    return await db.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id))


async def reversal_of(db: AsyncSession, entry_id: uuid.UUID) -> LedgerEntry | None:
    return await db.scalar(select(LedgerEntry).where(LedgerEntry.reverses_id == entry_id))


def _entries_query(
    query: Select[Any],
    item: Item,
    kinds: list[EntryKind] | None,
    since: date | None,
    until: date | None,
) -> Select[Any]:
    query = query.where(LedgerEntry.item == item.value)
    if kinds:
        query = query.where(LedgerEntry.kind.in_([k.value for k in kinds]))
    if since:
        query = query.where(LedgerEntry.business_date >= since)
    if until:
        query = query.where(LedgerEntry.business_date <= until)
    return query


async def entries(
    db: AsyncSession,
    item: Item,
    *,
    kinds: list[EntryKind] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[LedgerEntry]:
    """The stock card, newest first (as recorded)."""
    query = _entries_query(select(LedgerEntry), item, kinds, since, until)
    query = query.order_by(LedgerEntry.recorded_at.desc(), LedgerEntry.id.desc())
    return (await db.scalars(query.offset(offset).limit(limit))).all()


async def count_entries(
    db: AsyncSession,
    item: Item,
    *,
    kinds: list[EntryKind] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    counted = _entries_query(
        select(func.count()).select_from(LedgerEntry), item, kinds, since, until
    )
    return int(await db.scalar(counted) or 0)


async def movements_between(
    db: AsyncSession, item: Item, start: date, end: date
) -> Sequence[tuple[date, str, int]]:
    """(business date, kind, quantity) of the entries in [start, end], oldest first."""
    rows = await db.execute(
        select(LedgerEntry.business_date, LedgerEntry.kind, LedgerEntry.quantity)
        .where(
            LedgerEntry.item == item.value,
            LedgerEntry.business_date >= start,
            LedgerEntry.business_date <= end,
        )
        .order_by(LedgerEntry.business_date, LedgerEntry.recorded_at)
    )
    return [(d, k, q) for d, k, q in rows]


async def loan_copies(db: AsyncSession, loan_id: uuid.UUID, *, lock: bool = False) -> list[Loan]:
    query = select(Loan).where(Loan.id == loan_id).order_by(Loan.tenant_id)
    copies = list((await db.scalars(query)).all())
    if not lock:
        return copies
    # Locked one tenant at a time, in tenant order (so two deciders never deadlock): on Citus
    # the two copies may live on two workers, and a FOR UPDATE spanning shards is refused;
    # each of these statements names its tenant, so it runs on one shard.
    return [
        (
            await db.execute(
                select(Loan)
                .where(Loan.tenant_id == copy.tenant_id, Loan.id == loan_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        for copy in copies
    ]


async def loans(db: AsyncSession, *, pending_only: bool = False) -> Sequence[Loan]:
    query = select(Loan)
    if pending_only:
        query = query.where(Loan.status.in_([LoanStatus.REQUESTED, LoanStatus.PROPOSED]))
    return (await db.scalars(query.order_by(Loan.asked_at.desc()).limit(200))).all()


async def same_pending_loan(
    db: AsyncSession, *, lender: uuid.UUID, borrower: uuid.UUID, quantity: int
) -> Loan | None:
    """A loan still awaiting its decision between the same two regencies, of the same size."""
    return await db.scalar(
        select(Loan)
        .where(
            Loan.lender_tenant_id == lender,
            Loan.borrower_tenant_id == borrower,
            Loan.quantity == quantity,
            Loan.status.in_([LoanStatus.REQUESTED, LoanStatus.PROPOSED]),
        )
        .limit(1)
    )


async def centre_request(db: AsyncSession, request_id: uuid.UUID) -> CentreRequest | None:
    return await db.scalar(select(CentreRequest).where(CentreRequest.id == request_id))


async def centre_requests(db: AsyncSession, *, open_only: bool = False) -> Sequence[CentreRequest]:
    query = select(CentreRequest)
    if open_only:
        query = query.where(CentreRequest.status != RequestStatus.RECEIVED)
    return (await db.scalars(query.order_by(CentreRequest.created_at.desc()).limit(200))).all()


async def oldest_pending_requests(db: AsyncSession) -> dict[uuid.UUID, datetime]:
    """Per regency in scope, when its oldest request still waiting on the centre (submitted or
    approved, not yet shipped) was made."""
    rows = await db.execute(
        select(CentreRequest.tenant_id, func.min(CentreRequest.created_at))
        .where(
            CentreRequest.status.in_([RequestStatus.SUBMITTED.value, RequestStatus.APPROVED.value])
        )
        .group_by(CentreRequest.tenant_id)
    )
    return {tenant_id: oldest for tenant_id, oldest in rows}
