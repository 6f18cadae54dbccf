"""Alert pages: a regency's alerts and each alert's timeline with the acknowledge and silence
forms; a province's regencies side by side (supervisors acknowledge escalated alerts there);
the thresholds settings of the head of office and of the supervisor; the strip of firing
alerts at the top of the regency home and of the province page."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts import access, service, thresholds
from siaga_platform.alerts.models import Alert, Level
from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from siaga_platform.notify.local_time import format_local_time, zone_of
from siaga_platform.text import N_
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.regions import service as regions
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.models import Tenant
from siaga_web import actors, clock
from siaga_web.csrf import verify_csrf
from siaga_web.deps import (
    DbSession,
    TenantContext,
    enter_regencies,
    in_tenant,
    requires,
    writing_one,
)
from siaga_web.labels import (
    ALERT_EVENT_LABELS,
    ALERT_LEVELS,
    ALERT_RULE_LABELS,
    ALERT_SOURCE_LABELS,
    ALERT_STEP_LABELS,
)
from siaga_web.templating import render

router = APIRouter(tags=["alerts"])
ProvinceCode = Annotated[str, Path(pattern=r"^\d{2}$")]
Viewer = Annotated[TenantContext, Depends(in_tenant(Permission.VIEW_ALERTS))]
Answerer = Annotated[TenantContext, Depends(in_tenant(Permission.ACKNOWLEDGE_ALERTS))]
Head = Annotated[TenantContext, Depends(in_tenant(Permission.ALERT_SETTINGS))]
ProvinceViewer = Annotated[Principal, Depends(requires(Permission.VIEW_ALERTS))]
ProvinceAnswerer = Annotated[Principal, Depends(requires(Permission.ACKNOWLEDGE_ALERTS))]
ProvinceHead = Annotated[Principal, Depends(requires(Permission.ALERT_SETTINGS))]
Csrf = Depends(verify_csrf)

RESOLVED_DAYS = 30
DONE_MESSAGES = {
    "ditanggapi": N_("Peringatan ditanggapi: pengingat dan eskalasi dihentikan."),
    "disenyapkan": N_("Peringatan disenyapkan sampai batas waktu yang Anda isi."),
    "disimpan": N_("Ambang batas disimpan. Penilaian berikutnya (setiap menit) memakainya."),
    "tidak-berubah": N_("Tidak ada yang berubah."),
}
BAD_UNTIL = "Isi batas waktu senyap dengan tanggal dan jam setempat, misalnya 2026-12-03 08:00."


def _common(zone: str) -> dict[str, Any]:
    return {
        "levels": {k: (icon, word, css) for k, (icon, word, css) in ALERT_LEVELS.items()},
        "rule_labels": ALERT_RULE_LABELS,
        "event_labels": ALERT_EVENT_LABELS,
        "step_labels": ALERT_STEP_LABELS,
        "waktu": lambda moment: format_local_time(moment, zone) if moment else "–",
        "now": clock.now(),
    }


async def _names(db: AsyncSession, subjects: Iterable[str | None]) -> dict[str, str]:
    return await actors.names(db, subjects)


# --- a regency's alerts ----------------------------------------------------------------------


@router.get("/wilayah/{code}/peringatan")
async def regency_alerts(request: Request, db: DbSession, context: Viewer) -> Response:
    now = clock.now()
    listed = await service.recent(db, now=now, resolved_days=RESOLVED_DAYS)
    open_ = [a for a in listed if a.resolved_at is None]
    resolved = sorted(
        (a for a in listed if a.resolved_at is not None),
        key=lambda a: a.resolved_at or now,
        reverse=True,
    )
    subjects = {a.acknowledged_by for a in open_} | {a.silenced_by for a in open_}
    return render(
        request,
        "pages/alerts/regency.html",
        {
            **_common(context.tenant.timezone),
            "tenant": context.tenant,
            "firing": service.worst_first([a for a in open_ if service.is_firing(a, now)]),
            "acknowledged": [a for a in open_ if a.acknowledged and not a.silenced(now)],
            "silenced": [a for a in open_ if a.silenced(now)],
            "resolved": resolved,
            "resolved_days": RESOLVED_DAYS,
            "names": await _names(db, subjects),
        },
        block="alert_sections",
    )


def _local_input(moment: datetime, zone: str) -> str:
    return moment.astimezone(zone_of(zone)).strftime("%Y-%m-%dT%H:%M")


async def _detail_values(
    db: AsyncSession,
    principal: Principal,
    tenant: Tenant,
    alert_id: uuid.UUID,
    *,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> dict[str, Any]:
    alert, timeline = await service.alert_with_timeline(db, alert_id, tenant.id)
    now = clock.now()
    actors: list[str | None] = [e.actor for e in timeline]
    names = await _names(db, [*actors, alert.acknowledged_by, alert.silenced_by])
    is_open = alert.resolved_at is None
    may_acknowledge = (
        is_open and not alert.acknowledged and access.may_acknowledge(principal, alert)
    )
    staff = access.is_regency_staff(principal, alert)
    # Staff answer on the regency's page; a supervisor or an admin through the province's,
    # which opens a write scope for this one regency only (routes below).
    acknowledge_action = (
        f"/wilayah/{tenant.code}/peringatan/{alert.id}/tanggapi"
        if staff
        else f"/provinsi/{tenant.province_code}/peringatan/{alert.id}/tanggapi"
    )
    return {
        **_common(tenant.timezone),
        "tenant": tenant,
        "alert": alert,
        "timeline": timeline,
        "names": names,
        "is_open": is_open,
        "silenced_now": alert.silenced(now),
        "may_acknowledge": may_acknowledge,
        "acknowledge_action": acknowledge_action,
        "may_silence": is_open and staff,
        "until_default": _local_input(now + timedelta(hours=4), tenant.timezone),
        "until_min": _local_input(now, tenant.timezone),
        "error": error,
        "form": form or {},
        "done": DONE_MESSAGES.get(done or ""),
    }


@router.get("/wilayah/{code}/peringatan/pengaturan")
async def regency_settings(
    request: Request, db: DbSession, context: Viewer, berhasil: str | None = None
) -> Response:
    return await _render_regency_settings(request, db, context, done=berhasil)


async def _render_regency_settings(
    request: Request,
    db: AsyncSession,
    context: TenantContext,
    *,
    done: str | None = None,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    now = clock.now()
    regency = (await rollup_regencies(db, [context.tenant], now))[0]
    own = (await thresholds.regency_overrides(db)).get(context.tenant.id, {})
    defaults = await thresholds.province_defaults(db, [context.tenant.province_code])
    return render(
        request,
        "pages/alerts/settings.html",
        {
            "tenant": context.tenant,
            "province": None,
            "lines": thresholds.lines(regency, defaults.get(context.tenant.province_code, {}), own),
            "source_labels": ALERT_SOURCE_LABELS,
            "can_configure": context.can_write
            and has_permission(context.principal, Permission.ALERT_SETTINGS),
            "action": f"/wilayah/{context.tenant.code}/peringatan/pengaturan",
            "back": f"/wilayah/{context.tenant.code}/peringatan",
            "error": error,
            "form": form,
            "done": DONE_MESSAGES.get(done or ""),
        },
        status_code=error.status_code if error else 200,
    )


async def _threshold_form(request: Request) -> dict[str, str]:
    sent = await request.form()
    return {name: str(sent[name])[:40] for name in thresholds.NAMES if name in sent}


@router.post("/wilayah/{code}/peringatan/pengaturan", dependencies=[Csrf])
async def save_regency_settings(request: Request, db: DbSession, context: Head) -> Response:
    if not context.can_write:  # a supervisor sets the province's defaults, not a regency's
        raise Forbidden("Ambang batas kabupaten/kota diatur oleh kepala dinasnya.")
    raw = await _threshold_form(request)
    try:
        async with db.begin_nested():
            changes = await thresholds.save_regency(
                db,
                tenant_id=context.tenant.id,
                actor_subject=context.principal.subject,
                raw=raw,
                now=clock.now(),
            )
    except InvalidInput as refused:
        return await _render_regency_settings(request, db, context, error=refused, form=raw)
    done = "disimpan" if changes else "tidak-berubah"
    return RedirectResponse(
        f"/wilayah/{context.tenant.code}/peringatan/pengaturan?berhasil={done}", status_code=303
    )


@router.get("/wilayah/{code}/peringatan/{alert_id}")
async def alert_detail(
    request: Request,
    db: DbSession,
    context: Viewer,
    alert_id: uuid.UUID,
    berhasil: str | None = None,
) -> Response:
    values = await _detail_values(db, context.principal, context.tenant, alert_id, done=berhasil)
    return render(request, "pages/alerts/detail.html", values)


async def _refused(
    request: Request,
    db: AsyncSession,
    principal: Principal,
    tenant: Tenant,
    alert_id: uuid.UUID,
    refused: DomainError,
    form: dict[str, str],
) -> Response:
    values = await _detail_values(db, principal, tenant, alert_id, error=refused, form=form)
    return render(request, "pages/alerts/detail.html", values, status_code=refused.status_code)


def _done(tenant: Tenant, alert_id: uuid.UUID, what: str) -> Response:
    return RedirectResponse(
        f"/wilayah/{tenant.code}/peringatan/{alert_id}?berhasil={what}", status_code=303
    )


@router.post("/wilayah/{code}/peringatan/{alert_id}/tanggapi", dependencies=[Csrf])
async def acknowledge(
    request: Request,
    db: DbSession,
    context: Answerer,
    alert_id: uuid.UUID,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not context.can_write:
        raise Forbidden("Supervisor dan admin menanggapi peringatan lewat halaman provinsi.")
    try:
        async with db.begin_nested():
            await service.acknowledge(db, context.principal, alert_id, note=note, now=clock.now())
    except (InvalidInput, Conflict) as refused:
        return await _refused(
            request, db, context.principal, context.tenant, alert_id, refused, {"note": note}
        )
    return _done(context.tenant, alert_id, "ditanggapi")


def _parse_until(text: str, zone: str) -> datetime:
    """A ``datetime-local`` value in the regency's own clock, as UTC."""
    try:
        local = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidInput(BAD_UNTIL, field="until") from None
    if local.tzinfo is not None:
        raise InvalidInput(BAD_UNTIL, field="until")
    return local.replace(tzinfo=zone_of(zone)).astimezone(UTC)


