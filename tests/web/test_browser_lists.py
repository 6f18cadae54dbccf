"""The lists people page through (applications, letters, the stock card), in Debian's Chromium:
previous/next, the page count, the total, the page in the address, a stated order."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
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
