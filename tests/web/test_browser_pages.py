"""The pages in a real browser (Debian's Chromium through Playwright) under the app's Content
Security Policy: no inline script or style creeps back and htmx still works, at a desktop and a
phone width, for an operator and a province supervisor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response

from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.browser import browser, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]  # the fixture, used by name

OPERATOR_PAGES = [
    "/wilayah/62.12",
    "/wilayah/62.12/permohonan",
    "/wilayah/62.12/permohonan/baru",
    "/wilayah/62.12/perangkat",
    "/wilayah/62.12/perangkat/uptime",
    "/wilayah/62.12/stok",
    "/wilayah/62.12/suket",
    "/wilayah/62.12/peringatan",
    "/wilayah/62.12/peringatan/pengaturan",
]
SUPERVISOR_PAGES = [
    "/provinsi/62",
    "/provinsi/62/stok",
    "/provinsi/62/cetak",
    "/provinsi/62/peringatan",
    "/provinsi/62/peringatan/pengaturan",
]
ASSETS = {"stylesheet", "script", "image", "font", "other"}


def _watch(page: Page, problems: list[str]) -> None:
    """What the CSP would break: refused scripts or styles, script errors, missing assets."""

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(f"{page.url}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type in ASSETS:
            problems.append(f"{page.url}: {response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))


@pytest.mark.postgres_only
@pytest.mark.parametrize("width", [1366, 390])
async def test_pages_keep_to_the_csp_and_htmx_works(
    db: ScratchDatabase, browser: Browser, width: int
) -> None:
    await seed_whole_demo(db)
    await evaluate_all(db.session_factory, active_regencies, now=datetime.now(UTC))  # alerts
    async with live_app(build_app(db)) as base_url:
        problems: list[str] = []
        context = await browser.new_context(viewport={"width": width, "height": 900})
        page = await context.new_page()
        _watch(page, problems)
        await sign_in_page(page, base_url, demo_subject(Role.OPERATOR, "62.12"))
        for path in OPERATOR_PAGES:
            answer = await page.goto(base_url + path)
            assert answer is not None and answer.status == 200, path
            # The stylesheet applied (a file, allowed by the CSP): the body is not unstyled.
            font = await page.evaluate("getComputedStyle(document.body).fontFamily")
            assert "Times" not in font, (path, font)
        # htmx under the CSP: changing a filter sends its request without a page load.
        await page.goto(f"{base_url}/wilayah/62.12/permohonan")
        await page.evaluate("window.stillThisPage = true")
        async with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
            await page.select_option("select[name=status]", index=1)
        assert await page.evaluate("window.stillThisPage === true")

        await context.clear_cookies()
        await sign_in_page(page, base_url, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
        for path in SUPERVISOR_PAGES:
            answer = await page.goto(base_url + path)
            assert answer is not None and answer.status == 200, path
        await context.close()
    assert not problems, "\n".join(problems)
