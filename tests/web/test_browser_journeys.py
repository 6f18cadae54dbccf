"""Two working days in Debian's Chromium, asserting what the person sees on the screen.

The clerk: an applicant registered, recorded, PRR; the print is refused for want of blank cards
with the offer of a substitute letter; the letter is issued and its QR code checks out on the
public page; cards arrive, the card is printed and handed over, and the letter reads as replaced
by the card, on the office's pages and on the public one.

The supervisor: the province page puts the worst regency (Murung Raya) on top; a suggested loan
is proposed once (sending the same proposal again makes no second loan) and approved, and the
lender's and the borrower's stock move by its quantity; the exports say what the page says."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from playwright.async_api import Browser, Dialog, Page, expect
from pyzbar.pyzbar import decode

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import nik_for
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed, seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]  # the fixture, used by name
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
NIK = nik_for(41)  # a man born 17 Aug 1995, first registered in kecamatan Murung


async def _qr_path(page: Page, pdf_url: str) -> str:
    """The address inside the QR code printed on the letter (the PDF as the clerk gets it)."""
    import pypdfium2

    pdf = await page.request.get(pdf_url)
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    document = pypdfium2.PdfDocument(await pdf.body())
    [qr] = decode(document[0].render(scale=3).to_pil())
    document.close()
    url = qr.data.decode()
    return url[url.index("/verifikasi/") :]


async def _stock_today(page: Page, base_url: str, regency: str = "62.12") -> str:
    await page.goto(f"{base_url}/wilayah/{regency}/stok")
    figure = page.locator("dl.facts dt", has_text="Stok hari ini").locator(
        "xpath=./following-sibling::dd[1]"
    )
    return (await figure.inner_text()).strip()


async def _receive(page: Page, stock_url: str, quantity: int, reference: str) -> None:
    await page.goto(stock_url)
    receive = page.locator("form[action$='/stok/terima']")
    await receive.locator("input[name=quantity]").fill(str(quantity))
    await receive.locator("input[name=reference]").fill(reference)
    await receive.get_by_role("button", name="Catat penerimaan").click()
    await expect(page.locator("#selesai")).to_contain_text(f"Penerimaan {quantity}")
    await expect(page.locator("#selesai")).to_contain_text(reference)


async def test_the_clerks_day_from_registration_to_the_letter_replaced_by_the_card(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed(db)  # Murung Raya holds no blank cards
    async with live_app(build_app(db)) as base_url:
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        context.set_default_timeout(10_000)
        page = await context.new_page()
        await sign_in_page(page, base_url, OPERATOR)
        assert await _stock_today(page, base_url) == "0"

        # Registration, through the form.
        await page.goto(f"{base_url}/wilayah/62.12/permohonan")
        await page.get_by_role("link", name="Daftarkan permohonan", exact=True).click()
        await page.get_by_label("NIK (16 angka)").fill(NIK)
        await page.get_by_label("Nama lengkap").fill("Yohanes Tingang")
        await page.get_by_label("Tempat lahir").fill("Puruk Cahu")
        await page.get_by_label("Tanggal lahir").fill("1995-08-17")
        await page.get_by_label("Desa/kelurahan").fill("Beriwit")
        await page.locator("select[name=reason]").select_option(label="Hilang")
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.locator("#selesai")).to_contain_text("terdaftar")
        await expect(page.locator("h1")).to_have_text("Yohanes Tingang")
        status = page.locator("#status-block h2").first
        await expect(status).to_contain_text("Terdaftar")
        application_url = page.url

        # Recording, the data centre, PRR, the print queue: one button each.
        for label in (
            "Sudah rekam (BC)",
            "Dikirim ke pusat (SFE)",
            "Diterima pusat",
            "Siap cetak (PRR)",
            "Antre cetak",
        ):
            await page.get_by_role("button", name=f"→ {label}").click()
            await expect(status).to_contain_text(label)
        await expect(status).to_contain_text("SFCP")

        # No blank cards: the print is refused, says why and offers the letter instead.
        await page.get_by_role("button", name="Cetak (pakai 1 blanko)").click()
        refusal = page.locator("#penolakan")
        await expect(refusal).to_be_visible()
        await expect(refusal).to_contain_text("Stok blanko KTP-el tidak cukup")
        offer = refusal.get_by_role(
            "link", name="Terbitkan surat keterangan (Suket) sebagai gantinya"
        )
        await expect(offer).to_be_visible()
        await expect(status).to_contain_text("Antre cetak")  # nothing printed
        await shot(page, "journey-clerk-print-refused")

        # The letter, issued from where the offer leads.
        await offer.click()
        issue = page.locator("#terbitkan-suket")
        await expect(issue).to_be_in_viewport()
        await issue.locator("select[name=reason]").select_option(label="Blanko habis")
        await issue.get_by_role("button", name="Terbitkan surat keterangan").click()
        await expect(page.locator("#selesai")).to_contain_text("diterbitkan, berlaku sampai")
        await expect(page.locator("h1 .state")).to_have_text("Berlaku")
        letter_url = page.url
        number = (await page.locator("h1").inner_text()).replace("Berlaku", "").strip()
        pdf_link = page.get_by_role("link", name="Cetak PDF").last
        verification = await _qr_path(page, base_url + str(await pdf_link.get_attribute("href")))

        # Anyone holding the letter scans its QR code: no session, the letter is valid.
        citizen = await browser.new_context(viewport={"width": 390, "height": 844})
        public = await citizen.new_page()
        await public.goto(base_url + verification)
        await expect(public.locator(".banner")).to_have_text("✔ SAH: surat ini berlaku.")
        await expect(public.locator("main")).to_contain_text(number)
        await expect(public.locator("main")).not_to_contain_text(NIK)
        await shot(public, "journey-clerk-letter-verified")

        # The cards arrive, and a printer ribbon with them.
        await _receive(page, f"{base_url}/wilayah/62.12/stok", 50, "SPB-2026-41")
        await _receive(page, f"{base_url}/wilayah/62.12/stok?item=ribbon", 1, "SPB-2026-42")
        assert await _stock_today(page, base_url) == "50"

        # Printed (one card from the stock), ready, handed over.
        await page.goto(application_url)
        await page.get_by_role("button", name="Cetak (pakai 1 blanko)").click()
        await expect(page.locator("#selesai")).to_contain_text("Kartu dicetak; 1 blanko diambil")
        await expect(status).to_contain_text("Tercetak (CP)")
        await expect(page.locator("#penolakan")).to_have_count(0)
        for label in ("Siap diambil", "Diserahkan"):
            await page.get_by_role("button", name=f"→ {label}").click()
            await expect(status).to_contain_text(label)
        await expect(page.locator(".moves button")).to_have_count(0)  # closed: nothing left
        await expect(page.locator("#status-block .state")).to_have_text("Diganti KTP-el")
        await shot(page, "journey-clerk-handed-over")
        assert await _stock_today(page, base_url) == "49"

        # The letter now reads as replaced by the card, for the office and for the public.
        await page.goto(letter_url)
        await expect(page.locator("h1 .state")).to_have_text("Diganti KTP-el")
        await expect(page.locator(".timeline")).to_contain_text("Diganti KTP-el")
        await public.reload()
        await expect(public.locator(".banner")).to_contain_text(
            "sudah dicabut: pemegangnya telah menerima KTP-el"
        )
        await citizen.close()
        await context.close()


def _shown(number: int) -> str:
    """A whole number as an Indonesian page writes it (1.234)."""
    return f"{number:,}".replace(",", ".")


def _number(text: str) -> int:
    """A whole number as the page writes it (thousands grouped with a dot or a comma)."""
    return int(re.sub(r"[.,\s]", "", text))


async def _province_rows(page: Page) -> list[dict[str, object]]:
    """The province table as the supervisor reads it, top to bottom."""
    rows = []
    for row in await page.locator("table.rollup tbody tr[id^=wilayah-]").all():
        cells = [(await cell.inner_text()).strip() for cell in await row.locator("td").all()]
        stock = cells[3]
        waiting = re.search(r"([\d.,]+) menunggu cetak", cells[2])
        active = re.search(r"([\d.,]+) aktif", cells[4])
        on_hand = re.search(r"([\d.,]+) keping", stock)
        assert waiting and active and ("Habis" in stock or on_hand), cells
        rows.append(
            {
                "code": str(await row.get_attribute("id")).removeprefix("wilayah-"),
                "name": cells[0].splitlines()[0].strip(),
                "waiting_print": _number(waiting.group(1)),
                "on_hand": 0 if "Habis" in stock else _number(on_hand.group(1)),  # type: ignore[union-attr]
                "active_letters": _number(active.group(1)),
            }
        )
    return rows


def _export_as_page(rows: list[list[object]]) -> list[dict[str, object]]:
    header = [str(h) for h in rows[0]]
    column = {name: header.index(name) for name in header}

    def value(row: list[object], name: str) -> int:
        return int(str(row[column[name]]))

    return [
        {
            "code": str(row[column["Kode"]]),
            "name": str(row[column["Kabupaten/kota"]]),
            "waiting_print": value(row, "Menunggu cetak"),
            "on_hand": value(row, "Blanko"),
            "active_letters": value(row, "Suket aktif"),
        }
        for row in rows[1:]
    ]


async def test_the_supervisors_morning_worst_first_a_loan_once_and_exports_as_shown(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        context.set_default_timeout(10_000)
        page = await context.new_page()
        asked: list[str] = []

        async def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            await dialog.accept()

        page.on("dialog", accept)
        await sign_in_page(page, base_url, SUPERVISOR)
        await page.goto(f"{base_url}/provinsi/62")

        # Worst first: Murung Raya (recording stopped, no cards) heads the table.
        table = await _province_rows(page)
        assert len(table) == 14 and table[0]["code"] == "62.12", table
        await expect(page.locator("table.rollup tbody tr").first).to_contain_text("Murung Raya")
        codes = {str(row["name"]): str(row["code"]) for row in table}

        # The first suggested loan, proposed as suggested.
        suggestion = page.locator("#pinjaman ul.suggestions form").first
        borrower = (await suggestion.locator("strong").inner_text()).strip()
        lender = (
            await suggestion.locator("select[name=lender] option:checked").inner_text()
        ).strip()
        quantity = int(await suggestion.locator("input[name=quantity]").input_value())
        lender_code, borrower_code = codes[lender], codes[borrower]
        before = {
            code: _number(await _stock_today(page, base_url, code))
            for code in (lender_code, borrower_code)
        }
        # A second screen (another tab, a colleague) shows the same suggestion meanwhile.
        other = await context.new_page()
        await other.goto(f"{base_url}/provinsi/62#pinjaman")
        await page.goto(f"{base_url}/provinsi/62#pinjaman")
        await (
            page.locator("#pinjaman ul.suggestions form")
            .first.get_by_role("button", name="Usulkan")
            .click()
        )
        await expect(page.locator("#selesai")).to_contain_text(
            f"Usulan pinjaman {_shown(quantity)} blanko dibuat"
        )
        pending = page.locator("#pinjaman ul.pending-loans > li")
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text(f"{lender} → {borrower}: {_shown(quantity)} keping")

        # The same proposal sent again from there: refused, still one loan.
        again = other.locator("#pinjaman ul.suggestions form").first
        assert (await again.locator("strong").inner_text()).strip() == borrower
        await again.get_by_role("button", name="Usulkan").click()
        await expect(other.locator("#pesan-pinjaman")).to_contain_text(
            "sudah diusulkan dan menunggu keputusan"
        )
        await expect(other.locator("#pinjaman ul.pending-loans > li")).to_have_count(1)
        await other.close()
        await page.reload()
        await expect(page.locator("#pinjaman ul.pending-loans > li")).to_have_count(1)
        await shot(page, "journey-supervisor-loan-proposed")

        # Approved (after the question): both ledgers move by the quantity.
        await (
            page.locator("#pinjaman ul.pending-loans > li")
            .get_by_role("button", name="Setujui")
            .click()
        )
        await expect(page.locator("#pinjaman ul.pending-loans > li")).to_have_count(0)
        assert len(asked) == 1 and "Setujui pinjaman ini?" in asked[0]
        after = {
            code: _number(await _stock_today(page, base_url, code))
            for code in (lender_code, borrower_code)
        }
        assert after[lender_code] == before[lender_code] - quantity
        assert after[borrower_code] == before[borrower_code] + quantity
        ledger = page.locator("table.stock-card tbody tr").first  # the borrower's, newest first
        await expect(ledger).to_contain_text(_shown(quantity))

        # The exports say what the page says, in its order.
        await page.goto(f"{base_url}/provinsi/62")
        shown = await _province_rows(page)
        assert (
            next(r for r in shown if r["code"] == borrower_code)["on_hand"] == after[borrower_code]
        )
        exported = await page.request.get(f"{base_url}/provinsi/62/ekspor.csv")
        assert exported.ok
        rows = list(csv.reader(io.StringIO((await exported.body()).decode("utf-8-sig"))))
        assert _export_as_page(rows) == shown
        workbook_file = await page.request.get(f"{base_url}/provinsi/62/ekspor.xlsx")
        assert workbook_file.ok
        sheet = load_workbook(io.BytesIO(await workbook_file.body()), read_only=True).active
        assert sheet is not None
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert _export_as_page(cells) == shown
        await context.close()
