"""One row per regency for the province page (and, summed, the national view).

Every figure comes from a summary its domain keeps in the event's own transaction and reads
in its own repository: the hardware summary and last beats (``hardware.repository``), the
application status counts (``applications.repository``), the stock balances and per-day stock
(``stock.repository``), the letter counts (``letters.repository``). This module composes them
and reads no table itself (the ``rollup-reads-through-domains`` import contract). The reads are
batched: a handful of statements for all regencies in scope, whatever their number.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import repository as applications
from siaga_platform.applications.statuses import WAITING_PRINT, Status
from siaga_platform.hardware import repository as hardware
from siaga_platform.letters import figures as letter_counts
from siaga_platform.letters import repository as letters
from siaga_platform.letters.figures import LetterFigures
from siaga_platform.rollup import severity
from siaga_platform.rollup.severity import Severity
from siaga_platform.stock import figures as stock_figures
from siaga_platform.stock import repository as stock
from siaga_platform.stock.figures import StockFigures
from siaga_platform.stock.models import Item

TREND_DAYS = 30
TIMELINE_DAYS = 90

#: The stages of the applications column (the pipeline grouped the way supervisors speak).
STAGES: dict[str, tuple[Status, ...]] = {
    "registered": (Status.REGISTERED,),
    "processing": (
        Status.RECORDED,
        Status.SENT,
        Status.RECEIVED,
        Status.ADJUDICATION,
        Status.DUPLICATE,
        Status.ENROLLMENT_FAILED,
    ),
    "waiting_print": WAITING_PRINT,
    "waiting_pickup": (Status.PRINTED, Status.READY),
}


@dataclass(frozen=True, slots=True)
class Regency:
    """What the caller knows of a regency (from the tenant registry)."""

    tenant_id: uuid.UUID
    code: str
    name: str
    province_code: str
    today: date  # the regency's business day (its own time zone)
    low_stock_days: int = 14
    prr_alert_days: int = 14


@dataclass(frozen=True, slots=True)
class Recording:
    working_sets: int = 0
    total_sets: int = 0
    stopped_since: datetime | None = None
    open_incidents: int = 0
    oldest_incident_title: str | None = None
    oldest_incident_cause: str | None = None
    oldest_incident_opened_at: datetime | None = None
    devices_down: int = 0
    uptime_30_days: float | None = None  # recording availability (hardware/board.py)


@dataclass(frozen=True, slots=True)
class Applications:
    backlog: dict[str, int] = field(default_factory=dict)  # per stage
    oldest_waiting_print: datetime | None = None

    def oldest_waiting_days(self, now: datetime) -> int | None:
        if self.oldest_waiting_print is None:
            return None
        return max(0, (now - self.oldest_waiting_print).days)


@dataclass(frozen=True, slots=True)
class Outage:
    incident_id: uuid.UUID
    title: str
    cause: str
    level: str  # site / set / device
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class RegencyRow:
    regency: Regency
    recording: Recording
    applications: Applications
    stock: StockFigures
    letters: LetterFigures
    last_activity: datetime | None
    severity: Severity
    trends: dict[str, list[int]] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


async def read_rows(
    db: AsyncSession,
    regencies: list[Regency],
    *,
    now: datetime,
    with_trends: bool = False,
) -> list[RegencyRow]:
    """The rows of ``regencies`` (all in the session's read scope), unsorted."""
    ids = [r.tenant_id for r in regencies]
    earliest_day = min((r.today for r in regencies), default=now.date())
    since = earliest_day - timedelta(days=TREND_DAYS - 1)

    # One statement per domain summary for all regencies in scope, each the domain's own read.
    recording_rows = await hardware.recording_summaries(db)
    beats = await hardware.last_beats(db)
    backlog: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    moved: dict[uuid.UUID, datetime | None] = {}
    for tenant_id, stage_name, count, updated_at in await applications.stage_counts(
        db, STAGES, other="closed"
    ):
        if stage_name != "closed":
            backlog[tenant_id][stage_name] = count
        moved[tenant_id] = _latest(moved.get(tenant_id), updated_at)
    oldest = await applications.oldest_since_per_tenant(db, STAGES["waiting_print"], ids)
    balances = await stock.balance_rows(db, Item.BLANK_CARD)
    stock_days = await stock.days_since(db, Item.BLANK_CARD, since)
    # The demand side of the cover (stock/figures.py): records waiting to print and records
    # that reached PRR within the window (from the earliest regency's window start; a regency
    # a zone ahead counts one day more, which a daily rate hardly notices).
    demand = await applications.print_demand(
        db, earliest_day - timedelta(days=stock_figures.WINDOW_DAYS - 1)
    )
    # Letter figures depend on each regency's own date (WIB, WITA, WIT): one read per distinct
    # business day (at most three, usually one), each kept for the regencies living that day.
    members_of: dict[date, set[uuid.UUID]] = defaultdict(set)
    for regency in regencies:
        members_of[regency.today].add(regency.tenant_id)
    expiry: dict[uuid.UUID, tuple[int, int, int]] = {}
    month: dict[uuid.UUID, dict[str, int]] = {}
    for day, members in members_of.items():
        expiry.update(
            (t, v) for t, v in (await letters.expiry_sums(db, day)).items() if t in members
        )
        month.update((t, v) for t, v in (await letters.month_sums(db, day)).items() if t in members)

    printed: dict[uuid.UUID, dict[date, int]] = {}
    issued: dict[uuid.UUID, dict[date, int]] = {}
    outages: dict[uuid.UUID, list[Outage]] = defaultdict(list)
    if with_trends:
        printed = await applications.per_day_per_tenant(db, "printed", since)
        issued = await letters.per_day(db, "issued", since)
        for incident in await hardware.incidents_since(db, now - timedelta(days=TIMELINE_DAYS)):
            outages[incident.tenant_id].append(
                Outage(
                    incident_id=incident.id,
                    title=incident.title,
                    cause=incident.cause,
                    level=incident.level,
                    opened_at=incident.opened_at,
                    closed_at=incident.closed_at,
                )
            )

    rows = []
    for regency in regencies:
        tid = regency.tenant_id
        summary = recording_rows.get(tid)
        recording = (
            Recording(
                working_sets=summary.working_sets,
                total_sets=summary.total_sets,
                stopped_since=summary.recording_stopped_since,
                open_incidents=summary.open_incidents,
                oldest_incident_title=summary.oldest_incident_title,
                oldest_incident_cause=summary.oldest_incident_cause,
                oldest_incident_opened_at=summary.oldest_incident_opened_at,
                devices_down=summary.devices_down,
                uptime_30_days=summary.uptime_30_days,
            )
            if summary
            else Recording()
        )
        apps = Applications(
            backlog=dict(backlog.get(tid, {})), oldest_waiting_print=oldest.get(tid)
        )
        balance = balances.get(tid)
        cards, day_balances = stock_figures.from_days(
            on_hand=balance.on_hand if balance else 0,
            out_since=balance.out_since if balance else None,
            days=stock_days.get(tid, []),
            today=regency.today,
            low_stock_days=regency.low_stock_days,
            waiting_print=demand.get(tid, (0, 0))[0],
            arrived=demand.get(tid, (0, 0))[1],
        )
        letter_figures = letter_counts.combine(expiry.get(tid), month.get(tid))
        last = _latest(beats.get(tid), balance.updated_at if balance else None, moved.get(tid))
        levels = {
            "recording": severity.recording(
                recording.working_sets, recording.total_sets, recording.open_incidents
            ),
            "applications": severity.applications(
                apps.oldest_waiting_days(now), regency.prr_alert_days
            ),
            "stock": severity.stock(cards.on_hand, cards.low),
            "letters": severity.letters(letter_figures.active, letter_figures.expired),
            "freshness": severity.freshness(last, now),
            "uptime": severity.availability(recording.uptime_30_days),
        }
        trends: dict[str, list[int]] = {}
        if with_trends:
            days = [regency.today - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
            trends = {
                "stock": day_balances,
                "printed": [printed.get(tid, {}).get(d, 0) for d in days],
                "letters": [issued.get(tid, {}).get(d, 0) for d in days],
                "recording": [
                    int(any(_open_on(o, d) for o in outages[tid] if o.level != "device"))
                    for d in days
                ],
            }
        rows.append(
            RegencyRow(
                regency=regency,
                recording=recording,
                applications=apps,
                stock=cards,
                letters=letter_figures,
                last_activity=last,
                severity=Severity(levels),
                trends=trends,
                outages=outages.get(tid, []),
            )
        )
    return rows


def _open_on(outage: Outage, day: date) -> bool:
    closed = outage.closed_at.date() if outage.closed_at else None
    return outage.opened_at.date() <= day and (closed is None or closed >= day)


def worst_first(rows: list[RegencyRow]) -> list[RegencyRow]:
    """The documented order (severity.py): score, then the longest recording stop, then the
    longest stock-out, then the name."""
    far = datetime.max.replace(tzinfo=None)

    def key(row: RegencyRow) -> tuple[int, datetime, datetime, str]:
        stopped = row.recording.stopped_since
        out = row.stock.out_since
        return (
            -row.severity.score,
            stopped.replace(tzinfo=None) if stopped else far,
            out.replace(tzinfo=None) if out else far,
            row.regency.name,
        )

    return sorted(rows, key=key)


def _days_of_cover(row: RegencyRow) -> float:
    if row.stock.on_hand == 0:
        return -1.0
    return row.stock.days_of_cover if row.stock.days_of_cover is not None else float("inf")


def _silent_for(row: RegencyRow, now: datetime) -> float:
    return (now - row.last_activity).total_seconds() if row.last_activity else float("inf")


#: Sorting by any column, worst first; ties by name.
SORT_COLUMNS = (
    "keparahan",
    "nama",
    "perekaman",
    "permohonan",
    "blanko",
    "suket",
    "uptime",
    "aktif",
)


def sort_rows(rows: list[RegencyRow], column: str, now: datetime) -> list[RegencyRow]:
    if column not in SORT_COLUMNS or column == "keparahan":
        return worst_first(rows)
    keys: dict[str, Callable[[RegencyRow], tuple[Any, ...]]] = {
        "nama": lambda r: (r.regency.name,),
        "perekaman": lambda r: (
            -severity.POINTS[r.severity.levels["recording"]],
            r.recording.working_sets / r.recording.total_sets if r.recording.total_sets else 2.0,
        ),
        "permohonan": lambda r: (-(r.applications.oldest_waiting_days(now) or -1),),
        "blanko": lambda r: (_days_of_cover(r),),
        "suket": lambda r: (-r.letters.active,),
        "uptime": lambda r: (
            r.recording.uptime_30_days if r.recording.uptime_30_days is not None else 2.0,
        ),
        "aktif": lambda r: (-_silent_for(r, now),),
    }
    key = keys[column]
    return sorted(rows, key=lambda r: (*key(r), r.regency.name))
