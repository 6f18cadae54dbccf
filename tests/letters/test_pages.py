"""The letters over HTTP: issue from the application page, the register with its counts,
filters and exports, the PDF, renew and revoke, the head's settings, and the public
verification page (no sign-in, nothing personal, rate-limited)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pypdfium2
import pytest
from openpyxl import load_workbook
from pyzbar.pyzbar import decode

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in
from tests.letters.helpers import recorded_applicants

REGISTER = "/wilayah/62.12/suket"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _issue(client: httpx.AsyncClient, db: ScratchDatabase, serial: int = 1) -> str:
    """Issues through the application page's form; the letter's page address."""
    who = await operator(db)
    [application] = await recorded_applicants(db, who, 1, first_serial=serial)
    page = await client.get(f"/wilayah/62.12/permohonan/{application}")
    assert "Terbitkan surat keterangan" in page.text
    sent = await client.post(
        REGISTER,
        data={
            "csrf_token": csrf_from(page.text),
            "application_id": str(application),
            "reason": "no_blank_cards",
        },
    )
    assert sent.status_code == 303
    return sent.headers["location"]


async def test_issue_print_verify_revoke(client: httpx.AsyncClient, db: ScratchDatabase) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    location = await _issue(client, db)
    detail = await client.get(location)
    number = re.search(r"470/(\d{4})/DISDUKCAPIL/(\d{4})", detail.text)
    assert number and number.group(1) == "0001"
    register = await client.get(REGISTER)
    assert "<strong>1</strong> surat keterangan aktif" in register.text
    assert number.group(0) in register.text

    pdf = await client.get(f"{location}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    text = " ".join(document[0].get_textpage().get_text_range().split())
    [qr] = decode(document[0].render(scale=3).to_pil())
    document.close()
    assert number.group(0) in text and "Siti Aminah Nomor1" in text
    url = qr.data.decode()
    assert url.startswith("http://127.0.0.1:8000/verifikasi/62.12/") or "/verifikasi/62.12/" in url
    path = url[url.index("/verifikasi/") :]

    public = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    valid = await public.get(path)
    assert valid.status_code == 200 and "SAH" in valid.text
    assert "S**i A****h N****1" in valid.text and number.group(0) in valid.text
    assert "Kabupaten Murung Raya" in valid.text
    nik = re.sub(r"\D", "", "6212011708950001")
    assert nik not in valid.text and "Beriwit" not in valid.text and "Siti Aminah" not in valid.text

    tampered = await public.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    other_regency = await public.get(path.replace("62.12", "62.71"))
    unknown = await public.get("/verifikasi/99.99/" + path.rsplit("/", 1)[1])
    for answer in (tampered, other_regency, unknown):
        assert answer.status_code == 404 and "Surat tidak ditemukan" in answer.text
        assert number.group(0) not in answer.text
    # The three read the same: nothing tells a wrong token from a wrong regency.
    bodies = {re.sub(r'value="[^"]*"', "", a.text) for a in (tampered, other_regency, unknown)}
    assert len(bodies) == 1

    page = await client.get(location)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    revoked = await client.post(
        f"{location}/cabut",
        data={
            "csrf_token": csrf_from(page.text),
            "version": version.group(1),
            "reason": "Data salah",
        },
    )
    assert revoked.status_code == 303
    after = await public.get(path)
    assert after.status_code == 200 and "sudah dicabut" in after.text and "SAH" not in after.text
    reprint = await client.get(f"{location}/pdf")
    assert reprint.status_code == 409 and "dicabut" in reprint.text  # no clean copy of it
    assert "Cetak PDF" not in (await client.get(location)).text
    await public.aclose()


async def test_the_verification_page_is_rate_limited(client: httpx.AsyncClient) -> None:
    answers = [
        (await client.get("/verifikasi/62.12/abcdefghijklmnopqrstuvwx")).status_code
        for _ in range(21)
    ]
    assert answers[:20] == [404] * 20 and answers[20] == 429


async def test_filters_and_exports_show_the_same_letters(
    client: httpx.AsyncClient, db: ScratchDatabase
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    for serial in (1, 2, 3):
        await _issue(client, db, serial)
    page = await client.get(REGISTER, params={"keadaan": "active"})
    shown = set(re.findall(r"470/\d{4}/DISDUKCAPIL/\d{4}", page.text))
    assert len(shown) == 3
    revoked_only = await client.get(REGISTER, params={"keadaan": "revoked"})
    assert "Tidak ada surat yang cocok" in revoked_only.text

    exported = await client.get(f"{REGISTER}/ekspor.csv", params={"keadaan": "active"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Nomor" and {r[0] for r in rows[1:]} == shown
    assert all("*" in r[1] and "*" in r[2] for r in rows[1:])  # masked NIK and name only

    workbook = await client.get(f"{REGISTER}/ekspor.xlsx", params={"keadaan": "active"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values == rows


async def test_only_the_head_of_office_changes_the_letter_settings(
    client: httpx.AsyncClient,
) -> None:
    form = {
        "letter_number_format": "474/{nomor}/DUKCAPIL-MR/{tahun}",
        "letter_validity_months": "6",
        "head_of_office_name": "Markus Siang, S.H.",
        "head_of_office_title": "Kepala Dinas",
    }
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    page = await client.get(REGISTER)
    assert "Simpan pengaturan" not in page.text
    refused = await client.post(
        f"{REGISTER}/pengaturan", data={**form, "csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 403

    await sign_in(client, demo_subject(Role.KEPALA_DINAS, "62.12"))
    page = await client.get(REGISTER)
    bad = await client.post(
        f"{REGISTER}/pengaturan",
        data={**form, "letter_number_format": "474/{tahun}", "csrf_token": csrf_from(page.text)},
    )
    assert bad.status_code == 422 and "{nomor}" in bad.text
    saved = await client.post(
        f"{REGISTER}/pengaturan", data={**form, "csrf_token": csrf_from(page.text)}
    )
    assert saved.status_code == 303
    assert "474/{nomor}/DUKCAPIL-MR/{tahun}" in (await client.get(REGISTER)).text


async def test_supervisors_read_the_register_of_their_province_only(
    client: httpx.AsyncClient, db: ScratchDatabase
) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    location = await _issue(client, db)
    await sign_in(client, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
    register = await client.get(REGISTER)
    assert register.status_code == 200 and "surat keterangan aktif" in register.text
    detail = await client.get(location)
    assert detail.status_code == 200 and "Cabut" not in detail.text
    assert (await client.get(f"{location}/pdf")).status_code == 403  # it carries the NIK
    exported = await client.get(f"{REGISTER}/ekspor.csv")  # read-only: nothing written
    assert exported.status_code == 200 and "470/0001/DISDUKCAPIL" in exported.text
    assert (await client.get("/wilayah/63.01/suket")).status_code == 404


async def test_the_letter_carries_the_public_base_url(db: ScratchDatabase) -> None:
    """SIAGA_BASE_URL is the address printed on the letter and inside its QR code."""
    await seed(db)
    async with client_for(build_app(db, base_url="https://siaga.kalteng.go.id")) as client:
        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        location = await _issue(client, db)
        pdf = await client.get(f"{location}/pdf")
    document = pypdfium2.PdfDocument(pdf.content)
    text = " ".join(document[0].get_textpage().get_text_range().split())
    [qr] = decode(document[0].render(scale=3).to_pil())
    document.close()
    assert qr.data.decode().startswith("https://siaga.kalteng.go.id/verifikasi/62.12/")
    assert "Periksa: https://siaga.kalteng.go.id/verifikasi/62.12/" in text
    assert "127.0.0.1" not in text
