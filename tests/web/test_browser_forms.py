"""Forms a person can use without seeing the placeholder: a label on every field, an invalid
field marked (aria-invalid, aria-describedby naming the message), and a skip link to the
content. In Debian's Chromium."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
OPERATOR_PAGES = [
    "/wilayah/62.12",
    "/wilayah/62.12/permohonan",
    "/wilayah/62.12/permohonan/baru",
    "/wilayah/62.12/perangkat",
    "/wilayah/62.12/perangkat/uptime",
    "/wilayah/62.12/stok",
    "/wilayah/62.12/stok?item=ribbon",
    "/wilayah/62.12/suket",
    "/wilayah/62.12/peringatan",
    "/wilayah/62.12/peringatan/pengaturan",
    "/profil/notifikasi",
]
SUPERVISOR_PAGES = ["/provinsi/62", "/provinsi/62/stok", "/provinsi/62/peringatan"]
# Fields a person fills in with no <label> (a placeholder or an aria-label alone is not one:
# the name must be there for everyone, also once something is typed).
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter(f => !["hidden", "submit", "button"].includes(f.type))
  .filter(f => !(f.labels && f.labels.length) && !f.getAttribute("aria-labelledby"))
  .map(f => f.outerHTML.slice(0, 160))"""


async def _unlabelled(page: Page, base_url: str, paths: list[str], found: list[str]) -> None:
    for path in paths:
        answer = await page.goto(base_url + path)
        assert answer is not None and answer.status == 200, path
        found += [f"{path}: {field}" for field in await page.evaluate(UNLABELLED)]


async def test_every_field_has_a_label_and_every_page_a_skip_link(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        found: list[str] = []
        await sign_in_page(page, base_url, OPERATOR)
        await _unlabelled(page, base_url, OPERATOR_PAGES, found)
        # The pages one reaches from the lists: an application, a letter, a device.
        for listing, link in [
            ("/wilayah/62.12/permohonan?status=print_queued", "#register tbody a"),
            ("/wilayah/62.12/suket?keadaan=active", "#register tbody a"),
            ("/wilayah/62.12/perangkat", "a[href*='/perangkat/alat/']"),
        ]:
            await page.goto(base_url + listing)
            await page.locator(link).first.click()
            await page.wait_for_load_state()
            found += [f"{page.url}: {f}" for f in await page.evaluate(UNLABELLED)]

        # The skip link is the first thing the keyboard reaches, and it leads to the content.
        await page.goto(f"{base_url}/wilayah/62.12/stok")
        await page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Langsung ke isi")
        await expect(skip).to_be_focused()
        await expect(skip).to_be_visible()
        await page.keyboard.press("Enter")
        assert page.url.endswith("#isi")
        await expect(page.locator("main#isi")).to_be_focused()

        await context.clear_cookies()
        await sign_in_page(page, base_url, SUPERVISOR)
        await _unlabelled(page, base_url, SUPERVISOR_PAGES, found)
        await context.close()
    assert not found, "\n".join(found)


async def test_an_invalid_field_is_marked_and_points_at_the_message(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}/wilayah/62.12/permohonan/baru")
        await page.get_by_label("NIK (16 angka)").fill("1234")
        await page.get_by_label("Nama lengkap").fill("Rina Lestari")
        await page.get_by_label("Tempat lahir").fill("Puruk Cahu")
        await page.get_by_label("Tanggal lahir").fill("2008-05-17")
        await page.get_by_label("Desa/kelurahan").fill("Beriwit")
        await page.get_by_role("button", name="Simpan").click()
        message = page.locator("#form-error")
        await expect(message).to_be_visible()
        nik = page.get_by_label("NIK (16 angka)")
        await expect(nik).to_have_attribute("aria-invalid", "true")
        await expect(nik).to_have_attribute("aria-describedby", "form-error")
        await expect(page.get_by_label("Nama lengkap")).not_to_have_attribute(
            "aria-invalid", "true"
        )
        await shot(page, "invalid-nik-390")
