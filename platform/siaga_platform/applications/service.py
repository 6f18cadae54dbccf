"""The rules of the applications domain. Services flush, never commit; the actor is explicit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from siaga_platform.applications import repository
from siaga_platform.applications.filters import RegisterFilter
from siaga_platform.applications.handover import CardHandover
from siaga_platform.applications.kinds import check_kind_agrees
from siaga_platform.applications.models import (
    DEFAULT_PRIORITY,
    Application,
    ApplicationEvent,
    ApplicationNameWord,
    ImportJob,
    ImportRowError,
    Priority,
    Reason,
)
from siaga_platform.applications.nik import Nik, Sex, check_form_agrees, parse_nik
from siaga_platform.applications.printing import CardStock
from siaga_platform.applications.statuses import Status, can_move
from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, InvalidInput, NotFound
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.writer import writer_tenant

#: Moves after which a substitute letter no longer stands for a valid recording.
VOIDS_RECORDING = {
    Status.CANCELLED: "Permohonan dibatalkan.",
    Status.DUPLICATE: "Data perekaman terdeteksi ganda.",
    Status.ENROLLMENT_FAILED: "Perekaman gagal enrol dan harus diulang.",
}
STALE = "Permohonan ini baru saja diubah oleh petugas lain. Muat ulang halaman lalu coba lagi."


class RegionDirectory(Protocol):
    """The Kemendagri code list, as this domain needs it (kept in the tenant registry)."""

    async def regency_exists(self, db: AsyncSession, regency_code: str) -> bool: ...

    async def kecamatan_regency(self, db: AsyncSession, kecamatan_code: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NewApplication:
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: Sex
    kecamatan_code: str
    desa: str
    reason: Reason
    priority: Priority | None = None
    recording_site: str | None = None


@dataclass
class Registered:
    application: Application
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application with its personal data decrypted: opening one is audited."""

    application: Application
    nik: str
    name: str


def _clean_text(value: str, *, field: str, label: str, max_length: int) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise InvalidInput(f"{label} wajib diisi.", field=field)
    if len(cleaned) > max_length:
        raise InvalidInput(
            f"{label} terlalu panjang (paling banyak {max_length} huruf).", field=field
        )
    return cleaned


async def region_warnings(
    db: AsyncSession, regions: RegionDirectory, nik: Nik, tenant_code: str | None
) -> list[str]:
    """An unknown or foreign region prefix is a warning, never a refusal (NIKs are for life,
    regencies split and codes change)."""
    if not await regions.regency_exists(db, nik.regency_code):
        return [
            f"Kode wilayah {nik.regency_code} di NIK tidak ada dalam daftar kode Kemendagri "
            "(mungkin wilayah lama yang sudah dimekarkan). Periksa kembali NIK-nya."
        ]
    if tenant_code and nik.regency_code != tenant_code:
        return [
            f"NIK ini terbit di wilayah {nik.regency_code}, bukan {tenant_code} "
            "(misalnya penduduk pindah datang). Lanjutkan bila memang demikian."
        ]
    return []


