"""After every write a short note of what was done, with a link to it; destructive actions ask
first (siaga.js, data-confirm: no inline script). In Debian's Chromium."""

from __future__ import annotations

from playwright.async_api import Browser, Dialog, Page, expect

from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import advance, nik_for, operator, register
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed, seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")


def _answer_dialogs(page: Page, accept: list[bool], asked: list[str]) -> None:
    """Answer each confirm() in turn from ``accept``, keeping the questions asked."""

    async def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if accept.pop(0):
            await dialog.accept()
        else:
            await dialog.dismiss()

    page.on("dialog", on_dialog)


async def test_cancelling_asks_first_then_says_it_was_done(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed(db)
    who = await operator(db)
    application = await advance(db, who, await register(db, who, nik_for(3)), Status.RECORDED)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        asked: list[str] = []
        _answer_dialogs(page, [False, True], asked)
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}/wilayah/62.12/permohonan/{application.id}")
        await page.fill("input[name=note]", "Pemohon pindah ke luar daerah")
        await page.click("button.danger")  # dismissed: nothing is sent
        await page.wait_for_timeout(300)
        await expect(page.locator("#status-block h2").first).to_contain_text("Sudah rekam")
        await page.click("button.danger")  # accepted
        done = page.locator("#selesai")
        await expect(done).to_contain_text("Permohonan dibatalkan.")
        await expect(page.locator("#status-block h2").first).to_contain_text("Dibatalkan")
        assert len(asked) == 2 and "Batalkan permohonan ini?" in asked[0]
        await shot(page, "cancelled-1366")

        # A registration says so on the page it leads to, with the way to the next one.
        await page.goto(f"{base_url}/wilayah/62.12/stok")
        await page.fill("form[action$='/stok/terima'] input[name=quantity]", "120")
        await page.fill("form[action$='/stok/terima'] input[name=reference]", "SPB-2026-17")
        await page.click("form[action$='/stok/terima'] button[type=submit]")
        done = page.locator("#selesai")
        await expect(done).to_contain_text("Penerimaan 120")
        await expect(done).to_contain_text("SPB-2026-17")
        await done.get_by_role("link", name="Lihat kartu stok").click()
        await expect(page.locator("#kartu-stok")).to_be_in_viewport()
        await shot(page, "stock-received-1366")
        await page.reload()
        await expect(page.locator("#selesai")).to_have_count(0)  # said once


async def test_revoking_a_letter_and_a_device_token_ask_first(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        asked: list[str] = []
        _answer_dialogs(page, [False, True, True], asked)
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}/wilayah/62.12/suket?keadaan=active")
        await page.locator("#register tbody a").first.click()
        await page.fill("input[name=reason]", "Salah data pemohon")
        await page.click("button.danger")  # dismissed
        await page.wait_for_timeout(300)
        await expect(page.locator("h1 .state")).to_have_text("Berlaku")
        await page.click("button.danger")
        await expect(page.locator("#selesai")).to_contain_text("dicabut")
        await expect(page.locator("h1 .state")).to_have_text("Dicabut")
        await shot(page, "letter-revoked-390")

        await page.goto(f"{base_url}/wilayah/62.12/perangkat")
        await page.locator("a[href*='/perangkat/alat/']").first.click()
        await page.get_by_role("button", name="Cabut token perangkat").click()
        await expect(page.locator("#selesai")).to_contain_text("token perangkat dicabut")
        assert len(asked) == 3 and "Cabut semua token" in asked[2]
