"""Stock figures from the ledger: average daily consumption corrected for stock-out days (as
OpenLMIS does: demand suppressed while out of stock must not lower the average), days of
cover, projected stock-out date, exact stock-out days, spoilage rate; and the province's
loan suggestion.

Days of cover are computed here only (``derive``), for the stock page, the province page, its
CSV and the alerts alike. Two corrections keep them honest with little history:

- the daily rate is the larger of the printing average and the regency's demand: records that
  reached PRR (waiting to print) per day over the window. One card printed in a month after a
  stock-out no longer reads as "699 days of cover" while hundreds of records arrive;
- the records already waiting to print are owed the stock: cover counts only what is left
  after them. 699 cards against 2,373 records waiting is 0 days of cover, stock-out today.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import repository as applications
from siaga_platform.stock import repository
from siaga_platform.stock.models import EntryKind, Item, Loan, RequestStatus

WINDOW_DAYS = 30


def day_end_balances(
    opening: int, movements: Iterable[tuple[date, str, int]], start: date, end: date
) -> list[tuple[date, int]]:
    """The balance at the end of each day of [start, end], from the balance before ``start``."""
    by_day: dict[date, int] = defaultdict(int)
    for day, _kind, quantity in movements:
        by_day[day] += quantity
    balances, running, day = [], opening, start
    while day <= end:
        running += by_day.get(day, 0)
        balances.append((day, running))
        day += timedelta(days=1)
    return balances


def stock_out_days(day_end_values: Iterable[int]) -> int:
    """Days that ended with nothing on hand."""
    return sum(1 for value in day_end_values if value <= 0)


@dataclass(frozen=True, slots=True)
class StockFigures:
    on_hand: int
    out_since: datetime | None
    average_daily_consumption: float | None  # printed per day in stock over the window
    days_of_cover: float | None  # what is left after the waiting records, at daily_rate;
    # 0 when the waiting records take it all; None: no rate known and stock left over
    projected_stock_out: date | None
    stock_out_days: int  # within the window
    spoilage_rate: float | None  # spoiled / (printed + spoiled)
    low: bool  # below the regency's threshold of days of cover
    waiting_print: int = 0  # records waiting to print: stock already spoken for
    daily_demand: float | None = None  # records reaching PRR per day over the window
    daily_rate: float | None = None  # the larger of the printing average and the demand

    @property
    def owed_beyond_stock(self) -> int:
        """Waiting records the stock on hand cannot cover."""
        return max(0, self.waiting_print - self.on_hand)


async def figures(
    db: AsyncSession,
    *,
    today: date,
    low_stock_days: int,
    item: Item = Item.BLANK_CARD,
    window: int = WINDOW_DAYS,
) -> StockFigures:
    """The figures of the regency in scope over the ``window`` days ending ``today``."""
    start = today - timedelta(days=window - 1)
    current = await repository.balance(db, item)
    on_hand = current.on_hand if current else 0
    opening = await repository.on_hand_at(db, item, start - timedelta(days=1))
    movements = await repository.movements_between(db, item, start, today)
    balances = day_end_balances(opening, movements, start, today)
    out_days = stock_out_days(value for _day, value in balances)
    consumed = -sum(q for _d, k, q in movements if k == EntryKind.CONSUMPTION)
    spoiled = -sum(q for _d, k, q in movements if k == EntryKind.SPOILAGE)
    waiting, arrived = sum_demand((await applications.print_demand(db, start)).values())
    return derive(
        on_hand=on_hand,
        out_since=current.out_since if current else None,
        consumed=consumed,
        spoiled=spoiled,
        out_days=out_days,
        window=window,
        today=today,
        low_stock_days=low_stock_days,
        waiting_print=waiting,
        arrived=arrived,
    )


def sum_demand(demand: Iterable[tuple[int, int]]) -> tuple[int, int]:
    pairs = list(demand)
    return sum(w for w, _a in pairs), sum(a for _w, a in pairs)


def from_days(
    *,
    on_hand: int,
    out_since: datetime | None,
    days: Sequence[tuple[date, int, int, int]],
    today: date,
    low_stock_days: int,
    waiting_print: int = 0,
    arrived: int = 0,
    window: int = WINDOW_DAYS,
) -> tuple[StockFigures, list[int]]:
    """The same figures from the per-day summary (``StockDay`` rows: day, net, consumed,
    spoiled; at least the window's), for many regencies at once; and the day-end balances of
    the window's days, oldest first (the rollup's trend line). The opening balance is today's
    minus the window's net movement."""
    # One pass over day numbers (ordinals): the national page runs this for 514 regencies.
    first, last = today.toordinal() - (window - 1), today.toordinal()
    net_on = [0] * window
    moved_since_start = consumed = spoiled = 0
    for day, net, used, lost in days:
        ordinal = day.toordinal()
        if ordinal >= first:
            moved_since_start += net
            if ordinal <= last:
                net_on[ordinal - first] += net
                consumed += used
                spoiled += lost
    running = on_hand - moved_since_start  # the opening balance
    balances = []
    for net in net_on:
        running += net
        balances.append(running)
    figures = derive(
        on_hand=on_hand,
        out_since=out_since,
        consumed=consumed,
        spoiled=spoiled,
        out_days=stock_out_days(balances),
        window=window,
        today=today,
        low_stock_days=low_stock_days,
        waiting_print=waiting_print,
        arrived=arrived,
    )
    return figures, balances


