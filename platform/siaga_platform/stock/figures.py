"""Stock figures from the ledger: average daily consumption corrected for stock-out days (as
OpenLMIS does: demand suppressed while out of stock must not lower the average), days of
cover, projected stock-out date, exact stock-out days, spoilage rate; and the province's
loan suggestion."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.stock import repository
from siaga_platform.stock.models import EntryKind, Item

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


def stock_out_days(balances: Sequence[tuple[date, int]]) -> int:
    """Days that ended with nothing on hand."""
    return sum(1 for _day, value in balances if value <= 0)


@dataclass(frozen=True, slots=True)
class StockFigures:
    on_hand: int
    out_since: datetime | None
    average_daily_consumption: float | None  # per day in stock over the window
    days_of_cover: float | None  # None: nothing consumed, cover unknown
    projected_stock_out: date | None
    stock_out_days: int  # within the window
    spoilage_rate: float | None  # spoiled / (printed + spoiled)
    low: bool  # below the regency's threshold of days of cover


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
    out_days = stock_out_days(balances)
    consumed = -sum(q for _d, k, q in movements if k == EntryKind.CONSUMPTION)
    spoiled = -sum(q for _d, k, q in movements if k == EntryKind.SPOILAGE)
    return derive(
        on_hand=on_hand,
        out_since=current.out_since if current else None,
        consumed=consumed,
        spoiled=spoiled,
        out_days=out_days,
        window=window,
        today=today,
        low_stock_days=low_stock_days,
    )


def from_days(
    *,
    on_hand: int,
    out_since: datetime | None,
    days: Sequence[tuple[date, int, int, int]],
    today: date,
    low_stock_days: int,
    window: int = WINDOW_DAYS,
) -> tuple[StockFigures, list[tuple[date, int]]]:
    """The same figures from the per-day summary (``StockDay`` rows: day, net, consumed,
    spoiled; at least the window's), for many regencies at once; and the day-end balances of
    the window (the rollup's trend line). The opening balance is today's minus the window's
    net movement."""
    start = today - timedelta(days=window - 1)
    inside = [row for row in days if start <= row[0] <= today]
    opening = on_hand - sum(net for day, net, _c, _s in days if day >= start)
    balances = day_end_balances(opening, [(d, "", net) for d, net, _c, _s in inside], start, today)
    figures = derive(
        on_hand=on_hand,
        out_since=out_since,
        consumed=sum(c for _d, _n, c, _s in inside),
        spoiled=sum(s for _d, _n, _c, s in inside),
        out_days=stock_out_days(balances),
        window=window,
        today=today,
        low_stock_days=low_stock_days,
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
) -> StockFigures:
    in_stock_days = window - out_days
    average = consumed / in_stock_days if in_stock_days > 0 and consumed > 0 else None
    cover = on_hand / average if average else None
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
    )


@dataclass(frozen=True, slots=True)
class LoanSuggestion:
    lender: uuid.UUID
    borrower: uuid.UUID
    quantity: int


def suggest_loans(
    cover: dict[uuid.UUID, tuple[int, float | None]], *, keep_days: float = 14
) -> list[LoanSuggestion]:
    """From the regencies with the most days of cover to those out of stock, so the province
    runs out together rather than one regency at a time. ``cover``: tenant → (on hand,
    average daily consumption). A lender keeps ``keep_days`` of its own consumption."""
    out = sorted(
        (t for t, (on_hand, _avg) in cover.items() if on_hand == 0),
        key=lambda t: -(cover[t][1] or 0),  # the busiest office first
    )
    spare: dict[uuid.UUID, int] = {}
    for tenant_id, (on_hand, average) in cover.items():
        if on_hand > 0:
            spare[tenant_id] = max(0, on_hand - math.ceil((average or 0) * keep_days))
    suggestions = []
    for borrower in out:
        need = math.ceil((cover[borrower][1] or 1) * keep_days)
        lenders = sorted(spare, key=lambda t: -_days(spare[t], cover[t][1]))
        for lender in lenders:
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
