"""Days of cover that hold with little history and weigh the records waiting to print: Murung
Raya's 699 cards against 2,373 waiting are 0 days of cover, on the stock page, the province
page and its CSV alike (stock/figures.derive is the one place cover is computed)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from siaga_platform.auth.principal import Role
from siaga_platform.stock import figures, ledger
from siaga_platform.stock.models import Item
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.registry.service import local_date
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, sign_in

TODAY = date(2026, 12, 2)


def _derive(**given: int) -> figures.StockFigures:
    base = {"consumed": 0, "spoiled": 0, "out_days": 0, "waiting_print": 0, "arrived": 0}
    return figures.derive(
        **{**base, **given},  # type: ignore[arg-type]
        out_since=None,
        window=30,
        today=TODAY,
        low_stock_days=14,
    )


def test_one_printed_card_after_a_stock_out_is_not_699_days_of_cover() -> None:
    # The case: 1 card printed on the one day in stock, 2,373 waiting, 699 on hand.
    mura = _derive(on_hand=699, consumed=1, out_days=29, waiting_print=2373, arrived=510)
    assert mura.days_of_cover == 0 and mura.projected_stock_out == TODAY and mura.low
    assert mura.owed_beyond_stock == 2373 - 699
    # Without the backlog, the demand (510 PRR in 30 days = 17 a day) still beats one card.
    fresh = _derive(on_hand=699, consumed=1, out_days=29, arrived=510)
    assert fresh.daily_rate == pytest.approx(17.0)
    assert fresh.days_of_cover == pytest.approx(699 / 17)


def test_cover_counts_what_is_left_after_the_waiting_records() -> None:
    steady = _derive(on_hand=1000, consumed=300, waiting_print=100, arrived=300)
    assert steady.daily_rate == pytest.approx(10.0)
    assert steady.days_of_cover == pytest.approx(90.0) and not steady.low
    unknown = _derive(on_hand=500)  # nothing printed, nothing arriving: cover unknown
    assert unknown.days_of_cover is None and not unknown.low
    empty = _derive(on_hand=0, waiting_print=5)
    assert empty.days_of_cover == 0 and empty.low


async def test_murung_raya_with_699_cards_and_its_backlog_has_no_cover(
    db: ScratchDatabase,
) -> None:
    await seed_whole_demo(db)
    who = await operator(db, "62.12")
    now = datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        today = await local_date(session, who.tenant_id, now)  # type: ignore[arg-type]
        await ledger.receive(
            session,
            who,
            item=Item.BLANK_CARD,
            quantity=699,
            reference="KEMENDAGRI/BLANKO/2026/12",
            business_date=today,
            today=today,
            now=now,
        )
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        card = await figures.figures(session, today=today, low_stock_days=14)
    assert card.on_hand == 699 and card.waiting_print > 699
    assert card.days_of_cover == 0 and card.projected_stock_out == today and card.low

    async with client_for(build_app(db)) as client:
        await sign_in(client, demo_subject(Role.SUPERVISOR_PROVINSI, "62"))
        page = await client.get("/provinsi/62")
        row = page.text[page.text.index('id="wilayah-62.12"') :]
        row = row[: row.index("</tr>")]
        text = " ".join(re.sub(r"<[^>]+>", " ", row).split())  # what the reader sees
        assert "699 keping cukup 0 hari" in text
        assert f"kurang {card.owed_beyond_stock:,}".replace(",", ".") in row
        exported = await client.get("/provinsi/62/ekspor.csv")
        table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        column = table[0].index("Cukup untuk (hari)")
        assert next(r for r in table if r[0] == "62.12")[column] == "0"
        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        stock_page = await client.get("/wilayah/62.12/stok")
        assert stock_page.status_code == 200
        assert "Cukup untuk (setelah yang menunggu cetak)</dt><dd>0 hari" in stock_page.text
