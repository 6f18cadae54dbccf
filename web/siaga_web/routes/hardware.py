"""The hardware board of a regency, device and incident pages, and the forms (HTMX)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.permissions import Permission
from siaga_platform.errors import DomainError, NotFound
from siaga_platform.hardware import board, incidents, service
from siaga_platform.hardware.models import DeviceKind, Funding, IncidentCause, SiteKind
from siaga_platform.hardware.outages import KIND_LABELS
from siaga_platform.hardware.state import derive_state
from siaga_platform.hardware.uptime import uptime
from siaga_platform.rollup import severity
from siaga_platform.text import N_
from siaga_tenants.domain_inputs import hardware as hardware_inputs
from siaga_tenants.regions.codes import UTC_OFFSET_HOURS
from siaga_tenants.regions.models import TimeZone
from siaga_web import actors
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, TenantContext, in_tenant
from siaga_web.labels import (
    BEAT_LABELS,
    CAUSE_LABELS,
    DEVICE_STATE_ICONS,
    DEVICE_STATE_LABELS,
    INCIDENT_EVENT_LABELS,
    LEVEL_WORDS,
    SITE_KIND_LABELS,
)
from siaga_web.runtime import runtime
from siaga_web.templating import flash, render

router = APIRouter(prefix="/wilayah/{code}/perangkat", tags=["hardware"])
Viewer = Annotated[TenantContext, Depends(in_tenant(Permission.VIEW_HARDWARE))]
Manager = Annotated[TenantContext, Depends(in_tenant(Permission.MANAGE_HARDWARE))]
Csrf = Depends(verify_csrf)


async def _board_values(db: AsyncSession, context: TenantContext) -> dict[str, Any]:
    now = context.now
    return {
        **_common(context),
        "board": await board.board(db, now=now),
        "planned": await board.planned_maintenance(db, now),
        "now": now,
        "site_kinds": list(SiteKind),
        "site_kind_labels": SITE_KIND_LABELS,
        "device_kinds": list(DeviceKind),
        "fundings": list(Funding),
        "causes": list(IncidentCause),
        "new_token": None,
        "error": None,
    }


def _to_incident(context: TenantContext, incident_id: uuid.UUID) -> Response:
    return RedirectResponse(
        f"/wilayah/{context.tenant.code}/perangkat/kejadian/{incident_id}", status_code=303
    )


def _common(context: TenantContext) -> dict[str, Any]:
    return {
        "tenant": context.tenant,
        "can_write": context.can_write,
        "state_labels": DEVICE_STATE_LABELS,
        "state_icons": DEVICE_STATE_ICONS,
        "kind_labels": KIND_LABELS,
        "cause_labels": CAUSE_LABELS,
        "beat_labels": BEAT_LABELS,
        "event_labels": INCIDENT_EVENT_LABELS,
    }


@router.get("")
async def board_page(request: Request, db: DbSession, context: Viewer) -> Response:
    return render(
        request,
        "pages/hardware/board.html",
        {
            **await _board_values(db, context),
        },
        block="board",
    )


@router.post("/lokasi", dependencies=[Csrf])
async def add_site(
    request: Request,
    db: DbSession,
    context: Manager,
    name: Annotated[str, Form(max_length=120)],
    kind: Annotated[SiteKind, Form()],
) -> Response:
    await service.create_site(
        db,
        context.principal,
        runtime(request.app).regions,
        name=name,
        kind=kind,
        kecamatan_code=None,
    )
    flash(request, N_("Lokasi {name} ditambahkan."), name=name)
    return RedirectResponse(f"/wilayah/{context.tenant.code}/perangkat", status_code=303)


@router.post("/baru", dependencies=[Csrf])
async def add_device(
    request: Request,
    db: DbSession,
    context: Manager,
    site_id: Annotated[uuid.UUID, Form()],
    kind: Annotated[DeviceKind, Form()],
    label: Annotated[str, Form(max_length=120)],
    funding: Annotated[Funding, Form()],
    serial: Annotated[str | None, Form(max_length=80)] = None,
    recording_set: Annotated[str | None, Form(max_length=60)] = None,
) -> Response:
    error, token = None, None
    try:
        async with db.begin_nested():
            _device, token = await service.register_device(
                db,
                context.principal,
                site_id=site_id,
                kind=kind,
                label=label,
                funding=funding,
                serial=serial or None,
                recording_set=recording_set or None,
            )
    except DomainError as refused:
        error = refused
    return render(
        request,
        "pages/hardware/board.html",
        {
            **await _board_values(db, context),
            "new_token": token,
            "error": error,
        },
        status_code=error.status_code if error else 200,
    )


@router.get("/uptime")
async def uptime_page(
    request: Request,
    db: DbSession,
    context: Viewer,
    dari: date | None = None,
    sampai: date | None = None,
    jam_kantor: bool = False,
) -> Response:
    """Uptime per device, site and the whole office for any range of days (office's zone)."""
    offset = UTC_OFFSET_HOURS[TimeZone(context.tenant.timezone)]
    local = timezone(timedelta(hours=offset))
    today = context.today
    first, last = dari or today - timedelta(days=29), sampai or today
    if last < first:
        first, last = last, first
    start = datetime.combine(first, datetime.min.time(), tzinfo=local).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=local).astimezone(
        UTC
    )
    end = min(end, context.now)
    regency_office = await hardware_inputs.regency_office_hours(db, context.tenant.id)
    if regency_office is None:  # the regency went while the page was asked for
        raise NotFound("Kabupaten/kota tidak ditemukan.")
    report = await board.uptime_report(
        db, start, end, office=regency_office if jam_kantor else None, now=context.now
    )
    values, recording = report.device_uptimes, report.recording
    sites = []
    for view in report.board.sites:
        rows = [(device, values.get(device.id)) for device, _state in view.devices]
        known = [v for _, v in rows if v is not None]
        sites.append((view.site, rows, sum(known) / len(known) if known else None))
    everything = list(values.values())
    return render(
        request,
        "pages/hardware/uptime.html",
        {
            **_common(context),
            "sites": sites,
            "first": first,
            "last": last,
            "office_only": jam_kantor,
            "opens": regency_office.opens,
            "closes": regency_office.closes,
            "overall": sum(everything) / len(everything) if everything else None,
            "recording": recording,
            "recording_level": severity.availability(recording),
            "level_words": LEVEL_WORDS,
        },
    )


