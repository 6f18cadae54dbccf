"""How a refusal is answered (siaga_web.templating.render_refusal): to htmx, a short notice
retargeted into #pesan-galat that never becomes the page's address; to a page load, the error
page with the way back and, for a conflict, a reload."""

from __future__ import annotations

import re

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
STOCK = "/wilayah/62.12/stok"


async def test_refusals_to_htmx_and_to_a_page_load(db: ScratchDatabase) -> None:
    await seed(db)
    async with client_for(build_app(db)) as client:
        await sign_in(client, OPERATOR)
        htmx = await client.get(
            STOCK,
            params={"kind": "no-such-kind"},
            headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{STOCK}"},
        )
        assert htmx.status_code == 422
        assert htmx.headers["HX-Retarget"] == "#pesan-galat"
        assert htmx.headers["HX-Reswap"] == "innerHTML"
        assert htmx.headers["HX-Push-Url"] == "false"
        assert "<html" not in htmx.text and 'class="notice error toast"' in htmx.text
        assert "Isian tidak valid: kind." in htmx.text and "data-tutup-pesan" in htmx.text

        page = await client.get(
            STOCK, params={"kind": "no-such-kind"}, headers={"Referer": f"http://testserver{STOCK}"}
        )
        assert page.status_code == 422 and "<html" in page.text
        assert f'href="{STOCK}"' in page.text and "Kembali ke halaman sebelumnya" in page.text
        elsewhere = await client.get(
            STOCK, params={"kind": "x"}, headers={"Referer": "https://evil.example/stok"}
        )
        assert "evil.example" not in elsewhere.text  # the way back never leads off the site


async def test_a_conflict_sent_by_htmx_offers_a_reload_of_the_page_in_view(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    async with client_for(build_app(db)) as client:
        await sign_in(client, OPERATOR)
        token = csrf_from((await client.get(STOCK)).text)
        drafted = await client.post(
            f"{STOCK}/usulan", data={"csrf_token": token, "quantity": "500"}
        )
        assert drafted.status_code == 303
        page = await client.get(STOCK)
        assert "Draf usulan 500 blanko ke pusat dibuat." in page.text  # said once, here
        found = re.search(r'action="(/wilayah/62\.12/stok/usulan/[0-9a-f-]{36})"', page.text)
        assert found
        step = {"csrf_token": token, "version": "1", "to": "submitted"}
        assert (await client.post(found.group(1), data=step)).status_code == 303
        stale = await client.post(
            found.group(1),
            data=step,
            headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{STOCK}#usulan"},
        )
        assert stale.status_code == 409 and stale.headers["HX-Retarget"] == "#pesan-galat"
        assert f'href="{STOCK}"' in stale.text and "Muat ulang halaman" in stale.text


async def test_a_refused_value_is_answered_with_what_it_should_look_like(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    uptime = "/wilayah/62.12/perangkat/uptime"
    async with client_for(build_app(db)) as client:
        await sign_in(client, OPERATOR)
        month_13 = await client.get(uptime, params={"dari": "2025-13-04"})
        assert month_13.status_code == 422
        assert "Isian tidak valid: dari. Tulis tanggal sebagai TTTT-BB-HH" in month_13.text
        yes = await client.get(uptime, params={"jam_kantor": "ya"})
        assert yes.status_code == 422
        assert "Isian tidak valid: jam_kantor. Isi dengan true atau false." in yes.text
        unknown = await client.get(STOCK, params={"kind": "no-such-kind"})
        assert "Isian tidak valid: kind." in unknown.text  # a choice: no format to name
