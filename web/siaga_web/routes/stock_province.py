"""The province's stock page, where the supervisor decides and proposes loans between
regencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import DomainError, NotFound
from siaga_platform.stock import loans, service
from siaga_platform.text import N_
from siaga_tenants.regions import service as regions
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.service import local_date
from siaga_web import clock
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, enter_own_province, requires
from siaga_web.labels import (
    LOAN_STATUS_LABELS,
)
from siaga_web.templating import LOAN_MESSAGE, flash, render

router = APIRouter(tags=["stock"])
Decider = Annotated[Principal, Depends(requires(Permission.DECIDE_LOANS))]
Csrf = Depends(verify_csrf)


@router.get("/provinsi/{code}/stok")
async def province_stock(
    request: Request, db: DbSession, code: str, principal: Decider
) -> Response:
    """Per regency: on hand, days of cover, out since, pending loans and requests; the loan
    suggestion; the supervisor approves, rejects or proposes loans here."""
    _own_province(principal, code)
    province = await regions.province(db, code)
    if province is None:
        raise NotFound(NOT_YOUR_PROVINCE)
    overview = await service.province_stock(
        db, await registry.stock_regencies(db, code, clock.now())
    )
    rows = overview.rows
    plan = overview.plan
    names = {r.tenant.id: r.tenant.name for r in rows}
    return render(
        request,
        "pages/stock/province.html",
        {
            "province": province,
            "rows": rows,
            "plan": plan,
            "names": names,
            "loan_status_labels": LOAN_STATUS_LABELS,
            "loan_message": request.session.pop(LOAN_MESSAGE, None),
        },
    )


@router.post("/provinsi/{code}/stok/pinjaman/{loan_id}", dependencies=[Csrf])
async def decide_loan(
    request: Request,
    db: DbSession,
    code: str,
    loan_id: uuid.UUID,
    principal: Decider,
    decision: Annotated[str, Form(pattern="^(setujui|tolak)$")],
    next: Annotated[str | None, Form(max_length=120)] = None,
) -> Response:
    _own_province(principal, code)
    now = clock.now()
    await enter_own_province(db, principal, code)
    try:
        await service.decide_loan(
            db,
            principal,
            loan_id,
            province_code=code,
            approve=decision == "setujui",
            now=now,
            local_date=local_date,
        )
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        # Back on the page the supervisor decided from, with the reason beside the loans
        # (nothing was written: the refusal comes before either side moves).
        request.session[LOAN_MESSAGE] = error.message
    else:
        flash(
            request,
            N_("Pinjaman disetujui: blanko berpindah di kedua kartu stok.")
            if decision == "setujui"
            else N_("Pinjaman ditolak."),
            link=f"/provinsi/{code}/stok#pinjaman",
            link_text=N_("Lihat pinjaman"),
        )
    return RedirectResponse(_back_to_province(code, next), status_code=303)


@router.post("/provinsi/{code}/stok/usul-pinjaman", dependencies=[Csrf])
async def propose_loan(
    request: Request,
    db: DbSession,
    code: str,
    principal: Decider,
    lender: Annotated[uuid.UUID, Form()],
    borrower: Annotated[uuid.UUID, Form()],
    quantity: Annotated[int, Form()],
    next: Annotated[str | None, Form(max_length=120)] = None,
) -> Response:
    _own_province(principal, code)
    try:
        await loans.propose(
            db,
            principal,
            province_code=code,
            lender=lender,
            borrower=borrower,
            quantity=quantity,
            note="Usulan supervisor provinsi",
            now=clock.now(),
        )
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        request.session[LOAN_MESSAGE] = error.message
    else:
        flash(
            request,
            N_("Usulan pinjaman {quantity} blanko dibuat; menunggu persetujuan."),
            quantity=quantity,
            link=f"/provinsi/{code}/stok#pinjaman",
            link_text=N_("Lihat pinjaman"),
        )
    return RedirectResponse(_back_to_province(code, next), status_code=303)


#: The session key of a loan decision's or proposal's refusal, shown once beside the loans.
NOT_YOUR_PROVINCE = "Halaman provinsi ini tidak ditemukan atau bukan wilayah Anda."


def _own_province(principal: Principal, code: str) -> None:
    """The province in the address is the supervisor's own, or the page does not exist for
    them (the address decides where a loan is decided, never only the sign-in)."""
    if not principal.can_read_province(code):
        raise NotFound(NOT_YOUR_PROVINCE)


def _back_to_province(code: str, next_page: str | None) -> str:
    """Back where the supervisor decided (the province page or its stock page); never a
    foreign address."""
    if next_page and next_page.startswith(f"/provinsi/{code}") and "//" not in next_page:
        return next_page
    return f"/provinsi/{code}/stok"
