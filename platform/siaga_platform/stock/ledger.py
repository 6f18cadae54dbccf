"""The stock ledger's rules: every movement is an entry (never edited or deleted), the
maintained balance moves with it in the same transaction and never below zero."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, DomainError, InvalidInput, NotFound
from siaga_platform.stock import repository
from siaga_platform.stock.models import (
    MAX_BLANK_CARDS,
    MAX_RIBBONS,
    PRINTS_PER_RIBBON,
    Custody,
    EntryKind,
    Item,
    LedgerEntry,
    SpoilageReason,
)
from siaga_platform.tenancy.writer import writer_tenant

ITEM_NAMES = {Item.BLANK_CARD: "blanko KTP-el", Item.RIBBON: "ribbon printer"}
#: Corrections by a reversing entry: loans are undone by a loan back, counts by a new count.
REVERSIBLE = frozenset({EntryKind.RECEIPT, EntryKind.CONSUMPTION, EntryKind.SPOILAGE})


class OutOfStock(DomainError):
    status_code = 409

    def __init__(self, item: Item, wanted: int) -> None:
        if item is Item.BLANK_CARD:
            message = (
                f"Stok blanko KTP-el tidak cukup (perlu {wanted}). Kartu tidak dapat dicetak "
                "sekarang: terbitkan surat keterangan pengganti KTP-el untuk pemohon ini, "
                "atau minta pinjaman blanko lewat provinsi."
            )
        else:
            message = (
                "Ribbon printer habis: kartu tidak dapat dicetak meski blanko ada. Catat "
                "penerimaan ribbon baru, atau terbitkan surat keterangan pengganti KTP-el."
            )
        super().__init__(message, field="quantity")


#: The most an office can hold, in the units people type (cards, ribbons) and in the units
#: the balance keeps (cards, prints).
MAX_TYPED = {Item.BLANK_CARD: MAX_BLANK_CARDS, Item.RIBBON: MAX_RIBBONS}
MAX_ON_HAND = {Item.BLANK_CARD: MAX_BLANK_CARDS, Item.RIBBON: MAX_RIBBONS * PRINTS_PER_RIBBON}
_UNITS = {Item.BLANK_CARD: "lembar blanko", Item.RIBBON: "ribbon"}


def within_holding(
    quantity: int, item: Item = Item.BLANK_CARD, *, field: str = "quantity", zero: bool = False
) -> int:
    """A typed quantity: more than zero (or zero, for a count) and no more than an office can
    hold; the one check behind every stock form."""
    if quantity < 0 or (quantity == 0 and not zero):
        raise InvalidInput(
            "Jumlah tidak boleh kurang dari nol." if zero else "Jumlah harus lebih dari nol.",
            field=field,
        )
    if quantity > MAX_TYPED[item]:
        most = f"{MAX_TYPED[item]:,}".replace(",", ".")  # 1.000.000, as Indonesians write it
        raise InvalidInput(
            f"Jumlah terlalu besar: paling banyak {most} {_UNITS[item]} untuk satu kantor. "
            "Periksa kembali angkanya.",
            field=field,
        )
    return quantity


def _text(value: str | None, *, field: str, label: str, required: bool, limit: int) -> str | None:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        if required:
            raise InvalidInput(f"{label} wajib diisi.", field=field)
        return None
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} terlalu panjang (paling banyak {limit} huruf).", field=field)
    return cleaned


def _not_future(business_date: date, today: date) -> None:
    if business_date > today:
        raise InvalidInput("Tanggal tidak boleh di masa depan.", field="business_date")


async def record(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    item: Item,
    kind: EntryKind,
    quantity: int,
    business_date: date,
    actor: str,
    now: datetime,
    **details: object,
) -> LedgerEntry:
    """The one way stock moves: the balance first (atomic, never below zero), then the entry
    carrying the balance it left. Callers have checked their input."""
    after = await repository.move_balance(db, tenant_id, item, quantity, now)
    if after is None:
        # Not enough, or the item's first movement: make sure the row exists, then try again.
        await repository.ensure_balance(db, tenant_id, item)
        after = await repository.move_balance(db, tenant_id, item, quantity, now)
    if after is None:
        raise OutOfStock(item, -quantity)
    if after > MAX_ON_HAND[item]:
        # Undone with the request (or its savepoint): no office holds this much.
        raise InvalidInput(
            f"Stok {ITEM_NAMES[item]} akan melebihi yang dapat disimpan satu kantor. "
            "Periksa kembali jumlahnya.",
            field="quantity",
        )
    entry = LedgerEntry(
        tenant_id=tenant_id,
        item=item.value,
        kind=kind.value,
        quantity=quantity,
        balance_after=after,
        business_date=business_date,
        recorded_at=now,
        actor_subject=actor,
        **details,
    )
    db.add(entry)
    await db.flush()
    await repository.add_to_day(db, tenant_id, item, business_date, kind, quantity)
    return entry


async def receive(
    db: AsyncSession,
    principal: Principal,
    *,
    item: Item,
    quantity: int,
    reference: str,
    business_date: date,
    today: date,
    now: datetime,
    serial_from: str | None = None,
    serial_to: str | None = None,
    request_id: uuid.UUID | None = None,
) -> LedgerEntry:
    """A delivery from the ministry; ribbon is received in ribbons and kept in prints."""
    tenant_id = writer_tenant(principal)
    within_holding(quantity, item)
    _not_future(business_date, today)
    ref = _text(reference, field="reference", label="Nomor pengiriman", required=True, limit=120)
    first = _text(
        serial_from, field="serial_from", label="Nomor seri awal", required=False, limit=40
    )
    last = _text(serial_to, field="serial_to", label="Nomor seri akhir", required=False, limit=40)
    if (first is None) != (last is None):
        raise InvalidInput(
            "Isi nomor seri awal dan akhir, atau kosongkan keduanya.", field="serial_to"
        )
    numeric = bool(first and last and first.isdigit() and last.isdigit())
    if numeric and int(last or 0) - int(first or 0) + 1 != quantity:
        raise InvalidInput(
            "Rentang nomor seri tidak sama dengan jumlah kartu yang diterima.",
            field="serial_to",
        )
    units = quantity * PRINTS_PER_RIBBON if item is Item.RIBBON else quantity
    return await record(
        db,
        tenant_id=tenant_id,
        item=item,
        kind=EntryKind.RECEIPT,
        quantity=units,
        business_date=business_date,
        actor=principal.subject,
        now=now,
        reference=ref,
        serial_from=first,
        serial_to=last,
        request_id=request_id,
    )


async def spoil(
    db: AsyncSession,
    principal: Principal,
    *,
    quantity: int,
    reason: SpoilageReason,
    custody: Custody,
    note: str | None,
    business_date: date,
    today: date,
    now: datetime,
) -> LedgerEntry:
    """Spoiled blank cards: controlled items, counted and kept (or returned), never lost."""
    tenant_id = writer_tenant(principal)
    within_holding(quantity)
    _not_future(business_date, today)
    return await record(
        db,
        tenant_id=tenant_id,
        item=Item.BLANK_CARD,
        kind=EntryKind.SPOILAGE,
        quantity=-quantity,
        business_date=business_date,
        actor=principal.subject,
        now=now,
        spoilage_reason=reason.value,
        custody=custody.value,
        reason=_text(note, field="note", label="Catatan", required=False, limit=300),
    )


async def count(
    db: AsyncSession,
    principal: Principal,
    *,
    item: Item,
    counted: int,
    note: str | None,
    today: date,
    now: datetime,
) -> LedgerEntry:
    """Stock opname: the counted figure becomes the balance; the entry is the variance."""
    tenant_id = writer_tenant(principal)
    within_holding(counted, item, field="counted", zero=True)
    current = await repository.balance(db, item)
    on_hand = current.on_hand if current else 0
    units = counted * PRINTS_PER_RIBBON if item is Item.RIBBON else counted
    return await record(
        db,
        tenant_id=tenant_id,
        item=item,
        kind=EntryKind.COUNT,
        quantity=units - on_hand,
        business_date=today,
        actor=principal.subject,
        now=now,
        counted=units,
        reason=_text(note, field="note", label="Catatan", required=False, limit=300),
    )


async def reverse(
    db: AsyncSession,
    principal: Principal,
    entry_id: uuid.UUID,
    *,
    reason: str,
    today: date,
    now: datetime,
) -> LedgerEntry:
    """Corrects an entry by writing its opposite (the original stays on the card)."""
    tenant_id = writer_tenant(principal)
    why = _text(reason, field="reason", label="Alasan koreksi", required=True, limit=300)
    original = await repository.entry(db, entry_id)
    if original is None:
        raise NotFound("Catatan stok tidak ditemukan.")
    if EntryKind(original.kind) not in REVERSIBLE:
        raise InvalidInput(
            "Catatan ini tidak dikoreksi dengan pembalikan: pinjaman dikembalikan dengan "
            "pinjaman balik, hasil hitung dengan hitung ulang.",
            field="entry_id",
        )
    if await repository.reversal_of(db, entry_id) is not None:
        raise Conflict("Catatan ini sudah dikoreksi.")
    return await record(
        db,
        tenant_id=tenant_id,
        item=Item(original.item),
        kind=EntryKind.REVERSAL,
        quantity=-original.quantity,
        business_date=today,
        actor=principal.subject,
        now=now,
        reverses_id=original.id,
        reason=why,
    )


LocalDate = Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[date]]


class LedgerCardStock:
    """The applications' ``CardStock``: printing takes one blank card and one print of
    ribbon in the print's own transaction, or refuses the print."""

    def __init__(self, local_date: LocalDate) -> None:
        self._local_date = local_date

    async def take_for_print(
        self,
        db: AsyncSession,
        *,
        tenant_id: uuid.UUID,
        application_id: uuid.UUID,
        actor: str,
        now: datetime,
    ) -> None:
        day = await self._local_date(db, tenant_id, now)
        for item in (Item.BLANK_CARD, Item.RIBBON):
            await record(
                db,
                tenant_id=tenant_id,
                item=item,
                kind=EntryKind.CONSUMPTION,
                quantity=-1,
                business_date=day,
                actor=actor,
                now=now,
                application_id=application_id,
            )
