"""Election readiness pages: the elections of a province (and the nation), an election's
regencies side by side worst first, its exports, the form that sets an election day; and, for
a regency's own staff, its letters to renew before voting day with the bulk renewal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_platform.elections import permissions as election_rules
from siaga_platform.elections import service
from siaga_platform.elections.models import Election
from siaga_platform.elections.service import Readiness
from siaga_platform.errors import InvalidInput, NotFound
from siaga_platform.text import N_
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.regions import service as regions
from siaga_tenants.registry import service as registry
from siaga_web import clock
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, TenantContext, enter_regencies, in_tenant, requires
from siaga_web.exports import csv_response, xlsx_response
from siaga_web.labels import LEVEL_WORDS
from siaga_web.runtime import runtime
from siaga_web.templating import flash, render

router = APIRouter(tags=["elections"])
ProvinceCode = Annotated[str, Path(pattern=r"^\d{2}$")]
Supervisor = Annotated[Principal, Depends(requires(Permission.VIEW_PROVINCE))]
NationalViewer = Annotated[Principal, Depends(requires(Permission.VIEW_NATIONAL))]
Organiser = Annotated[Principal, Depends(requires(Permission.MANAGE_ELECTIONS))]
Staff = Annotated[TenantContext, Depends(in_tenant(Permission.MANAGE_LETTERS))]
Csrf = Depends(verify_csrf)

EXPORT_HEADER = [
    "Kode",
    "Kabupaten/kota",
    "Hari pemungutan suara",
    "Sisa hari",
    "Penduduk sudah rekam tanpa KTP-el",
    "Terancam tidak bisa memilih",
    "Masih terancam setelah dicetak",
    "Suket perlu diperpanjang",
    "Suket pertama habis",
    "Menunggu cetak",
    "Blanko di tangan",
    "Blanko dalam perjalanan",
    "Blanko dipinjamkan",
    "Cetak per hari (30 hari)",
    "Bisa dicetak sebelum hari H",
    "Kurang cetak",
    "Bertindak paling lambat",
    "Tingkat",
]


def _not_yours() -> NotFound:
    return NotFound("Halaman provinsi ini tidak ditemukan atau bukan wilayah Anda.")


async def _readiness(
    db: AsyncSession, election: Election, province_code: str | None
) -> list[Readiness]:
    """The election's regencies (those of ``province_code`` only, when given), worst first."""
    concerned = set(await service.concerned(db, election))
    directory = await registry.directory(db, province_code)
    chosen = [t for t in directory if t.id in concerned]
    await enter_regencies(db, (t.id for t in chosen))
    regencies = await rollup_regencies(db, chosen, clock.now())
    return service.worst_first(await service.regency_figures(db, election.voting_day, regencies))


async def _province_election(
    db: AsyncSession, principal: Principal, code: str, election_id: uuid.UUID
) -> tuple[Any, Election]:
    province = await regions.province(db, code)
    if province is None or not principal.can_read_province(code):
        raise _not_yours()
    election = await service.get_for(db, principal, election_id)
    if election.province_code not in (None, code):
        raise NotFound(election_rules.NOT_FOUND)
    return province, election


def _page_values(
    election: Election, rows: list[Readiness], base: str, title: str
) -> dict[str, Any]:
    return {
        "election": election,
        "rows": rows,
        "base": base,
        "place": title,
        "level_words": LEVEL_WORDS,
        "totals": {
            "turned_away": sum(r.turned_away for r in rows),
            "after_printing": sum(r.after_printing for r in rows),
            "to_renew": sum(r.to_renew for r in rows),
            "shortfall": sum(r.shortfall for r in rows),
            "waiting_print": sum(r.waiting_print for r in rows),
        },
    }


def _export_rows(rows: Sequence[Readiness]) -> list[list[Any]]:
    return [
        EXPORT_HEADER,
        *(
            [
                r.regency.code,
                r.regency.name,
                r.voting_day,
                r.days_left,
                r.recorded,
                r.turned_away,
                r.after_printing,
                r.to_renew,
                r.first_lapse or "",
                r.waiting_print,
                r.on_hand,
                r.incoming,
                r.outgoing,
                round(r.print_rate, 1) if r.print_rate is not None else "",
                r.printable,
                r.shortfall,
                r.act_by or "",
                LEVEL_WORDS[r.level][1],
            ]
            for r in rows
        ),
    ]


