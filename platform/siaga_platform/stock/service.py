"""What the stock pages read, each in one call: a regency's stock card, a province's stock
overview with its loan plan, the public notice's balance; and a supervisor's loan decision
on the lender's own business day. The rules stay in ``ledger``, ``loans``, ``figures``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Principal
from siaga_platform.stock import figures, loans, repository
from siaga_platform.stock.ledger import LocalDate
from siaga_platform.stock.models import CentreRequest, EntryKind, Item, LedgerEntry, Loan
from siaga_platform.tenancy.scope import TenantScope, system_scope

#: The days the stock card's chart shows, ending today.
CHART_DAYS = 90


@dataclass(frozen=True, slots=True)
class StockCard:
    figures: figures.StockFigures
    #: The ledger entries matching the filters (all pages), and the page shown.
    total: int
    entries: Sequence[LedgerEntry]
    #: The day-end balance over the chart's days.
    balances: list[tuple[date, int]]
    loans: Sequence[Loan]
    requests: Sequence[CentreRequest]


async def stock_card(
    db: AsyncSession,
    item: Item,
    *,
    kinds: list[EntryKind] | None,
    since: date | None,
    until: date | None,
    today: date,
    low_stock_days: int,
    page_size: int,
    offset_of: Callable[[int], int],
) -> StockCard:
    """The stock card of the regency in scope: figures, the chart, one page of the ledger
    (``offset_of`` turns the total into the page's offset), its loans and centre requests."""
    total = await repository.count_entries(db, item, kinds=kinds, since=since, until=until)
    stock = await figures.figures(db, today=today, low_stock_days=low_stock_days, item=item)
    start = today - timedelta(days=CHART_DAYS - 1)
    opening = await repository.on_hand_at(db, item, start - timedelta(days=1))
    movements = await repository.movements_between(db, item, start, today)
    entries = await repository.entries(
        db,
        item,
        kinds=kinds,
        since=since,
        until=until,
        limit=page_size,
        offset=offset_of(total),
    )
    return StockCard(
        figures=stock,
        total=total,
        entries=entries,
        balances=figures.day_end_balances(opening, movements, start, today),
        loans=await repository.loans(db),
        requests=await repository.centre_requests(db),
    )


class HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


T = TypeVar("T", bound=HasId)


@dataclass(frozen=True, slots=True)
class RegencyStock(Generic[T]):
    tenant: T
    stock: figures.StockFigures
    #: Centre requests not yet received.
    requests: int


@dataclass(frozen=True, slots=True)
class ProvinceStock(Generic[T]):
    #: Out of stock first, then by days of cover.
    rows: list[RegencyStock[T]]
    plan: figures.LoanPlan


async def province_stock(
    db: AsyncSession, regencies: Sequence[tuple[T, date, int]]
) -> ProvinceStock[T]:
    """Per regency (tenant, its business day, its low-stock days of cover): its figures and
    open centre requests, each read in that regency's scope; the province's loan plan."""
    rows: list[RegencyStock[T]] = []
    stock_of: dict[uuid.UUID, figures.StockFigures] = {}
    for tenant, today, low_stock_days in regencies:
        async with system_scope(
            db, TenantScope.read_only({tenant.id}), why="stock.service.province_stock"
        ):
            stock = await figures.figures(db, today=today, low_stock_days=low_stock_days)
            open_requests = await repository.centre_requests(db, open_only=True)
        stock_of[tenant.id] = stock
        rows.append(RegencyStock(tenant, stock, len(open_requests)))
    async with system_scope(
        db, TenantScope.read_only(set(stock_of)), why="stock.service.province_stock"
    ):
        plan = await figures.loan_plan(db, stock_of)
    rows.sort(key=lambda r: (r.stock.on_hand > 0, r.stock.days_of_cover or 1e9))
    return ProvinceStock(rows, plan)


async def public_balance(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Blank cards on hand now at a regency (the public notice: read-only, no sign-in)."""
    async with system_scope(
        db, TenantScope.read_only({tenant_id}), why="stock.service.public_balance"
    ):
        current = await repository.balance(db, Item.BLANK_CARD)
    return current.on_hand if current else 0


async def decide_loan(
    db: AsyncSession,
    principal: Principal,
    loan_id: uuid.UUID,
    *,
    province_code: str,
    approve: bool,
    now: datetime,
    local_date: LocalDate,
) -> Loan:
    """``loans.decide`` dated on the lender's own business day (the province's regencies in
    the read scope)."""
    copies = await repository.loan_copies(db, loan_id)
    day = await local_date(db, copies[0].lender_tenant_id, now) if copies else now.date()
    return await loans.decide(
        db,
        principal,
        loan_id,
        province_code=province_code,
        approve=approve,
        business_date=day,
        now=now,
    )
