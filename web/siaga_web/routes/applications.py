"""The applications register, detail, moves, printing and CSV import (HTMX, Bahasa Indonesia).

Routes call the same services as the JSON API; rules live in siaga_platform.applications.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import importer, service
from siaga_platform.applications.filters import RegisterFilter
from siaga_platform.applications.models import Application, Priority, Reason
from siaga_platform.applications.nik import Sex, normalize
from siaga_platform.applications.statuses import (
    LABELS_ID,
    OPEN,
    STATUS_CODES,
    Status,
    allowed_moves,
)
from siaga_platform.auth.permissions import Permission
from siaga_platform.errors import DomainError, NotFound
from siaga_platform.jobs.queue import queue_import
from siaga_platform.letters import service as letter_service
from siaga_platform.letters.models import LetterReason
from siaga_platform.privacy.masking import mask_name
from siaga_platform.stock.ledger import OutOfStock
from siaga_platform.text import N_
from siaga_tenants.regions import service as regions
from siaga_tenants.registry import service as registry
from siaga_web import actors
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, TenantContext, in_tenant
from siaga_web.exports import csv_response
from siaga_web.labels import (
    APPLICATION_REASON_LABELS,
    IMPORT_STATUS_LABELS,
    LETTER_REASON_LABELS,
    LETTER_STATE_LABELS,
    PRIORITY_LABELS,
)
from siaga_web.paging import MAX_PAGE, Pager, pager
from siaga_web.runtime import runtime
from siaga_web.templating import flash, render
from siaga_web.uploads import Upload, read_upload

router = APIRouter(prefix="/wilayah/{code}/permohonan", tags=["applications"])
PAGE_SIZE = 50

Viewer = Annotated[TenantContext, Depends(in_tenant(Permission.VIEW_APPLICATIONS))]
Editor = Annotated[TenantContext, Depends(in_tenant(Permission.EDIT_APPLICATIONS))]
Opener = Annotated[TenantContext, Depends(in_tenant(Permission.OPEN_APPLICATION_RECORD))]
Csrf = Depends(verify_csrf)


def _common(context: TenantContext) -> dict[str, Any]:
    return {
        "tenant": context.tenant,
        "can_write": context.can_write,
        "labels": LABELS_ID,
        "codes": STATUS_CODES,
        "reason_labels": APPLICATION_REASON_LABELS,
        "priority_labels": PRIORITY_LABELS,
        "import_status_labels": IMPORT_STATUS_LABELS,
    }


def register_filter(
    context: TenantContext,
    *,
    status: list[str],
    reason: str | None,
    kecamatan: str | None,
    dari: date | None,
    sampai: date | None,
    q: str | None,
) -> RegisterFilter:
    cipher = context.cipher
    query = (q or "").strip()
    nik_hashes: tuple[str, ...] = ()
    words: tuple[tuple[str, ...], ...] = ()
    if query:
        digits = normalize(query)
        if len(digits) == 16 and all(c in "0123456789" for c in digits):
            nik_hashes = cipher.search_hashes(digits, tenant_id=context.tenant.id, field="nik")
        else:
            words = cipher.word_hash_sets(query, tenant_id=context.tenant.id)
            if not any(words):
                words = (("no-such-word",),)
    return RegisterFilter(
        statuses=tuple(s for s in status if s in {x.value for x in Status}),
        reason=reason or None,
        kecamatan_code=kecamatan or None,
        registered_from=dari,
        registered_to=sampai,
        nik_hashes=nik_hashes,
        name_word_hash_sets=words,
    )


def list_row(context: TenantContext, application: Application, threshold: int) -> dict[str, Any]:
    name = service.decrypt_name(context.cipher, application)
    waiting = (context.now - application.status_since).days
    return {
        "application": application,
        "name": name if context.can_write else mask_name(name),
        "days_waiting": waiting,
        "overdue": application.status in {s.value for s in OPEN} and waiting > threshold,
    }


@router.get("")
async def register_page(
    request: Request,
    db: DbSession,
    context: Viewer,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default
    reason: str | None = None,
    kecamatan: str | None = None,
    dari: date | None = None,
    sampai: date | None = None,
    q: Annotated[str | None, Query(max_length=80)] = None,
    halaman: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    filters = register_filter(
        context,
        status=status,
        reason=reason,
        kecamatan=kecamatan,
        dari=dari,
        sampai=sampai,
        q=q,
    )
    shown: list[Pager] = []  # the page of the register, once its total is known

    def page_offset(total: int) -> int:
        shown.append(pager(request, total=total, page=halaman, per_page=PAGE_SIZE))
        return shown[0].offset

    view = await service.register_view(db, filters, page_size=PAGE_SIZE, offset_of=page_offset)
    threshold = await registry.prr_alert_days(db)
    return render(
        request,
        "pages/applications/register.html",
        {
            **_common(context),
            "rows": [list_row(context, a, threshold) for a in view.applications],
            "pager": shown[0],
            "counts": view.counts,
            "kecamatan_list": await regions.kecamatan_of(db, context.tenant.code),
            "threshold": threshold,
            "filters": {
                "status": status,
                "reason": reason,
                "kecamatan": kecamatan,
                "dari": dari,
                "sampai": sampai,
                "q": q or "",
            },
            "all_statuses": list(Status),
        },
        block="register_table",
    )


@router.get("/baru")
async def new_form(request: Request, db: DbSession, context: Editor) -> Response:
    return render(
        request,
        "pages/applications/new.html",
        {
            **_common(context),
            "kecamatan_list": await regions.kecamatan_of(db, context.tenant.code),
            "form": {},
            "error": None,
        },
    )


class ApplicationForm(BaseModel):
    """The new-application form as the clerk filled it in."""

    nik: str = Field(max_length=40)
    name: str = Field(max_length=200)
    birth_place: str = Field(max_length=120)
    birth_date: date
    sex: Sex
    kecamatan_code: str = Field(max_length=12)
    desa: str = Field(max_length=120)
    reason: Reason
    priority: Priority | None = None
    recording_site: str | None = Field(default=None, max_length=120)

    def application(self) -> service.NewApplication:
        return service.NewApplication(**dict(self))

    def echo(self) -> dict[str, Any]:
        """The values to fill the form in again after a refusal (the NIK too, for its own
        clerk): nothing typed is lost."""
        return {
            **dict(self),
            "sex": self.sex.value,
            "reason": self.reason.value,
            "priority": self.priority.value if self.priority else "",
            "recording_site": self.recording_site or "",
        }


@router.post("", dependencies=[Csrf])
async def create(
    request: Request,
    db: DbSession,
    context: Editor,
    form: Annotated[ApplicationForm, Form()],
) -> Response:
    now = context.now
    try:
        registered = await service.register(
            db,
            context.principal,
            context.cipher,
            runtime(request.app).regions,
            form.application(),
            today=context.today,
            now=now,
        )
    except DomainError as error:
        # Nothing is lost: the form comes back filled in, with the field that needs fixing named.
        return render(
            request,
            "pages/applications/new.html",
            {
                **_common(context),
                "form": form.echo(),
                "error": error,
                "kecamatan_list": await regions.kecamatan_of(db, context.tenant.code),
            },
            status_code=error.status_code,
        )
    request.session["flash_warnings"] = registered.warnings
    flash(
        request,
        N_("Permohonan {nik} terdaftar."),
        nik=registered.application.nik_masked,
        link=f"/wilayah/{context.tenant.code}/permohonan/baru",
        link_text=N_("Daftarkan permohonan berikutnya"),
    )
    return RedirectResponse(
        f"/wilayah/{context.tenant.code}/permohonan/{registered.application.id}", status_code=303
    )


async def _detail_context(
    request: Request, db: AsyncSession, context: TenantContext, application_id: uuid.UUID
) -> dict[str, Any]:
    record = await service.open_record(db, context.principal, context.cipher, application_id)
    application = record.application
    timeline = await service.timeline(db, application.id)
    return {
        **_common(context),
        "application": application,
        "nik": record.nik,
        "name": record.name,
        "kecamatan": await regions.kecamatan(db, application.kecamatan_code),
        "timeline": timeline,
        "names": await actors.names(db, (e.actor_subject for e in timeline)),
        "moves": allowed_moves(Status(application.status)),
        "status_code": STATUS_CODES[Status(application.status)],
        "days_waiting": (context.now - application.status_since).days,
        **await _letters_context(db, context, application),
    }


async def _letters_context(
    db: AsyncSession, context: TenantContext, application: Application
) -> dict[str, Any]:
    """The applicant's substitute letters, and whether one may be issued now."""
    held = await letter_service.for_application(db, application.id)
    today = context.today
    return {
        "letters": held,
        "letter_states": {letter.id: letter.state(today).value for letter in held},
        "letter_reasons": list(LetterReason),
        "letter_reason_labels": LETTER_REASON_LABELS,
        "letter_state_labels": LETTER_STATE_LABELS,
        "can_issue_letter": Status(application.status) in letter_service.ELIGIBLE
        and all(letter.revoked_at is not None for letter in held),
    }


