"""The register, the detail page, moves over HTMX, the CSV import and the JSON API, through
HTTP on both databases."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.applications.models import Application
from siaga_platform.applications.statuses import Status
from siaga_platform.audit.models import AuditEvent
from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import advance, nik_for, operator, register
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, run_jobs, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
BASE = "/wilayah/62.12/permohonan"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def test_register_lists_masked_niks_counts_and_finds_by_nik_or_name(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    await register(db, who, nik_for(1, female=True), "Siti Aminah")
    second = await register(db, who, nik_for(2), "Budi Santoso")
    await advance(db, who, second, Status.PRR)
    await sign_in(client, OPERATOR)
    page = await client.get(BASE)
    assert page.status_code == 200
    assert "6212********0001" in page.text and nik_for(1, female=True) not in page.text
    assert "Siti Aminah" in page.text
    assert "Siap cetak (PRR)" in page.text
    by_nik = await client.get(BASE, params={"q": "6212 0157 0895 0001"})
    assert "Siti Aminah" in by_nik.text and "Budi Santoso" not in by_nik.text
    by_name = await client.get(BASE, params={"q": "santoso"})
    assert "Budi Santoso" in by_name.text and "Siti Aminah" not in by_name.text
    by_status = await client.get(BASE, params={"status": "prr"}, headers={"HX-Request": "true"})
    assert by_status.text.lstrip().startswith("<table") and "Budi Santoso" in by_status.text
    assert "Siti" not in by_status.text


async def test_paging_walks_every_row_once(db: ScratchDatabase, client: httpx.AsyncClient) -> None:
    who = await operator(db)
    for serial in range(1, 56):
        await register(db, who, nik_for(serial), f"Warga Nomor{serial}")
    await sign_in(client, OPERATOR)
    first = await client.get(BASE)
    assert first.text.count("6212********") == 50
    assert "<strong>55</strong> permohonan" in first.text and "halaman 1 dari 2" in first.text
    assert "Urutan: yang terakhir didaftarkan di atas." in first.text
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert "6212********0055" in first.text  # newest first
    second = await client.get(BASE, params={"halaman": "2"})
    assert second.text.count("6212********") == 5 and "6212********0001" in second.text
    assert "halaman 2 dari 2" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    filtered = await client.get(BASE, params={"q": "Nomor7", "halaman": "1"})
    assert "<strong>1</strong> permohonan" in filtered.text


async def test_opening_a_record_is_audited_and_shows_the_full_nik(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    application = await register(db, who, nik_for(3))
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/{application.id}")
    assert page.status_code == 200 and nik_for(3) in page.text
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        opened = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "application.opened",
                AuditEvent.object_id == str(application.id),
                AuditEvent.actor_subject == OPERATOR,
            )
        )
        assert opened == 1


async def test_move_by_htmx_swaps_the_status_block_and_stale_form_gets_409(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    application = await register(db, who, nik_for(4))
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/{application.id}")
    token = csrf_from(page.text)
    form = {"to_status": "recorded", "version": str(application.version), "csrf_token": token}
    moved = await client.post(
        f"{BASE}/{application.id}/status", data=form, headers={"HX-Request": "true"}
    )
    assert moved.status_code == 200
    assert "<html" not in moved.text and "Sudah rekam (BC)" in moved.text
    stale = await client.post(
        f"{BASE}/{application.id}/status", data=form, headers={"HX-Request": "true"}
    )
    assert stale.status_code == 409 and "Muat ulang" in stale.text
    no_csrf = await client.post(
        f"{BASE}/{application.id}/status", data={"to_status": "sent", "version": "2"}
    )
    assert no_csrf.status_code == 403


async def test_supervisor_sees_masked_names_and_cannot_open_or_change(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    application = await register(db, who, nik_for(5, female=True), "Siti Aminah")
    await sign_in(client, SUPERVISOR)
    page = await client.get(BASE)
    assert page.status_code == 200
    assert "Siti Aminah" not in page.text and "S**i A****h" in page.text
    assert (await client.get(f"{BASE}/{application.id}")).status_code == 403
    assert (await client.get(f"{BASE}/baru")).status_code == 403


async def test_form_errors_name_the_field_and_keep_the_input(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/baru")
    answer = await client.post(
        BASE,
        data={
            "csrf_token": csrf_from(page.text),
            "nik": nik_for(6, female=True),
            "name": "Siti Aminah",
            "birth_place": "Puruk Cahu",
            "birth_date": "1995-08-18",
            "sex": "P",
            "kecamatan_code": "62.12.01",
            "desa": "Beriwit",
            "reason": "first_card",
            "priority": "disaster",
            "recording_site": "Kecamatan Murung",
        },
    )
    assert answer.status_code == 422
    assert 'data-field="birth_date"' in answer.text and "Siti Aminah" in answer.text
    # Everything typed comes back: the date as sent, the choices selected.
    assert 'value="1995-08-18"' in answer.text and 'value="Kecamatan Murung"' in answer.text
    assert '<option value="P" selected>' in answer.text
    assert '<option value="disaster" selected>' in answer.text
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 0


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["nik", "nama", "tanggal_lahir", "jenis_kelamin", "kecamatan", "status", "tanggal"]
    )
    writer.writerows(rows)
    return out.getvalue().encode()


async def test_import_twice_creates_nothing_new_and_reports_bad_rows(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    good = [
        [nik_for(100), "Andi Wijaya", "1995-08-17", "L", "62.12.01", "BC", "2026-10-01"],
        [nik_for(101, female=True), "Rina Sari", "17-08-1995", "P", "Murung", "PRR", "2026-09-15"],
        [nik_for(102), "Joko Susilo", "1995-08-17", "L", "621202", "cp", "2026-11-01"],
        [nik_for(106), "Sudah Selesai", "1995-08-17", "L", "62.12.01", "ISS", "2026-08-01"],
    ]
    bad = [
        ["1234", "Pendek", "1995-08-17", "L", "62.12.01", "BC", "2026-10-01"],
        [nik_for(103), "Salah Tanggal", "1995-08-18", "L", "62.12.01", "BC", "2026-10-01"],
        [nik_for(104), "Kecamatan Asing", "1995-08-17", "L", "62.03.01", "BC", "2026-10-01"],
        [nik_for(105), "Status Aneh", "1995-08-17", "L", "62.12.01", "XYZ", "2026-10-01"],
    ]
    content = _csv(good + bad)
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/impor/")
    token = csrf_from(page.text)
    first = await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": token},
        files={"file": ("rekam.csv", content, "text/csv")},
    )
    assert first.status_code == 303
    await run_jobs(client)  # the worker runs the import
    progress = await client.get(first.headers["location"])
    assert "Selesai" in progress.text
    assert "masuk 4" in progress.text and "salah 4" in progress.text
    report = await client.get(first.headers["location"] + "/kesalahan.csv")
    lines = report.text.lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "baris,alasan" and len(lines) == 5
    assert lines[1].startswith("6,") and "16 angka" in lines[1]
    assert "tanggal lahir" in lines[2] and "kecamatan" in lines[3] and "status" in lines[4]
    assert "Salah Tanggal" not in report.text and "XYZ" not in report.text  # no cell values
    second = await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": token},
        files={"file": ("rekam.csv", content, "text/csv")},
    )
    await run_jobs(client)
    progress = await client.get(second.headers["location"])
    assert "masuk 0" in progress.text and "dilewati (sudah ada) 4" in progress.text
    async with db.session_factory() as session:
        who = await operator(db)
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        statuses = sorted((await session.scalars(select(Application.status))).all())
        assert statuses == ["issued", "printed", "prr", "recorded"]


async def test_import_with_a_wrong_header_is_refused_at_upload(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/impor/")
    answer = await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert answer.status_code == 422 and "nik" in answer.text


async def test_json_api_register_move_and_conflict(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get(BASE)
    headers = {"X-CSRF-Token": csrf_from(page.text)}
    created = await client.post(
        "/api/v1/applications",
        headers=headers,
        json={
            "nik": nik_for(7),
            "name": "Agus Salim",
            "birth_place": "Puruk Cahu",
            "birth_date": "1995-08-17",
            "sex": "L",
            "kecamatan_code": "62.12.01",
            "desa": "Beriwit",
            "reason": "lost",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["nik"] == nik_for(7) and body["priority"] == "lost_damaged"
    assert body["allowed_moves"] == ["recorded", "cancelled"]
    moved = await client.post(
        f"/api/v1/applications/{body['id']}/moves",
        headers=headers,
        json={"to_status": "recorded", "version": body["version"]},
    )
    assert moved.status_code == 200 and moved.json()["status_code"] == "BC"
    stale = await client.post(
        f"/api/v1/applications/{body['id']}/moves",
        headers=headers,
        json={"to_status": "sent", "version": body["version"]},
    )
    assert stale.status_code == 409
    bad = await client.post(
        "/api/v1/applications",
        headers=headers,
        json={
            "nik": "123",
            "name": "X",
            "birth_place": "Y",
            "birth_date": "1995-08-17",
            "sex": "L",
            "kecamatan_code": "62.12.01",
            "desa": "Z",
            "reason": "lost",
        },
    )
    assert bad.status_code == 422 and bad.json()["field"] == "nik"
    assert "123" not in bad.text
    listing = await client.get("/api/v1/applications", params={"nik": nik_for(7)})
    assert [i["nik_masked"] for i in listing.json()["items"]] == ["6212********0007"]
    schema = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/applications/{application_id}/moves" in schema["paths"]


async def test_status_labels_follow_the_language(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    who = await operator(db)
    await advance(db, who, await register(db, who, nik_for(40)), Status.PRR)
    await sign_in(client, OPERATOR)
    assert "Siap cetak (PRR)" in (await client.get(BASE)).text
    client.cookies.set("siaga_lang", "en")
    english = await client.get(BASE)
    assert "Print ready (PRR)" in english.text and "Siap cetak (PRR)" not in english.text
    assert "e-KTP applications" in english.text
