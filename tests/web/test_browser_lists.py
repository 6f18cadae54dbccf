"""The lists people page through (applications, letters, the stock card), in Debian's Chromium:
previous/next, the page count, the total, the page in the address, a stated order."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.browser import LAYOUT, browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
LISTS = {
    "/wilayah/62.12/permohonan": "Urutan: yang terakhir didaftarkan di atas.",
    "/wilayah/62.12/suket": "Urutan: nomor surat terbaru di atas.",
    "/wilayah/62.12/stok": "Urutan: catatan terakhir di atas.",
}
PAGE_OF = re.compile(r"halaman (\d+) dari (\d+)")


async def test_lists_page_forward_and_back_with_the_page_in_the_address(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in_page(page, base_url, OPERATOR)
        for path, order in LISTS.items():
            await page.goto(base_url + path)
            pager = page.locator("nav.pager")
            await expect(pager).to_contain_text(order)
            summary = await pager.locator("p").first.inner_text()
            found = PAGE_OF.search(summary)
            assert found and found.group(1) == "1", (path, summary)
            if int(found.group(2)) < 2:
                continue  # one page only: nothing to walk
            first_row = await page.locator("table tbody tr").first.inner_text()
            await pager.get_by_role("link", name="Berikutnya →").click()
            await expect(pager).to_contain_text(f"halaman 2 dari {found.group(2)}")
            assert "halaman=2" in page.url, page.url
            assert await page.locator("table tbody tr").first.inner_text() != first_row
            await pager.get_by_role("link", name="← Sebelumnya").click()
            await expect(pager).to_contain_text("halaman 1 dari")
            # The address holds the page: opened directly, it is the same page.
            await page.goto(f"{base_url}{path}?halaman=2")
            await expect(page.locator("nav.pager")).to_contain_text("halaman 2 dari")
            await shot(page, "paged-" + path.rsplit("/", 1)[1])


PHONE = {"width": 390, "height": 844}
OFFICE_PC = {"width": 1366, "height": 768}
OPERATOR_PAGES = ["/wilayah/62.12/permohonan", "/wilayah/62.12/suket", "/wilayah/62.12/stok"]
SUPERVISOR_PAGES = ["/provinsi/62", "/provinsi/62/stok"]


async def _verification_path(db: ScratchDatabase) -> str:
    from sqlalchemy import select

    from siaga_platform.letters.models import Letter
    from siaga_platform.tenancy.scope import TenantScope, enter_scope
    from siaga_tenants.registry import repository as tenants

    async with db.session_factory() as session:
        tenant = await tenants.get_by_code(session, "62.12")
        assert tenant is not None
        await enter_scope(session, TenantScope.read_only({tenant.id}))
        token = await session.scalar(select(Letter.token).limit(1))
    assert token
    return f"/verifikasi/62.12/{token}"


async def _check_layout(
    page: Page, base_url: str, path: str, width: int, problems: list[str]
) -> None:
    answer = await page.goto(base_url + path)
    assert answer is not None and answer.status == 200, path
    layout = await page.evaluate(LAYOUT)
    if layout["width"] > width:
        problems.append(f"{path} at {width} px is {layout['width']} px wide: {layout['wide']}")
    for index, table in enumerate(layout["tables"]):
        if not (table["fits"] or table["scrolls"]):
            problems.append(f"{path} at {width} px: table {index} overflows the page")
    name = "verifikasi" if path.startswith("/verifikasi/") else path.strip("/").replace("/", "-")
    await shot(page, f"{name}-{width}")


async def test_no_page_scrolls_sideways_on_a_phone_or_an_office_pc(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    verification = await _verification_path(db)
    problems: list[str] = []
    async with live_app(build_app(db)) as base_url:
        for viewport in (PHONE, OFFICE_PC):
            context = await browser.new_context(viewport=viewport)
            page = await context.new_page()
            await _check_layout(page, base_url, verification, viewport["width"], problems)
            await sign_in_page(page, base_url, OPERATOR)
            for path in OPERATOR_PAGES:
                await _check_layout(page, base_url, path, viewport["width"], problems)
            await context.clear_cookies()
            await sign_in_page(page, base_url, SUPERVISOR)
            for path in SUPERVISOR_PAGES:
                await _check_layout(page, base_url, path, viewport["width"], problems)
            await context.close()
    assert not problems, "\n".join(problems)
