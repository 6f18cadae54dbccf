"""Every query of the applications domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from siaga_platform.applications.filters import RegisterFilter
from siaga_platform.applications.models import (
    Application,
    ApplicationDuration,
    ApplicationEvent,
    ApplicationNameWord,
    ApplicationStatusCount,
    ImportJob,
    ImportRowError,
    ImportStatus,
)
from siaga_platform.applications.statuses import CLOSED, WAITING_PRINT, Status
from siaga_platform.db.base import utcnow
from siaga_platform.db.upsert import add_to, increment
from siaga_platform.tenancy.wall import SCOPE_AS_ROW_FILTER


async def get(db: AsyncSession, application_id: uuid.UUID) -> Application | None:
    return await db.scalar(select(Application).where(Application.id == application_id))


async def open_application_with_nik(
    db: AsyncSession, nik_hashes: Sequence[str]
) -> Application | None:
    return await db.scalar(
        select(Application)
        .where(
            Application.nik_hash.in_(nik_hashes),
            Application.status.not_in([s.value for s in CLOSED]),
        )
        .limit(1)
    )


async def existing_by_nik_hash(
    db: AsyncSession, hashes: Iterable[str]
) -> dict[str, set[tuple[str, date]]]:
    """For each NIK hash that has applications: their (status, registered_on)."""
    wanted = list(set(hashes))
    found: dict[str, set[tuple[str, date]]] = {}
    if not wanted:
        return found
    # Only the plain (tenant_id, nik_hash) index condition: it answers every probe.
    rows = await db.execute(
        select(Application.nik_hash, Application.status, Application.registered_on).where(
            Application.nik_hash.in_(wanted)
        )
    )
    for nik_hash, status, registered_on in rows:
        found.setdefault(nik_hash, set()).add((status, registered_on))
    return found


def _filtered(query: Select[Any], filters: RegisterFilter) -> Select[Any]:
    if filters.statuses:
        query = query.where(Application.status.in_(filters.statuses))
    if filters.reason:
        query = query.where(Application.reason == filters.reason)
    if filters.kecamatan_code:
        query = query.where(Application.kecamatan_code == filters.kecamatan_code)
    if filters.registered_from:
        query = query.where(Application.registered_on >= filters.registered_from)
    if filters.registered_to:
        query = query.where(Application.registered_on <= filters.registered_to)
    if filters.nik_hashes:
        query = query.where(Application.nik_hash.in_(filters.nik_hashes))
    word_sets = [hashes for hashes in filters.name_word_hash_sets if hashes]
    if word_sets:
        # A name's words are all under one search key: a row matches one set in full.
        query = query.where(
            or_(
                *(
                    Application.id.in_(
                        select(ApplicationNameWord.application_id)
                        .where(ApplicationNameWord.word_hash.in_(hashes))
                        .group_by(ApplicationNameWord.application_id)
                        .having(func.count() == len(hashes))
                    )
                    for hashes in word_sets
                )
            )
        )
    return query


async def register_page(
    db: AsyncSession,
    filters: RegisterFilter,
    *,
    limit: int,
    before: uuid.UUID | None = None,
    offset: int = 0,
) -> Sequence[Application]:
    """Newest first (UUIDv7 ids sort by creation time): keyset-paged by id for the API
    (``before``), numbered pages for people (``offset``)."""
    query = _filtered(select(Application), filters)
    if before is not None:
        query = query.where(Application.id < before)
    query = query.order_by(Application.id.desc()).offset(offset).limit(limit)
    return (await db.scalars(query)).all()


async def register_count(db: AsyncSession, filters: RegisterFilter) -> int:
    """How many applications the filters match (the pages' total)."""
    counted = _filtered(select(func.count()).select_from(Application), filters)
    return int(await db.scalar(counted) or 0)


async def timeline(db: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
    rows = await db.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.occurred_at, ApplicationEvent.id)
    )
    return rows.all()


