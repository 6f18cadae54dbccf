"""Substitute letters of a regency: the register (filters, counts, export), issue from an
application, renew, revoke, the PDF; the letter settings of the head of office; and the public
verification page the QR code opens (no sign-in)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from siaga_platform.audit import service as audit
from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.letters import figures, service
from siaga_platform.letters.document import OfficeHeader
from siaga_platform.letters.models import Letter, LetterReason, LetterState
from siaga_platform.text import N_
from siaga_tenants.domain_inputs.letters import update_letter_settings
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.models import Tenant
from siaga_web import actors, clock
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, Public, TenantContext, in_tenant, reading_one
from siaga_web.exports import csv_response, xlsx_response
from siaga_web.labels import LETTER_EVENT_LABELS, LETTER_REASON_LABELS, LETTER_STATE_LABELS
from siaga_web.paging import MAX_PAGE, pager
from siaga_web.ratelimit import LETTER_VERIFICATION, per_client
from siaga_web.runtime import runtime
from siaga_web.templating import flash, render

router = APIRouter(tags=["letters"])
Viewer = Annotated[TenantContext, Depends(in_tenant(Permission.VIEW_LETTERS))]
Manager = Annotated[TenantContext, Depends(in_tenant(Permission.MANAGE_LETTERS))]
Head = Annotated[TenantContext, Depends(in_tenant(Permission.LETTER_SETTINGS))]
Csrf = Depends(verify_csrf)

STATE_FILTERS = ("active", "expiring", "expired", "revoked")
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
EXPORT_HEADER = [
    "Nomor",
    "NIK (tersamar)",
    "Nama (tersamar)",
    "Alasan",
    "Status KTP-el",
    "Terbit",
    "Berlaku sampai",
    "Keadaan",
]


def _office(tenant: Tenant) -> OfficeHeader:
    seat = tenant.name.removeprefix("Kabupaten ").removeprefix("Kota ")
    return OfficeHeader(regency_name=tenant.name, seat=seat)


def _state_key(letter: Letter, today: date) -> str:
    state = letter.state(today)
    return "converted" if state is LetterState.REVOKED and letter.converted else state.value


async def _page_values(
    request: Request,
    db: DbSession,
    context: TenantContext,
    *,
    keadaan: str | None,
    alasan: LetterReason | None,
    nik: str | None,
    halaman: int,
) -> dict[str, Any]:
    today = context.today
    nik_hashes: tuple[str, ...] | None = None
    if nik:
        digits = re.sub(r"\D", "", nik)
        nik_hashes = context.cipher.search_hashes(digits, tenant_id=context.tenant.id, field="nik")
    per_page = 50

    async def page_of(number: int) -> tuple[Sequence[Letter], int]:
        return await service.register_page(
            db,
            today=today,
            state=keadaan,
            reason=alasan,
            nik_hashes=nik_hashes,
            offset=(number - 1) * per_page,
            limit=per_page,
        )

    letters, total = await page_of(halaman)
    pages = pager(request, total=total, page=halaman, per_page=per_page)
    if pages.page != halaman:  # past the end: the last page instead
        letters, total = await page_of(pages.page)
    policy = context.letter_policy
    return {
        "tenant": context.tenant,
        "can_write": context.can_write,
        "can_configure": context.can_write
        and has_permission(context.principal, Permission.LETTER_SETTINGS),
        "figures": await figures.for_tenant(db, context.tenant.id, today),
        "revoked_total": await service.revoked_total(db),
        "letters": letters,
        "total": total,
        "pager": pages,
        "keadaan": keadaan,
        "alasan": alasan,
        "nik": nik or "",
        "today": today,
        "states": {letter.id: _state_key(letter, today) for letter in letters},
        "state_labels": LETTER_STATE_LABELS,
        "reason_labels": LETTER_REASON_LABELS,
        "reasons": list(LetterReason),
        "state_filters": STATE_FILTERS,
        "policy": policy,
        "validity_months": policy.validity_months,
    }


def _filters(keadaan: str | None) -> str | None:
    return keadaan if keadaan in STATE_FILTERS else None


@router.get("/wilayah/{code}/suket")
async def register(
    request: Request,
    db: DbSession,
    context: Viewer,
    keadaan: Annotated[str | None, Query(max_length=10)] = None,
    alasan: Annotated[LetterReason | None, Query()] = None,
    nik: Annotated[str | None, Query(max_length=24)] = None,
    halaman: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    values = await _page_values(
        request, db, context, keadaan=_filters(keadaan), alasan=alasan, nik=nik, halaman=halaman
    )
    return render(request, "pages/letters/register.html", values, block="register")


def _export_rows(letters: Sequence[Letter], today: date) -> list[list[str]]:
    return [
        [
            letter.number,
            letter.nik_masked,
            letter.holder_masked,
            LETTER_REASON_LABELS[LetterReason(letter.reason)],
            letter.status_code,
            letter.issued_on.isoformat(),
            letter.valid_until.isoformat(),
            LETTER_STATE_LABELS[_state_key(letter, today)],
        ]
        for letter in letters
    ]


async def _export(
    db: DbSession, context: TenantContext, keadaan: str | None, alasan: LetterReason | None
) -> list[list[str]]:
    today = context.today
    letters, _total = await service.register_page(
        db, today=today, state=_filters(keadaan), reason=alasan, limit=None
    )
    if context.can_write:
        # The office's own export is recorded in its trail; a supervisor's read-only scope
        # writes nothing to the regency (the export holds masked NIKs and names only).
        await audit.record(
            db,
            tenant_id=context.tenant.id,
            actor_subject=context.principal.subject,
            action="letters.exported",
            object_type="letter_register",
            object_id=context.tenant.code,
        )
    return [EXPORT_HEADER, *_export_rows(letters, today)]


def _download_name(context: TenantContext, extension: str) -> str:
    return f"suket-{context.tenant.code}-{context.today}.{extension}"


@router.get("/wilayah/{code}/suket/ekspor.csv")
async def export_csv(
    db: DbSession,
    context: Viewer,
    keadaan: Annotated[str | None, Query(max_length=10)] = None,
    alasan: Annotated[LetterReason | None, Query()] = None,
) -> Response:
    rows = await _export(db, context, keadaan, alasan)
    return csv_response(rows, _download_name(context, "csv"))


@router.get("/wilayah/{code}/suket/ekspor.xlsx")
async def export_xlsx(
    db: DbSession,
    context: Viewer,
    keadaan: Annotated[str | None, Query(max_length=10)] = None,
    alasan: Annotated[LetterReason | None, Query()] = None,
) -> Response:
    rows = await _export(db, context, keadaan, alasan)
    return xlsx_response(rows, _download_name(context, "xlsx"), "Surat keterangan")


@router.post("/wilayah/{code}/suket", dependencies=[Csrf])
async def issue(
    request: Request,
    db: DbSession,
    context: Manager,
    application_id: Annotated[uuid.UUID, Form()],
    reason: Annotated[LetterReason, Form()],
    note: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    letter = await service.issue(
        db,
        context.principal,
        context.cipher,
        runtime(request.app).regions,
        application_id,
        reason=reason,
        note=note,
        policy=context.letter_policy,
        today=context.today,
        now=context.now,
    )
    flash(
        request,
        N_("Surat keterangan {number} diterbitkan, berlaku sampai {until}."),
        number=letter.number,
        until=letter.valid_until,
        link=f"/wilayah/{context.tenant.code}/suket/{letter.id}/pdf",
        link_text=N_("Cetak PDF"),
    )
    return RedirectResponse(f"/wilayah/{context.tenant.code}/suket/{letter.id}", status_code=303)


@router.post("/wilayah/{code}/suket/pengaturan", dependencies=[Csrf])
async def settings(
    request: Request,
    db: DbSession,
    context: Head,
    letter_number_format: Annotated[str, Form(max_length=80)],
    letter_validity_months: Annotated[int, Form()],
    head_of_office_name: Annotated[str, Form(max_length=200)],
    head_of_office_title: Annotated[str, Form(max_length=200)],
) -> Response:
    await update_letter_settings(
        db,
        actor_subject=context.principal.subject,
        number_format=letter_number_format,
        validity_months=letter_validity_months,
        signer_name=head_of_office_name,
        signer_title=head_of_office_title,
    )
    flash(request, N_("Pengaturan surat disimpan."))
    return RedirectResponse(f"/wilayah/{context.tenant.code}/suket#pengaturan", status_code=303)


@router.get("/wilayah/{code}/suket/{letter_id}")
async def detail(
    request: Request, db: DbSession, context: Viewer, letter_id: uuid.UUID
) -> Response:
    letter, history = await service.letter_with_history(db, letter_id)
    today = context.today
    return render(
        request,
        "pages/letters/detail.html",
        {
            "tenant": context.tenant,
            "can_write": context.can_write,
            "letter": letter,
            "state": _state_key(letter, today),
            "history": history,
            "names": await actors.names(db, (e.actor_subject for e in history)),
            "state_labels": LETTER_STATE_LABELS,
            "reason_labels": LETTER_REASON_LABELS,
            "event_labels": LETTER_EVENT_LABELS,
        },
    )


@router.get("/wilayah/{code}/suket/{letter_id}/pdf")
async def pdf(request: Request, db: DbSession, context: Manager, letter_id: uuid.UUID) -> Response:
    letter, content = await service.document(
        db,
        context.principal,
        context.cipher,
        runtime(request.app).regions,
        letter_id,
        office=_office(context.tenant),
        regency_code=context.tenant.code,
        base_url=runtime(request.app).settings.base_url,
        today=context.today,
    )
    filename = re.sub(r"[^A-Za-z0-9]+", "-", letter.number).strip("-")
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="suket-{filename}.pdf"',
            "Cache-Control": "no-store",  # it carries the NIK
        },
    )


@router.post("/wilayah/{code}/suket/{letter_id}/perpanjang", dependencies=[Csrf])
async def renew(
    request: Request,
    db: DbSession,
    context: Manager,
    letter_id: uuid.UUID,
    version: Annotated[int, Form()],
) -> Response:
    renewed = await service.renew(
        db,
        context.principal,
        context.cipher,
        runtime(request.app).regions,
        letter_id,
        expected_version=version,
        policy=context.letter_policy,
        today=context.today,
        now=context.now,
    )
    flash(
        request,
        N_("Surat keterangan {number} diperpanjang sampai {until}."),
        number=renewed.number,
        until=renewed.valid_until,
        link=f"/wilayah/{context.tenant.code}/suket/{letter_id}/pdf",
        link_text=N_("Cetak PDF"),
    )
    return RedirectResponse(f"/wilayah/{context.tenant.code}/suket/{letter_id}", status_code=303)


@router.post("/wilayah/{code}/suket/{letter_id}/cabut", dependencies=[Csrf])
async def revoke(
    request: Request,
    db: DbSession,
    context: Manager,
    letter_id: uuid.UUID,
    version: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=300)],
) -> Response:
    revoked = await service.revoke(
        db,
        context.principal,
        letter_id,
        expected_version=version,
        reason=reason,
        today=context.today,
        now=context.now,
    )
    flash(
        request,
        N_("Surat keterangan {number} dicabut."),
        number=revoked.number,
        link=f"/wilayah/{context.tenant.code}/suket",
        link_text=N_("Kembali ke daftar surat"),
    )
    return RedirectResponse(f"/wilayah/{context.tenant.code}/suket/{letter_id}", status_code=303)


@router.get(
    "/verifikasi/{code}/{token}", dependencies=[Public, Depends(per_client(LETTER_VERIFICATION))]
)
async def verify(request: Request, db: DbSession, code: str, token: str) -> Response:
    """What the QR code opens: valid, expired, revoked or not found, and nothing personal
    beyond the masked name. A wrong code or token reads exactly like a missing letter."""
    found: service.Verification | None = None
    tenant = (
        await registry.tenant_by_code(db, code) if re.fullmatch(r"\d{2}\.\d{2}", code) else None
    )
    if tenant is not None and TOKEN_SHAPE.match(token):
        async with reading_one(db, tenant.id):
            found = await service.verify(db, token, today=registry.local_day(tenant, clock.now()))
    response = render(
        request,
        "pages/letters/verify.html",
        {
            "found": found,
            "tenant_name": tenant.name if found and tenant else None,
            "state_labels": LETTER_STATE_LABELS,
        },
        status_code=200 if found else 404,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of other logs
    return response
