"""Uptime arithmetic: the share of known time a device was up, over any range, with planned
maintenance left out and, optionally, only the office's hours (in its own time zone); and the
office's recording availability: the share of its recording sets' time they could record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

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


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The same time as disjoint intervals, in order."""
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


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


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Monday–Friday, ``opens`` to ``closes`` o'clock in a zone ``utc_offset_hours`` from UTC."""

    utc_offset_hours: int
    opens: int
    closes: int

    def between(self, start: datetime, end: datetime) -> list[Interval]:
        return office_hours(
            start,
            end,
            utc_offset_hours=self.utc_offset_hours,
            opens=self.opens,
            closes=self.closes,
        )

    def week_hours(self) -> list[int]:
        """The office's hours as places in the UTC week (``week_hour``); the zones are whole
        hours from UTC, so an office hour is always one whole UTC hour."""
        return sorted(
            (day * 24 + hour - self.utc_offset_hours) % WEEK_HOURS
            for day in range(5)
            for hour in range(self.opens, self.closes)
        )


WEEK_HOURS = 7 * 24
HOUR = timedelta(hours=1)


def week_hour(hour: datetime) -> int:
    """The UTC hour's place in the week, 0 = Monday 00:00 UTC."""
    utc = hour.astimezone(UTC)
    return utc.weekday() * 24 + utc.hour


def month_of(at: datetime) -> date:
    """The UTC month ``at`` falls in (its first day)."""
    return at.astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``'s."""
    return (month + timedelta(days=32)).replace(day=1)


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    floor = floor_hour(at)
    return floor if floor == at else floor + HOUR


def _segments(
    changes: list[tuple[datetime, str]], start: datetime, end: datetime
) -> tuple[list[Interval], list[Interval]]:
    """(up, counted) intervals inside [start, end) from the state log."""
    up: list[Interval] = []
    counted: list[Interval] = []
    if not changes:
        return up, counted
    for (at, state), following in zip(changes, [*changes[1:], (end, "")], strict=True):
        segment = _clip([(at, following[0])], start, end)
        if state in COUNTED_STATES:
            counted += segment
            if state in UP_STATES:
                up += segment
    return up, counted


def up_and_counted_seconds(
    changes: list[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    *,
    maintenance: list[Interval] = (),  # type: ignore[assignment]
    only: list[Interval] | None = None,
) -> tuple[float, float]:
    """Seconds up and seconds counted in [start, end) (see ``uptime``)."""
    up, counted = _segments(changes, start, end)
    if only is not None:
        up, counted = intersect(up, only), intersect(counted, only)
    up, counted = subtract(up, list(maintenance)), subtract(counted, list(maintenance))
    return _total(up), _total(counted)


def seconds_by_hour(
    changes: list[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    *,
    maintenance: list[Interval] = (),  # type: ignore[assignment]
) -> dict[datetime, tuple[float, float]]:
    """(seconds up, seconds counted) of each UTC hour in [start, end) with any counted time:
    what the hourly roll-up keeps (sums of them give ``up_and_counted_seconds``)."""
    up, counted = _segments(changes, start, end)
    maintenance = list(maintenance)
    hours: dict[datetime, list[float]] = {}
    for slot, intervals in ((0, subtract(up, maintenance)), (1, subtract(counted, maintenance))):
        for a, b in intervals:
            hour = floor_hour(a)
            while hour < b:
                lo, hi = max(a, hour), min(b, hour + HOUR)
                if lo < hi:
                    hours.setdefault(hour, [0.0, 0.0])[slot] += (hi - lo).total_seconds()
                hour += HOUR
    return {hour: (up_s, counted_s) for hour, (up_s, counted_s) in hours.items()}


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
    up, total = up_and_counted_seconds(changes, start, end, maintenance=maintenance, only=only)
    return up / total if total else None


def recording_availability(
    sets: Mapping[str, Sequence[uuid.UUID]],
    changes: Mapping[uuid.UUID, list[tuple[datetime, str]]],
    start: datetime,
    end: datetime,
    *,
    maintenance: Mapping[uuid.UUID, list[Interval]] | None = None,
    only: list[Interval] | None = None,
) -> float | None:
    """Share of the recording sets' known time in [start, end) during which they could record:
    a set records while every member (its own devices and the shared server) is up, as
    ``capacity.recording_capacity`` says at one moment. Summed over sets, so 1 of 2 sets working
    all month is 50 %; a set's time counts once any member is known. Planned maintenance of a
    member is left out of that set's time. None: no set, or nothing known."""
    maintenance = maintenance or {}
    up_total = counted_total = 0.0
    for members in sets.values():
        if not members:
            continue
        ups: list[list[Interval]] = []
        knowns: list[Interval] = []
        for device in members:
            up, counted = _segments(changes.get(device, []), start, end)
            ups.append(union(up))
            knowns += counted
        set_up = ups[0]
        for other in ups[1:]:
            set_up = intersect(set_up, other)
        known = union(knowns)
        if only is not None:
            set_up, known = intersect(set_up, only), intersect(known, only)
        planned = union(w for device in members for w in maintenance.get(device, []))
        set_up, known = subtract(set_up, planned), subtract(known, planned)
        up_total += _total(set_up)
        counted_total += _total(known)
    return up_total / counted_total if counted_total else None