async def status_counts(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(
        select(ApplicationStatusCount.status, func.sum(ApplicationStatusCount.count)).group_by(
            ApplicationStatusCount.status
        )
    )
    return {status: int(count or 0) for status, count in rows}


async def bump_status_count(
    db: AsyncSession, tenant_id: uuid.UUID, status: str, delta: int
) -> None:
    await db.execute(
        add_to(
            db.get_bind().dialect.name,
            ApplicationStatusCount,
            {"tenant_id": tenant_id, "status": status},
            {"count": delta},
            touch={"updated_at": utcnow()},
        )
    )


async def add_duration(
    db: AsyncSession, tenant_id: uuid.UUID, day: date, metric: str, days: int, count: int = 1
) -> None:
    await db.execute(
        increment(
            db.get_bind().dialect.name,
            ApplicationDuration,
            {"tenant_id": tenant_id, "day": day, "metric": metric, "days": days},
            "count",
            count,
        )
    )


async def oldest_status_since(db: AsyncSession, status: str) -> datetime | None:
    return await db.scalar(
        select(func.min(Application.status_since)).where(Application.status == status)
    )


async def duration_histogram(db: AsyncSession, metric: str, since: date) -> list[tuple[int, int]]:
    rows = await db.execute(
        select(ApplicationDuration.days, func.sum(ApplicationDuration.count))
        .where(ApplicationDuration.metric == metric, ApplicationDuration.day >= since)
        .group_by(ApplicationDuration.days)
        .order_by(ApplicationDuration.days)
    )
    return [(int(days), int(count)) for days, count in rows]


async def per_day(db: AsyncSession, metric: str, since: date) -> list[tuple[date, int]]:
    rows = await db.execute(
        select(ApplicationDuration.day, func.sum(ApplicationDuration.count))
        .where(ApplicationDuration.metric == metric, ApplicationDuration.day >= since)
        .group_by(ApplicationDuration.day)
        .order_by(ApplicationDuration.day)
    )
    return [(day, int(count)) for day, count in rows]


async def get_import(
    db: AsyncSession, job_id: uuid.UUID, *, with_content: bool = False, for_update: bool = False
) -> ImportJob | None:
    query = select(ImportJob).where(ImportJob.id == job_id)
    if not with_content:
        query = query.options(defer(ImportJob.content))
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def stalled_imports(db: AsyncSession, before: datetime) -> Sequence[ImportJob]:
    """Imports of the tenants in scope waiting or running with no sign of life since
    ``before`` (the file itself is not loaded)."""
    rows = await db.scalars(
        select(ImportJob)
        .options(defer(ImportJob.content))
        .where(
            ImportJob.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING]),
            func.coalesce(ImportJob.progress_at, ImportJob.created_at) < before,
        )
    )
    return rows.all()


async def import_errors(db: AsyncSession, job_id: uuid.UUID) -> Sequence[ImportRowError]:
    rows = await db.scalars(
        select(ImportRowError)
        .where(ImportRowError.job_id == job_id)
        .order_by(ImportRowError.row_number)
    )
    return rows.all()


async def recent_imports(db: AsyncSession, limit: int = 10) -> Sequence[ImportJob]:
    rows = await db.scalars(
        select(ImportJob)
        .options(defer(ImportJob.content))
        .order_by(ImportJob.created_at.desc())
        .limit(limit)
    )
    return rows.all()