def derive(
    *,
    on_hand: int,
    out_since: datetime | None,
    consumed: int,
    spoiled: int,
    out_days: int,
    window: int,
    today: date,
    low_stock_days: int,
    waiting_print: int = 0,
    arrived: int = 0,
) -> StockFigures:
    """``arrived``: records that reached PRR within the window; ``waiting_print``: records
    waiting to print now."""
    in_stock_days = window - out_days
    average = consumed / in_stock_days if in_stock_days > 0 and consumed > 0 else None
    demand = arrived / window if arrived > 0 else None
    rate = max(average or 0.0, demand or 0.0) or None
    free = on_hand - waiting_print
    owed_all = free <= 0 and (waiting_print > 0 or rate is not None)
    # Nothing left once the waiting records are printed: 0 days, whatever the rate.
    cover = 0.0 if owed_all else (free / rate if rate else None)
    projected = today + timedelta(days=math.floor(cover)) if cover is not None else None
    used = consumed + spoiled
    return StockFigures(
        on_hand=on_hand,
        out_since=out_since if on_hand == 0 else None,
        average_daily_consumption=average,
        days_of_cover=cover,
        projected_stock_out=projected,
        stock_out_days=out_days,
        spoilage_rate=spoiled / used if used else None,
        low=on_hand == 0 or (cover is not None and cover < low_stock_days),
        waiting_print=waiting_print,
        daily_demand=demand,
        daily_rate=rate,
    )


@dataclass(frozen=True, slots=True)
class LoanSuggestion:
    lender: uuid.UUID
    borrower: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class Standing:
    """What the loan suggestion weighs of one regency."""

    on_hand: int
    daily_rate: float | None = None  # StockFigures.daily_rate
    waiting_print: int = 0  # records waiting to print: owed before anything is lent
    incoming: int = 0  # pending loans in, cards the centre approved and has not delivered
    outgoing: int = 0  # pending loans out

    @property
    def owed(self) -> int:
        return self.waiting_print + self.outgoing

    def keep(self, keep_days: float) -> int:
        return math.ceil((self.daily_rate or 0) * keep_days)


def suggest_loans(
    standing: dict[uuid.UUID, Standing], *, keep_days: float = 14
) -> list[LoanSuggestion]:
    """From the regencies with the most spare days to those that cannot cover what they owe,
    so the province runs out together rather than one regency at a time.

    A borrower is out of stock, or owes its waiting records more than it holds; it needs what
    it owes plus ``keep_days`` of its own rate, less what is already coming (pending loans in,
    approved requests to the centre). A lender keeps what it owes (its waiting records and
    pending loans out) plus ``keep_days`` of its own rate: a regency whose backlog exceeds its
    stock never lends."""
    borrowers = {
        # Out of stock with no rate known yet: at least a card a day for the days kept.
        t: s.owed + max(s.keep(keep_days), math.ceil(keep_days)) - s.on_hand - s.incoming
        for t, s in standing.items()
        if s.on_hand == 0 or s.waiting_print > s.on_hand
    }
    spare = {
        t: s.on_hand - s.owed - s.keep(keep_days)
        for t, s in standing.items()
        if t not in borrowers and s.waiting_print < s.on_hand
    }
    spare = {t: v for t, v in spare.items() if v > 0}
    suggestions = []
    for borrower in sorted((t for t, n in borrowers.items() if n > 0), key=lambda t: -borrowers[t]):
        need = borrowers[borrower]
        for lender in sorted(spare, key=lambda t: -_days(spare[t], standing[t].daily_rate)):
            if need <= 0:
                break
            give = min(spare[lender], need)
            if give <= 0:
                continue
            suggestions.append(LoanSuggestion(lender, borrower, give))
            spare[lender] -= give
            need -= give
    return suggestions


