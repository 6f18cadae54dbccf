"""Bulk import of a recording PC's CSV export: NIK, name, birth date, sex, kecamatan, status,
date. Good rows are imported, bad rows are listed with the reason, and a row whose NIK already
has an open application is skipped, so importing the same file twice creates nothing new.

The file is stored with the job; ``run_import`` processes it in chunks, each in its own
transaction, and records progress for the page's progress bar.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.applications import repository
from siaga_platform.applications.bulk import (
    HistoricApplication,
    insert_rows,
    write_applications,
)
from siaga_platform.applications.models import (
    ImportJob,
    ImportRowError,
    ImportStatus,
    Reason,
)
from siaga_platform.applications.nik import Sex, parse_nik
from siaga_platform.applications.statuses import CLOSED, STATUS_CODES, Status
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import DomainError, InvalidInput
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, enter_system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_platform.tenancy.writer import writer_tenant
from siaga_platform.text import has_control_characters

MAX_FILE_BYTES = 30 * 1024 * 1024
CHUNK_ROWS = 1000
#: A run that shows no progress this long is taken for dead (a chunk commits in seconds).
STALLED_AFTER = timedelta(minutes=10)
#: Runs an import gets before it is marked failed (a file that kills its worker each time).
MAX_ATTEMPTS = 3
MAX_NAME = 120  # as on the form (applications.service)
COLUMNS = {
    "nik": ("nik",),
    "name": ("nama", "name", "nama_lengkap"),
    "birth_date": ("tanggal_lahir", "tgl_lahir", "birth_date"),
    "sex": ("jenis_kelamin", "jk", "sex"),
    "kecamatan": ("kecamatan", "kode_kecamatan", "kecamatan_code"),
    "status": ("status",),
    "date": ("tanggal", "tanggal_status", "date"),
}
CLOSED_VALUES = frozenset(s.value for s in CLOSED)
_STATUS_WORDS = {**{s.value: s for s in Status}, **{c.lower(): s for s, c in STATUS_CODES.items()}}
_SEX_WORDS = {
    "l": Sex.MALE,
    "lk": Sex.MALE,
    "laki-laki": Sex.MALE,
    "m": Sex.MALE,
    "p": Sex.FEMALE,
    "pr": Sex.FEMALE,
    "perempuan": Sex.FEMALE,
    "f": Sex.FEMALE,
}


class RowRefused(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class KecamatanIndex:
    """The tenant's kecamatan, by code (62.12.01 or 621201) and by name."""

    by_key: dict[str, str]

    @classmethod
    def of(cls, kecamatan: list[tuple[str, str]]) -> KecamatanIndex:
        keys: dict[str, str] = {}
        for code, name in kecamatan:
            keys[code] = code
            keys[code.replace(".", "")] = code
            keys[name.strip().lower()] = code
        return cls(keys)

    def find(self, raw: str) -> str | None:
        return self.by_key.get(raw.strip().lower()) or self.by_key.get(raw.strip())


def _parse_date(raw: str, field: str) -> date:
    value = raw.strip()
    for parse in (
        date.fromisoformat,
        lambda v: datetime.strptime(v, "%d-%m-%Y").date(),
        lambda v: datetime.strptime(v, "%d/%m/%Y").date(),
    ):
        try:
            return parse(value)
        except ValueError:
            continue
    raise RowRefused(f"kolom {field} bukan tanggal (pakai YYYY-MM-DD atau DD-MM-YYYY)")


def _header_map(header: list[str]) -> dict[str, int]:
    normalized = [h.strip().lower().replace(" ", "_") for h in header]
    found: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in normalized:
                found[key] = normalized.index(alias)
                break
    missing = [COLUMNS[k][0] for k in COLUMNS if k not in found]
    if missing:
        raise InvalidInput(
            f"Kolom berikut tidak ada di baris judul CSV: {', '.join(missing)}.", field="file"
        )
    return found


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A row the CSV reader could not read: reported as that row's error, never a crash."""

    reason: str


Row = list[str] | Unreadable


