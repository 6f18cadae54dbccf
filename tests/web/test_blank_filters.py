"""A filter form sends its empty fields ("Semua", a date left blank): on the pages, empty means
"any" (one place: siaga_web.input.BlankMeansAny), on the JSON API it stays a refusal."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_web.input import without_blank_fields
from tests.fixtures.browser import browser, shot, sign_in_page
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, live_app, sign_in

__all__ = ["browser"]
OPERATOR = demo_subject(Role.OPERATOR, "62.12")
EMPTY_FILTERS = {
    "/wilayah/62.12/permohonan": "q=&status=&reason=&kecamatan=&dari=&sampai=",
    "/wilayah/62.12/suket": "keadaan=&alasan=&nik=",
    "/wilayah/62.12/stok": "item=blank_card&kind=&dari=&sampai=",
}


def test_blank_fields_are_dropped_and_the_rest_kept_as_sent() -> None:
    assert without_blank_fields(b"q=&status=prr&dari=&nama=a%20b&x") == b"status=prr&nama=a%20b"
    assert without_blank_fields(b"status=&status=prr&q=+") == b"status=prr"
    assert without_blank_fields(b"") == b""


async def test_empty_filters_mean_any_on_the_pages_and_not_on_the_api(
    db: ScratchDatabase,
) -> None:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        await sign_in(client, OPERATOR)
        for path, query in EMPTY_FILTERS.items():
            unfiltered = await client.get(path)
            emptied = await client.get(f"{path}?{query}")
            assert emptied.status_code == 200, (path, emptied.text[:300])
            assert emptied.text.count("<tr") == unfiltered.text.count("<tr") > 2, path
        api = await client.get("/api/v1/applications?status=")
        assert api.status_code in {401, 403, 422}


async def test_filter_forms_with_semua_show_rows_in_the_browser(
    db: ScratchDatabase, browser: Browser
) -> None:
    await seed_whole_demo(db)
    async with live_app(build_app(db)) as base_url:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in_page(page, base_url, OPERATOR)
        for path, button in [
            ("/wilayah/62.12/permohonan", "Tampilkan"),
            ("/wilayah/62.12/suket", "Saring"),
            ("/wilayah/62.12/stok", "Saring"),
        ]:
            await page.goto(base_url + path)
            async with page.expect_response(lambda r: "hx-request" in r.request.headers) as answer:
                await page.locator("form.filters").get_by_role("button", name=button).click()
            assert (await answer.value).status == 200, path
            await expect(page.locator("#pesan-galat .toast")).to_have_count(0)
            rows = page.locator("form.filters ~ table tbody tr, #register table tbody tr")
            await expect(rows.first).to_be_visible()
            assert await rows.count() > 1, path
            await shot(page, "filters-" + path.rsplit("/", 1)[1])
