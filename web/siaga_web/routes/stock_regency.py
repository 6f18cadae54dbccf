"""Blank cards and ribbon of a regency: the stock card, the forms for each kind of movement,
loans and requests to the centre (HTMX)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from siaga_platform.auth.permissions import Permission
from siaga_platform.errors import NotFound
from siaga_platform.stock import centre_requests, ledger, loans, service
from siaga_platform.stock.models import (
    PRINTS_PER_RIBBON,
    Custody,
    EntryKind,
    Item,
    RequestStatus,
    SpoilageReason,
)
from siaga_platform.text import N_
from siaga_tenants.registry import service as registry
from siaga_web import actors, i18n
from siaga_web.charts import polyline_points
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, TenantContext, in_tenant
from siaga_web.labels import (
    CUSTODY_LABELS,
    ITEM_LABELS,
    LEDGER_KIND_LABELS,
    LOAN_STATUS_LABELS,
    REQUEST_LABELS,
    SPOILAGE_LABELS,
)
from siaga_web.paging import MAX_PAGE, Pager, pager
from siaga_web.templating import flash, render, request_language

router = APIRouter(tags=["stock"])
Viewer = Annotated[TenantContext, Depends(in_tenant(Permission.VIEW_STOCK))]
Manager = Annotated[TenantContext, Depends(in_tenant(Permission.MANAGE_STOCK))]
Csrf = Depends(verify_csrf)
LEDGER_PAGE_SIZE = 50


def _back(context: TenantContext, anchor: str = "") -> Response:
    return RedirectResponse(f"/wilayah/{context.tenant.code}/stok{anchor}", status_code=303)


def _unit(request: Request, item: Item) -> str:
    """The item's name in the person's language, for a sentence."""
    return i18n.translations(request_language(request)).gettext(ITEM_LABELS[item])


def request_status_label(request: Request, status: RequestStatus) -> str:
    return i18n.translations(request_language(request)).gettext(REQUEST_LABELS[status])


def chart_points(balances: list[tuple[date, int]], width: int = 360, height: int = 80) -> str:
    """The balance over the days as an SVG polyline (server-rendered, a few hundred bytes)."""
    return polyline_points([value for _d, value in balances], width, height)


@router.get("/wilayah/{code}/stok")
async def stock_page(
    request: Request,
    db: DbSession,
    context: Viewer,
    item: Annotated[Item, Query()] = Item.BLANK_CARD,
    kind: Annotated[EntryKind | None, Query()] = None,
    dari: Annotated[date | None, Query()] = None,
    sampai: Annotated[date | None, Query()] = None,
    halaman: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    today = context.today
    low_days = await registry.low_stock_days(db)
    shown: list[Pager] = []  # the page of the ledger, once its total is known

    def page_offset(total: int) -> int:
        shown.append(pager(request, total=total, page=halaman, per_page=LEDGER_PAGE_SIZE))
        return shown[0].offset

    card = await service.stock_card(
        db,
        item,
        kinds=[kind] if kind else None,
        since=dari,
        until=sampai,
        today=today,
        low_stock_days=low_days,
        page_size=LEDGER_PAGE_SIZE,
        offset_of=page_offset,
    )
    balances = card.balances
    province = {
        t.id: t for t in await registry.regencies_in_province(db, context.tenant.province_code)
    }
    return render(
        request,
        "pages/stock/card.html",
        {
            "tenant": context.tenant,
            "can_write": context.can_write,
            "item": item,
            "kind": kind,
            "dari": dari,
            "sampai": sampai,
            "figures": card.figures,
            "low_days": low_days,
            "per_ribbon": PRINTS_PER_RIBBON,
            "entries": card.entries,
            # Who recorded each movement, by name (never the SSO subject).
            "people": await actors.names(db, (e.actor_subject for e in card.entries)),
            "pager": shown[0],
            "chart": chart_points(balances),
            "chart_top": max([1, *(v for _d, v in balances)]),
            "loans": card.loans,
            "requests": card.requests,
            "others": [t for t in province.values() if t.id != context.tenant.id],
            "names": {t.id: t.name for t in province.values()},
            "today": today,
            "kind_labels": LEDGER_KIND_LABELS,
            "spoilage_labels": SPOILAGE_LABELS,
            "item_labels": ITEM_LABELS,
            "request_labels": REQUEST_LABELS,
            "loan_status_labels": LOAN_STATUS_LABELS,
            "custody_labels": CUSTODY_LABELS,
            "kinds": list(EntryKind),
            "spoilage_reasons": list(SpoilageReason),
            "custodies": list(Custody),
        },
        block="card",
    )


@router.post("/wilayah/{code}/stok/terima", dependencies=[Csrf])
async def receive(
    request: Request,
    db: DbSession,
    context: Manager,
    item: Annotated[Item, Form()],
    quantity: Annotated[int, Form()],
    reference: Annotated[str, Form(max_length=120)],
    business_date: Annotated[date, Form()],
    serial_from: Annotated[str | None, Form(max_length=40)] = None,
    serial_to: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    await ledger.receive(
        db,
        context.principal,
        item=item,
        quantity=quantity,
        reference=reference,
        business_date=business_date,
        today=context.today,
        now=context.now,
        serial_from=serial_from,
        serial_to=serial_to,
    )
    flash(
        request,
        N_("Penerimaan {quantity} {item} dicatat (nomor pengiriman {reference})."),
        quantity=quantity,
        item=_unit(request, item),
        reference=reference,
        link=f"/wilayah/{context.tenant.code}/stok?item={item.value}#kartu-stok",
        link_text=N_("Lihat kartu stok"),
    )
    return _back(context, f"?item={item.value}")


@router.post("/wilayah/{code}/stok/rusak", dependencies=[Csrf])
async def spoil(
    request: Request,
    db: DbSession,
    context: Manager,
    quantity: Annotated[int, Form()],
    reason: Annotated[SpoilageReason, Form()],
    custody: Annotated[Custody, Form()],
    business_date: Annotated[date, Form()],
    note: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    await ledger.spoil(
        db,
        context.principal,
        quantity=quantity,
        reason=reason,
        custody=custody,
        note=note,
        business_date=business_date,
        today=context.today,
        now=context.now,
    )
    flash(
        request,
        N_("{quantity} blanko rusak dicatat."),
        quantity=quantity,
        link=f"/wilayah/{context.tenant.code}/stok#kartu-stok",
        link_text=N_("Lihat kartu stok"),
    )
    return _back(context)


@router.post("/wilayah/{code}/stok/opname", dependencies=[Csrf])
async def count(
    request: Request,
    db: DbSession,
    context: Manager,
    item: Annotated[Item, Form()],
    counted: Annotated[int, Form()],
    note: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    await ledger.count(
        db,
        context.principal,
        item=item,
        counted=counted,
        note=note,
        today=context.today,
        now=context.now,
    )
    flash(
        request,
        N_("Stok opname dicatat: {counted} {item} dihitung."),
        counted=counted,
        item=_unit(request, item),
        link=f"/wilayah/{context.tenant.code}/stok?item={item.value}#kartu-stok",
        link_text=N_("Lihat kartu stok"),
    )
    return _back(context, f"?item={item.value}")


@router.post("/wilayah/{code}/stok/koreksi/{entry_id}", dependencies=[Csrf])
async def reverse(
    request: Request,
    db: DbSession,
    context: Manager,
    entry_id: uuid.UUID,
    reason: Annotated[str, Form(max_length=300)],
) -> Response:
    entry = await ledger.reverse(
        db, context.principal, entry_id, reason=reason, today=context.today, now=context.now
    )
    flash(
        request,
        N_("Catatan stok dikoreksi dengan catatan pembalik."),
        link=f"/wilayah/{context.tenant.code}/stok?item={entry.item}#kartu-stok",
        link_text=N_("Lihat kartu stok"),
    )
    return _back(context, f"?item={entry.item}")


@router.post("/wilayah/{code}/stok/pinjam", dependencies=[Csrf])
async def ask_loan(
    request: Request,
    db: DbSession,
    context: Manager,
    lender_code: Annotated[str, Form(max_length=5)],
    quantity: Annotated[int, Form()],
    note: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    lender = await registry.tenant_by_code(db, lender_code)
    if lender is None:
        raise NotFound("Kabupaten/kota pemberi pinjaman tidak ditemukan.")
    await loans.ask(
        db,
        context.principal,
        lender=lender.id,
        lender_province=lender.province_code,
        quantity=quantity,
        note=note,
        now=context.now,
    )
    flash(
        request,
        N_("Permintaan pinjaman {quantity} blanko dari {lender} diajukan ke supervisor provinsi."),
        quantity=quantity,
        lender=lender.name,
        link=f"/wilayah/{context.tenant.code}/stok#pinjaman",
        link_text=N_("Lihat pinjaman"),
    )
    return _back(context, "#pinjaman")


@router.post("/wilayah/{code}/stok/usulan", dependencies=[Csrf])
async def draft_request(
    request: Request,
    db: DbSession,
    context: Manager,
    quantity: Annotated[int, Form()],
    note: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    await centre_requests.draft(
        db, context.principal, quantity=quantity, note=note, now=context.now
    )
    flash(
        request,
        N_("Draf usulan {quantity} blanko ke pusat dibuat."),
        quantity=quantity,
        link=f"/wilayah/{context.tenant.code}/stok#usulan",
        link_text=N_("Lihat usulan"),
    )
    return _back(context, "#usulan")


@router.post("/wilayah/{code}/stok/usulan/{request_id}", dependencies=[Csrf])
async def step_request(
    request: Request,
    db: DbSession,
    context: Manager,
    request_id: uuid.UUID,
    version: Annotated[int, Form()],
    to: Annotated[RequestStatus, Form()],
    quantity: Annotated[int | None, Form()] = None,
    shipment_reference: Annotated[str | None, Form(max_length=120)] = None,
) -> Response:
    if to is RequestStatus.RECEIVED:
        today = context.today
        await centre_requests.receive(
            db,
            context.principal,
            request_id,
            version=version,
            quantity=quantity or 0,
            business_date=today,
            today=today,
            now=context.now,
        )
    else:
        await centre_requests.advance(
            db,
            context.principal,
            request_id,
            version=version,
            to=to,
            now=context.now,
            quantity_approved=quantity,
            shipment_reference=shipment_reference,
        )
    flash(
        request,
        N_("Usulan ke pusat kini: {status}."),
        status=request_status_label(request, to),
        link=f"/wilayah/{context.tenant.code}/stok#usulan",
        link_text=N_("Lihat usulan"),
    )
    return _back(context, "#usulan")
