"""In Chromium at 1366 and 390 px: the demo election's page shows Murung Raya first in red,
and on a phone the page itself never scrolls sideways (the table scrolls inside itself); the
regency's letters to renew, renewed with one button."""

from __future__ import annotations

from pathlib import Path

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
async def test_the_election_page_at_desk_and_phone_width(
    db: ScratchDatabase,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Screenshots land in the test's folder (``--basetemp`` to keep them)."""
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        for width in (1366, 390):
            context = await browser.new_context(viewport={"width": width, "height": 900})
            page = await context.new_page()
            await _sign_in(page, base_url, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
            await page.goto(f"{base_url}/provinsi/62/pemilu")
            await page.screenshot(path=str(tmp_path / f"pemilu-daftar-{width}.png"), full_page=True)
            await page.click("table.grid tbody a")
            await page.wait_for_load_state("networkidle")
            first = page.locator("table.election tbody tr").first
            assert await first.get_attribute("id") == "wilayah-62.12"
            assert await first.get_attribute("class") == "row-bad"
            assert await page.locator("table.election tbody tr").count() == 14
            page_width = await page.evaluate("document.documentElement.scrollWidth")
            assert page_width <= width, (width, page_width)
            await page.screenshot(path=str(tmp_path / f"pemilu-{width}.png"), full_page=True)
            # The regency's own staff: the letters to renew, then renewed all at once.
            await _sign_in(page, base_url, demo_subject(Role.OPERATOR, "62.12"))
            await page.goto(f"{base_url}/wilayah/62.12/pemilu")
            await page.click("table.rollup tbody a")
            await page.wait_for_load_state("networkidle")
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            await page.screenshot(path=str(tmp_path / f"suket-{width}.png"), full_page=True)
            if width == 390:
                await page.click("form[action$='/perpanjang'] button")
                await page.wait_for_load_state("networkidle")
                assert await page.locator("a[href*='/suket/']").count() == 0
                await page.screenshot(path=str(tmp_path / "suket-after.png"), full_page=True)
            await context.close()