@router.get("/{application_id}")
async def detail(
    request: Request, db: DbSession, context: Opener, application_id: uuid.UUID
) -> Response:
    values = await _detail_context(request, db, context, application_id)
    values["warnings"] = request.session.pop("flash_warnings", [])
    return render(request, "pages/applications/detail.html", values)


@router.post("/{application_id}/status", dependencies=[Csrf])
async def change_status(
    request: Request,
    db: DbSession,
    context: Editor,
    application_id: uuid.UUID,
    to_status: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form()],
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    error = None
    try:
        # A savepoint: a refused move undoes only itself, the page still renders.
        async with db.begin_nested():
            if to_status == Status.PRINTED.value:
                await service.print_card(
                    db,
                    context.principal,
                    application_id,
                    expected_version=version,
                    stock=runtime(request.app).card_stock,
                    now=context.now,
                )
            else:
                await service.move(
                    db,
                    context.principal,
                    application_id,
                    to_status,
                    expected_version=version,
                    note=note,
                    handover=runtime(request.app).card_handover,
                    now=context.now,
                )
    except DomainError as refused:
        if isinstance(refused, NotFound):
            raise
        error = refused
    values = await _detail_context(request, db, context, application_id)
    if error is None:
        values["moved"] = _moved_note(to_status, context)
    values["error"] = error
    # A print refused for want of cards or ribbon offers the substitute letter instead.
    values["error_kind"] = "out_of_stock" if isinstance(error, OutOfStock) else None
    return render(
        request,
        "pages/applications/detail.html",
        values,
        block="status_block",
        status_code=error.status_code if error else 200,
    )