@router.get("/alat/{device_id}")
async def device_page(
    request: Request, db: DbSession, context: Viewer, device_id: uuid.UUID
) -> Response:
    now = context.now
    view = await board.device_view(db, device_id, now)
    device, changes = view.device, view.changes
    return render(
        request,
        "pages/hardware/device.html",
        {
            **_common(context),
            "device": device,
            "state": derive_state(device, now).value,
            "beats": view.beats,
            "uptime": uptime(changes, view.since, now),
            "changes": changes[-20:],
        },
    )


@router.post("/kejadian", dependencies=[Csrf])
async def report(
    request: Request,
    db: DbSession,
    context: Manager,
    title: Annotated[str, Form(max_length=200)],
    cause: Annotated[IncidentCause, Form()],
    note: Annotated[str | None, Form(max_length=1000)] = None,
    device_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    incident = await incidents.report_incident(
        db,
        context.principal,
        device_id=device_id,
        site_id=None,
        cause=cause,
        title=title,
        note=note,
        now=context.now,
    )
    flash(request, N_("Kejadian dicatat."))
    return _to_incident(context, incident.id)


@router.get("/kejadian/{incident_id}")
async def incident_page(
    request: Request, db: DbSession, context: Viewer, incident_id: uuid.UUID
) -> Response:
    incident, device, timeline = await incidents.incident_view(db, incident_id)
    end = incident.closed_at or context.now
    return render(
        request,
        "pages/hardware/incident.html",
        {
            **_common(context),
            "incident": incident,
            "device": device,
            "timeline": timeline,
            "names": await actors.names(db, (e.actor_subject for e in timeline)),
            "duration_days": (end - incident.opened_at).days,
            "fundings": list(Funding),
            "causes": list(IncidentCause),
            "today": context.today,
        },
    )


@router.post("/kejadian/{incident_id}/eskalasi", dependencies=[Csrf])
async def escalate(
    request: Request,
    db: DbSession,
    context: Manager,
    incident_id: uuid.UUID,
    version: Annotated[int, Form()],
    reported_on: Annotated[date, Form()],
    reference: Annotated[str, Form(max_length=120)],
    funding: Annotated[Funding, Form()],
    cause: Annotated[IncidentCause, Form()],
    expected_repair_on: Annotated[date | None, Form()] = None,
) -> Response:
    now = context.now
    await incidents.escalate(
        db,
        context.principal,
        incident_id,
        version=version,
        reported_on=reported_on,
        reference=reference,
        expected_repair_on=expected_repair_on,
        funding=funding,
        cause=cause,
        today=context.today,
        now=now,
    )
    flash(
        request,
        N_("Eskalasi ke kementerian dicatat (nomor laporan {reference})."),
        reference=reference,
    )
    return _to_incident(context, incident_id)


@router.post("/kejadian/{incident_id}/tutup", dependencies=[Csrf])
async def close(
    request: Request,
    db: DbSession,
    context: Manager,
    incident_id: uuid.UUID,
    version: Annotated[int, Form()],
    resolution: Annotated[str, Form(max_length=500)],
) -> Response:
    await incidents.close_incident(
        db, context.principal, incident_id, version=version, resolution=resolution, now=context.now
    )
    flash(request, N_("Kejadian ditutup."))
    return _to_incident(context, incident_id)


@router.post("/perawatan", dependencies=[Csrf])
async def maintenance(
    request: Request,
    db: DbSession,
    context: Manager,
    starts_at: Annotated[datetime, Form()],
    ends_at: Annotated[datetime, Form()],
    reason: Annotated[str, Form(max_length=300)],
    device_id: Annotated[uuid.UUID | None, Form()] = None,
    site_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    """Planned downtime of one device (from its page) or a whole site (from the board)."""
    # A datetime-local field has no zone: it is the office's own time.
    local = timezone(timedelta(hours=UTC_OFFSET_HOURS[TimeZone(context.tenant.timezone)]))
    await incidents.plan_maintenance(
        db,
        context.principal,
        device_id=device_id,
        site_id=site_id,
        starts_at=starts_at.replace(tzinfo=starts_at.tzinfo or local),
        ends_at=ends_at.replace(tzinfo=ends_at.tzinfo or local),
        reason=reason,
    )
    where = f"/alat/{device_id}" if device_id else ""
    flash(request, N_("Perawatan terencana disimpan."))
    return RedirectResponse(f"/wilayah/{context.tenant.code}/perangkat{where}", status_code=303)


@router.post("/alat/{device_id}/cabut-token", dependencies=[Csrf])
async def revoke_tokens(
    request: Request, db: DbSession, context: Manager, device_id: uuid.UUID
) -> Response:
    """A stolen or retired device stops being heard at once (same service as the API)."""
    revoked = await service.revoke_device_tokens(db, context.principal, device_id, now=context.now)
    flash(
        request,
        N_("{count} token perangkat dicabut: perangkat ini tidak lagi didengar."),
        count=revoked,
    )
    return RedirectResponse(
        f"/wilayah/{context.tenant.code}/perangkat/alat/{device_id}", status_code=303
    )
