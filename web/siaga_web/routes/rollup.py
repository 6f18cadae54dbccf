"""The province page (every regency side by side, worst first, live), a regency's read-only
summary for the supervisor, exports and the printable page; the national view."""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import NotFound
from siaga_platform.hardware import incidents
from siaga_platform.rollup import national
from siaga_platform.rollup.rows import (
    SORT_COLUMNS,
    TIMELINE_DAYS,
    RegencyRow,
    read_rows,
    sort_rows,
)
from siaga_platform.rollup.severity import Level
from siaga_platform.stock import figures as stock_figures
from siaga_platform.text import N_
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.regions import service as regions
from siaga_tenants.regions.models import Province
from siaga_web import clock
from siaga_web.alert_strip import strip
from siaga_web.charts import polyline_points
from siaga_web.csrf import verify_csrf
from siaga_web.deps import (
    DbSession,
    ProvinceContext,
    enter_nation,
    enter_own_province,
    in_province,
    requires,
)
from siaga_web.exports import csv_response, xlsx_response
from siaga_web.i18n import ago
from siaga_web.labels import CAUSE_LABELS, LEVEL_WORDS, LOAN_STATUS_LABELS, STAGE_LABELS
from siaga_web.templating import LOAN_MESSAGE, flash, is_htmx, render

router = APIRouter(tags=["rollup"])
ProvinceCode = Annotated[str, Path(pattern=r"^\d{2}$")]
RegencyCode = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")]
InProvince = Annotated[ProvinceContext, Depends(in_province(Permission.VIEW_PROVINCE))]
NationalViewer = Annotated[Principal, Depends(requires(Permission.VIEW_NATIONAL))]
Acknowledger = Annotated[Principal, Depends(requires(Permission.ACKNOWLEDGE_INCIDENTS))]
Csrf = Depends(verify_csrf)

EXPORT_HEADER = [
    "Kode",
    "Kabupaten/kota",
    "Skor keparahan",
    "Set rekam berfungsi",
    "Set rekam total",
    "Perekaman berhenti sejak",
    "Penyebab",
    "Kejadian terbuka",
    "Uptime 30 hari (%)",
    "Tingkat uptime",
    "Terdaftar",
    "Diproses pusat",
    "Menunggu cetak",
    "Terlama menunggu cetak (hari)",
    "Blanko",
    "Cukup untuk (hari)",
    "Blanko habis sejak",
    "Suket aktif",
    "Suket habis <= 30 hari",
    "Suket terbit bulan ini",
    "Suket diganti KTP-el bulan ini",
    "Terakhir aktif",
]


@dataclass
class ProvinceView:
    province: Province
    tenants: Sequence[Any]  # registry rows
    rows: list[RegencyRow]
    unregistered: list[Any]


async def _province(db: AsyncSession, place: ProvinceContext, *, with_trends: bool) -> ProvinceView:
    now = clock.now()
    regencies = await rollup_regencies(db, place.tenants, now)
    rows = await read_rows(db, regencies, now=now, with_trends=with_trends)
    return ProvinceView(place.province, place.tenants, rows, place.unregistered)


def _timeline(rows: list[RegencyRow], now: datetime, width: int = 540) -> list[dict[str, Any]]:
    """Per regency, its outages of the last 90 days as bars (x and width in pixels)."""
    start = now - timedelta(days=TIMELINE_DAYS)
    scale = width / (TIMELINE_DAYS * 86400)
    lanes = []
    for row in rows:
        bars = []
        stopped = row.recording.stopped_since
        for outage in row.outages:
            begin = max(outage.opened_at, start)
            end = outage.closed_at or now
            # The outage that stopped the regency's recording is drawn as such (red), whatever
            # failed: a struck server stops every set.
            stops = outage.closed_at is None and stopped is not None and outage.opened_at <= stopped
            bars.append(
                {
                    "x": round((begin - start).total_seconds() * scale, 1),
                    "w": max(2.0, round((end - begin).total_seconds() * scale, 1)),
                    "level": "stopped" if stops else outage.level,
                    "title": outage.title,
                    "days": (end - outage.opened_at).days,
                    "open": outage.closed_at is None,
                    "cause": outage.cause,
                }
            )
        lanes.append({"row": row, "bars": bars})
    return lanes


