"""The rules of substitute letters. Services flush, never commit; the actor is explicit.

A letter is issued only for an applicant who has been recorded (BC or later) and whose card
cannot be printed yet; one letter in force per applicant; numbers per tenant per year with no
gap; renewal keeps the history; revocation needs a reason; handing the card over revokes the
letter and counts a conversion (``LetterConversion``).
"""

from __future__ import annotations

import calendar
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from siaga_platform.applications import repository as applications
from siaga_platform.applications.models import Application
from siaga_platform.applications.service import decrypt_name, decrypt_nik
from siaga_platform.applications.statuses import LABELS_ID, STATUS_CODES, Status
from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, InvalidInput, NotFound
from siaga_platform.letters import repository
from siaga_platform.letters.document import (
    LetterContent,
    OfficeHeader,
    content_hash,
    long_date,
    render_pdf,
    verification_url,
)
from siaga_platform.letters.models import Letter, LetterEvent, LetterReason, LetterState
from siaga_platform.letters.numbering import check_format, format_number
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.privacy.masking import mask_name
from siaga_platform.tenancy.writer import writer_tenant

STALE = "Surat ini baru saja diubah oleh petugas lain. Muat ulang halaman lalu coba lagi."

#: Recorded, and the card not printed yet: the only time a letter stands in for the card.
ELIGIBLE = frozenset(
    {
        Status.RECORDED,
        Status.SENT,
        Status.RECEIVED,
        Status.PRR,
        Status.ADJUDICATION,
        Status.PRINT_QUEUED,
    }
)
_NOT_ELIGIBLE = {
    Status.REGISTERED: "Pemohon belum melakukan perekaman (belum BC). Surat keterangan hanya "
    "untuk pemohon yang sudah direkam.",
    Status.ENROLLMENT_FAILED: "Perekaman pemohon gagal enrol dan harus diulang. Rekam ulang "
    "dulu, lalu terbitkan surat keterangan.",
    Status.DUPLICATE: "Data pemohon terdeteksi ganda. Selesaikan data ganda dulu.",
    Status.PRINTED: "Kartu pemohon sudah dicetak: serahkan kartunya, bukan surat keterangan.",
    Status.READY: "Kartu pemohon sudah dicetak: serahkan kartunya, bukan surat keterangan.",
    Status.ISSUED: "Kartu pemohon sudah diserahkan.",
    Status.CANCELLED: "Permohonan ini sudah dibatalkan.",
}