async def register(
    db: AsyncSession,
    principal: Principal,
    cipher: FieldCipher,
    regions: RegionDirectory,
    data: NewApplication,
    *,
    today: date,
    now: datetime,
) -> Registered:
    tenant_id = writer_tenant(principal)
    nik = parse_nik(data.nik, today=today)
    check_form_agrees(nik, birth_date=data.birth_date, sex=data.sex, today=today)
    check_kind_agrees(data.reason, birth_date=data.birth_date, today=today)
    name = _clean_text(data.name, field="name", label="Nama", max_length=120)
    birth_place = _clean_text(
        data.birth_place, field="birth_place", label="Tempat lahir", max_length=80
    )
    desa = _clean_text(data.desa, field="desa", label="Desa/kelurahan", max_length=80)
    if await regions.kecamatan_regency(db, data.kecamatan_code) != principal.tenant_code:
        raise InvalidInput(
            "Kecamatan tidak ada di kabupaten/kota ini. Pilih dari daftar.", field="kecamatan_code"
        )
    nik_hashes = cipher.search_hashes(nik.digits, tenant_id=tenant_id, field="nik")
    if await repository.open_application_with_nik(db, nik_hashes) is not None:
        raise Conflict(
            "Sudah ada permohonan yang belum selesai untuk NIK ini. Buka permohonan itu; "
            "permohonan baru bisa dibuat setelah diserahkan atau dibatalkan.",
            field="nik",
        )
    application = Application(
        tenant_id=tenant_id,
        nik_hash=nik_hashes[0],
        search_key_id=cipher.current_search_key_id,
        nik_ciphertext=cipher.encrypt(nik.digits, tenant_id=tenant_id, field="nik"),
        nik_masked=nik.masked,
        name_ciphertext=cipher.encrypt(name, tenant_id=tenant_id, field="name"),
        key_id=cipher.current_key_id,
        birth_place=birth_place,
        birth_date=data.birth_date,  # the NIK's two-digit year cannot tell 1925 from 2025
        sex=nik.sex.value,
        kecamatan_code=data.kecamatan_code,
        desa=desa,
        reason=data.reason,
        priority=data.priority or DEFAULT_PRIORITY[data.reason],
        recording_site=(data.recording_site or "").strip() or None,
        status=Status.REGISTERED.value,
        status_since=now,
        registered_on=today,
        created_by=principal.subject,
    )
    try:
        # A savepoint: if a colleague registered the same NIK a moment ago, only this insert
        # is undone and the session stays usable for the answer.
        async with db.begin_nested():
            db.add(application)
            await db.flush()
    except IntegrityError as error:
        raise Conflict(
            "Sudah ada permohonan yang belum selesai untuk NIK ini.", field="nik"
        ) from error
    for word_hash in cipher.word_hashes(name, tenant_id=tenant_id):
        db.add(ApplicationNameWord(application_id=application.id, word_hash=word_hash))
    db.add(
        ApplicationEvent(
            application_id=application.id,
            from_status=None,
            to_status=Status.REGISTERED.value,
            actor_subject=principal.subject,
            occurred_at=now,
        )
    )
    await repository.bump_status_count(db, tenant_id, Status.REGISTERED.value, 1)
    await audit.record(
        db,
        tenant_id=tenant_id,
        actor_subject=principal.subject,
        action="application.registered",
        object_type="application",
        object_id=str(application.id),
    )
    warnings = await region_warnings(db, regions, nik, principal.tenant_code)
    return Registered(application, warnings)


async def _load(db: AsyncSession, application_id: uuid.UUID) -> Application:
    application = await repository.get(db, application_id)
    if application is None:
        raise NotFound("Permohonan tidak ditemukan.")
    return application


