"""The application kind agrees with the age on the regency's day: a "Pemula (17 tahun)"
application for someone born in 1995 is refused, on the form and in the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.applications.kinds import age_on, check_kind_agrees
from siaga_platform.applications.models import Application, Reason
from siaga_platform.auth.principal import Role
from siaga_platform.errors import InvalidInput
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.applications import nik_for
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
BASE = "/wilayah/62.12/permohonan"
DAY = date(2026, 12, 2)


def test_age_counts_whole_years_on_the_day() -> None:
    assert age_on(date(2009, 12, 2), DAY) == 17
    assert age_on(date(2009, 12, 3), DAY) == 16
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 3, 1)) == 17


@pytest.mark.parametrize(
    ("born", "refused"),
    [
        (date(1995, 8, 17), True),  # 31
        (date(2004, 12, 2), True),  # 22
        (date(2005, 12, 3), False),  # 20
        (date(2009, 12, 2), False),  # 17 today
        (date(2010, 12, 2), False),  # 16: recorded, printed at 17
        (date(2010, 12, 3), True),  # 15
    ],
)
def test_a_first_card_needs_the_first_card_age(born: date, refused: bool) -> None:
    if refused:
        with pytest.raises(InvalidInput) as error:
            check_kind_agrees(Reason.FIRST_CARD, birth_date=born, today=DAY)
        assert error.value.field == "reason"
        assert "tahun" in error.value.message
    else:
        check_kind_agrees(Reason.FIRST_CARD, birth_date=born, today=DAY)
    check_kind_agrees(Reason.LOST, birth_date=born, today=DAY)  # other kinds: any age


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


FORM = {
    "name": "Siti Aminah",
    "birth_place": "Puruk Cahu",
    "birth_date": "1995-08-17",
    "sex": "P",
    "kecamatan_code": "62.12.01",
    "desa": "Beriwit",
    "reason": "first_card",
}


async def test_a_pemula_born_in_1995_is_refused_on_the_form_and_in_the_api(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    page = await client.get(f"{BASE}/baru")
    csrf = csrf_from(page.text)
    answer = await client.post(
        BASE, data={**FORM, "nik": nik_for(1, female=True), "csrf_token": csrf}
    )
    assert answer.status_code == 422
    assert 'data-field="reason"' in answer.text
    assert "Jenis Pemula (17 tahun) hanya untuk pemohon berumur 16–21 tahun" in answer.text
    assert "Siti Aminah" in answer.text  # the form comes back filled in
    api = await client.post(
        "/api/v1/applications",
        headers={"X-CSRF-Token": csrf},
        json={**FORM, "nik": nik_for(2, female=True)},
    )
    assert api.status_code == 422 and api.json()["field"] == "reason"
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 0
    lost = await client.post(
        BASE, data={**FORM, "reason": "lost", "nik": nik_for(3, female=True), "csrf_token": csrf}
    )
    assert lost.status_code == 303
