"""One notion of "today" for a regency: the office's own day (WIB/WITA/WIT), never the server's
clock. A 06:00 WIT registration on a UTC server (21:00 the evening before) is dated the regency's
day, in the page, the JSON API and the CSV import alike."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from siaga_platform.applications.models import Application
from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.registry.models import Tenant
from siaga_web import clock
from tests.fixtures.applications import nik_for
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
BASE = "/wilayah/62.12/permohonan"
# 06:00 WIT on 10 March 2026 is 21:00 UTC on 9 March: a UTC server's date.today() says the 9th.
SERVER_NOW = datetime(2026, 3, 9, 21, 0, tzinfo=UTC)
REGENCY_DAY = date(2026, 3, 10)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def client(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with db.session_factory() as session, session.begin():
        # The regency is moved to WIT so the office's morning is the UTC server's evening.
        await session.execute(update(Tenant).where(Tenant.code == "62.12").values(timezone="WIT"))
    monkeypatch.setattr(clock, "now", lambda: SERVER_NOW)  # the requests' one clock
    async with client_for(build_app(db)) as client:
        yield client


async def _registered_on(db: ScratchDatabase) -> list[date]:
    async with db.session_factory() as session, session.begin():
        tenant = await session.scalar(select(Tenant).where(Tenant.code == "62.12"))
        assert tenant is not None
        await enter_scope(session, TenantScope.single(tenant.id))
        return list(await session.scalars(select(Application.registered_on)))


def _form(nik: str, csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "nik": nik,
        "name": "Agus Salim",
        "birth_place": "Puruk Cahu",
        "birth_date": "1995-08-17",
        "sex": "L",
        "kecamatan_code": "62.12.01",
        "desa": "Beriwit",
        "reason": "lost",
    }


async def test_a_0600_wit_registration_lands_on_the_regencys_day(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/baru")
    answer = await client.post(BASE, data=_form(nik_for(1), csrf_from(page.text)))
    assert answer.status_code == 303, answer.text
    assert await _registered_on(db) == [REGENCY_DAY]

    body = {k: v for k, v in _form(nik_for(2), "").items() if k != "csrf_token"}
    created = await client.post(
        "/api/v1/applications", headers={"X-CSRF-Token": csrf_from(page.text)}, json=body
    )
    assert created.status_code == 201, created.text
    assert created.json()["registered_on"] == REGENCY_DAY.isoformat()


def test_no_server_clock_dates_in_the_packages() -> None:
    """Business dates come from ``local_day``/``local_date`` (siaga_tenants.registry.service)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("platform", "tenants", "web")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bdate\.today\(\)|datetime\.now\(\)|datetime\.today\(\)", line)
    ]
    assert offenders == []