async def print_demand(db: AsyncSession, since: date) -> dict[uuid.UUID, tuple[int, int]]:
    """Per tenant in scope: (records waiting to print now, records that reached PRR from
    ``since`` on). Two grouped reads of maintained tables (status counts, the recorded→PRR
    histogram), whatever the number of regencies: the stock's cover reads them."""
    waiting: dict[uuid.UUID, int] = {
        tenant: int(count or 0)
        for tenant, count in await db.execute(
            select(ApplicationStatusCount.tenant_id, func.sum(ApplicationStatusCount.count))
            .where(ApplicationStatusCount.status.in_([s.value for s in WAITING_PRINT]))
            .group_by(ApplicationStatusCount.tenant_id)
        )
    }
    arrived: dict[uuid.UUID, int] = {
        tenant: int(count or 0)
        for tenant, count in await db.execute(
            select(ApplicationDuration.tenant_id, func.sum(ApplicationDuration.count))
            .where(
                ApplicationDuration.metric == "recorded_to_prr", ApplicationDuration.day >= since
            )
            .group_by(ApplicationDuration.tenant_id)
        )
    }
    return {t: (waiting.get(t, 0), arrived.get(t, 0)) for t in waiting.keys() | arrived.keys()}


# The regency-level reads of the province and national pages (rollup/rows.py): one statement
# each for every regency in the read scope, whatever their number.


async def stage_counts(
    db: AsyncSession, stages: Mapping[str, Sequence[Status]], *, other: str
) -> list[tuple[uuid.UUID, str, int, datetime | None]]:
    """Per regency and stage (statuses grouped as ``stages`` names them, the rest as
    ``other``): (tenant, stage, records, when a count last moved)."""
    stage = case(
        *(
            (ApplicationStatusCount.status.in_([s.value for s in statuses]), name)
            for name, statuses in stages.items()
        ),
        else_=other,
    )
    rows = await db.execute(
        select(
            ApplicationStatusCount.tenant_id,
            stage,
            func.sum(ApplicationStatusCount.count),
            func.max(ApplicationStatusCount.updated_at),
        ).group_by(ApplicationStatusCount.tenant_id, stage)
    )
    return [(tenant, name, int(count or 0), moved) for tenant, name, count, moved in rows]


async def oldest_since_per_tenant(
    db: AsyncSession, statuses: Sequence[Status], tenant_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Per regency of ``tenant_ids``, since when its oldest record in one of ``statuses`` has
    waited: one index probe per regency and status that has records (``ORDER BY status_since
    LIMIT 1``), not a scan of the waiting pile.

    The probes hang off the status counts (a distributed table, one row per regency and status,
    joined on ``tenant_id``), not off the registry: Citus refuses a correlated sub-select from
    a reference table, and pushes this one down to the shards (issue 18)."""
    wanted = set(tenant_ids)
    if not wanted:
        return {}
    counts = ApplicationStatusCount
    probe = (
        select(Application.status_since)
        .where(Application.tenant_id == counts.tenant_id, Application.status == counts.status)
        .order_by(Application.status_since)
        .limit(1)
        .scalar_subquery()
    )
    # The read scope already names the regencies (the wall and RLS); an IN list of them here
    # sent, converted and planned 514 more parameters on the national page.
    rows = await db.execute(
        select(counts.tenant_id, probe)
        .where(counts.status.in_([s.value for s in statuses]), counts.count > 0)
        .execution_options(**{SCOPE_AS_ROW_FILTER: True})
    )
    oldest: dict[uuid.UUID, datetime] = {}
    for tenant_id, since in rows:
        if since is not None and tenant_id in wanted:
            oldest[tenant_id] = min(since, oldest.get(tenant_id, since))
    return oldest


async def per_day_per_tenant(
    db: AsyncSession, metric: str, since: date
) -> dict[uuid.UUID, dict[date, int]]:
    """Per regency: records per day for ``metric`` (e.g. ``printed``) from ``since`` on."""
    days: dict[uuid.UUID, dict[date, int]] = {}
    for tenant_id, day, count in await db.execute(
        select(
            ApplicationDuration.tenant_id,
            ApplicationDuration.day,
            func.sum(ApplicationDuration.count),
        )
        .where(ApplicationDuration.metric == metric, ApplicationDuration.day >= since)
        .group_by(ApplicationDuration.tenant_id, ApplicationDuration.day)
    ):
        days.setdefault(tenant_id, {})[day] = int(count)
    return days
