"""The main pages in Debian's Chromium: axe-core finds no WCAG A/AA (or best-practice) violation
on them, and at a phone's 390 px none of them scrolls sideways (wide tables scroll inside their
own box). One seeded demo province for the whole walk."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page
from pyzbar.pyzbar import decode

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.browser import axe_violations, browser, shot, sideways_scroll, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]  # the fixture, used by name

OPERATOR_PAGES = [
    "/wilayah/62.12",
    "/wilayah/62.12/permohonan",
    "/wilayah/62.12/permohonan/baru",
    "/wilayah/62.12/suket",
    "/wilayah/62.12/stok",
    "/wilayah/62.12/perangkat",
]
SUPERVISOR_PAGES = ["/provinsi/62", "/provinsi/62/stok"]
ADMIN_PAGES = ["/nasional"]


async def _a_letter(page: Page, base_url: str) -> tuple[str, str, str]:
    """A demo letter's page, its applicant's page and the public verification address inside
    the letter's QR code."""
    import pypdfium2

    await page.goto(f"{base_url}/wilayah/62.12/suket?keadaan=active")
    letter = await page.locator("#register tbody a").first.get_attribute("href")
    pdf = await page.request.get(f"{base_url}{letter}/pdf")
    document = pypdfium2.PdfDocument(await pdf.body())
    [qr] = decode(document[0].render(scale=3).to_pil())
    document.close()
    url = qr.data.decode()
    await page.goto(f"{base_url}{letter}")
    application = await page.locator(".facts a[href*='/permohonan/']").get_attribute("href")
    return str(letter), str(application), url[url.index("/verifikasi/") :]


async def _check(
    page: Page, base_url: str, path: str, found: dict[str, list[str]], width: int
) -> None:
    answer = await page.goto(base_url + path)
    assert answer is not None and answer.status == 200, path
    await page.wait_for_load_state("networkidle")
    name = re.sub(r"\W+", "-", path).strip("-") or "root"
    await shot(page, f"a11y-{name}-{width}")
    if width == 390:
        found.setdefault(path, []).extend(f"at 390 px: {p}" for p in await sideways_scroll(page))
    else:
        violations = await axe_violations(page)
        if violations:
            found.setdefault(path, []).extend(violations)


@pytest.mark.sqlite_only  # what is drawn does not depend on the database
async def test_main_pages_pass_axe_and_never_scroll_sideways_at_390_px(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    found: dict[str, list[str]] = {}
    async with live_app(build_app(db)) as base_url:
        for width in (1366, 390):
            # axe is injected as a script tag, which the app's CSP (rightly) refuses.
            context = await browser.new_context(
                viewport={"width": width, "height": 900}, bypass_csp=True
            )
            page = await context.new_page()
            await _check(page, base_url, "/masuk", found, width)
            await sign_in_page(page, base_url, demo_subject(Role.OPERATOR, "62.12"))
            letter, application, verification = await _a_letter(page, base_url)
            for path in [*OPERATOR_PAGES, application, letter]:
                await _check(page, base_url, path, found, width)
            await context.clear_cookies()
            for path in (verification, "/publik/62.12/blanko"):  # signed out, as a citizen
                await _check(page, base_url, path, found, width)
            await sign_in_page(page, base_url, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
            for path in SUPERVISOR_PAGES:
                await _check(page, base_url, path, found, width)
            await context.clear_cookies()
            await sign_in_page(page, base_url, demo_subject(Role.ADMIN_PLATFORM, "platform"))
            for path in ADMIN_PAGES:
                await _check(page, base_url, path, found, width)
            await context.close()
    found = {path: problems for path, problems in found.items() if problems}
    assert not found, "\n".join(f"{path}:\n  " + "\n  ".join(v) for path, v in found.items())
