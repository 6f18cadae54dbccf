"""Requests for blank cards to the centre (usulan): drafted → submitted → approved (the
quantity may be cut) → shipped → received; partial receipts allowed, each a ledger receipt."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, InvalidInput, NotFound
from siaga_platform.stock import ledger, repository
from siaga_platform.stock.models import CentreRequest, Item, RequestStatus
from siaga_platform.tenancy.writer import writer_tenant

STALE = "Usulan ini baru saja diubah orang lain. Muat ulang halaman."
#: Which step may follow which.
NEXT = {
    RequestStatus.DRAFTED: RequestStatus.SUBMITTED,
    RequestStatus.SUBMITTED: RequestStatus.APPROVED,
    RequestStatus.APPROVED: RequestStatus.SHIPPED,
}


async def draft(
    db: AsyncSession, principal: Principal, *, quantity: int, note: str | None, now: datetime
) -> CentreRequest:
    writer_tenant(principal)
    ledger.within_holding(quantity)
    request = CentreRequest(
        quantity_requested=quantity,
        status=RequestStatus.DRAFTED,
        note=" ".join((note or "").split())[:300] or None,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    db.add(request)
    await db.flush()
    return request


async def advance(
    db: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    version: int,
    to: RequestStatus,
    now: datetime,
    quantity_approved: int | None = None,
    shipment_reference: str | None = None,
) -> CentreRequest:
    """Submitted, approved (with the approved quantity, never more than asked) or shipped."""
    writer_tenant(principal)
    request = await _checked(db, request_id, version)
    if NEXT.get(RequestStatus(request.status)) is not to:
        raise Conflict("Langkah ini tidak bisa dilakukan pada status usulan sekarang.")
    if to is RequestStatus.APPROVED:
        if quantity_approved is None or not 0 < quantity_approved <= request.quantity_requested:
            raise InvalidInput(
                "Jumlah disetujui harus 1 sampai jumlah yang diusulkan.", field="quantity_approved"
            )
        request.quantity_approved = quantity_approved
    if to is RequestStatus.SHIPPED:
        reference = " ".join((shipment_reference or "").split())
        if not reference:
            raise InvalidInput("Nomor pengiriman wajib diisi.", field="shipment_reference")
        request.shipment_reference = reference[:120]
    request.status, request.updated_at = to, now
    return await _flush(db, request)


async def receive(
    db: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    version: int,
    quantity: int,
    business_date: date,
    today: date,
    now: datetime,
) -> CentreRequest:
    """A (partial) receipt of a shipped request: a ledger receipt with the shipment's
    reference; the request is received once the approved quantity has come."""
    request = await _checked(db, request_id, version)
    if RequestStatus(request.status) is not RequestStatus.SHIPPED:
        raise Conflict("Hanya usulan yang sudah dikirim yang bisa diterima.")
    remaining = (request.quantity_approved or 0) - request.quantity_received
    if quantity > remaining:
        raise InvalidInput(f"Sisa yang belum diterima hanya {remaining}.", field="quantity")
    await ledger.receive(
        db,
        principal,
        item=Item.BLANK_CARD,
        quantity=quantity,
        reference=request.shipment_reference or "",
        business_date=business_date,
        today=today,
        now=now,
        request_id=request.id,
    )
    request.quantity_received += quantity
    if request.quantity_received >= (request.quantity_approved or 0):
        request.status = RequestStatus.RECEIVED
    request.updated_at = now
    return await _flush(db, request)


async def _checked(db: AsyncSession, request_id: uuid.UUID, version: int) -> CentreRequest:
    request = await repository.centre_request(db, request_id)
    if request is None:
        raise NotFound("Usulan tidak ditemukan.")
    if request.version != version:
        raise Conflict(STALE)
    return request


async def _flush(db: AsyncSession, request: CentreRequest) -> CentreRequest:
    try:
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE) from error
    return request