def _days(spare: int, average: float | None) -> float:
    return spare / average if average else float(spare)


#: Requests to the centre whose cards are promised: approved or shipped, not all received.
PROMISED = frozenset({RequestStatus.APPROVED, RequestStatus.SHIPPED})


@dataclass(frozen=True, slots=True)
class LoanPlan:
    """The province's loans at a glance: suggestions, each pending loan once (with whether its
    lender can cover it today), and requests still waiting for the centre's approval."""

    suggestions: list[LoanSuggestion]
    pending: list[Loan]
    lender_short: dict[uuid.UUID, int]  # loan id → its lender's stock, when below the loan
    awaiting_centre: dict[uuid.UUID, int]  # tenant → cards asked, not yet approved


@dataclass(frozen=True, slots=True)
class InTransit:
    """Cards on their way, per regency in the session's read scope: pending loans in and
    cards the centre approved (or shipped) and has not delivered; pending loans out; cards
    asked of the centre and not approved yet. Each pending loan is counted once."""

    incoming: dict[uuid.UUID, int]
    outgoing: dict[uuid.UUID, int]
    awaiting_centre: dict[uuid.UUID, int]
    pending_loans: list[Loan]


async def in_transit(db: AsyncSession) -> InTransit:
    """Two reads, loans pending and requests to the centre still open (the loan plan and the
    election readiness read the same figures)."""
    pending: dict[uuid.UUID, Loan] = {}
    for loan in await repository.loans(db, pending_only=True):
        pending.setdefault(loan.id, loan)  # two copies, one per side: shown once
    incoming: dict[uuid.UUID, int] = defaultdict(int)
    outgoing: dict[uuid.UUID, int] = defaultdict(int)
    for loan in pending.values():
        incoming[loan.borrower_tenant_id] += loan.quantity
        outgoing[loan.lender_tenant_id] += loan.quantity
    awaiting: dict[uuid.UUID, int] = defaultdict(int)
    for request in await repository.centre_requests(db, open_only=True):
        status = RequestStatus(request.status)
        if status in PROMISED:
            promised = request.quantity_approved or request.quantity_requested
            incoming[request.tenant_id] += max(0, promised - request.quantity_received)
        elif status is RequestStatus.SUBMITTED:
            awaiting[request.tenant_id] += request.quantity_requested
    return InTransit(
        dict(incoming),
        dict(outgoing),
        dict(awaiting),
        sorted(pending.values(), key=lambda loan: loan.asked_at),
    )


async def loan_plan(
    db: AsyncSession, stock: dict[uuid.UUID, StockFigures], *, keep_days: float = 14
) -> LoanPlan:
    """For the regencies of ``stock`` (the province in the session's read scope)."""
    transit = await in_transit(db)
    incoming, outgoing = transit.incoming, transit.outgoing
    standing = {
        t: Standing(
            on_hand=f.on_hand,
            daily_rate=f.daily_rate,
            waiting_print=f.waiting_print,
            incoming=incoming.get(t, 0),
            outgoing=outgoing.get(t, 0),
        )
        for t, f in stock.items()
    }
    loans = transit.pending_loans
    return LoanPlan(
        suggestions=suggest_loans(standing, keep_days=keep_days),
        pending=loans,
        lender_short={
            loan.id: stock[loan.lender_tenant_id].on_hand
            for loan in loans
            if loan.lender_tenant_id in stock
            and stock[loan.lender_tenant_id].on_hand < loan.quantity
        },
        awaiting_centre=transit.awaiting_centre,
    )