def _decode(content: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows' own encoding (recording PCs), else
    Latin-1, which reads any byte."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _records(text: str, delimiter: str) -> list[Row]:
    """Every record of the file; a record the reader refuses (a field past the reader's limit,
    a broken quote) is kept as ``Unreadable`` so that its row is reported. ``newline=""``: the
    reader itself takes CRLF, LF and a bare CR as the end of a row (a bare CR inside an
    unquoted field ends the row there, and both halves are then reported)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    while True:
        try:
            rows.append(next(reader))
        except StopIteration:
            return rows
        except csv.Error as error:
            reason = (
                "kolom terlalu panjang" if "field larger" in str(error) else "baris tidak terbaca"
            )
            rows.append(Unreadable(f"{reason} (bukan baris CSV yang benar)"))


def read_rows(content: bytes) -> tuple[dict[str, int], list[Row]]:
    text = _decode(content)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = _records(text, delimiter)
    if not rows or (isinstance(rows[0], list) and not any(c.strip() for c in rows[0])):
        raise InvalidInput("File CSV kosong.", field="file")
    if isinstance(rows[0], Unreadable) or has_control_characters("".join(rows[0])):
        raise InvalidInput(
            "Baris judul file tidak terbaca: ini bukan file CSV hasil ekspor perekaman.",
            field="file",
        )
    body = [r for r in rows[1:] if isinstance(r, Unreadable) or any(cell.strip() for cell in r)]
    return _header_map(rows[0]), body


async def create_import(
    db: AsyncSession, principal: Principal, *, filename: str, content: bytes
) -> ImportJob:
    writer_tenant(principal)
    if not content:
        raise InvalidInput("File kosong. Pilih file CSV hasil ekspor perekaman.", field="file")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput("File lebih dari 30 MB: bagi menjadi beberapa file.", field="file")
    _, rows = read_rows(content)  # a wrong header is refused now, not in the background
    job = ImportJob(
        filename=filename[:200] or "impor.csv",
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        total_rows=len(rows),
        created_by=principal.subject,
    )
    db.add(job)
    await db.flush()
    return job


@dataclass(frozen=True, slots=True)
class _JobInfo:
    id: uuid.UUID
    filename: str
    created_by: str


@dataclass
class _Chunk:
    items: list[HistoricApplication]
    errors: list[dict[str, Any]]
    duplicates: int


def _prepare(
    rows: list[tuple[int, Row]],
    columns: dict[str, int],
    *,
    tenant_id: uuid.UUID,
    job: _JobInfo,
    cipher: FieldCipher,
    kecamatan: KecamatanIndex,
    existing: dict[str, set[tuple[str, date]]],
    seen: set[tuple[str, str | None, date | None]],
    today: date,
) -> _Chunk:
    chunk = _Chunk([], [], 0)
    for number, row in rows:
        try:
            if isinstance(row, Unreadable):
                raise RowRefused(row.reason)
            if any(has_control_characters(value) for value in row):
                raise RowRefused("baris memuat karakter kontrol (mis. NUL): perbaiki di sumbernya")
            cell = {k: (row[i] if i < len(row) else "") for k, i in columns.items()}
            nik = parse_nik(cell["nik"], today=today)
            name = " ".join(cell["name"].split())
            if not name:
                raise RowRefused("nama kosong")
            if len(name) > MAX_NAME:
                raise RowRefused(f"nama terlalu panjang (paling banyak {MAX_NAME} huruf)")
            birth_date = _parse_date(cell["birth_date"], "tanggal lahir")
            sex = _SEX_WORDS.get(cell["sex"].strip().lower())
            if sex is None:
                raise RowRefused("kolom jenis_kelamin tidak dikenal (isi L atau P)")
            if (birth_date.day, birth_date.month, birth_date.year % 100) != (
                nik.birth_date.day,
                nik.birth_date.month,
                nik.birth_date.year % 100,
            ):
                raise RowRefused("tanggal lahir tidak sama dengan tanggal lahir di NIK")
            if sex != nik.sex:
                raise RowRefused("jenis kelamin tidak sesuai dengan NIK")
            kecamatan_code = kecamatan.find(cell["kecamatan"])
            if kecamatan_code is None:
                raise RowRefused(
                    f"kecamatan '{cell['kecamatan'].strip()[:40]}' tidak ada di wilayah ini"
                )
            status = _STATUS_WORDS.get(cell["status"].strip().lower())
            if status is None:
                raise RowRefused("kolom status tidak dikenal (pakai BC, SFE, PRR, CP, ...)")
            status_day = _parse_date(cell["date"], "tanggal status")
            if status_day > today:
                raise RowRefused("tanggal status di masa depan")
        except (DomainError, RowRefused) as error:
            reason = error.message if isinstance(error, DomainError) else str(error)
            chunk.errors.append(
                {"tenant_id": tenant_id, "job_id": job.id, "row_number": number, "reason": reason}
            )
            continue
        nik_hash = cipher.search_hash(nik.digits, tenant_id=tenant_id, field="nik")
        # Open: one per NIK. Closed (issued, cancelled): the same closed record twice is the
        # same file imported again.
        before = existing.get(nik_hash, set())
        key = (
            (nik_hash, None, None) if status not in CLOSED else (nik_hash, status.value, status_day)
        )
        if (
            any(s not in CLOSED_VALUES for s, _ in before)
            or (status.value, status_day) in before
            or key in seen
            or (status not in CLOSED and (nik_hash, None, None) in seen)
        ):
            chunk.duplicates += 1
            continue
        seen.add(key)
        chunk.items.append(
            HistoricApplication(
                nik=nik,
                birth_date=birth_date,
                name=name,
                kecamatan_code=kecamatan_code,
                reason=Reason.UNSPECIFIED,
                history=[(status, datetime.combine(status_day, time(12), tzinfo=UTC))],
                note=f"impor {job.filename} baris {number}",
            )
        )
    return chunk


async def _existing(
    db: AsyncSession, cipher: FieldCipher, tenant_id: uuid.UUID, niks: Iterable[str]
) -> dict[str, set[tuple[str, date]]]:
    """What the tenant holds for these NIKs, by their current search hash (rows still under an
    older search key while a rotation runs count too)."""
    candidates = [cipher.search_hashes(n, tenant_id=tenant_id, field="nik") for n in niks]
    found = await repository.existing_by_nik_hash(db, [h for hashes in candidates for h in hashes])
    existing: dict[str, set[tuple[str, date]]] = {}
    for hashes in candidates:
        held = set().union(*(found.get(h, set()) for h in hashes))
        if held:
            existing[hashes[0]] = held
    return existing


async def run_import(
    factory: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    kecamatan: list[tuple[str, str]],
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    today: date,
    now: datetime | None = None,
) -> None:
    """Process a queued import, or resume one whose run died: each chunk commits with its
    progress, so a new run goes on after the last committed row. A run still alive elsewhere
    (progress within ``STALLED_AFTER``) is left alone."""
    scope = TenantScope.single(tenant_id)
    async with unit_of_work(factory) as db:
        await enter_system_scope(db, scope, why="applications.importer.run_import")
        job = await repository.get_import(db, job_id, with_content=True, for_update=True)
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return
        started = now or datetime.now(UTC)
        alive = job.progress_at is not None and started - job.progress_at < STALLED_AFTER
        if job.status == ImportStatus.RUNNING and alive:
            return
        job.status = ImportStatus.RUNNING
        job.attempts += 1
        job.progress_at = started
        columns, rows = read_rows(job.content)
        filename, created_by, done = job.filename, job.created_by, job.processed_rows
    index = KecamatanIndex.of(kecamatan)
    seen: set[tuple[str, str | None, date | None]] = set()
    # Row 1 is the header; rows an earlier run committed are not read again.
    numbered = list(enumerate(rows, start=2))[done:]
    try:
        for start in range(0, len(numbered), CHUNK_ROWS):
            part = numbered[start : start + CHUNK_ROWS]
            async with unit_of_work(factory) as db:
                await enter_system_scope(db, scope, why="applications.importer.run_import")
                existing = await _existing(db, cipher, tenant_id, _niks(part, columns))
                chunk = _prepare(
                    part,
                    columns,
                    tenant_id=tenant_id,
                    job=_JobInfo(job_id, filename, created_by),
                    cipher=cipher,
                    kecamatan=index,
                    existing=existing,
                    seen=seen,
                    today=today,
                )
                await write_applications(
                    db,
                    tenant_id,
                    cipher,
                    chunk.items,
                    created_by=created_by,
                    import_job_id=job_id,
                )
                await insert_rows(db, ImportRowError, chunk.errors)
                await db.execute(
                    update(ImportJob)
                    .where(ImportJob.id == job_id)
                    .values(
                        processed_rows=ImportJob.processed_rows + len(part),
                        created_count=ImportJob.created_count + len(chunk.items),
                        duplicate_count=ImportJob.duplicate_count + chunk.duplicates,
                        error_count=ImportJob.error_count + len(chunk.errors),
                        progress_at=datetime.now(UTC),
                    )
                )
    except Exception as error:
        async with unit_of_work(factory) as db:
            await enter_system_scope(db, scope, why="applications.importer.run_import")
            await db.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(
                    status=ImportStatus.FAILED,
                    finished_at=datetime.now(UTC),
                    message=f"Impor berhenti karena kesalahan sistem ({type(error).__name__}).",
                )
            )
        raise
    async with unit_of_work(factory) as db:
        await enter_system_scope(db, scope, why="applications.importer.run_import")
        await db.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=ImportStatus.DONE, finished_at=datetime.now(UTC))
        )


async def stalled_or_failed(
    db: AsyncSession, *, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Imports of the tenants in scope with no sign of life for ``STALLED_AFTER``: those with
    tries left are answered (tenant, job) to be run again (resuming where they stopped); the
    others are marked failed with the reason, so none stays "running" for ever."""
    again = []
    for job in await repository.stalled_imports(db, now - STALLED_AFTER):
        if job.attempts < MAX_ATTEMPTS:
            again.append((job.tenant_id, job.id))
            continue
        job.status = ImportStatus.FAILED
        job.finished_at = now
        job.message = (
            f"Impor terhenti {job.attempts} kali sebelum selesai (proses latar belakang "
            f"berhenti); {job.processed_rows} dari {job.total_rows} baris sudah diproses. "
            "Unggah ulang file yang sama: baris yang sudah masuk dilewati."
        )
    await db.flush()
    return again


def _niks(rows: list[tuple[int, Row]], columns: dict[str, int]) -> list[str]:
    index = columns["nik"]
    niks = []
    for _, row in rows:
        if isinstance(row, Unreadable):
            continue
        raw = row[index] if index < len(row) else ""
        digits = "".join(ch for ch in raw if ch in "0123456789")
        if len(digits) == 16:
            niks.append(digits)
    return niks
