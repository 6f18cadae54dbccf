"""The province page on the seeded demo: Murung Raya first and red across recording, stock and
letters, its outage bar spanning ten weeks; who may open what; exports equal to the page;
the supervisor's actions; the national view."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from openpyxl import load_workbook

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
PROVINCE = "/provinsi/62"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        yield client


def _same(value: object) -> str:
    """A cell as text, numbers compared as numbers (XLSX keeps 94.0 as 94)."""
    text = "" if value is None else str(value)
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def suggestion(html: str) -> dict[str, str]:
    """The first loan suggestion's form: borrower, the lender selected, the quantity."""
    block = html[html.index('<ul class="suggestions">') :]
    block = block[: block.index("</li>")]
    borrower = re.search(r'name="borrower" value="([0-9a-f-]{36})"', block)
    lender = re.search(r'<option value="([0-9a-f-]{36})" selected>', block)
    quantity = re.search(r'name="quantity" min="1" value="(\d+)"', block)
    assert borrower and lender and quantity, block
    return {"lender": lender.group(1), "borrower": borrower.group(1), "quantity": quantity.group(1)}


def _rows(html: str) -> dict[str, str]:
    """The regency rows of the main table, by code, in page order."""
    table = html[html.index('<table class="grid rollup">') : html.index("</table>")]
    return dict(re.findall(r'<tr class="row-\w+" id="wilayah-([\d.]+)">(.*?)</tr>', table, re.S))