class KecamatanNames(Protocol):
    """The code list, as this domain needs it (kept in the tenant registry)."""

    async def kecamatan_name(self, db: AsyncSession, kecamatan_code: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class LetterPolicy:
    """The tenant's settings for letters (read by the caller from the tenant registry)."""

    number_format: str
    validity_months: int
    signer_name: str | None
    signer_title: str


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later; the 31st becomes the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _signer(policy: LetterPolicy) -> tuple[str, str]:
    name = (policy.signer_name or "").strip()
    if not name:
        raise InvalidInput(
            "Nama kepala dinas (penanda tangan) belum diisi. Kepala dinas mengisinya di "
            "Pengaturan surat pada halaman Surat Keterangan.",
            field="signer_name",
        )
    return name, policy.signer_title.strip() or "Kepala Dinas"


def _check_eligible(application: Application) -> Status:
    status = Status(application.status)
    if status not in ELIGIBLE:
        raise Conflict(_NOT_ELIGIBLE.get(status, "Permohonan ini tidak bisa diberi surat."))
    return status


async def _load(db: AsyncSession, letter_id: uuid.UUID) -> Letter:
    letter = await repository.get(db, letter_id)
    if letter is None:
        raise NotFound("Surat keterangan tidak ditemukan.")
    return letter


async def _content(
    db: AsyncSession,
    cipher: FieldCipher,
    regions: KecamatanNames,
    letter: Letter,
    application: Application,
) -> LetterContent:
    kecamatan = await regions.kecamatan_name(db, application.kecamatan_code)
    return LetterContent(
        number=letter.number,
        nik=decrypt_nik(cipher, application),
        name=decrypt_name(cipher, application),
        birth_place=application.birth_place,
        birth_date=application.birth_date,
        sex=application.sex,
        desa=application.desa,
        kecamatan=kecamatan or application.kecamatan_code,
        status_code=letter.status_code,
        reason=LetterReason(letter.reason),
        issued_on=letter.issued_on,
        valid_until=letter.valid_until,
        signer_name=letter.signer_name,
        signer_title=letter.signer_title,
        token=letter.token,
    )


def _event(letter: Letter, kind: str, actor: str, now: datetime, note: str | None) -> LetterEvent:
    return LetterEvent(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        kind=kind,
        actor_subject=actor,
        occurred_at=now,
        valid_until=letter.valid_until,
        note=note,
    )


async def issue(
    db: AsyncSession,
    principal: Principal,
    cipher: FieldCipher,
    regions: KecamatanNames,
    application_id: uuid.UUID,
    *,
    reason: LetterReason,
    note: str | None,
    policy: LetterPolicy,
    today: date,
    now: datetime,
) -> Letter:
    tenant_id = writer_tenant(principal)
    note = (note or "").strip() or None
    if reason is LetterReason.OTHER and not note:
        raise InvalidInput("Tuliskan alasannya bila memilih 'Lainnya'.", field="note")
    signer_name, signer_title = _signer(policy)
    number_format = check_format(policy.number_format)
    application = await applications.get(db, application_id)
    if application is None:
        raise NotFound("Permohonan tidak ditemukan.")
    status = _check_eligible(application)
    existing = await repository.unrevoked_for_nik(db, application.nik_hash)
    if existing is not None:
        raise Conflict(_already_held(existing, today))
    letter = Letter(
        tenant_id=tenant_id,
        application_id=application.id,
        nik_hash=application.nik_hash,
        nik_masked=application.nik_masked,
        holder_masked=mask_name(decrypt_name(cipher, application)),
        year=today.year,
        reason=reason.value,
        reason_note=note,
        status_code=STATUS_CODES[status],
        issued_on=today,
        valid_until=add_months(today, policy.validity_months),
        signer_name=signer_name,
        signer_title=signer_title,
        token=secrets.token_urlsafe(18),
        issued_by=principal.subject,
        created_at=now,
    )
    try:
        # The number is taken inside the savepoint: if a colleague issued for the same
        # applicant a moment ago, the insert and the number are both undone (no gap).
        async with db.begin_nested():
            letter.sequence = await repository.take_number(db, tenant_id, today.year)
            letter.number = format_number(number_format, sequence=letter.sequence, year=today.year)
            letter.content_hash = content_hash(
                await _content(db, cipher, regions, letter, application)
            )
            db.add(letter)
            await db.flush()
    except IntegrityError as error:
        raise Conflict(
            "Pemohon ini baru saja diberi surat keterangan oleh petugas lain."
        ) from error
    db.add(_event(letter, "issued", principal.subject, now, note))
    await repository.bump_expiry(db, tenant_id, letter.valid_until, 1)
    await repository.bump_day(db, tenant_id, today, "issued")
    await audit.record(
        db,
        tenant_id=tenant_id,
        actor_subject=principal.subject,
        action="letter.issued",
        object_type="letter",
        object_id=str(letter.id),
    )
    return letter


def _already_held(letter: Letter, today: date) -> str:
    if letter.state(today) is LetterState.EXPIRED:
        return (
            f"Pemohon ini masih memiliki surat {letter.number} yang sudah kedaluwarsa. "
            "Perpanjang surat itu (atau cabut dulu), jangan terbitkan surat baru."
        )
    return (
        f"Pemohon ini sudah memiliki surat keterangan {letter.number} yang berlaku sampai "
        f"{long_date(letter.valid_until)}."
    )


async def _checked(db: AsyncSession, letter_id: uuid.UUID, expected_version: int) -> Letter:
    letter = await _load(db, letter_id)
    if letter.version != expected_version:
        raise Conflict(STALE)
    return letter


async def renew(
    db: AsyncSession,
    principal: Principal,
    cipher: FieldCipher,
    regions: KecamatanNames,
    letter_id: uuid.UUID,
    *,
    expected_version: int,
    policy: LetterPolicy,
    today: date,
    now: datetime,
) -> Letter:
    """A new validity from today; the number stays, the history keeps the old dates."""
    tenant_id = writer_tenant(principal)
    letter = await _checked(db, letter_id, expected_version)
    if letter.revoked_at is not None:
        raise Conflict("Surat yang sudah dicabut tidak bisa diperpanjang.")
    application = await applications.get(db, letter.application_id)
    if application is None:
        raise NotFound("Permohonan surat ini tidak ditemukan.")
    status = _check_eligible(application)
    new_until = add_months(today, policy.validity_months)
    if new_until <= letter.valid_until:
        raise Conflict(
            f"Surat ini masih berlaku sampai {long_date(letter.valid_until)}; "
            "perpanjangan belum memberi tambahan waktu."
        )
    previous_until = letter.valid_until
    letter.signer_name, letter.signer_title = _signer(policy)
    letter.valid_until = new_until
    letter.renewed_on = today
    letter.status_code = STATUS_CODES[status]
    letter.content_hash = content_hash(await _content(db, cipher, regions, letter, application))
    try:
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE) from error
    db.add(_event(letter, "renewed", principal.subject, now, f"sebelumnya s.d. {previous_until}"))
    await repository.bump_expiry(db, tenant_id, previous_until, -1)
    await repository.bump_expiry(db, tenant_id, new_until, 1)
    await repository.bump_day(db, tenant_id, today, "renewed")
    return letter


async def _end(
    db: AsyncSession,
    letter: Letter,
    *,
    actor: str,
    reason: str,
    converted: bool,
    today: date,
    now: datetime,
) -> None:
    letter.revoked_at = now
    letter.revoked_on = today
    letter.revoked_reason = reason
    letter.converted = converted
    try:
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE) from error
    db.add(_event(letter, "converted" if converted else "revoked", actor, now, reason))
    await repository.bump_expiry(db, letter.tenant_id, letter.valid_until, -1)
    await repository.bump_day(db, letter.tenant_id, today, "converted" if converted else "revoked")


