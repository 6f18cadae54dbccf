"""In a real browser (Debian's Chromium driven by Playwright) against the real Keycloak:
sign-in on Keycloak's own login page, tenant isolation, the province page, a wrong password,
and sign-out followed by Back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.fixtures.databases import ScratchDatabase, service_missing
from tests.fixtures.keycloak import DEMO_PASSWORD, KeycloakServer, live_siaga
from tests.fixtures.seed import seed

pytestmark = pytest.mark.postgres_only

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps dialling out on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 - one stat before the browser starts
        service_missing("Chromium (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def _sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    await page.goto(f"{base_url}/masuk")
    await page.click("text=Masuk dengan SSO")
    await page.wait_for_selector("#username")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")


async def test_operator_signs_in_sees_own_tenant_and_signs_out(
    db: ScratchDatabase, keycloak: KeycloakServer, browser: Browser
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        page = await browser.new_page()
        await _sign_in(page, server.base_url, "operator-62.12")
        await page.wait_for_url(f"{server.base_url}/wilayah/62.12")
        assert "Disdukcapil Kabupaten Murung Raya" in await page.inner_text("h1")
        assert "Operator Murung Raya" in await page.inner_text("header")

        other = await page.goto(f"{server.base_url}/wilayah/62.03")
        assert other is not None and other.status == 404
        assert "Kapuas" not in await page.content()
        province = await page.goto(f"{server.base_url}/provinsi/62")
        assert province is not None and province.status == 403

        await page.goto(f"{server.base_url}/wilayah/62.12")
        await page.click("text=Keluar")
        await page.wait_for_url(f"{server.base_url}/masuk")
        await page.go_back()
        await page.reload()
        assert page.url == f"{server.base_url}/masuk"
        # Keycloak's session ended too: signing in again asks for the password.
        await page.click("text=Masuk dengan SSO")
        await page.wait_for_selector("#username")


async def test_supervisor_sees_the_province_page(
    db: ScratchDatabase, keycloak: KeycloakServer, browser: Browser
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        page = await browser.new_page()
        await _sign_in(page, server.base_url, "supervisor-provinsi-62")
        await page.wait_for_url(f"{server.base_url}/provinsi/62")
        rows = await page.locator("table.grid tbody tr").count()
        assert rows == 14
        assert "Kabupaten Murung Raya" in await page.inner_text("table.grid")


async def test_wrong_password_stays_on_keycloak_with_its_error(
    db: ScratchDatabase, keycloak: KeycloakServer, browser: Browser
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        page = await browser.new_page()
        await _sign_in(page, server.base_url, "operator-62.12", "salah-sandi")
        error = await page.wait_for_selector(".kc-feedback-text")
        assert error is not None
        assert "Invalid username or password" in await error.inner_text()
        assert page.url.startswith(keycloak.url)