def _common(view: ProvinceView, now: datetime) -> dict[str, Any]:
    return {
        "ago": lambda moment, gettext=str: ago(moment, now, gettext),
        "province": view.province,
        "now": now,
        "level_words": LEVEL_WORDS,
        "stage_labels": STAGE_LABELS,
        "cause_labels": CAUSE_LABELS,
        "spark_points": lambda values: polyline_points(values, 90, 18),
    }


PROVINCE_PAGE = "pages/province.html"
NATIONAL_PAGE = "pages/national.html"


async def province_values(
    db: AsyncSession,
    place: ProvinceContext,
    *,
    sort: str,
    query: str,
    whole_page: bool,
    session: MutableMapping[str, Any],
) -> dict[str, Any]:
    """The province page's values: the route's, and the start's warm-up's (``whole_page``:
    the table and, beside it, the supervisor's actions and the alert strip; else the table
    alone, as the 60-second refresh asks)."""
    principal, code = place.principal, place.code
    view = await _province(db, place, with_trends=True)
    now = clock.now()
    column = sort if sort in SORT_COLUMNS else "keparahan"
    rows = sort_rows(view.rows, column, now)
    values = {
        **_common(view, now),
        "rows": rows,
        "unregistered": view.unregistered,
        "sort": column,
        "sort_columns": SORT_COLUMNS,
        # The 60-second refresh asks for what is on screen: the chosen sort (and any filter).
        "refresh_url": f"/provinsi/{code}?{query or 'urut=' + column}",
        "can_view_national": has_permission(principal, Permission.VIEW_NATIONAL),
        "timeline": _timeline(sorted(view.rows, key=lambda r: r.regency.code), now),
        "timeline_days": TIMELINE_DAYS,
    }
    if whole_page:
        values.update(await _actions(db, principal, view, session))
        if has_permission(principal, Permission.VIEW_ALERTS):
            link = f"/provinsi/{code}/peringatan"
            values.update(await strip(db, link=link, tenants_in=view.tenants, with_names=True))
    return values


@router.get("/provinsi/{code}")
async def province_page(
    request: Request,
    db: DbSession,
    place: InProvince,
    urut: Annotated[str, Query(max_length=12)] = "keparahan",
) -> Response:
    values = await province_values(
        db,
        place,
        sort=urut,
        query=request.url.query,
        whole_page=not is_htmx(request),
        session=request.session,
    )
    return render(request, PROVINCE_PAGE, values, block="regency_table")


async def _actions(
    db: AsyncSession, principal: Principal, view: ProvinceView, session: MutableMapping[str, Any]
) -> dict[str, Any]:
    """The supervisor's actions beside the table: the loan plan (suggestions, pending loans,
    a refused decision's reason, shown once), open incidents to acknowledge."""
    names = {t.id: t.name for t in view.tenants}
    codes = {t.id: t.code for t in view.tenants}
    open_outages = [
        (row, outage) for row in view.rows for outage in row.outages if outage.closed_at is None
    ]
    acknowledged = await incidents.acknowledgements(db, [o.incident_id for _r, o in open_outages])
    plan = await stock_figures.loan_plan(db, {r.regency.tenant_id: r.stock for r in view.rows})
    return {
        "can_decide": has_permission(principal, Permission.DECIDE_LOANS),
        "can_acknowledge": has_permission(principal, Permission.ACKNOWLEDGE_INCIDENTS),
        "plan": plan,
        "loan_status_labels": LOAN_STATUS_LABELS,
        "loan_message": session.pop(LOAN_MESSAGE, None),
        "names": names,
        "codes": codes,
        "open_outages": open_outages,
        "acknowledged": acknowledged,
    }


def _cause(cause: str | None) -> str:
    labels: dict[str, str] = {str(k): v for k, v in CAUSE_LABELS.items()}
    return labels.get(cause or "", cause or "")


