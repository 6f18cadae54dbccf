"""The web skeleton on both databases: sign-in, the pages each role may open, HTMX fragments,
CSRF, language, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.regions.reference import read_wilayah
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR_MURA = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR_KALTENG = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
ADMIN = demo_subject(Role.ADMIN_PLATFORM, "platform")


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert ready.headers["x-request-id"]


async def test_readiness_reports_a_database_that_is_gone() -> None:
    from siaga_platform.config import Settings
    from siaga_web.app import create_app

    app = create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none"))
    async with client_for(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_anonymous_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/wilayah/62.12")
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    htmx = await client.get("/wilayah/62.12", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/masuk"


async def test_sign_in_page_lists_demo_users(client: httpx.AsyncClient) -> None:
    page = await client.get("/masuk")
    assert page.status_code == 200
    assert "Operator Murung Raya" in page.text and "Supervisor Kalimantan Tengah" in page.text
    assert 'lang="id"' in page.text


async def test_operator_sees_own_regency_and_not_another(client: httpx.AsyncClient) -> None:
    signed_in = await sign_in(client, OPERATOR_MURA)
    assert signed_in.headers["location"] == "/wilayah/62.12"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    home = await client.get("/wilayah/62.12")
    assert home.status_code == 200
    assert "Kabupaten Murung Raya" in home.text
    assert "Puruk Cahu" in home.text or "Murung" in home.text  # its kecamatan are listed
    murung_population = next(r.population for r in read_wilayah() if r.code == "62.12")
    assert f"{murung_population:,}".replace(",", ".") in home.text
    kapuas = await client.get("/wilayah/62.03")
    assert kapuas.status_code == 404
    assert "Kapuas" not in kapuas.text
    assert (await client.get("/wilayah/99.99")).status_code == 404
    assert (await client.get("/provinsi/62")).status_code == 403
    assert (await client.get("/nasional")).status_code == 403


async def test_supervisor_sees_the_province_from_real_data(client: httpx.AsyncClient) -> None:
    await sign_in(client, SUPERVISOR_KALTENG)
    page = await client.get("/provinsi/62")
    assert page.status_code == 200
    regencies = [r for r in read_wilayah() if r.code.startswith("62.") and r.level != "kecamatan"]
    assert len(regencies) == 14
    for regency in regencies:
        assert regency.name in page.text
    assert page.text.count("/wilayah/62.") == 14
    # Read access to each regency of the province, nothing outside it.
    assert (await client.get("/wilayah/62.03")).status_code == 200
    assert (await client.get("/provinsi/63")).status_code == 404
    await sign_in(client, ADMIN)
    assert (await client.get("/tenants-do-not-exist")).status_code == 404


async def test_province_table_refreshes_as_a_fragment(client: httpx.AsyncClient) -> None:
    await sign_in(client, SUPERVISOR_KALTENG)
    fragment = await client.get("/provinsi/62", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    # The refresh element comes with the table, carrying the chosen sort (issue 15).
    assert fragment.text.lstrip().startswith('<div id="regency-refresh"')
    assert "<table" in fragment.text and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


async def test_admin_sees_every_province(client: httpx.AsyncClient) -> None:
    await sign_in(client, ADMIN)
    page = await client.get("/nasional")
    assert page.status_code == 200
    # Every province listed; only those with regencies on Siaga link to a page, the others
    # say "belum bergabung" instead of zeros.
    assert page.text.count('href="/provinsi/') == 1  # the demo: Kalimantan Tengah
    assert page.text.count("belum bergabung") >= 37
    assert "Kalimantan Tengah" in page.text and "Papua Barat Daya" in page.text
    assert (await client.get("/provinsi/63")).status_code == 200


async def test_unsafe_methods_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    await client.get("/masuk")
    refused = await client.post("/masuk/dev", data={"subject": OPERATOR_MURA})
    assert refused.status_code == 403
    forged = await client.post(
        "/masuk/dev", data={"subject": OPERATOR_MURA, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    page = await client.get("/masuk")
    by_header = await client.post(
        "/masuk/dev",
        data={"subject": OPERATOR_MURA},
        headers={"X-CSRF-Token": csrf_from(page.text)},
    )
    assert by_header.status_code == 303


async def test_unknown_user_gets_nothing(client: httpx.AsyncClient) -> None:
    page = await client.get("/masuk")
    response = await client.post(
        "/masuk/dev", data={"subject": "nobody", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 403
    assert "admin platform" in response.text


async def test_sign_out_ends_the_session(client: httpx.AsyncClient) -> None:
    await sign_in(client, OPERATOR_MURA)
    home = await client.get("/wilayah/62.12")
    out = await client.post("/keluar", data={"csrf_token": csrf_from(home.text)})
    assert out.status_code == 303
    assert (await client.get("/wilayah/62.12")).status_code == 303


async def test_language_switch_to_english_and_back(client: httpx.AsyncClient) -> None:
    page = await client.get("/masuk")
    assert "Masuk ke Siaga" in page.text
    switched = await client.post(
        "/bahasa", data={"lang": "en", "next": "/masuk", "csrf_token": csrf_from(page.text)}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/masuk"
    english = await client.get("/masuk")
    assert "Sign in to Siaga" in english.text and 'lang="en"' in english.text
    evil = await client.post(
        "/bahasa",
        data={"lang": "id", "next": "//evil.example", "csrf_token": csrf_from(english.text)},
    )
    assert evil.headers["location"] == "/"


async def test_dev_sign_in_refused_when_keycloak_is_configured(db: ScratchDatabase) -> None:
    await seed(db)
    app = build_app(db, keycloak_server_url="http://127.0.0.1:9/")
    async with client_for(app) as client:
        page = await client.get("/masuk")
        assert "Operator Murung Raya" not in page.text
        response = await client.post(
            "/masuk/dev", data={"subject": OPERATOR_MURA, "csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 403


async def test_static_htmx_is_served_locally(client: httpx.AsyncClient) -> None:
    page = await client.get("/masuk")
    assert 'src="/static/vendor/htmx.min.js"' in page.text
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    script = await client.get("/static/vendor/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:2000]


async def test_only_platform_admins_provision_tenants_over_the_api(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, SUPERVISOR_KALTENG)
    page = await client.get("/provinsi/62")
    headers = {"X-CSRF-Token": csrf_from(page.text)}
    refused = await client.post("/api/v1/tenants", json={"code": "63.01"}, headers=headers)
    assert refused.status_code == 403
    await sign_in(client, ADMIN)
    page = await client.get("/nasional")
    no_token = await client.post("/api/v1/tenants", json={"code": "63.01"})
    assert no_token.status_code == 403  # a cookie alone is not enough for a change
    headers = {"X-CSRF-Token": csrf_from(page.text)}
    made = await client.post("/api/v1/tenants", json={"code": "63.01"}, headers=headers)
    assert made.status_code == 201 and made.json()["timezone"] == "WITA"
    unknown = await client.post("/api/v1/tenants", json={"code": "99.99"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["field"] == "code"


async def test_the_demo_sign_in_groups_people_by_role_and_regency(
    client: httpx.AsyncClient,
) -> None:
    import re

    page = (await client.get("/masuk")).text
    places = re.findall(r'<th scope="row">([^<]+)</th>', page)
    codes = [re.search(r"\((\d\d\.\d\d)\)$", h).group(1) for h in places]  # type: ignore[union-attr]
    assert "Kabupaten Murung Raya (62.12)" in places
    assert codes == sorted(codes)  # regencies in code order, one row each
    assert len(codes) == len(set(codes))
    murung = page.split("Kabupaten Murung Raya (62.12)")[1].split("</tr>")[0]
    roles = re.findall(r"<small>([^<]+)</small>", murung)
    assert roles and roles == sorted(roles, key=["Kepala dinas", "Operator"].index)
    wide = re.findall(
        r"<small>([^<]+)</small>", page.split("Provinsi dan platform")[1].split("<h2>")[0]
    )
    assert wide[0] == "Admin platform" and "Supervisor provinsi" in wide
    assert "kepala_dinas" not in page and "supervisor_provinsi" not in page


async def test_the_operators_home_shows_the_regencys_day(db: ScratchDatabase) -> None:
    from tests.fixtures.seed import seed_whole_demo

    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        await sign_in(client, OPERATOR_MURA)
        page = (await client.get("/wilayah/62.12")).text
    today = page.split("Hari ini")[1].split("</dl>")[0]
    assert "Berhenti sejak" in today  # recording stopped (0 of 2 sets)
    assert "Habis" in today  # no blank card left
    assert "menunggu cetak" in today and "2.373" in today  # the waiting-to-print backlog
    assert "aktif" in today and "kejadian terbuka" in today  # open incidents, with the oldest
    assert "Gawat" in page.split("Hari ini")[1].split("</h2>")[0]  # the day's level, in words
    assert "Kode wilayah" in page  # the static facts stay, folded away