async def revoke(
    db: AsyncSession,
    principal: Principal,
    letter_id: uuid.UUID,
    *,
    expected_version: int,
    reason: str,
    today: date,
    now: datetime,
) -> Letter:
    writer_tenant(principal)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Alasan pencabutan wajib diisi.", field="reason")
    letter = await _checked(db, letter_id, expected_version)
    if letter.revoked_at is not None:
        raise Conflict("Surat ini sudah dicabut.")
    await _end(
        db,
        letter,
        actor=principal.subject,
        reason=reason[:300],
        converted=False,
        today=today,
        now=now,
    )
    return letter


class LetterConversion:
    """Handing the card over revokes the applicant's letter and counts a conversion; an
    application cancelled, found a duplicate or to be recorded again revokes it too."""

    def __init__(self, local_date: Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[date]]):
        self._local_date = local_date

    async def card_issued(
        self, db: AsyncSession, application: Application, *, actor: str, now: datetime
    ) -> None:
        letter = await repository.unrevoked_for_nik(db, application.nik_hash)
        if letter is None:
            return
        today = await self._local_date(db, application.tenant_id, now)
        await _end(
            db,
            letter,
            actor=actor,
            reason="KTP-el sudah diserahkan kepada pemohon.",
            converted=True,
            today=today,
            now=now,
        )

    async def recording_void(
        self,
        db: AsyncSession,
        application: Application,
        *,
        reason: str,
        actor: str,
        now: datetime,
    ) -> None:
        letter = await repository.unrevoked_for_nik(db, application.nik_hash)
        if letter is None or letter.application_id != application.id:
            return
        today = await self._local_date(db, application.tenant_id, now)
        await _end(db, letter, actor=actor, reason=reason, converted=False, today=today, now=now)


async def document(
    db: AsyncSession,
    principal: Principal,
    cipher: FieldCipher,
    regions: KecamatanNames,
    letter_id: uuid.UUID,
    *,
    office: OfficeHeader,
    regency_code: str,
    base_url: str,
    today: date,
) -> tuple[Letter, bytes]:
    """The PDF of a letter in force, for the office's own staff; every print is written to
    the audit trail. A revoked or expired letter is not printed (renew it first)."""
    writer_tenant(principal)
    letter = await _load(db, letter_id)
    state = letter.state(today)
    if state is LetterState.REVOKED:
        raise Conflict("Surat ini sudah dicabut dan tidak boleh dicetak lagi.")
    if state is LetterState.EXPIRED:
        raise Conflict("Surat ini sudah kedaluwarsa. Perpanjang dulu, lalu cetak.")
    application = await applications.get(db, letter.application_id)
    if application is None:
        raise NotFound("Permohonan surat ini tidak ditemukan.")
    content = await _content(db, cipher, regions, letter, application)
    label = next(
        (LABELS_ID[s] for s, code in STATUS_CODES.items() if code == letter.status_code),
        letter.status_code,
    )
    pdf = render_pdf(content, office, verification_url(base_url, regency_code, letter.token), label)
    await audit.record(
        db,
        tenant_id=letter.tenant_id,
        actor_subject=principal.subject,
        action="letter.printed",
        object_type="letter",
        object_id=str(letter.id),
    )
    return letter, pdf


@dataclass(frozen=True, slots=True)
class Verification:
    """What the public page may say about a letter: never the NIK, the address or the name."""

    state: LetterState
    number: str
    holder_masked: str
    issued_on: date
    valid_until: date
    content_hash: str
    converted: bool


async def verify(db: AsyncSession, token: str, *, today: date) -> Verification | None:
    letter = await repository.by_token(db, token)
    if letter is None:
        return None
    return Verification(
        state=letter.state(today),
        number=letter.number,
        holder_masked=letter.holder_masked,
        issued_on=letter.issued_on,
        valid_until=letter.valid_until,
        content_hash=letter.content_hash,
        converted=letter.converted,
    )


async def register_page(
    db: AsyncSession,
    *,
    today: date,
    state: str | None = None,
    reason: LetterReason | None = None,
    nik_hashes: Sequence[str] | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[Sequence[Letter], int]:
    """A page of the register of the regency in scope, newest number first, and how many
    match in all (``limit=None``: every match, for the export)."""
    return await repository.register_page(
        db,
        today=today,
        state=state,
        reason=reason,
        nik_hashes=nik_hashes,
        offset=offset,
        limit=limit,
    )


async def revoked_total(db: AsyncSession) -> int:
    """Letters ever revoked in the regency in scope."""
    return await repository.revoked_total(db)


async def letter_with_history(
    db: AsyncSession, letter_id: uuid.UUID
) -> tuple[Letter, Sequence[LetterEvent]]:
    """A letter of the regency in scope and its timeline, or 404 (another regency's letter
    reads exactly like a missing one)."""
    letter = await _load(db, letter_id)
    return letter, await repository.history(db, letter.id)


async def for_application(db: AsyncSession, application_id: uuid.UUID) -> Sequence[Letter]:
    """The substitute letters issued for an application (its holder's), any state."""
    return await repository.for_application(db, application_id)
