"""The election pages on the seeded demo: an election 60 days ahead in Kalimantan Tengah with
Murung Raya worst; who may open and set what; exports equal to the page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from openpyxl import load_workbook

from siaga_platform.auth.principal import Role
from siaga_platform.elections import service
from siaga_tenants.demo.elections import DAYS_AHEAD, DEMO_ELECTION
from siaga_tenants.demo.seed import demo_subject
from tests.elections.helpers import readiness
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
ADMIN = demo_subject(Role.ADMIN_PLATFORM, "platform")
OPERATOR = demo_subject(Role.OPERATOR, "62.12")


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        yield client


def _rows(html: str) -> list[tuple[str, str, str]]:
    """(code, level, turned away) of the election table's rows, in page order."""
    table = html[html.index('<table class="grid rollup election">') :]
    table = table[: table.index("</table>")]
    return [
        (code, level, re.sub(r"\D", "", count))
        for level, code, count in re.findall(
            r'<tr class="row-(\w+)" id="wilayah-([\d.]+)">.*?<strong>([\d.]+)</strong>', table, re.S
        )
    ]


async def _election_link(client: httpx.AsyncClient) -> str:
    listing = await client.get("/provinsi/62/pemilu")
    assert listing.status_code == 200
    assert DEMO_ELECTION in listing.text
    match = re.search(r'href="(/provinsi/62/pemilu/[0-9a-f-]{36})"', listing.text)
    assert match
    return match.group(1)


async def test_demo_election_sixty_days_ahead_with_murung_raya_worst(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, SUPERVISOR)
    assert 'href="/provinsi/62/pemilu"' in (await client.get("/provinsi/62")).text
    link = await _election_link(client)
    page = await client.get(link)
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 14
    code, level, _turned_away = rows[0]
    assert (code, level) == ("62.12", "bad")
    counts = [int(t) for _c, _l, t in rows]
    # The figures shown are the service's, read for the demo's voting day, in its order.
    voting_day = date.today() + timedelta(days=DAYS_AHEAD)
    figures = await readiness(db, voting_day)
    assert [code for code, _l, _t in rows] == [
        r.regency.code for r in service.worst_first(list(figures.values()))
    ]
    assert counts == [figures[code].turned_away for code, _l, _t in rows]
    mura = figures.pop("62.12")
    assert mura.to_renew > 0  # Murung Raya's oldest letters lapse within weeks
    assert mura.shortfall == mura.waiting_print > 2000  # and its print pile has no cards
    assert mura.after_printing > max(r.after_printing for r in figures.values())
    assert mura.shortfall > max(r.shortfall for r in figures.values())

    text = (await client.get(f"{link}/ekspor.csv")).content.decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in exported[1:]] == [c for c, _l, _t in rows]
    assert [int(r[5]) for r in exported[1:]] == counts
    assert int(exported[1][6]) == mura.after_printing
    book = load_workbook(io.BytesIO((await client.get(f"{link}/ekspor.xlsx")).content))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(exported[0])[: len(values[0])]
    assert [v[0] for v in values[1:]] == [c for c, _l, _t in rows]
    assert [v[5] for v in values[1:]] == counts


async def test_who_may_open_and_set_elections(client: httpx.AsyncClient) -> None:
    await sign_in(client, OPERATOR)
    assert (await client.get("/provinsi/62/pemilu")).status_code == 403
    assert (await client.get("/nasional/pemilu")).status_code == 403

    await sign_in(client, SUPERVISOR)
    assert (await client.get("/provinsi/63/pemilu")).status_code == 404
    listing = await client.get("/provinsi/62/pemilu")
    token = csrf_from(listing.text)
    day = (date.today() + timedelta(days=30)).isoformat()
    made = await client.post(
        "/provinsi/62/pemilu",
        data={
            "name": "Pilkada Murung Raya",
            "voting_day": day,
            "wilayah": ["62.12"],
            "csrf_token": token,
        },
    )
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert [c for c, _l, _t in _rows(page.text)] == ["62.12"]
    past = await client.post(
        "/provinsi/62/pemilu",
        data={
            "name": "Kemarin",
            "voting_day": date.today().isoformat(),
            "wilayah": ["62.12"],
            "csrf_token": token,
        },
    )
    assert past.status_code == 422
    national = await client.post(
        "/nasional/pemilu", data={"name": "Pemilu", "voting_day": day, "csrf_token": token}
    )
    assert national.status_code == 403

    await sign_in(client, ADMIN)
    assert 'href="/nasional/pemilu"' in (await client.get("/nasional")).text
    token = csrf_from((await client.get("/nasional/pemilu")).text)
    made = await client.post(
        "/nasional/pemilu", data={"name": "Pemilu Serentak", "voting_day": day, "csrf_token": token}
    )
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert len(_rows(page.text)) == 14  # every regency registered in Siaga (the demo's 14)
    # The supervisor sees the national election from the province too.
    election_id = made.headers["location"].rsplit("/", 1)[1]
    await sign_in(client, SUPERVISOR)
    assert (await client.get(f"/provinsi/62/pemilu/{election_id}")).status_code == 200
    assert (await client.get(f"/nasional/pemilu/{election_id}")).status_code == 403