def _file(election: Election, extension: str) -> str:
    return f"pemilu-{election.voting_day.isoformat()}-{str(election.id)[:8]}.{extension}"


# --- a province's elections ---------------------------------------------------------------


@router.get("/provinsi/{code}/pemilu")
async def province_elections(
    request: Request, db: DbSession, code: ProvinceCode, principal: Supervisor
) -> Response:
    province = await regions.province(db, code)
    if province is None or not principal.can_read_province(code):
        raise _not_yours()
    directory = await registry.directory(db, code)
    today = min((registry.local_day(t, clock.now()) for t in directory), default=clock.now().date())
    elections = await service.upcoming(db, province_code=code, national=True, today=today)
    return render(
        request,
        "pages/elections/list.html",
        {
            "province": province,
            "elections": elections,
            "base": f"/provinsi/{code}/pemilu",
            "regencies": directory,
            "can_create": election_rules.can_create(principal, code),
            "today": today,
        },
    )


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError as error:
        raise InvalidInput(
            "Tanggal pemungutan suara tidak terbaca (tahun-bulan-tanggal).", field="voting_day"
        ) from error


@router.post("/provinsi/{code}/pemilu", dependencies=[Csrf])
async def create_province_election(
    request: Request,
    db: DbSession,
    code: ProvinceCode,
    principal: Organiser,
    name: Annotated[str, Form(max_length=200)],
    voting_day: Annotated[str, Form(max_length=10)],
    wilayah: Annotated[list[str] | None, Form()] = None,
) -> Response:
    if not principal.can_read_province(code):
        raise _not_yours()
    directory = await registry.directory(db, code)
    picked = set(wilayah or [])
    chosen = [(t.id, t.province_code) for t in directory if t.code in picked]
    today = min((registry.local_day(t, clock.now()) for t in directory), default=clock.now().date())
    election = await service.create(
        db,
        principal,
        name=name,
        voting_day=_parse_day(voting_day),
        province_code=code,
        regencies=chosen,
        today=today,
        now=clock.now(),
    )
    flash(request, N_("Pemilihan {name} ditetapkan."), name=election.name)
    return RedirectResponse(f"/provinsi/{code}/pemilu/{election.id}", status_code=303)


@router.get("/provinsi/{code}/pemilu/{election_id}")
async def province_election(
    request: Request,
    db: DbSession,
    code: ProvinceCode,
    election_id: uuid.UUID,
    principal: Supervisor,
) -> Response:
    province, election = await _province_election(db, principal, code, election_id)
    rows = await _readiness(db, election, code)
    values = _page_values(election, rows, f"/provinsi/{code}/pemilu/{election.id}", province.name)
    values["province"] = province
    return render(request, "pages/elections/election.html", values)


@router.get("/provinsi/{code}/pemilu/{election_id}/ekspor.csv")
async def province_csv(
    db: DbSession, code: ProvinceCode, election_id: uuid.UUID, principal: Supervisor
) -> Response:
    _province, election = await _province_election(db, principal, code, election_id)
    return csv_response(_export_rows(await _readiness(db, election, code)), _file(election, "csv"))


@router.get("/provinsi/{code}/pemilu/{election_id}/ekspor.xlsx")
async def province_xlsx(
    db: DbSession, code: ProvinceCode, election_id: uuid.UUID, principal: Supervisor
) -> Response:
    province, election = await _province_election(db, principal, code, election_id)
    rows = _export_rows(await _readiness(db, election, code))
    return xlsx_response(rows, _file(election, "xlsx"), province.name)


# --- the nation's elections ---------------------------------------------------------------


@router.get("/nasional/pemilu")
async def national_elections(
    request: Request, db: DbSession, principal: NationalViewer
) -> Response:
    today = clock.now().date()
    elections = await service.upcoming(db, province_code=None, national=True, today=today)
    return render(
        request,
        "pages/elections/list.html",
        {
            "province": None,
            "elections": elections,
            "base": "/nasional/pemilu",
            "regencies": [],
            "can_create": election_rules.can_create(principal, None),
            "today": today,
        },
    )


