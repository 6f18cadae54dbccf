"""Figures of a tenant's applications for the province view, read from maintained tables:
backlog per status, oldest waiting per status, median days recorded→PRR and PRR→printed over the
last 30 days, cards printed per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import repository
from siaga_platform.applications.statuses import OPEN, Status

WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class ApplicationFigures:
    backlog: dict[str, int]
    oldest_waiting_since: dict[str, datetime]
    median_days_recorded_to_prr: float | None
    median_days_prr_to_printed: float | None
    printed_per_day: list[tuple[date, int]]


def median_of_histogram(histogram: list[tuple[int, int]]) -> float | None:
    """Median of values given as (value, count) pairs, sorted by value."""
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen, lower = 0, None
    for value, count in histogram:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            return (float(lower if lower is not None else value) + value) / 2
        seen += count
    return None


async def tenant_figures(db: AsyncSession, *, today: date) -> ApplicationFigures:
    """For the tenants in the session's scope (one regency, or a province read scope)."""
    since = today - timedelta(days=WINDOW_DAYS - 1)
    counts = await repository.status_counts(db)
    oldest: dict[str, datetime] = {}
    for status in sorted(OPEN, key=list(Status).index):
        if counts.get(status.value):
            first = await repository.oldest_status_since(db, status.value)
            if first is not None:
                oldest[status.value] = first
    return ApplicationFigures(
        backlog={s: n for s, n in counts.items() if n},
        oldest_waiting_since=oldest,
        median_days_recorded_to_prr=median_of_histogram(
            await repository.duration_histogram(db, "recorded_to_prr", since)
        ),
        median_days_prr_to_printed=median_of_histogram(
            await repository.duration_histogram(db, "prr_to_printed", since)
        ),
        printed_per_day=await repository.per_day(db, "printed", since),
    )