@router.post("/wilayah/{code}/peringatan/{alert_id}/senyapkan", dependencies=[Csrf])
async def silence(
    request: Request,
    db: DbSession,
    context: Answerer,
    alert_id: uuid.UUID,
    until: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not context.can_write:
        raise Forbidden("Hanya petugas kabupaten/kota yang menyenyapkan peringatannya.")
    try:
        async with db.begin_nested():
            await service.silence(
                db,
                context.principal,
                alert_id,
                until=_parse_until(until, context.tenant.timezone),
                reason=reason,
                now=clock.now(),
            )
    except (InvalidInput, Conflict) as refused:
        form = {"until": until, "reason": reason}
        return await _refused(
            request, db, context.principal, context.tenant, alert_id, refused, form
        )
    return _done(context.tenant, alert_id, "disenyapkan")


# --- a province ------------------------------------------------------------------------------


@dataclass
class RegencyAlerts:
    tenant: Tenant
    open: list[Alert]
    firing: list[Alert]
    resolved: int

    @property
    def worst(self) -> tuple[int, int, int, int]:
        gawat = sum(1 for a in self.firing if a.level == Level.GAWAT)
        gawat_open = sum(1 for a in self.open if a.level == Level.GAWAT)
        return (-gawat, -len(self.firing), -gawat_open, -len(self.open))


async def _province_tenants(
    db: AsyncSession, principal: Principal, code: str
) -> tuple[Any, Sequence[Tenant]]:
    province = await regions.province(db, code)
    if province is None or not principal.can_read_province(code):
        raise NotFound("Halaman provinsi ini tidak ditemukan atau bukan wilayah Anda.")
    in_province = await registry.regencies_in_province(db, code)
    await enter_regencies(db, (t.id for t in in_province))
    return province, in_province


@router.get("/provinsi/{code}/peringatan")
async def province_alerts(
    request: Request, db: DbSession, code: ProvinceCode, principal: ProvinceViewer
) -> Response:
    province, in_province = await _province_tenants(db, principal, code)
    now = clock.now()
    listed = await service.recent(db, now=now, resolved_days=RESOLVED_DAYS)
    per: dict[uuid.UUID, RegencyAlerts] = {t.id: RegencyAlerts(t, [], [], 0) for t in in_province}
    for alert in listed:
        row = per.get(alert.tenant_id)
        if row is None:
            continue
        if alert.resolved_at is not None:
            row.resolved += 1
            continue
        row.open.append(alert)
        if service.is_firing(alert, now):
            row.firing.append(alert)
    rows = sorted(per.values(), key=lambda r: (r.worst, r.tenant.name))
    for row in rows:
        row.open = service.worst_first(row.open)
    zone = in_province[0].timezone if in_province else "WIB"
    subjects = {a.acknowledged_by for r in rows for a in r.open}
    return render(
        request,
        "pages/alerts/province.html",
        {
            **_common(zone),
            "province": province,
            "rows": rows,
            "resolved_days": RESOLVED_DAYS,
            "names": await _names(db, subjects),
            "may_acknowledge": lambda a: (
                not a.acknowledged and access.may_acknowledge(principal, a)
            ),
            "can_configure": has_permission(principal, Permission.ALERT_SETTINGS),
        },
    )


@router.post("/provinsi/{code}/peringatan/{alert_id}/tanggapi", dependencies=[Csrf])
async def province_acknowledge(
    request: Request,
    db: DbSession,
    code: ProvinceCode,
    alert_id: uuid.UUID,
    principal: ProvinceAnswerer,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A supervisor (or, at the national step, an admin) answers an escalated alert: found in
    the province's read scope, checked against the escalation rule, then written in a scope
    that may write that one regency only."""
    _province, in_province = await _province_tenants(db, principal, code)
    by_id = {t.id: t for t in in_province}
    alert = await service.alert_of(db, alert_id, by_id)
    tenant = by_id[alert.tenant_id]
    try:
        access.check_acknowledge(principal, alert)
        async with (
            db.begin_nested(),
            writing_one(db, alert.tenant_id),
        ):
            await service.acknowledge(db, principal, alert_id, note=note, now=clock.now())
    except (InvalidInput, Conflict) as refused:
        return await _refused(request, db, principal, tenant, alert_id, refused, {"note": note})
    return _done(tenant, alert_id, "ditanggapi")


# --- the province's defaults -----------------------------------------------------------------


async def _render_province_settings(
    request: Request,
    db: AsyncSession,
    principal: Principal,
    code: str,
    *,
    done: str | None = None,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    province, _in_province = await _province_tenants(db, principal, code)
    defaults = await thresholds.province_defaults(db, [code])
    return render(
        request,
        "pages/alerts/settings.html",
        {
            "tenant": None,
            "province": province,
            "lines": thresholds.lines(None, defaults.get(code, {}), None),
            "source_labels": ALERT_SOURCE_LABELS,
            "can_configure": principal.can_read_province(code)
            and has_permission(principal, Permission.ALERT_SETTINGS),
            "action": f"/provinsi/{code}/peringatan/pengaturan",
            "back": f"/provinsi/{code}/peringatan",
            "error": error,
            "form": form,
            "done": DONE_MESSAGES.get(done or ""),
        },
        status_code=error.status_code if error else 200,
    )


@router.get("/provinsi/{code}/peringatan/pengaturan")
async def province_settings(
    request: Request,
    db: DbSession,
    code: ProvinceCode,
    principal: ProvinceViewer,
    berhasil: str | None = None,
) -> Response:
    return await _render_province_settings(request, db, principal, code, done=berhasil)


@router.post("/provinsi/{code}/peringatan/pengaturan", dependencies=[Csrf])
async def save_province_settings(
    request: Request, db: DbSession, code: ProvinceCode, principal: ProvinceHead
) -> Response:
    _province, in_province = await _province_tenants(db, principal, code)
    raw = await _threshold_form(request)
    try:
        async with db.begin_nested():
            changes = await thresholds.save_province(
                db,
                province_code=code,
                tenant_ids=[t.id for t in in_province],
                actor_subject=principal.subject,
                raw=raw,
                now=clock.now(),
            )
    except InvalidInput as refused:
        return await _render_province_settings(
            request, db, principal, code, error=refused, form=raw
        )
    done = "disimpan" if changes else "tidak-berubah"
    return RedirectResponse(
        f"/provinsi/{code}/peringatan/pengaturan?berhasil={done}", status_code=303
    )