def _export_rows(rows: list[RegencyRow], now: datetime) -> list[list[Any]]:
    out: list[list[Any]] = []
    for r in rows:
        rec, apps, cards, letters = r.recording, r.applications, r.stock, r.letters
        out.append(
            [
                r.regency.code,
                r.regency.name,
                r.severity.score,
                rec.working_sets,
                rec.total_sets,
                rec.stopped_since.date().isoformat() if rec.stopped_since else "",
                _cause(rec.oldest_incident_cause),
                rec.open_incidents,
                round(rec.uptime_30_days * 100, 1) if rec.uptime_30_days is not None else "",
                LEVEL_WORDS[r.severity.levels.get("uptime", Level.NONE)][1],
                apps.backlog.get("registered", 0),
                apps.backlog.get("processing", 0),
                apps.backlog.get("waiting_print", 0),
                apps.oldest_waiting_days(now) if apps.oldest_waiting_print else "",
                cards.on_hand,
                round(cards.days_of_cover) if cards.days_of_cover is not None else "",
                cards.out_since.date().isoformat() if cards.out_since else "",
                letters.active,
                letters.expiring,
                letters.issued_this_month,
                letters.converted_this_month,
                r.last_activity.isoformat(timespec="minutes") if r.last_activity else "",
            ]
        )
    return out


async def _export(db: AsyncSession, place: ProvinceContext) -> tuple[list[list[Any]], ProvinceView]:
    view = await _province(db, place, with_trends=False)
    now = clock.now()
    return [EXPORT_HEADER, *_export_rows(sort_rows(view.rows, "keparahan", now), now)], view


@router.get("/provinsi/{code}/ekspor.csv")
async def export_csv(db: DbSession, place: InProvince) -> Response:
    rows, _view = await _export(db, place)
    return csv_response(rows, f"provinsi-{place.code}.csv")


@router.get("/provinsi/{code}/ekspor.xlsx")
async def export_xlsx(db: DbSession, place: InProvince) -> Response:
    rows, view = await _export(db, place)
    return xlsx_response(rows, f"provinsi-{place.code}.xlsx", view.province.name)


@router.get("/provinsi/{code}/cetak")
async def printable(request: Request, db: DbSession, place: InProvince) -> Response:
    """A4 landscape for the weekly meeting: the same table, no navigation, no live refresh."""
    view = await _province(db, place, with_trends=True)
    now = clock.now()
    return render(
        request,
        "pages/province_print.html",
        {**_common(view, now), "rows": sort_rows(view.rows, "keparahan", now)},
    )


@router.get("/provinsi/{code}/wilayah/{regency}")
async def regency_summary(
    request: Request,
    db: DbSession,
    place: InProvince,
    regency: RegencyCode,
) -> Response:
    """One regency's figures for the supervisor: read only, with links into each list."""
    view = await _province(db, place, with_trends=True)
    found = [r for r in view.rows if r.regency.code == regency]
    if not found:
        raise NotFound("Kabupaten/kota ini tidak ditemukan atau bukan wilayah Anda.")
    now = clock.now()
    return render(
        request,
        "pages/regency_summary.html",
        {**_common(view, now), "row": found[0], "timeline": _timeline(found, now)},
    )


@router.post("/provinsi/{code}/kejadian/{incident_id}/tanggapi", dependencies=[Csrf])
async def acknowledge(
    request: Request,
    db: DbSession,
    code: ProvinceCode,
    incident_id: uuid.UUID,
    principal: Acknowledger,
    note: Annotated[str, Form(max_length=1000)],
) -> Response:
    await enter_own_province(db, principal, code)
    await incidents.acknowledge(db, principal, incident_id, note=note, now=clock.now())
    flash(
        request,
        N_("Tanggapan provinsi atas kejadian dicatat."),
        link=f"/provinsi/{code}#kejadian",
        link_text=N_("Lihat kejadian"),
    )
    return RedirectResponse(f"/provinsi/{code}#kejadian", status_code=303)


async def national_values(db: AsyncSession) -> dict[str, Any]:
    """The national page's values: the route's, and the start's warm-up's."""
    everyone = await enter_nation(db)
    now = clock.now()
    rows = await read_rows(db, await rollup_regencies(db, everyone, now), now=now)
    provinces = {p.code: p for p in await regions.provinces(db)}
    ordered = national.worst_first(national.totals(rows, list(provinces)))
    return {
        "provinces": [provinces[t.code] for t in ordered],
        "totals": {t.code: t for t in ordered},
        "stage_labels": STAGE_LABELS,
    }


@router.get("/nasional")
async def national_page(request: Request, db: DbSession, principal: NationalViewer) -> Response:
    """38 provinces, each with its regencies' figures summed the right way (national.py)."""
    return render(request, NATIONAL_PAGE, await national_values(db))
