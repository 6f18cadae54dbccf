"""One language, no internals, and a page that fits the screen it is read on (issue 15).

In Debian's Chromium, on the demo province: figures in the reader's number format ("94,0 %",
"2.373"; English "94.0%"), times in the regency's zone with its WIB/WITA/WIT, people by name
(never an SSO subject, a UUID or "system:..."), no raw readings or English status words on an
Indonesian page; the province page shows ten regencies above the fold of a 1366x768 office PC,
and the stock card's key figures are on a phone's first screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Browser, Page

from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, live_app

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
#: Internals that must never reach a reader.
LEAKS = {
    "UUID": UUID,
    "system actor": re.compile(r"system:[\w-]+"),
    "raw readings": re.compile(r"\{'\w+':"),
    "UTC time": re.compile(r"\bUTC\b"),
    "ISO timestamp": re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d"),
    # A percentage or a decimal written the English way on an Indonesian page.
    "English decimal": re.compile(r"\b\d+\.\d\s?%|\b\d+\.\d\b(?!\.)"),
    "English status word": re.compile(
        r"\b(requested|rejected|proposed|held|opened|note|escalated|acknowledged|fault|"
        r"approved|pending|resolved)\b"
    ),
}
ID_PERCENT = re.compile(r"\b\d{1,3},\d\u00a0%")
EN_PERCENT = re.compile(r"\b\d{1,3}\.\d%")
ZONE_TIME = re.compile(r"\d{1,2} \w{3} \d{4} \d\d\.\d\d (WIB|WITA|WIT)\b")


async def _text(page: Page, base_url: str, path: str) -> str:
    answer = await page.goto(base_url + path)
    assert answer is not None and answer.status == 200, path
    return await page.inner_text("body")


def _leaks(path: str, text: str) -> list[str]:
    found = []
    for name, pattern in LEAKS.items():
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 40) : match.end() + 20].replace("\n", " ")
            found.append(f"{path}: {name}: …{around}…")
    return found


async def _first_link(page: Page, base_url: str, listing: str, selector: str) -> str:
    await page.goto(base_url + listing)
    href = await page.locator(selector).first.get_attribute("href")
    assert href, (listing, selector)
    return href


async def test_pages_speak_one_language_without_internals(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    await evaluate_all(db.session_factory, active_regencies, now=datetime.now(UTC))
    async with live_app(build_app(db)) as base_url:
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        found: list[str] = []

        await sign_in_page(page, base_url, SUPERVISOR)
        province = await _text(page, base_url, "/provinsi/62")
        found += _leaks("/provinsi/62", province)
        # Availability in the Indonesian way, under its own header; the time in the zone.
        assert ID_PERCENT.search(province), province[:2000]
        assert "Ketersediaan perekaman 30 hari" in province
        assert ZONE_TIME.search(province) and "WIB" in province
        assert re.search(r"\b\d\.\d{3}\b", province)  # 2.373 waiting in Murung Raya
        alert = await _first_link(
            page, base_url, "/provinsi/62/peringatan", "a[href*='/peringatan/0']"
        )
        for path in ["/provinsi/62/stok", "/provinsi/62/peringatan", alert]:
            found += _leaks(path, await _text(page, base_url, path))

        await context.clear_cookies()
        await sign_in_page(page, base_url, OPERATOR)
        device = await _first_link(
            page, base_url, "/wilayah/62.12/perangkat", "a[href*='/perangkat/alat/']"
        )
        incident = await _first_link(
            page, base_url, "/wilayah/62.12/perangkat", "a[href*='/perangkat/kejadian/']"
        )
        application = await _first_link(
            page, base_url, "/wilayah/62.12/permohonan?status=print_queued", "#register tbody a"
        )
        letter = await _first_link(page, base_url, "/wilayah/62.12/suket", "#register tbody a")
        texts = {}
        for path in [
            "/wilayah/62.12",
            "/wilayah/62.12/stok",
            "/wilayah/62.12/perangkat/uptime",
            "/wilayah/62.12/peringatan",
            device,
            incident,
            application,
            letter,
        ]:
            texts[path] = await _text(page, base_url, path)
            found += _leaks(path, texts[path])
        # Times in the regency's zone; the seed's actor by a label, not its subject.
        assert ZONE_TIME.search(texts[device]), texts[device][:1500]
        assert ZONE_TIME.search(texts[incident]), texts[incident][:1500]
        assert "Data demo" in texts[application], texts[application][-1500:]
        assert "Data demo" in texts["/wilayah/62.12/stok"]  # who recorded the ledger lines
        assert ID_PERCENT.search(texts["/wilayah/62.12/perangkat/uptime"])
        await shot(page, "polish-device")

        # In English the same figures read the English way.
        await page.goto(base_url + "/wilayah/62.12/perangkat/uptime")
        await page.click('button[name="lang"][value="en"]')
        await page.wait_for_load_state()
        english = await page.inner_text("body")
        assert EN_PERCENT.search(english) and not ID_PERCENT.search(english), english[:1500]
        await context.close()
    assert not found, "\n".join(found)


async def test_the_pages_fit_an_office_pc_and_a_phone(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    await evaluate_all(db.session_factory, active_regencies, now=datetime.now(UTC))
    async with live_app(build_app(db)) as base_url:
        office = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await office.new_page()
        await sign_in_page(page, base_url, SUPERVISOR)
        await page.goto(f"{base_url}/provinsi/62")
        rows = page.locator("table.rollup tbody tr")
        assert await rows.count() >= 10
        tenth = await rows.nth(9).bounding_box()
        assert tenth is not None
        # The tenth regency is read whole without scrolling (the page opens at its top).
        assert tenth["y"] >= 0 and tenth["y"] + tenth["height"] <= 768, tenth
        await shot(page, "polish-province-1366")
        await office.close()

        phone = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await phone.new_page()
        await sign_in_page(page, base_url, OPERATOR)
        await page.goto(f"{base_url}/wilayah/62.12/stok")
        for figure in ["#stok-hari-ini", "#cukup-untuk", "#menunggu-cetak"]:
            box = await page.locator(figure).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 844, (figure, box)
        assert (await page.inner_text("#menunggu-cetak")).strip() == "2.373"
        await shot(page, "polish-stock-390")
        await phone.close()
