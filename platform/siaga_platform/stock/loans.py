"""Loans of blank cards between regencies of one province: asked by the regency that ran
short (or proposed by the province supervisor), approved by the supervisor; approval writes
the lender's loan-out and the borrower's loan-in in one transaction, or neither."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from siaga_platform.ids import new_id
from siaga_platform.stock import repository
from siaga_platform.stock.ledger import OutOfStock, record, within_holding
from siaga_platform.stock.models import EntryKind, Item, Loan, LoanStatus
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.writer import writer_tenant

PENDING = frozenset({LoanStatus.REQUESTED, LoanStatus.PROPOSED})


def _angka(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _both(lender: uuid.UUID, borrower: uuid.UUID) -> TenantScope:
    ids = frozenset({lender, borrower})
    return TenantScope(read_tenant_ids=ids, write_tenant_ids=ids)


def _supervisor_of(principal: Principal, province_code: str, *tenant_ids: uuid.UUID) -> None:
    """The supervisor of ``province_code`` (the province the decision is made in), and both
    regencies of that province."""
    if (
        principal.role is not Role.SUPERVISOR_PROVINSI
        or principal.province_code != province_code
        or not set(tenant_ids) <= set(principal.province_tenant_ids)
    ):
        raise Forbidden(
            "Hanya supervisor provinsi kedua kabupaten/kota ini yang dapat memutuskan, "
            "dari halaman provinsinya."
        )


async def _open(
    db: AsyncSession,
    *,
    lender: uuid.UUID,
    borrower: uuid.UUID,
    quantity: int,
    note: str | None,
    status: LoanStatus,
    actor: str,
    now: datetime,
) -> uuid.UUID:
    if lender == borrower:
        raise InvalidInput("Pilih kabupaten/kota lain sebagai pemberi pinjaman.", field="lender")
    within_holding(quantity)
    cleaned = " ".join((note or "").split())[:300] or None
    loan_id = new_id()
    async with system_scope(db, _both(lender, borrower), why="stock.loans._open"):
        # The same loan sent twice (a second click, a page sent again) is one loan.
        if await repository.same_pending_loan(
            db, lender=lender, borrower=borrower, quantity=quantity
        ):
            raise Conflict(
                f"Pinjaman {_angka(quantity)} blanko yang sama sudah diusulkan dan menunggu "
                "keputusan: tidak dibuat dua kali."
            )
        for tenant_id, side in ((lender, "lender"), (borrower, "borrower")):
            db.add(
                Loan(
                    id=loan_id,
                    tenant_id=tenant_id,
                    side=side,
                    lender_tenant_id=lender,
                    borrower_tenant_id=borrower,
                    quantity=quantity,
                    status=status,
                    note=cleaned,
                    asked_by=actor,
                    asked_at=now,
                )
            )
    return loan_id


async def ask(
    db: AsyncSession,
    principal: Principal,
    *,
    lender: uuid.UUID,
    lender_province: str,
    quantity: int,
    note: str | None,
    now: datetime,
) -> uuid.UUID:
    """The borrowing regency asks another regency of its province for ``quantity`` cards."""
    borrower = writer_tenant(principal)
    if lender_province != principal.province_code:
        raise InvalidInput("Pinjaman hanya antar kabupaten/kota satu provinsi.", field="lender")
    return await _open(
        db,
        lender=lender,
        borrower=borrower,
        quantity=quantity,
        note=note,
        status=LoanStatus.REQUESTED,
        actor=principal.subject,
        now=now,
    )


async def propose(
    db: AsyncSession,
    principal: Principal,
    *,
    province_code: str,
    lender: uuid.UUID,
    borrower: uuid.UUID,
    quantity: int,
    note: str | None,
    now: datetime,
) -> uuid.UUID:
    """The province supervisor proposes a loan (e.g. from the loan suggestion) between two
    regencies of ``province_code``."""
    _supervisor_of(principal, province_code, lender, borrower)
    return await _open(
        db,
        lender=lender,
        borrower=borrower,
        quantity=quantity,
        note=note,
        status=LoanStatus.PROPOSED,
        actor=principal.subject,
        now=now,
    )


async def decide(
    db: AsyncSession,
    principal: Principal,
    loan_id: uuid.UUID,
    *,
    province_code: str,
    approve: bool,
    business_date: date,
    now: datetime,
) -> Loan:
    """Approve (both entries, one transaction) or reject a pending loan between two regencies
    of ``province_code``."""
    copies = await repository.loan_copies(db, loan_id)
    if len(copies) != 2:
        raise NotFound("Pinjaman tidak ditemukan.")
    lender, borrower = copies[0].lender_tenant_id, copies[0].borrower_tenant_id
    _supervisor_of(principal, province_code, lender, borrower)
    async with system_scope(db, _both(lender, borrower), why="stock.loans.decide"):
        copies = await repository.loan_copies(db, loan_id, lock=True)
        if any(LoanStatus(c.status) not in PENDING for c in copies):
            raise Conflict("Pinjaman ini sudah diputuskan.")
        quantity = copies[0].quantity
        if approve:
            try:
                for tenant_id, kind, delta in (
                    (lender, EntryKind.LOAN_OUT, -quantity),
                    (borrower, EntryKind.LOAN_IN, quantity),
                ):
                    await record(
                        db,
                        tenant_id=tenant_id,
                        item=Item.BLANK_CARD,
                        kind=kind,
                        quantity=delta,
                        business_date=business_date,
                        actor=principal.subject,
                        now=now,
                        loan_id=loan_id,
                        reference=f"PINJAM-{str(loan_id)[:8].upper()}",
                    )
            except OutOfStock as error:
                # Said in the supervisor's terms (not the print refusal's); the request's
                # transaction is rolled back, so neither side moved.
                held = {
                    b.tenant_id: b.on_hand for b in await repository.balances(db, Item.BLANK_CARD)
                }
                raise Conflict(
                    f"Stok pemberi pinjaman tinggal {_angka(held.get(lender, 0))} lembar, kurang "
                    f"dari {_angka(quantity)} yang akan dipinjamkan: pinjaman belum disetujui. "
                    "Tolak pinjaman ini lalu usulkan jumlah yang lebih kecil atau pemberi lain.",
                    field="quantity",
                ) from error
        for copy in copies:
            copy.status = LoanStatus.APPROVED if approve else LoanStatus.REJECTED
            copy.decided_by, copy.decided_at = principal.subject, now
        for tenant_id in (lender, borrower):
            await audit.record(
                db,
                tenant_id=tenant_id,
                actor_subject=principal.subject,
                action="stock.loan.approved" if approve else "stock.loan.rejected",
                object_type="stock_loan",
                object_id=str(loan_id),
            )
    return copies[0]
