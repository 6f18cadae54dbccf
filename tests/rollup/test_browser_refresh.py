"""In Chromium: the province table's 60-second refresh keeps the sort the supervisor chose
(the refresh used to ask for the sort of the first page load)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.browser import browser  # noqa: F401 - the fixture
from tests.fixtures.browser import sign_in_page as _sign_in
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app


@pytest.mark.postgres_only
async def test_the_minute_refresh_keeps_the_chosen_sort(
    db: ScratchDatabase,
    browser: Browser,  # noqa: F811
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        context = await browser.new_context(viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await _sign_in(page, base_url, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
        await page.clock.install()
        await page.goto(f"{base_url}/provinsi/62")
        first = page.locator("table.rollup tbody tr").first
        assert await first.get_attribute("id") == "wilayah-62.12"  # worst first
        async with page.expect_response(lambda r: "urut=nama" in r.url):
            await page.click('table.rollup th a[href="?urut=nama"]')
        await page.wait_for_selector('#regency-refresh[hx-get$="urut=nama"]', state="attached")
        assert await first.get_attribute("id") == "wilayah-62.04"  # Barito Selatan
        async with page.expect_request(
            lambda r: r.headers.get("hx-request") == "true" and "/provinsi/62" in r.url
        ) as refresh:
            await page.clock.run_for(61_000)
        assert "urut=nama" in (await refresh.value).url
        await page.wait_for_load_state("networkidle")
        assert await first.get_attribute("id") == "wilayah-62.04"  # still by name
        await context.close()
