"""Hardening (issue 16): what a request may carry. Control characters in text, quantities
beyond what an office can hold, other tenants' ids, the province in the path; on both
databases."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import func, select

from siaga_platform.applications.models import Application
from siaga_platform.auth.principal import Role
from siaga_platform.hardware.models import MaintenanceWindow
from siaga_platform.stock.models import MAX_BLANK_CARDS, MAX_RIBBONS
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import provision_tenant
from siaga_web.exports import csv_response, xlsx_response
from siaga_web.permissions_table import route_permissions
from tests.fixtures.applications import nik_for, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, run_jobs, sign_in
from tests.letters.helpers import recorded_applicants

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
BASE = "/wilayah/62.12/permohonan"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _signed_in(client: httpx.AsyncClient, subject: str, page: str) -> dict[str, str]:
    await sign_in(client, subject)
    return {"X-CSRF-Token": csrf_from((await client.get(page)).text)}


async def _applications(db: ScratchDatabase) -> int:
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        return int(await session.scalar(select(func.count()).select_from(Application)) or 0)


def _application(**changes: str) -> dict[str, str]:
    return {
        "nik": nik_for(7),
        "name": "Agus Salim",
        "birth_place": "Puruk Cahu",
        "birth_date": "1995-08-17",
        "sex": "L",
        "kecamatan_code": "62.12.01",
        "desa": "Beriwit",
        "reason": "lost",
        **changes,
    }


# -- 1. control characters ---------------------------------------------------------------


async def test_control_characters_in_json_text_are_refused_naming_the_field(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, BASE)
    for name in ("Agus\x00Salim", "Agus\x1bSalim", "Agus\x07"):
        answer = await client.post(
            "/api/v1/applications", headers=headers, json=_application(name=name)
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "name" and "karakter kontrol" in answer.json()["detail"]
    site = await client.post(
        "/api/v1/sites", headers=headers, json={"name": "Kantor\x00", "kind": "office"}
    )
    assert site.status_code == 422 and site.json()["field"] == "name"
    assert await _applications(db) == 0


async def test_control_characters_in_forms_and_query_strings_are_refused(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, BASE)
    token = headers["X-CSRF-Token"]
    form = await client.post(
        BASE, data={**_application(birth_place="Puruk\x00Cahu"), "csrf_token": token}
    )
    assert form.status_code == 422 and "birth_place" in form.text
    # The same form sent as multipart (any form may be): the same check.
    multipart = await client.post(
        BASE,
        data={**_application(birth_place="Puruk\x00Cahu"), "csrf_token": token},
        files={"unused": ("a.txt", b"x", "text/plain")},
    )
    assert multipart.status_code == 422 and "birth_place" in multipart.text
    assert await _applications(db) == 0
    page = await client.get(BASE, params={"kecamatan": "a\x00b"})
    assert page.status_code == 422 and "kecamatan" in page.text
    api = await client.get("/api/v1/applications", params={"kecamatan": "a\x00b"})
    assert api.status_code == 422 and api.json()["field"] == "kecamatan"
    incident = await client.post(
        "/wilayah/62.12/perangkat/kejadian",
        data={"title": "Server\x00mati", "cause": "power", "csrf_token": token},
    )
    assert incident.status_code == 422 and "title" in incident.text
    address = await client.get("/publik/62%0012/blanko")
    assert address.status_code == 404
    upload = await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": token},
        files={"file": ("impor\x01.csv", b"nik\n", "text/csv")},
    )
    assert upload.status_code == 422


async def test_tabs_and_line_breaks_stay_allowed(client: httpx.AsyncClient) -> None:
    headers = await _signed_in(client, OPERATOR, "/wilayah/62.12/stok")
    answer = await client.post(
        "/wilayah/62.12/stok/usulan",
        data={
            "quantity": "100",
            "note": "baris satu\r\nbaris dua\tdengan tab",
            "csrf_token": headers["X-CSRF-Token"],
        },
    )
    assert answer.status_code == 303, answer.text


# -- 2. quantities bounded by what an office can hold -------------------------------------

CARD = "/wilayah/62.12/stok"
TOO_MANY = str(2**31)


async def _tenant_ids(db: ScratchDatabase, *codes: str) -> list[str]:
    async with db.session_factory() as session:
        return [str((await tenants.get_by_code(session, code)).id) for code in codes]  # type: ignore[union-attr]


async def _on_hand(client: httpx.AsyncClient, item: str) -> str:
    page = await client.get(CARD, params={"item": item})
    found = re.search(r"<strong>([0-9.]+)</strong>", page.text)
    assert found
    return found.group(1)


async def test_stock_figures_beyond_an_office_are_refused(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, CARD)
    token = headers["X-CSRF-Token"]
    today = date.today().isoformat()
    for path, form in (
        ("opname", {"item": "ribbon", "counted": str(10**9)}),
        ("opname", {"item": "ribbon", "counted": str(MAX_RIBBONS + 1)}),
        ("opname", {"item": "blank_card", "counted": TOO_MANY}),
        ("usulan", {"quantity": TOO_MANY}),
        ("usulan", {"quantity": str(MAX_BLANK_CARDS + 1)}),
        ("pinjam", {"lender_code": "62.01", "quantity": TOO_MANY}),
        ("pinjam", {"lender_code": "62.01", "quantity": str(MAX_BLANK_CARDS + 1)}),
        ("terima", {"item": "ribbon", "quantity": str(MAX_RIBBONS + 1)}),
        ("terima", {"item": "blank_card", "quantity": TOO_MANY}),
    ):
        answer = await client.post(
            f"{CARD}/{path}",
            data={**form, "csrf_token": token, "reference": "SPB-1", "business_date": today},
        )
        assert answer.status_code == 422, (path, form, answer.status_code)
        assert "Jumlah terlalu besar" in answer.text
    assert await _on_hand(client, "ribbon") == "0"
    # The most an office holds is accepted; one more on top of it is not.
    counted = await client.post(
        f"{CARD}/opname",
        data={"item": "blank_card", "counted": str(MAX_BLANK_CARDS), "csrf_token": token},
    )
    assert counted.status_code == 303
    one_more = await client.post(
        f"{CARD}/terima",
        data={
            "item": "blank_card",
            "quantity": "1",
            "reference": "SPB-2",
            "business_date": today,
            "csrf_token": token,
        },
    )
    assert one_more.status_code == 422 and "melebihi" in one_more.text
    assert await _on_hand(client, "blank_card") == "1.000.000"


async def test_a_supervisors_loan_proposal_is_bounded(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    lender, borrower = await _tenant_ids(db, "62.01", "62.12")
    headers = await _signed_in(client, SUPERVISOR, "/provinsi/62/stok")
    for quantity in (TOO_MANY, str(MAX_BLANK_CARDS + 1)):
        answer = await client.post(
            "/provinsi/62/stok/usul-pinjaman",
            data={
                "lender": lender,
                "borrower": borrower,
                "quantity": quantity,
                "csrf_token": headers["X-CSRF-Token"],
            },
        )
        # Refused beside the loans on the page the supervisor came from (issue 15).
        assert answer.status_code == 303
        page = await client.get(answer.headers["location"])
        assert "Jumlah terlalu besar" in page.text


# -- 3. the importer reads any file without a 500 -----------------------------------------

HEADER = "nik,nama,tanggal_lahir,jenis_kelamin,kecamatan,status,tanggal\r\n"


async def _upload(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    page = await client.get(f"{BASE}/impor/")
    return await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("rekam.csv", content, "text/csv")},
    )


async def test_the_importer_reports_unreadable_rows_instead_of_failing(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    good = f"{nik_for(100)},Andi Wijaya,1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    bare_cr = f"{nik_for(101)},Andi\rWijaya,1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    nul = f"{nik_for(102)},Andi\x00Wijaya,1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    huge = f"{nik_for(103)},{'A' * 200_000},1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    long_name = f"{nik_for(106)},{'Andi ' * 100},1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    content = (
        HEADER + good + bare_cr + nul + huge + long_name + good.replace("100", "104")
    ).encode()
    answer = await _upload(client, content)
    assert answer.status_code == 303, answer.text
    await run_jobs(client)  # the worker runs the import
    progress = await client.get(answer.headers["location"])
    assert "Selesai" in progress.text, progress.text
    assert "masuk 2" in progress.text
    report = await client.get(answer.headers["location"] + "/kesalahan.csv")
    assert report.status_code == 200 and "karakter kontrol" in report.text
    assert "kolom terlalu panjang" in report.text and "nama terlalu panjang" in report.text
    # Not UTF-8 (Windows' own encoding): read, not refused.
    latin = HEADER + f"{nik_for(105)},Andi Müller,1995-08-17,L,62.12.01,BC,2026-10-01\r\n"
    answer = await _upload(client, latin.encode("cp1252"))
    assert answer.status_code == 303
    await run_jobs(client)
    assert "masuk 1" in (await client.get(answer.headers["location"])).text
    # A good header, then noise: every line reported, the job finishes.
    noise = bytes((i * 7919 + 13) % 256 for i in range(20_000)) + bytes(range(256)) * 8
    answer = await _upload(client, HEADER.encode() + noise)
    assert answer.status_code == 303
    await run_jobs(client)
    assert "Selesai" in (await client.get(answer.headers["location"])).text
    assert await _applications(db) == 3


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xef\xbb\xbf",
        bytes(range(256)) * 40,
        bytes((i * 7919 + 13) % 256 for i in range(20_000)),
        b"nik\rnama\r\x00\x00\r",
        ("x" * 200_000).encode(),
    ],
    ids=["empty", "bom-only", "all-bytes", "noise", "bare-cr-and-nul", "one-huge-field"],
)
async def test_files_that_are_not_csv_are_refused_with_a_reason(
    client: httpx.AsyncClient, content: bytes
) -> None:
    await sign_in(client, OPERATOR)
    answer = await _upload(client, content)
    assert answer.status_code == 422, answer.text
    assert "CSV" in answer.text or "File" in answer.text


# -- 4. a site's kecamatan belongs to the regency -----------------------------------------


async def test_a_site_takes_only_a_kecamatan_of_its_own_regency(
    client: httpx.AsyncClient,
) -> None:
    headers = await _signed_in(client, OPERATOR, "/wilayah/62.12")
    for code in ("99.99.99", "62.03.01", "62.12"):
        answer = await client.post(
            "/api/v1/sites",
            headers=headers,
            json={"name": "UPT Kecamatan", "kind": "kecamatan", "kecamatan_code": code},
        )
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["field"] == "kecamatan_code"
    own = await client.post(
        "/api/v1/sites",
        headers=headers,
        json={"name": "UPT Murung", "kind": "kecamatan", "kecamatan_code": "62.12.01"},
    )
    assert own.status_code == 201, own.text


# -- 5. maintenance only of the regency's own devices and sites ---------------------------


async def test_maintenance_of_another_regencys_device_or_site_is_refused_like_a_missing_one(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, "/wilayah/62.12")
    site = await client.post(
        "/api/v1/sites", headers=headers, json={"name": "Kantor", "kind": "office"}
    )
    device = await client.post(
        "/api/v1/devices",
        headers=headers,
        json={
            "site_id": site.json()["id"],
            "kind": "recording_server",
            "label": "Server",
            "funding": "APBN",
        },
    )
    assert device.status_code == 201
    other = await _signed_in(client, demo_subject(Role.OPERATOR, "62.01"), "/wilayah/62.01")
    window = {
        "starts_at": "2026-12-20T08:00",
        "ends_at": "2026-12-20T12:00",
        "reason": "Ganti UPS",
        "csrf_token": other["X-CSRF-Token"],
    }
    answers = []
    for field, value in (
        ("device_id", device.json()["id"]),
        ("device_id", str(uuid.uuid4())),
        ("site_id", site.json()["id"]),
        ("site_id", str(uuid.uuid4())),
    ):
        answer = await client.post(
            "/wilayah/62.01/perangkat/perawatan", data={**window, field: value}
        )
        answers.append((field, answer.status_code, _message(answer.text)))
    assert answers[0] == answers[1] and answers[2] == answers[3], answers
    assert answers[0][1] == 404 and answers[2][1] == 404
    ids = await _tenant_ids(db, "62.01", "62.12")
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({uuid.UUID(i) for i in ids}))
        assert await session.scalar(select(func.count()).select_from(MaintenanceWindow)) == 0


def _message(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    return found.group(0) if found else html


# -- 6. a platform admin on the regency APIs ----------------------------------------------

ADMIN = demo_subject(Role.ADMIN_PLATFORM, "platform")
#: Routes of the platform itself, not of a regency's data.
PLATFORM_ROUTES = {"/api/v1/me", "/api/v1/tenants"}


def _tenant_api_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = []
    for path, _permission in route_permissions(app).items():
        method, _, address = path.partition(" ")
        if (
            address.startswith("/api/v1/")
            and not address.startswith("/api/v1/heartbeats")
            and address not in PLATFORM_ROUTES
        ):
            routes.append((method, address))
    return routes


async def test_a_platform_admin_is_refused_on_every_regency_api_route_never_a_500(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    app = build_app(db)
    routes = _tenant_api_routes(app)
    assert ("GET", "/api/v1/devices/{device_id}") in routes and len(routes) >= 10
    # A supervisor walks them too: read-only in the province, so refused or not found.
    for subject, page in ((ADMIN, "/wilayah/62.12"), (SUPERVISOR, "/provinsi/62")):
        async with client_for(app) as client:
            headers = await _signed_in(client, subject, page)
            answers = {}
            for method, address in routes:
                url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), address)
                answer = await client.request(
                    method, url, headers=headers, json={} if method != "GET" else None
                )
                answers[f"{method} {address}"] = answer.status_code
            assert {k: v for k, v in answers.items() if v not in (403, 404)} == {}, subject


# -- 7. loans are decided in the province of the address ----------------------------------


async def test_a_supervisor_decides_loans_only_in_the_province_of_the_address(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    async with unit_of_work(db.session_factory) as session:
        await provision_tenant(session, "63.01", actor_subject="test")
    lender, borrower, neighbour = await _tenant_ids(db, "62.01", "62.12", "63.01")
    headers = await _signed_in(client, OPERATOR, CARD)
    asked = await client.post(
        f"{CARD}/pinjam",
        data={"lender_code": "62.01", "quantity": "50", "csrf_token": headers["X-CSRF-Token"]},
    )
    assert asked.status_code == 303
    headers = await _signed_in(client, SUPERVISOR, "/provinsi/62/stok")
    token = headers["X-CSRF-Token"]
    page = await client.get("/provinsi/62/stok")
    loan = re.search(r'action="/provinsi/62/stok/pinjaman/([0-9a-f-]{36})"', page.text)
    assert loan
    for province in ("63", "99", "6"):
        decided = await client.post(
            f"/provinsi/{province}/stok/pinjaman/{loan.group(1)}",
            data={"decision": "tolak", "csrf_token": token},
        )
        assert decided.status_code == 404, (province, decided.status_code)
        proposed = await client.post(
            f"/provinsi/{province}/stok/usul-pinjaman",
            data={"lender": lender, "borrower": borrower, "quantity": "10", "csrf_token": token},
        )
        assert proposed.status_code == 404, (province, proposed.status_code)
    across = await client.post(
        "/provinsi/62/stok/usul-pinjaman",
        data={"lender": neighbour, "borrower": borrower, "quantity": "10", "csrf_token": token},
    )
    assert across.status_code == 403
    assert "pinjaman/" + loan.group(1) in (await client.get("/provinsi/62/stok")).text  # pending
    decided = await client.post(
        f"/provinsi/62/stok/pinjaman/{loan.group(1)}",
        data={"decision": "tolak", "csrf_token": token},
    )
    assert decided.status_code == 303


# -- 8. exports write text as text ----------------------------------------------------------

FORMULAS = ["=1+1", "+62 811", "-0001/2026", "@SUM(A1)", "\t=cmd", '=HYPERLINK("http://x")']


def test_exported_text_never_becomes_a_formula() -> None:
    rows = [["teks", "angka"], *[[text, -5] for text in FORMULAS], ["Siti Aminah", 3]]
    written = csv_response(rows, "x.csv").body.decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(written)))
    assert [r[0] for r in read[1:]] == [*("'" + t for t in FORMULAS), "Siti Aminah"]
    assert [r[1] for r in read[1:]] == ["-5"] * len(FORMULAS) + ["3"]  # numbers stay numbers
    book = load_workbook(io.BytesIO(xlsx_response(rows, "x.xlsx", "Lembar").body))
    sheet = book.active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    assert [(c[0].value, c[0].data_type) for c in cells] == [
        *((t, "s") for t in FORMULAS),
        ("Siti Aminah", "s"),
    ]
    assert {c[1].data_type for c in cells} == {"n"}
    # XLSX cannot hold control characters: dropped, not a 500.
    assert xlsx_response([["a\x00b"]], "x.xlsx", "x").status_code == 200


def test_every_export_goes_through_the_shared_helper() -> None:
    root = Path(__file__).resolve().parents[2]
    writers = [
        str(path.relative_to(root))
        for folder in ("web", "platform", "tenants")
        for path in (root / folder).rglob("*.py")
        if path.name != "exports.py"
        and ("csv.writer" in path.read_text() or "openpyxl" in path.read_text())
    ]
    assert writers == []


async def test_a_letter_number_starting_with_a_minus_is_exported_as_text(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        settings = await tenants.get_settings(session)
        assert settings is not None
        settings.letter_number_format = "-{nomor}/{tahun}"
    [application] = await recorded_applicants(db, who, 1)
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/{application}")
    issued = await client.post(
        "/wilayah/62.12/suket",
        data={
            "csrf_token": csrf_from(page.text),
            "application_id": str(application),
            "reason": "no_blank_cards",
        },
    )
    assert issued.status_code == 303
    exported = await client.get("/wilayah/62.12/suket/ekspor.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'-0001/")
    workbook = await client.get("/wilayah/62.12/suket/ekspor.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    number = sheet.cell(row=2, column=1)
    assert number.data_type == "s" and str(number.value).startswith("-0001/")
