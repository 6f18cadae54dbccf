"""What every answer carries (headers, caching, cookies) and what no request may exceed
(body size, cross-site origin, an upload read before sign-in)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR_MURA = demo_subject(Role.OPERATOR, "62.12")
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "siaga_web" / "templates"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["permissions-policy"]


async def test_every_answer_carries_the_security_headers_and_no_store(
    client: httpx.AsyncClient,
) -> None:
    signin_page = await client.get("/masuk")
    missing = await client.get("/tidak-ada")
    api_refusal = await client.get("/api/v1/applications")
    await sign_in(client, OPERATOR_MURA)
    office = await client.get("/wilayah/62.12/permohonan/")
    for response in (signin_page, missing, api_refusal, office):
        assert_security_headers(response)
        assert response.headers["cache-control"] == "no-store", response.request.url
    assert "strict-transport-security" not in office.headers  # development: plain http


async def test_production_adds_hsts(db: ScratchDatabase) -> None:
    app = build_app(
        db,
        environment="production",
        database_url="postgresql+psycopg://siaga@127.0.0.1/siaga",
        secret_key="Zq8v1WnR3tYpL6sK0aXcB9mE2hJ5uD7gF4iO",
        field_keys="k1:" + "A" * 43 + "=",
        search_key="S" * 40,
        dev_sign_in=False,
        base_url="https://siaga.kalteng.go.id",
    )
    async with client_for(app) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_the_public_stock_notice_is_cacheable_and_carries_no_session(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, OPERATOR_MURA)
    response = await client.get("/publik/62.12/blanko")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "set-cookie" not in response.headers
    assert "csrf_token" not in response.text and "X-CSRF-Token" not in response.text
    assert "Operator" not in response.text  # nobody's name in a page a proxy may keep
    assert_security_headers(response)


async def test_a_post_from_another_site_is_refused_even_with_the_token(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/masuk")
    token = csrf_from(page.text)
    form = {"lang": "en", "next": "/masuk", "csrf_token": token}
    foreign = await client.post("/bahasa", data=form, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "situs lain" in foreign.text
    by_referer = await client.post(
        "/bahasa", data=form, headers={"Referer": "https://evil.example/form"}
    )
    assert by_referer.status_code == 403
    own = await client.post("/bahasa", data=form, headers={"Origin": "http://testserver"})
    assert own.status_code == 303
    published = await client.post("/bahasa", data=form, headers={"Origin": "http://127.0.0.1:8000"})
    assert published.status_code == 303  # the base URL the office publishes


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    beat = b'{"taken_at": "2026-12-01T00:00:00Z", "status": "ok", "readings": {"x": "'
    body = beat + b"a" * 100_000 + b'"}}'
    response = await client.post(
        "/api/v1/heartbeats",
        content=body,
        headers={"content-type": "application/json", "x-device-token": "t"},
    )
    assert response.status_code == 413
    assert "terlalu besar" in response.json()["detail"]
    page_form = await client.post("/bahasa", content=b"lang=" + b"x" * 200_000)
    assert page_form.status_code == 413 and "terlalu besar" in page_form.text


async def test_a_streamed_body_over_the_limit_is_cut_off(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"taken_at": "2026-12-01T00:00:00Z", "status": "ok", "readings": {"x": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}}'

    response = await client.post(
        "/api/v1/heartbeats",
        content=chunks(),
        headers={"content-type": "application/json", "x-device-token": "t"},
    )
    assert response.status_code == 413


async def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def upload() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(20 * 1024):  # 20 MiB, under the import limit
            sent += 1
            yield b"x" * 1024
        yield b"\r\n--b--\r\n"

    for path in ("/wilayah/62.12/permohonan/impor/", "/api/v1/applications/imports"):
        sent = 0
        response = await client.post(
            path, content=upload(), headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert response.status_code in (303, 401, 403), path  # 303: sent to sign in
        assert sent < 64, f"{path} read {sent} KiB before refusing"


async def test_a_signed_in_operator_still_imports(client: httpx.AsyncClient) -> None:
    await sign_in(client, OPERATOR_MURA)
    page = await client.get("/wilayah/62.12/permohonan/impor/")
    response = await client.post(
        "/wilayah/62.12/permohonan/impor/",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("kosong.csv", b"nik,nama\n", "text/csv")},
    )
    assert response.status_code in (303, 422), response.text
    missing_file = await client.post(
        "/wilayah/62.12/permohonan/impor/", data={"csrf_token": csrf_from(page.text)}
    )
    assert missing_file.status_code == 422 and "Pilih berkas" in missing_file.text


def test_templates_hold_no_inline_script_or_style() -> None:
    """The CSP allows scripts and styles from files only: nothing inline may creep back."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"|javascript:|hx-on"
    )
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in inline.finditer(path.read_text("utf-8"))
    ]
    assert offenders == []