async def test_murung_raya_is_first_and_red_with_a_ten_week_outage(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 14
    assert next(iter(rows)) == "62.12"
    mura = rows["62.12"]
    assert mura.count('class="lvl bad"') >= 3  # recording, blank cards, letters (and more)
    assert "Berhenti sejak" in mura and "Habis" in mura and "2.299" in mura
    assert "<svg" in mura  # the 30-day trend lines
    bars = re.findall(
        r'<rect class="bar stopped"[^>]*width="([\d.]+)"[^>]*><title>([^<]*)</title>', page.text
    )
    longest = max(float(width) for width, _title in bars)
    assert longest > 540 * 69 / 90  # ten weeks of the 90-day axis (540 px)
    # Struck ten weeks ago (70 days before the demo's day, at 09:40 UTC).
    assert max(int(re.findall(r"(\d+) hari", title)[0]) for _w, title in bars) >= 69
    assert "Gawat" in page.text and "Baik" in page.text  # words, not colour alone
    assert page.text.count('href="/provinsi/62/wilayah/62.') == 14

    by_name = await client.get(PROVINCE, params={"urut": "nama"})
    names = [re.search(r'">([^<]+)</a>', html).group(1) for html in _rows(by_name.text).values()]  # type: ignore[union-attr]
    assert names == sorted(names) and names[0] == "Kabupaten Barito Selatan"
    fragment = await client.get(PROVINCE, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="regency-refresh"')
    assert "<table" in fragment.text and "<html" not in fragment.text


async def test_who_may_open_the_province_and_its_regencies(client: httpx.AsyncClient) -> None:
    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    assert (await client.get(PROVINCE)).status_code == 403
    assert (await client.get(f"{PROVINCE}/ekspor.csv")).status_code == 403
    await sign_in(client, SUPERVISOR)
    assert (await client.get("/provinsi/63")).status_code == 404
    assert (await client.get("/provinsi/63/ekspor.csv")).status_code == 404
    assert (await client.get("/provinsi/62/wilayah/63.01")).status_code == 404
    assert (await client.get("/provinsi/63/wilayah/63.01")).status_code == 404
    assert (await client.get("/nasional")).status_code == 403
    summary = await client.get("/provinsi/62/wilayah/62.12")
    assert summary.status_code == 200 and "Murung Raya" in summary.text
    assert (
        "<form"
        not in summary.text.split("<main", 1)[-1]
        .split("</main>")[0]
        .replace('action="/keluar"', "")
        or "csrf" not in summary.text.split("<main", 1)[-1]
    )
    for link in ("/wilayah/62.12/perangkat", "/wilayah/62.12/stok", "/wilayah/62.12/suket"):
        assert link in summary.text
        assert (await client.get(link)).status_code == 200  # read-only lists of the regency


async def test_exports_hold_the_figures_of_the_page(client: httpx.AsyncClient) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    rows = _rows(page.text)
    exported = await client.get(f"{PROVINCE}/ekspor.csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert [r[0] for r in body] == list(rows)  # the same regencies, the same order
    column = {name: i for i, name in enumerate(header)}
    for record in body:
        html = rows[record[0]]
        for name in ("Blanko", "Suket aktif", "Menunggu cetak"):
            figure = f"{int(record[column[name]]):,}".replace(",", ".")
            assert figure in html, (record[0], name, figure)
        if record[column["Perekaman berhenti sejak"]]:
            assert "Berhenti sejak" in html
    workbook = await client.get(f"{PROVINCE}/ekspor.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    cells = [[_same(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == [[_same(v) for v in row] for row in table]
    printable = await client.get(f"{PROVINCE}/cetak")
    assert printable.status_code == 200
    stylesheet = re.search(r'href="(/static/css/print-[^"]+\.css)"', printable.text)
    assert stylesheet, "the printable page links its A4 landscape stylesheet"
    css = await client.get(stylesheet.group(1))
    assert css.status_code == 200 and "size: A4 landscape" in css.text
    assert "Kabupaten Murung Raya" in printable.text


async def test_the_supervisor_acknowledges_and_proposes_from_the_page(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    token = csrf_from(page.text)
    action = re.search(r'action="(/provinsi/62/kejadian/[0-9a-f-]{36}/tanggapi)"', page.text)
    assert action
    sent = await client.post(
        action.group(1), data={"csrf_token": token, "note": "Teknisi provinsi dikirim besok."}
    )
    assert sent.status_code == 303
    assert "Teknisi provinsi dikirim besok." in (await client.get(PROVINCE)).text
    empty = await client.post(action.group(1), data={"csrf_token": token, "note": " "})
    assert empty.status_code == 422

    proposal = suggestion(page.text)
    made = await client.post(
        f"{PROVINCE}/stok/usul-pinjaman",
        data={"csrf_token": token, **proposal, "next": "/provinsi/62#pinjaman"},
    )
    assert made.status_code == 303 and made.headers["location"] == "/provinsi/62#pinjaman"
    assert "Menunggu keputusan Anda" in (await client.get(PROVINCE)).text

    await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
    page = await client.get("/wilayah/62.12")
    refused = await client.post(
        action.group(1), data={"csrf_token": csrf_from(page.text), "note": "x"}
    )
    assert refused.status_code == 403


async def test_the_national_view_sums_each_province(client: httpx.AsyncClient) -> None:
    await sign_in(client, demo_subject(Role.ADMIN_PLATFORM, "platform"))
    page = await client.get("/nasional")
    assert page.status_code == 200
    # Worst first: the only province with tenants (and trouble) on top, the other 37 below
    # as "belum bergabung" with no figures rather than zeros.
    order = re.findall(r'<tr class="row-(\w+)" id="provinsi-(\d+)">(.*?)</tr>', page.text, re.S)
    assert len(order) == 38 and order[0][:2] == ("bad", "62")
    assert all(kind == "none" and "belum bergabung" in cells for kind, _c, cells in order[1:])
    assert not any(re.search(r">0<|0/0", cells) for _k, _c, cells in order[1:])
    assert page.text.count('href="/provinsi/') == 1
    kalteng = re.search(r'<a href="/provinsi/62">.*?</tr>', page.text, re.S)
    assert kalteng
    await sign_in(client, SUPERVISOR)
    exported = await client.get(f"{PROVINCE}/ekspor.csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    column = {name: i for i, name in enumerate(table[0])}
    cards = sum(int(r[column["Blanko"]]) for r in table[1:])
    letters = sum(int(r[column["Suket aktif"]]) for r in table[1:])
    assert f"{cards:,}".replace(",", ".") in kalteng.group(0)
    assert f"{letters:,}".replace(",", ".") in kalteng.group(0)
    await sign_in(client, demo_subject(Role.ADMIN_PLATFORM, "platform"))
    province = await client.get(PROVINCE)
    assert '<p class="crumbs"><a href="/nasional">Nasional</a>' in province.text  # the way back


async def test_the_minute_refresh_keeps_the_chosen_sort(client: httpx.AsyncClient) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    assert 'hx-get="/provinsi/62?urut=keparahan" hx-trigger="every 60s"' in page.text
    assert 'href="/nasional"' not in page.text  # a supervisor has no national view
    by_name = await client.get(PROVINCE, params={"urut": "nama"}, headers={"HX-Request": "true"})
    # The swapped-in table carries its own refresh, asking for the sort now on screen.
    assert 'id="regency-refresh" hx-get="/provinsi/62?urut=nama" hx-trigger="every 60s"' in (
        by_name.text
    )
    names = re.findall(r'id="wilayah-[\d.]+">\s*<td><a [^>]*>([^<]+)</a>', by_name.text)
    assert names == sorted(names) and len(names) == 14


async def test_uptime_is_what_murung_raya_could_record_with_its_level(
    client: httpx.AsyncClient,
) -> None:
    """Recording stopped ten weeks ago, 0 of 2 sets: 0,0 % and Gawat, not the 94 % mean of
    devices that stayed up; the same in the CSV."""
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    mura = _rows(page.text)["62.12"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", mura, re.S)
    uptime = next(c for c in cells if "%" in c and "lvl" in c)
    assert "Gawat" in uptime and "✖" in uptime and "0,0\u00a0%" in uptime
    exported = await client.get(f"{PROVINCE}/ekspor.csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    record = next(r for r in table if r[0] == "62.12")
    assert record[table[0].index("Uptime 30 hari (%)")] == "0.0"
    assert record[table[0].index("Tingkat uptime")] == "Gawat"
