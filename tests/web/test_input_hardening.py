"""Hardening (issue 16): what a request may carry. Control characters in text, quantities
beyond what an office can hold, other tenants' ids, the province in the path; on both
databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.applications.models import Application
from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import nik_for, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
BASE = "/wilayah/62.12/permohonan"


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _signed_in(client: httpx.AsyncClient, subject: str, page: str) -> dict[str, str]:
    await sign_in(client, subject)
    return {"X-CSRF-Token": csrf_from((await client.get(page)).text)}


async def _applications(db: ScratchDatabase) -> int:
    who = await operator(db)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        return int(await session.scalar(select(func.count()).select_from(Application)) or 0)


def _application(**changes: str) -> dict[str, str]:
    return {
        "nik": nik_for(7),
        "name": "Agus Salim",
        "birth_place": "Puruk Cahu",
        "birth_date": "1995-08-17",
        "sex": "L",
        "kecamatan_code": "62.12.01",
        "desa": "Beriwit",
        "reason": "lost",
        **changes,
    }


# -- 1. control characters ---------------------------------------------------------------


async def test_control_characters_in_json_text_are_refused_naming_the_field(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, BASE)
    for name in ("Agus\x00Salim", "Agus\x1bSalim", "Agus\x07"):
        answer = await client.post(
            "/api/v1/applications", headers=headers, json=_application(name=name)
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "name" and "karakter kontrol" in answer.json()["detail"]
    site = await client.post(
        "/api/v1/sites", headers=headers, json={"name": "Kantor\x00", "kind": "office"}
    )
    assert site.status_code == 422 and site.json()["field"] == "name"
    assert await _applications(db) == 0


async def test_control_characters_in_forms_and_query_strings_are_refused(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    headers = await _signed_in(client, OPERATOR, BASE)
    token = headers["X-CSRF-Token"]
    form = await client.post(
        BASE, data={**_application(birth_place="Puruk\x00Cahu"), "csrf_token": token}
    )
    assert form.status_code == 422 and "birth_place" in form.text
    assert await _applications(db) == 0
    page = await client.get(BASE, params={"kecamatan": "a\x00b"})
    assert page.status_code == 422 and "kecamatan" in page.text
    api = await client.get("/api/v1/applications", params={"kecamatan": "a\x00b"})
    assert api.status_code == 422 and api.json()["field"] == "kecamatan"
    incident = await client.post(
        "/wilayah/62.12/perangkat/kejadian",
        data={"title": "Server\x00mati", "cause": "power", "csrf_token": token},
    )
    assert incident.status_code == 422 and "title" in incident.text
    address = await client.get("/publik/62%0012/blanko")
    assert address.status_code == 404
    upload = await client.post(
        f"{BASE}/impor/",
        data={"csrf_token": token},
        files={"file": ("impor\x01.csv", b"nik\n", "text/csv")},
    )
    assert upload.status_code == 422


async def test_tabs_and_line_breaks_stay_allowed(client: httpx.AsyncClient) -> None:
    headers = await _signed_in(client, OPERATOR, "/wilayah/62.12/stok")
    answer = await client.post(
        "/wilayah/62.12/stok/usulan",
        data={
            "quantity": "100",
            "note": "baris satu\r\nbaris dua\tdengan tab",
            "csrf_token": headers["X-CSRF-Token"],
        },
    )
    assert answer.status_code == 303, answer.text
