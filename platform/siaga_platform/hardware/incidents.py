"""Incidents staff handle by hand: reported, escalated to the ministry, closed, acknowledged
by the province; planned maintenance; the incident's timeline (``add_event``, which the
automatic outages in ``outages`` write too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from siaga_platform.auth.principal import Principal, Role
from siaga_platform.errors import Conflict, InvalidInput, NotFound
from siaga_platform.hardware import repository, summary
from siaga_platform.hardware.models import (
    Device,
    Funding,
    Incident,
    IncidentCause,
    IncidentEvent,
    MaintenanceWindow,
)
from siaga_platform.hardware.uptime import floor_hour
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.writer import writer_tenant

STALE_INCIDENT = "Kejadian ini baru saja diubah orang lain. Muat ulang halaman."


def add_event(
    db: AsyncSession, incident: Incident, at: datetime, actor: str, kind: str, note: str | None
) -> None:
    db.add(
        IncidentEvent(
            tenant_id=incident.tenant_id,
            incident_id=incident.id,
            at=at,
            actor_subject=actor,
            kind=kind,
            note=note,
        )
    )


async def report_incident(
    db: AsyncSession,
    principal: Principal,
    *,
    device_id: uuid.UUID | None,
    site_id: uuid.UUID | None,
    cause: IncidentCause,
    title: str,
    note: str | None,
    now: datetime,
) -> Incident:
    tenant_id = writer_tenant(principal)
    device = await repository.device(db, device_id) if device_id else None
    if device_id and device is None:
        raise NotFound("Perangkat tidak ditemukan.")
    if site_id and await repository.site(db, site_id) is None:
        raise NotFound("Lokasi tidak ditemukan.")
    if not title.strip():
        raise InvalidInput("Judul kejadian wajib diisi.", field="title")
    incident = Incident(
        tenant_id=tenant_id,
        device_id=device_id,
        site_id=site_id or (device.site_id if device else None),
        title=title.strip()[:200],
        cause=cause,
        opened_automatically=False,
        opened_at=now,
        funding=device.funding if device else None,
    )
    db.add(incident)
    await db.flush()
    add_event(db, incident, now, principal.subject, "opened", note)
    await db.flush()
    await summary.refresh(db, tenant_id, now=now)
    return incident


async def _incident(db: AsyncSession, incident_id: uuid.UUID, version: int) -> Incident:
    found = await repository.incident(db, incident_id)
    if found is None:
        raise NotFound("Kejadian tidak ditemukan.")
    if found.version != version:
        raise Conflict(STALE_INCIDENT)
    return found


async def escalate(
    db: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    version: int,
    reported_on: date,
    reference: str,
    expected_repair_on: date | None,
    funding: Funding,
    cause: IncidentCause | None,
    today: date,
    now: datetime,
) -> Incident:
    """Reported to the ministry (APBN equipment is repaired through it). ``today`` is the
    office's own day: a report dated this morning in WIT is not "in the future"."""
    writer_tenant(principal)
    incident = await _incident(db, incident_id, version)
    if reported_on > today:
        raise InvalidInput("Tanggal lapor tidak boleh di masa depan.", field="reported_on")
    if not reference.strip():
        raise InvalidInput("Nomor surat/laporan ke kementerian wajib diisi.", field="reference")
    incident.reported_to_ministry_on = reported_on
    incident.ministry_reference = reference.strip()[:120]
    incident.expected_repair_on = expected_repair_on
    incident.funding = funding.value
    if cause is not None:
        incident.cause = cause
    add_event(
        db,
        incident,
        now,
        principal.subject,
        "escalated",
        f"Dilaporkan ke kementerian {reported_on.isoformat()} ({incident.ministry_reference})",
    )
    try:
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE_INCIDENT) from error
    await summary.refresh(db, incident.tenant_id, now=now)
    return incident


async def close_incident(
    db: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    version: int,
    resolution: str,
    now: datetime,
) -> Incident:
    writer_tenant(principal)
    incident = await _incident(db, incident_id, version)
    if incident.closed_at is not None:
        raise Conflict("Kejadian ini sudah ditutup.")
    if not resolution.strip():
        raise InvalidInput("Tuliskan penyelesaiannya.", field="resolution")
    incident.closed_at, incident.resolution = now, resolution.strip()[:500]
    add_event(db, incident, now, principal.subject, "closed", incident.resolution)
    try:
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE_INCIDENT) from error
    await summary.refresh(db, incident.tenant_id, now=now)
    return incident


async def plan_maintenance(
    db: AsyncSession,
    principal: Principal,
    *,
    device_id: uuid.UUID | None,
    site_id: uuid.UUID | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> MaintenanceWindow:
    writer_tenant(principal)
    if (device_id is None) == (site_id is None):
        raise InvalidInput("Pilih satu perangkat atau satu lokasi.", field="device_id")
    # Found in the tenant's own scope: another regency's id answers exactly like a missing one.
    if device_id is not None and await repository.device(db, device_id) is None:
        raise NotFound("Perangkat tidak ditemukan.")
    if site_id is not None and await repository.site(db, site_id) is None:
        raise NotFound("Lokasi tidak ditemukan.")
    if ends_at <= starts_at:
        raise InvalidInput("Waktu selesai harus setelah waktu mulai.", field="ends_at")
    if not reason.strip():
        raise InvalidInput("Alasan perawatan wajib diisi.", field="reason")
    window = MaintenanceWindow(
        device_id=device_id,
        site_id=site_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:300],
        created_by=principal.subject,
    )
    db.add(window)
    await db.flush()
    # Hours already rolled up counted this time: they are rolled again without it.
    await repository.rewind_rollup(db, floor_hour(starts_at))
    return window


async def acknowledge(
    db: AsyncSession, principal: Principal, incident_id: uuid.UUID, *, note: str, now: datetime
) -> Incident:
    """A province supervisor acknowledges a regency's incident with a note. The incident is
    found in the supervisor's read scope; only this note is written into the regency's
    timeline (its data stays the office's to change)."""
    cleaned = " ".join((note or "").split())
    if not cleaned:
        raise InvalidInput("Tulis catatan tanggapan (misalnya langkah yang diambil).", field="note")
    incident = await repository.incident(db, incident_id)
    if incident is None or principal.role is not Role.SUPERVISOR_PROVINSI:
        raise NotFound("Kejadian tidak ditemukan.")
    tenant = frozenset({incident.tenant_id})
    async with system_scope(
        db,
        TenantScope(read_tenant_ids=tenant, write_tenant_ids=tenant),
        why="hardware.incidents.acknowledge",
    ):
        add_event(db, incident, now, principal.subject, "acknowledged", cleaned[:1000])
    return incident


async def acknowledgements(
    db: AsyncSession, incident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, IncidentEvent]:
    """The latest acknowledgement (a supervisor's note) of each of these incidents."""
    return await repository.acknowledged(db, incident_ids)


async def incident_view(
    db: AsyncSession, incident_id: uuid.UUID
) -> tuple[Incident, Device | None, Sequence[IncidentEvent]]:
    """An incident of the regency in scope, its device (if it is one device's) and its
    timeline; 404 otherwise."""
    incident = await repository.incident(db, incident_id)
    if incident is None:
        raise NotFound("Kejadian tidak ditemukan.")
    device = await repository.device(db, incident.device_id) if incident.device_id else None
    return incident, device, await repository.incident_timeline(db, incident.id)
