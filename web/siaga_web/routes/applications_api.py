"""JSON API for applications (integrations): the same services as the HTMX pages.

A Bearer access token of an operator or head of office acts in their own regency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, Field

from siaga_platform.applications import importer, service
from siaga_platform.applications.filters import RegisterFilter
from siaga_platform.applications.models import Application, ImportJob, Priority, Reason
from siaga_platform.applications.nik import Sex, normalize
from siaga_platform.applications.statuses import STATUS_CODES, Status, allowed_moves
from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Forbidden
from siaga_platform.jobs.queue import queue_import
from siaga_tenants.registry.service import local_date
from siaga_web import clock
from siaga_web.csrf import verify_csrf_unless_bearer
from siaga_web.deps import DbSession, in_own_scope, requires
from siaga_web.ratelimit import api_rate_limit
from siaga_web.runtime import runtime
from siaga_web.uploads import Upload, read_upload

router = APIRouter(
    prefix="/api/v1/applications",
    tags=["applications"],
    dependencies=[
        Depends(api_rate_limit),
        Depends(verify_csrf_unless_bearer),
        Depends(in_own_scope),
    ],
)
Editor = Annotated[Principal, Depends(requires(Permission.EDIT_APPLICATIONS))]
Opener = Annotated[Principal, Depends(requires(Permission.OPEN_APPLICATION_RECORD))]


class ApplicationIn(BaseModel):
    nik: str = Field(max_length=40, description="16 digits; spaces, dots and dashes are ignored")
    name: str = Field(max_length=200)
    birth_place: str = Field(max_length=120)
    birth_date: date
    sex: Sex
    kecamatan_code: str = Field(max_length=12, examples=["62.12.01"])
    desa: str = Field(max_length=120)
    reason: Reason
    priority: Priority | None = None
    recording_site: str | None = Field(default=None, max_length=120)


class ApplicationSummary(BaseModel):
    id: uuid.UUID
    nik_masked: str
    status: Status
    status_code: str
    status_since: datetime
    reason: Reason
    kecamatan_code: str
    registered_on: date
    version: int

    @classmethod
    def of(cls, a: Application) -> ApplicationSummary:
        status = Status(a.status)
        return cls(
            id=a.id,
            nik_masked=a.nik_masked,
            status=status,
            status_code=STATUS_CODES[status],
            status_since=a.status_since,
            reason=a.reason,
            kecamatan_code=a.kecamatan_code,
            registered_on=a.registered_on,
            version=a.version,
        )


class ApplicationOut(ApplicationSummary):
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: str
    desa: str
    priority: Priority
    allowed_moves: list[Status]
    warnings: list[str] = []


class Page(BaseModel):
    items: list[ApplicationSummary]
    next_before: uuid.UUID | None


class MoveIn(BaseModel):
    to_status: str
    version: int
    note: str | None = Field(default=None, max_length=500)


class PrintIn(BaseModel):
    version: int


class ImportOut(BaseModel):
    id: uuid.UUID
    filename: str
    status: str
    total_rows: int
    processed_rows: int
    created_count: int
    duplicate_count: int
    error_count: int

    @classmethod
    def of(cls, job: ImportJob) -> ImportOut:
        return cls.model_validate(job, from_attributes=True)


def _own_tenant(principal: Principal) -> uuid.UUID:
    if principal.tenant_id is None:
        raise Forbidden("API permohonan dipakai oleh petugas kabupaten/kota.")
    return principal.tenant_id


def _full(record: service.ApplicationRecord, warnings: list[str] | None = None) -> ApplicationOut:
    a = record.application
    return ApplicationOut(
        **ApplicationSummary.of(a).model_dump(),
        nik=record.nik,
        name=record.name,
        birth_place=a.birth_place,
        birth_date=a.birth_date,
        sex=a.sex,
        desa=a.desa,
        priority=a.priority,
        allowed_moves=allowed_moves(Status(a.status)),
        warnings=warnings or [],
    )


@router.get("", response_model=Page)
async def list_applications(
    request: Request,
    db: DbSession,
    principal: Editor,
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 - FastAPI reads the default
    reason: Reason | None = None,
    kecamatan: str | None = None,
    registered_from: date | None = None,
    registered_to: date | None = None,
    nik: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=80)] = None,
    before: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:
    """Newest first; pass ``next_before`` back as ``before`` for the next page."""
    tenant_id = _own_tenant(principal)
    cipher = runtime(request.app).cipher
    filters = RegisterFilter(
        statuses=tuple(s.value for s in status),
        reason=reason.value if reason else None,
        kecamatan_code=kecamatan,
        registered_from=registered_from,
        registered_to=registered_to,
        nik_hashes=cipher.search_hashes(normalize(nik), tenant_id=tenant_id, field="nik")
        if nik
        else (),
        name_word_hash_sets=cipher.word_hash_sets(name, tenant_id=tenant_id) if name else (),
    )
    rows = await service.register_before(db, filters, limit=limit + 1, before=before)
    return Page(
        items=[ApplicationSummary.of(a) for a in rows[:limit]],
        next_before=rows[limit - 1].id if len(rows) > limit else None,
    )


@router.post("", response_model=ApplicationOut, status_code=201)
async def create_application(
    request: Request, db: DbSession, principal: Editor, body: ApplicationIn
) -> ApplicationOut:
    now = clock.now()
    registered = await service.register(
        db,
        principal,
        runtime(request.app).cipher,
        runtime(request.app).regions,
        service.NewApplication(**body.model_dump()),
        today=await local_date(db, _own_tenant(principal), now),
        now=now,
    )
    record = await service.open_record(
        db, principal, runtime(request.app).cipher, registered.application.id
    )
    return _full(record, registered.warnings)


@router.get("/{application_id}", response_model=ApplicationOut)
async def get_application(
    request: Request, db: DbSession, principal: Opener, application_id: uuid.UUID
) -> ApplicationOut:
    """The full record (NIK and name in clear); each call is written to the audit trail."""
    return _full(
        await service.open_record(db, principal, runtime(request.app).cipher, application_id)
    )


@router.post("/{application_id}/moves", response_model=ApplicationSummary)
async def move_application(
    request: Request, db: DbSession, principal: Editor, application_id: uuid.UUID, body: MoveIn
) -> ApplicationSummary:
    """Move along the pipeline. 409 when the version is stale or the move is not allowed."""
    application = await service.move(
        db,
        principal,
        application_id,
        body.to_status,
        expected_version=body.version,
        note=body.note,
        handover=runtime(request.app).card_handover,
        now=clock.now(),
    )
    return ApplicationSummary.of(application)


@router.post("/{application_id}/print", response_model=ApplicationSummary)
async def print_application(
    request: Request, db: DbSession, principal: Editor, application_id: uuid.UUID, body: PrintIn
) -> ApplicationSummary:
    """Print queued → printed, taking one blank card in the same transaction."""
    application = await service.print_card(
        db,
        principal,
        application_id,
        expected_version=body.version,
        stock=runtime(request.app).card_stock,
        now=clock.now(),
    )
    return ApplicationSummary.of(application)


@router.post("/imports", response_model=ImportOut, status_code=202)
async def upload_import(
    request: Request,
    db: DbSession,
    principal: Editor,
    background: BackgroundTasks,
    # After the permission: the file is read only for someone allowed to import.
    file: Annotated[Upload, Depends(read_upload)],
) -> ImportOut:
    tenant_id = _own_tenant(principal)
    job = await importer.create_import(db, principal, filename=file.filename, content=file.content)
    # Run by the worker (resumed if its run dies), queued once this request committed.
    background.add_task(queue_import, runtime(request.app).jobs, tenant_id, job.id)
    return ImportOut.of(job)


@router.get("/imports/{job_id}", response_model=ImportOut)
async def import_status(db: DbSession, principal: Editor, job_id: uuid.UUID) -> ImportOut:
    return ImportOut.of(await service.import_job(db, job_id))