def _moved_note(to_status: str, context: TenantContext) -> dict[str, Any]:
    """What a move did, said in the status block it redrew (with a link where it led)."""
    if to_status == Status.PRINTED.value:
        return {
            "text": N_("Kartu dicetak; 1 blanko diambil dari stok."),
            "link": f"/wilayah/{context.tenant.code}/stok",
            "link_text": N_("Lihat kartu stok"),
        }
    if to_status == Status.CANCELLED.value:
        return {"text": N_("Permohonan dibatalkan."), "link": None, "link_text": None}
    return {"text": N_("Status diubah menjadi"), "link": None, "link_text": None, "to": to_status}


# -- import -----------------------------------------------------------------------------


@router.get("/impor/")
async def import_page(request: Request, db: DbSession, context: Editor) -> Response:
    return render(
        request,
        "pages/applications/import.html",
        {**_common(context), "jobs": await service.recent_imports(db), "error": None},
    )


@router.post("/impor/")
async def upload(
    request: Request,
    db: DbSession,
    context: Editor,
    background: BackgroundTasks,
    # After the permission: the file is read only for someone allowed to import.
    _csrf: Annotated[None, Csrf],
    file: Annotated[Upload, Depends(read_upload)],
) -> Response:
    try:
        job = await importer.create_import(
            db, context.principal, filename=file.filename, content=file.content
        )
    except DomainError as error:
        return render(
            request,
            "pages/applications/import.html",
            {**_common(context), "jobs": await service.recent_imports(db), "error": error},
            status_code=error.status_code,
        )
    # Run by the worker (resumed if its run dies), queued once this request committed.
    background.add_task(queue_import, runtime(request.app).jobs, context.tenant.id, job.id)
    return RedirectResponse(
        f"/wilayah/{context.tenant.code}/permohonan/impor/{job.id}", status_code=303
    )


@router.get("/impor/{job_id}")
async def import_progress(
    request: Request, db: DbSession, context: Editor, job_id: uuid.UUID
) -> Response:
    job = await service.import_job(db, job_id)
    return render(
        request,
        "pages/applications/import_job.html",
        {**_common(context), "job": job},
        block="progress",
    )


@router.get("/impor/{job_id}/kesalahan.csv")
async def import_errors(db: DbSession, context: Editor, job_id: uuid.UUID) -> Response:
    rows: list[list[Any]] = [["baris", "alasan"]]
    rows += [[e.row_number, e.reason] for e in await service.import_errors(db, job_id)]
    return csv_response(rows, f"kesalahan-{job_id}.csv")
