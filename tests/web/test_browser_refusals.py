"""Answers that must reach the screen, in a real browser (Debian's Chromium): a refused print,
a stale edit and a server failure on htmx requests are shown where the person is looking, with
the way forward."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from playwright.async_api import Browser, expect

from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import advance, nik_for, operator, register
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]  # the fixture, used by name
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
BASE = "/wilayah/62.12/permohonan"


async def test_a_print_refused_for_want_of_cards_shows_why_and_offers_the_letter(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed(db)  # Murung Raya holds no blank cards
    who = await operator(db)
    queued = await advance(db, who, await register(db, who, nik_for(1)), Status.PRINT_QUEUED)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}{BASE}/{queued.id}")
        await page.click("text=Cetak (pakai 1 blanko)")
        refusal = page.locator("#penolakan")
        await expect(refusal).to_be_visible()
        await expect(refusal).to_contain_text("Stok blanko KTP-el tidak cukup")
        offer = refusal.get_by_role(
            "link", name="Terbitkan surat keterangan (Suket) sebagai gantinya"
        )
        await expect(offer).to_be_visible()
        await shot(page, "print-refused-1366")
        await offer.click()
        await expect(page.locator("#terbitkan-suket")).to_be_in_viewport()
        assert page.url.endswith(f"{queued.id}#terbitkan-suket")  # the page stayed


async def test_a_stale_edit_offers_a_reload(db: ScratchDatabase, browser: Browser) -> None:
    await seed(db)
    who = await operator(db)
    application = await register(db, who, nik_for(2))
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}{BASE}/{application.id}")
        await advance(db, who, application, Status.RECORDED)  # another clerk, meanwhile
        await page.click("text=→ Sudah rekam (BC)")
        refusal = page.locator("#penolakan")
        await expect(refusal).to_contain_text("baru saja diubah oleh petugas lain")
        await shot(page, "stale-edit-390")
        await refusal.get_by_role("link", name="Muat ulang halaman").click()
        await expect(page.locator("#status-block h2").first).to_contain_text("Sudah rekam (BC)")


def _failing_route(app: FastAPI) -> None:
    @app.get("/wilayah/{code}/permohonan-rusak")
    async def broken(code: str) -> Any:
        raise RuntimeError("boom")


async def test_a_server_failure_on_an_htmx_request_apologises_with_the_request_id(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed(db)
    app = build_app(db)
    async with live_app(app) as base_url:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}{BASE}")
        # The register's filter form, pointed at an address that answers 500.
        await page.eval_on_selector(
            "form.filters",
            "f => { f.setAttribute('hx-get', '/wilayah/62.12/permohonan-rusak');"
            " htmx.process(f); }",
        )
        _failing_route(app)
        await page.click("form.filters button[type=submit]")
        toast = page.locator("#pesan-galat .toast")
        await expect(toast).to_be_visible()
        await expect(toast).to_contain_text("Terjadi kesalahan di server")
        await expect(toast).to_contain_text("laporkan kode")
        assert "permohonan-rusak" not in page.url  # the refusal did not become the address
        await shot(page, "server-failure-1366")
        await toast.get_by_role("button", name="Tutup").click()
        await expect(toast).to_have_count(0)


async def test_a_refused_stock_form_keeps_its_values_and_marks_the_field(
    db: ScratchDatabase, browser: Browser
) -> None:
    """The stock and hardware forms post without a page of their own: a refusal appears beside
    them (the typed values stay, the refused field is marked for screen readers), a success
    loads the page with its note."""
    await seed(db)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}/wilayah/62.12/stok")
        form = page.locator('form[action$="/stok/terima"]')
        await form.locator('input[name="quantity"]').fill("25")
        await form.locator('input[name="reference"]').fill("SPB-DIRJEN-7")
        await form.locator('input[name="business_date"]').fill("2099-01-01")
        await form.get_by_role("button").click()
        refusal = page.locator("#pesan-galat")
        await expect(refusal).to_contain_text("masa depan")
        when = form.locator('input[name="business_date"]')
        await expect(when).to_have_attribute("aria-invalid", "true")
        await expect(when).to_have_attribute("aria-describedby", "pesan-galat-isi")
        await expect(form.locator('input[name="quantity"]')).to_have_value("25")  # nothing lost
        await expect(form.locator('input[name="reference"]')).to_have_value("SPB-DIRJEN-7")
        await shot(page, "stock-refused-390")

        today = await page.evaluate("() => new Date().toISOString().slice(0, 10)")
        await when.fill(today)
        await form.get_by_role("button").click()
        await expect(page.locator("#selesai")).to_be_visible()  # the page loaded whole
        fresh = page.locator('form[action$="/stok/terima"] input[name="quantity"]')
        await expect(fresh).to_have_value("")
        assert "/wilayah/62.12/stok" in page.url