async def _apply(
    db: AsyncSession,
    application: Application,
    target: Status,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    """The one place a status changes: timeline, milestones and counts move together.

    The row is changed and flushed once (one version step), then the counters follow.
    """
    previous = application.status
    durations: list[tuple[str, int]] = []
    if target is Status.RECORDED:
        application.recorded_at = now
    elif target is Status.PRR:
        application.prr_at = now
        if application.recorded_at is not None:
            durations.append(("recorded_to_prr", (now - application.recorded_at).days))
    elif target is Status.PRINTED:
        application.printed_at = now
        durations.append(("printed", 0))
        if application.prr_at is not None:
            durations.append(("prr_to_printed", (now - application.prr_at).days))
    elif target is Status.ISSUED:
        application.issued_at = now
    application.status = target.value
    application.status_since = now
    db.add(
        ApplicationEvent(
            tenant_id=application.tenant_id,
            application_id=application.id,
            from_status=previous,
            to_status=target.value,
            actor_subject=actor,
            occurred_at=now,
            note=note,
        )
    )
    await db.flush()
    for metric, days in durations:
        await repository.add_duration(db, application.tenant_id, now.date(), metric, days)
    await repository.bump_status_count(db, application.tenant_id, previous, -1)
    await repository.bump_status_count(db, application.tenant_id, target.value, 1)


async def _checked(
    db: AsyncSession, application_id: uuid.UUID, expected_version: int
) -> Application:
    application = await _load(db, application_id)
    if application.version != expected_version:
        raise Conflict(STALE)
    return application


def _target(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise InvalidInput(f"Status tujuan '{value}' tidak dikenal.", field="to_status") from None


async def move(
    db: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    to_status: str,
    *,
    expected_version: int,
    note: str | None,
    handover: CardHandover,
    now: datetime,
) -> Application:
    writer_tenant(principal)
    target = _target(to_status)
    application = await _checked(db, application_id, expected_version)
    current = Status(application.status)
    if target is Status.PRINTED:
        raise InvalidInput(
            "Kartu dicetak lewat tombol Cetak (yang memakai satu blanko).", field="to_status"
        )
    if not can_move(current, target):
        raise Conflict(
            f"Status tidak bisa berpindah dari {current.value} ke {target.value}.",
            field="to_status",
        )
    note = (note or "").strip() or None
    if target is Status.CANCELLED and not note:
        raise InvalidInput("Alasan pembatalan wajib diisi.", field="note")
    try:
        await _apply(db, application, target, actor=principal.subject, note=note, now=now)
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE) from error
    if target is Status.ISSUED:
        await handover.card_issued(db, application, actor=principal.subject, now=now)
    elif target in VOIDS_RECORDING:
        await handover.recording_void(
            db, application, reason=VOIDS_RECORDING[target], actor=principal.subject, now=now
        )
    return application


async def print_card(
    db: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    expected_version: int,
    stock: CardStock,
    now: datetime,
) -> Application:
    """Print queued → printed, taking one blank card in the same transaction."""
    tenant_id = writer_tenant(principal)
    application = await _checked(db, application_id, expected_version)
    if application.status != Status.PRINT_QUEUED.value:
        raise Conflict("Hanya permohonan yang sudah antre cetak yang bisa dicetak.")
    try:
        await stock.take_for_print(
            db,
            tenant_id=tenant_id,
            application_id=application.id,
            actor=principal.subject,
            now=now,
        )
        await _apply(db, application, Status.PRINTED, actor=principal.subject, note=None, now=now)
        await db.flush()
    except StaleDataError as error:
        raise Conflict(STALE) from error
    return application


async def open_record(
    db: AsyncSession, principal: Principal, cipher: FieldCipher, application_id: uuid.UUID
) -> ApplicationRecord:
    """The full record with NIK and name; every opening is written to the audit trail.

    Only the office's own staff open full records; supervisors see masked lists and figures.
    """
    writer_tenant(principal)
    application = await _load(db, application_id)
    nik = decrypt_nik(cipher, application)
    await audit.record(
        db,
        tenant_id=application.tenant_id,
        actor_subject=principal.subject,
        action="application.opened",
        object_type="application",
        object_id=str(application.id),
    )
    return ApplicationRecord(application, nik, decrypt_name(cipher, application))


def decrypt_nik(cipher: FieldCipher, application: Application) -> str:
    return cipher.decrypt(
        application.nik_ciphertext,
        key_id=application.key_id,
        tenant_id=application.tenant_id,
        field="nik",
    )


def decrypt_name(cipher: FieldCipher, application: Application) -> str:
    return cipher.decrypt(
        application.name_ciphertext,
        key_id=application.key_id,
        tenant_id=application.tenant_id,
        field="name",
    )


@dataclass(frozen=True, slots=True)
class RegisterView:
    """One page of the register and the figures beside it."""

    total: int
    applications: Sequence[Application]
    #: Per status, in the regency in scope (all filters aside).
    counts: dict[str, int]


async def register_view(
    db: AsyncSession, filters: RegisterFilter, *, page_size: int, offset_of: Callable[[int], int]
) -> RegisterView:
    """The applications the filters match, newest first: the total, the page
    (``offset_of`` turns the total into its offset) and the per-status counts."""
    total = await repository.register_count(db, filters)
    page = await repository.register_page(db, filters, limit=page_size, offset=offset_of(total))
    return RegisterView(total, page, await repository.status_counts(db))


async def timeline(db: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
    """What happened to an application, oldest first."""
    return await repository.timeline(db, application_id)


async def recent_imports(db: AsyncSession) -> Sequence[ImportJob]:
    """The regency's latest CSV imports (without their content)."""
    return await repository.recent_imports(db)


async def import_job(db: AsyncSession, job_id: uuid.UUID) -> ImportJob:
    """An import of the regency in scope (without its content), or 404."""
    job = await repository.get_import(db, job_id)
    if job is None:
        raise NotFound("Impor tidak ditemukan.")
    return job


async def import_errors(db: AsyncSession, job_id: uuid.UUID) -> Sequence[ImportRowError]:
    """The refused rows of an import of the regency in scope (404 for another's)."""
    await import_job(db, job_id)
    return await repository.import_errors(db, job_id)


async def register_before(
    db: AsyncSession, filters: RegisterFilter, *, limit: int, before: uuid.UUID | None
) -> Sequence[Application]:
    """The API's keyset page: up to ``limit`` matches older than ``before``, newest first."""
    return await repository.register_page(db, filters, limit=limit, before=before)