@router.post("/nasional/pemilu", dependencies=[Csrf])
async def create_national_election(
    request: Request,
    db: DbSession,
    principal: Organiser,
    name: Annotated[str, Form(max_length=200)],
    voting_day: Annotated[str, Form(max_length=10)],
) -> Response:
    """A national election concerns every regency registered in Siaga."""
    election_rules.check_create(principal, None)
    directory = await registry.directory(db)
    election = await service.create(
        db,
        principal,
        name=name,
        voting_day=_parse_day(voting_day),
        province_code=None,
        regencies=[(t.id, t.province_code) for t in directory],
        today=clock.now().date(),
        now=clock.now(),
    )
    flash(request, N_("Pemilihan {name} ditetapkan."), name=election.name)
    return RedirectResponse(f"/nasional/pemilu/{election.id}", status_code=303)


async def _national_election(
    db: AsyncSession, principal: Principal, election_id: uuid.UUID
) -> Election:
    return await service.get_for(db, principal, election_id)


@router.get("/nasional/pemilu/{election_id}")
async def national_election(
    request: Request, db: DbSession, election_id: uuid.UUID, principal: NationalViewer
) -> Response:
    election = await _national_election(db, principal, election_id)
    rows = await _readiness(db, election, election.province_code)
    values = _page_values(election, rows, f"/nasional/pemilu/{election.id}", "Indonesia")
    values["province"] = None
    return render(request, "pages/elections/election.html", values)


@router.get("/nasional/pemilu/{election_id}/ekspor.csv")
async def national_csv(
    db: DbSession, election_id: uuid.UUID, principal: NationalViewer
) -> Response:
    election = await _national_election(db, principal, election_id)
    rows = await _readiness(db, election, election.province_code)
    return csv_response(_export_rows(rows), _file(election, "csv"))


@router.get("/nasional/pemilu/{election_id}/ekspor.xlsx")
async def national_xlsx(
    db: DbSession, election_id: uuid.UUID, principal: NationalViewer
) -> Response:
    election = await _national_election(db, principal, election_id)
    rows = await _readiness(db, election, election.province_code)
    return xlsx_response(_export_rows(rows), _file(election, "xlsx"), "Indonesia")


# --- a regency's own staff: its elections, its letters to renew ---------------------------


@router.get("/wilayah/{code}/pemilu")
async def regency_elections(request: Request, db: DbSession, context: Staff) -> Response:
    """The elections concerning this regency, each with the regency's own readiness."""
    today = context.today
    elections = await service.for_regency(db, context.tenant.id, today)
    regencies = await rollup_regencies(db, [context.tenant], clock.now())
    rows = [
        (election, (await service.regency_figures(db, election.voting_day, regencies))[0])
        for election in elections
    ]
    return render(
        request,
        "pages/elections/regency.html",
        {"tenant": context.tenant, "rows": rows, "level_words": LEVEL_WORDS, "today": today},
    )


@router.get("/wilayah/{code}/pemilu/{election_id}")
async def regency_letters_to_renew(
    request: Request, db: DbSession, context: Staff, election_id: uuid.UUID
) -> Response:
    """The regency's letters in force today that lapse before voting day, holders masked;
    every reading is written to the audit trail (the service does)."""
    today = context.today
    election, found = await service.letters_to_renew(
        db, context.principal, election_id, today=today
    )
    regencies = await rollup_regencies(db, [context.tenant], clock.now())
    [row] = await service.regency_figures(db, election.voting_day, regencies)
    return render(
        request,
        "pages/elections/renew.html",
        {
            "tenant": context.tenant,
            "election": election,
            "row": row,
            "letters": found,
            "level_words": LEVEL_WORDS,
            "today": today,
        },
    )


@router.post("/wilayah/{code}/pemilu/{election_id}/perpanjang", dependencies=[Csrf])
async def renew_before_voting(
    request: Request, db: DbSession, context: Staff, election_id: uuid.UUID
) -> Response:
    """Each letter renewed as an ordinary renewal (its own history and checks)."""
    result = await service.renew_before(
        db,
        context.principal,
        context.cipher,
        runtime(request.app).regions,
        election_id,
        policy=context.letter_policy,
        today=context.today,
        now=clock.now(),
    )
    if result.refused:
        flash(
            request,
            N_("{renewed} surat keterangan diperpanjang; {refused} tidak bisa diperpanjang."),
            renewed=len(result.renewed),
            refused=len(result.refused),
        )
    else:
        flash(request, N_("{renewed} surat keterangan diperpanjang."), renewed=len(result.renewed))
    return RedirectResponse(f"/wilayah/{context.tenant.code}/pemilu/{election_id}", status_code=303)
