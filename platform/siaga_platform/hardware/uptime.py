"""Uptime arithmetic: the share of known time a device was up, over any range, with planned
maintenance left out and, optionally, only the office's hours (in its own time zone)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, timezone

Interval = tuple[datetime, datetime]
UP_STATES = frozenset({"up", "degraded"})
COUNTED_STATES = frozenset({"up", "degraded", "down", "unreachable"})


def _clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    clipped = [(max(a, start), min(b, end)) for a, b in intervals]
    return [(a, b) for a, b in clipped if a < b]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                out.append((lo, hi))
    return out


def subtract(a: list[Interval], holes: list[Interval]) -> list[Interval]:
    out = a
    for h0, h1 in holes:
        nxt = []
        for a0, a1 in out:
            if h1 <= a0 or h0 >= a1:
                nxt.append((a0, a1))
                continue
            if a0 < h0:
                nxt.append((a0, h0))
            if h1 < a1:
                nxt.append((h1, a1))
        out = nxt
    return out


def _total(intervals: list[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals)


def office_hours(
    start: datetime, end: datetime, *, utc_offset_hours: int, opens: int, closes: int
) -> list[Interval]:
    """Monday–Friday office hours between start and end, as UTC intervals."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    hours = []
    while day <= last:
        if day.weekday() < 5:
            open_at = datetime.combine(day, time(opens), tzinfo=zone).astimezone(UTC)
            close_at = datetime.combine(day, time(closes), tzinfo=zone).astimezone(UTC)
            hours.append((open_at, close_at))
        day += timedelta(days=1)
    return _clip(hours, start, end)


def uptime(
    changes: list[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    *,
    maintenance: list[Interval] = (),  # type: ignore[assignment]
    only: list[Interval] | None = None,
) -> float | None:
    """Fraction of the counted time in [start, end) the device was up; None if none counted.

    ``changes`` are (when, new state), oldest first, including the last one before ``start``.
    """
    if not changes:
        return None  # never heard from: nothing to count
    up: list[Interval] = []
    counted: list[Interval] = []
    for (at, state), following in zip(changes, [*changes[1:], (end, "")], strict=True):
        segment = _clip([(at, following[0])], start, end)
        if state in COUNTED_STATES:
            counted += segment
            if state in UP_STATES:
                up += segment
    if only is not None:
        up, counted = intersect(up, only), intersect(counted, only)
    up, counted = subtract(up, list(maintenance)), subtract(counted, list(maintenance))
    total = _total(counted)
    return _total(up) / total if total else None
