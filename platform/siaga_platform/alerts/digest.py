"""The morning digest: at 07:00 in the province's own zone its supervisors get the worst
regencies of the province page and what changed since yesterday's digest (alerts opened and
resolved in the last 24 hours), so the day starts from the page without opening it.

Read from the province-page rows and the alerts (no raw tables); no NIK, name or other personal
data: the rows and the alert summaries hold none. Sent once per province and day by
``delivery.digest`` (its rows are the claim), whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import RULE_TITLES, Alert, Level, Rule
from siaga_platform.delivery.recipients import Recipient
from siaga_platform.notify.local_time import SHORT_MONTHS, to_local
from siaga_platform.notify.message import Level as NoticeLevel
from siaga_platform.notify.message import Notice, compose_notice
from siaga_platform.rollup import severity
from siaga_platform.rollup.rows import Regency, RegencyRow, read_rows, worst_first
from siaga_platform.tenancy.scope import TenantScope, system_scope

#: The hour of the province's own clock the digest goes out.
DIGEST_HOUR = 7
#: A digest still unsent by noon (the worker was away all morning) is no longer a morning
#: digest: that day is skipped, the page is there.
LAST_HOUR = 12
#: The regencies named in the digest, worst first (the page has the rest).
WORST_SHOWN = 5


@dataclass(frozen=True, slots=True)
class DigestProvince:
    """A province as the digest needs it (the tenant registry and memberships answer)."""

    code: str
    name: str
    zone: str  # WIB, WITA or WIT
    regencies: tuple[Regency, ...]
    supervisors: tuple[Recipient, ...]


#: Every province with active regencies (the worker passes the registry's answer in).
ProvinceSource = Callable[[AsyncSession, datetime], Awaitable[list[DigestProvince]]]


def digest_day(zone: str, now: datetime) -> date | None:
    """The province's day whose digest is due at ``now``, or None outside the morning."""
    local = to_local(now, zone)
    return local.date() if DIGEST_HOUR <= local.hour < LAST_HOUR else None


@dataclass(frozen=True, slots=True)
class Digest:
    worst: list[RegencyRow]  # the troubled rows, worst first (at most WORST_SHOWN)
    troubled: int  # how many regencies are not all clear
    total: int
    opened: list[tuple[str, str, str]]  # (rule title, regency, level) since yesterday
    resolved: list[tuple[str, str]]  # (rule title, regency)
    still_open: int
    still_gawat: int


async def read_digest(db: AsyncSession, province: DigestProvince, now: datetime) -> Digest:
    """The province's rows and its alerts of the last 24 hours, in a read scope of its own."""
    regencies = list(province.regencies)
    names = {r.tenant_id: r.name for r in regencies}
    since = now - timedelta(days=1)
    async with system_scope(db, TenantScope.read_only(set(names)), why="alerts.digest.read_digest"):
        rows = await read_rows(db, regencies, now=now)
        alerts = (
            await db.scalars(
                select(Alert).where(
                    or_(
                        Alert.resolved_at.is_(None),
                        Alert.opened_at >= since,
                        Alert.resolved_at >= since,
                    )
                )
            )
        ).all()
    troubled = [
        r
        for r in worst_first(rows)
        if r.severity.worst in (severity.Level.BAD, severity.Level.WARN)
    ]
    open_now = [a for a in alerts if a.resolved_at is None]

    def title(alert: Alert) -> str:
        return RULE_TITLES.get(Rule(alert.rule), alert.rule)

    return Digest(
        worst=troubled[:WORST_SHOWN],
        troubled=len(troubled),
        total=len(rows),
        opened=[
            (title(a), names.get(a.tenant_id, ""), str(a.level))
            # Gawat first, then by regency: the lines a supervisor acts on lead.
            for a in sorted(
                alerts, key=lambda a: (a.level != Level.GAWAT, names.get(a.tenant_id, ""))
            )
            if a.opened_at >= since
        ],
        resolved=sorted(
            (title(a), names.get(a.tenant_id, ""))
            for a in alerts
            if a.resolved_at is not None and a.resolved_at >= since
        ),
        still_open=len(open_now),
        still_gawat=sum(a.level == Level.GAWAT for a in open_now),
    )


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _row_line(position: int, row: RegencyRow) -> str:
    word = "Gawat" if row.severity.worst is severity.Level.BAD else "Perhatikan"
    recording = row.recording
    parts = [
        f"perekaman {recording.working_sets} dari {recording.total_sets} set berfungsi"
        if recording.total_sets
        else "perangkat perekaman belum terdaftar",
        f"blanko {_number(row.stock.on_hand)}",
        f"{_number(row.applications.backlog.get('waiting_print', 0))} menunggu cetak",
    ]
    return f"{position}. {row.regency.name} ({word}): {'; '.join(parts)}."


def compose_digest(
    province: DigestProvince,
    digest: Digest,
    *,
    day: date,
    now: datetime,
    base_url: str,
    key: str,
) -> Notice:
    lines: list[str] = []
    if digest.worst:
        lines.append(
            f"{digest.troubled} dari {digest.total} kabupaten/kota perlu perhatian "
            "(terburuk lebih dulu):"
        )
        lines += [_row_line(i, row) for i, row in enumerate(digest.worst, start=1)]
        if digest.troubled > len(digest.worst):
            lines.append(
                f"… dan {digest.troubled - len(digest.worst)} lainnya di halaman provinsi."
            )
    else:
        lines.append(f"Semua {digest.total} kabupaten/kota dalam keadaan baik.")
    lines.append("Sejak kemarin:")
    if not digest.opened and not digest.resolved:
        lines.append("Tidak ada peringatan baru atau yang pulih.")
    lines += [f"Baru: {title}, {where} ({level.upper()})" for title, where, level in digest.opened]
    lines += [f"Pulih: {title}, {where}" for title, where in digest.resolved]
    lines.append(f"Masih terbuka: {digest.still_open} peringatan ({digest.still_gawat} gawat).")
    if digest.worst and digest.worst[0].severity.worst is severity.Level.BAD:
        level = NoticeLevel.GAWAT
    elif digest.worst:
        level = NoticeLevel.PERHATIKAN
    else:
        level = NoticeLevel.PULIH
    return compose_notice(
        subject=f"Ringkasan pagi Siaga, {province.name}, "
        f"{day.day} {SHORT_MONTHS[day.month - 1]} {day.year}",
        level=level,
        lines=lines,
        idempotency_key=key,
        occurred_at=now,
        zone=province.zone,
        facts={"Provinsi": f"{province.name} ({province.code})"},
        link=f"{base_url.rstrip('/')}/provinsi/{province.code}",
        event="digest.morning",
    )
