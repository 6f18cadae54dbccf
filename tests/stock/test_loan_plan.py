"""The loan suggestion weighs what each regency owes: a regency whose waiting-to-print backlog
exceeds its stock never lends; pending loans and promised deliveries from the centre count; a
proposal shows as proposed, once, and is not suggested again; the supervisor picks lender and
quantity freely; an approval the lender cannot cover is refused on the province page."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from siaga_platform.auth.principal import Role
from siaga_platform.stock.figures import Standing, suggest_loans
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in
from tests.rollup.test_pages import suggestion

SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
PROVINCE = "/provinsi/62"


def test_a_regency_whose_backlog_exceeds_its_stock_never_lends() -> None:
    mura, empty, rich = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    standing = {
        # Just received 699 cards, 2,373 records waiting: it borrows, it does not lend.
        mura: Standing(on_hand=699, daily_rate=17.0, waiting_print=2373),
        empty: Standing(on_hand=0, daily_rate=5.0),
        rich: Standing(on_hand=5000, daily_rate=20.0, waiting_print=40),
    }
    suggestions = suggest_loans(standing, keep_days=14)
    assert {s.lender for s in suggestions} == {rich}
    to_mura = sum(s.quantity for s in suggestions if s.borrower == mura)
    assert to_mura == 2373 + 17 * 14 - 699  # what it owes, two weeks more, less what it has
    # The lender keeps its waiting records and two weeks of its own rate.
    assert sum(s.quantity for s in suggestions) <= 5000 - 40 - 20 * 14


def test_pending_loans_and_promised_deliveries_count() -> None:
    out, lender = uuid.uuid4(), uuid.uuid4()
    need = Standing(on_hand=0, daily_rate=10.0, waiting_print=100)
    [first] = suggest_loans({out: need, lender: Standing(5000, 10.0)})
    assert first.quantity == 100 + 140
    # A loan of 200 already pending (in for one, out for the other), and 40 promised.
    covered = Standing(on_hand=0, daily_rate=10.0, waiting_print=100, incoming=240)
    assert suggest_loans({out: covered, lender: Standing(5000, 10.0, outgoing=200)}) == []
    # A lender whose pending loans out eat its spare lends nothing more.
    assert suggest_loans({out: need, lender: Standing(500, 10.0, outgoing=400)}) == []


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        yield client


def _ids(html: str) -> dict[str, str]:
    """Regency name → tenant id, from the free proposal's lender list."""
    form = html[html.index("Usulkan pinjaman lain") :]
    form = form[: form.index("</select>")]
    return {
        name: tid for tid, name in re.findall(r'<option value="([0-9a-f-]{36})">([^<]+)<', form)
    }


def _suggested_to(html: str) -> dict[str, int]:
    """Borrower → the cards suggested for it in all."""
    block = html[html.index('<ul class="suggestions">') :]
    block = block[: block.index("</ul>")]
    total: dict[str, int] = {}
    for item in block.split("</li>")[:-1]:
        borrower = re.search(r'name="borrower" value="([0-9a-f-]{36})"', item)
        quantity = re.search(r'name="quantity" min="1" value="(\d+)"', item)
        assert borrower and quantity
        total[borrower.group(1)] = total.get(borrower.group(1), 0) + int(quantity.group(1))
    return total


async def test_proposed_once_free_choice_and_an_uncoverable_approval_said_on_the_page(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, SUPERVISOR)
    page = await client.get(PROVINCE)
    token = csrf_from(page.text)
    first = suggestion(page.text)
    before = _suggested_to(page.text)
    made = await client.post(
        f"{PROVINCE}/stok/usul-pinjaman",
        data={"csrf_token": token, **first, "next": "/provinsi/62#pinjaman"},
    )
    assert made.status_code == 303
    page = await client.get(PROVINCE)
    pending = re.findall(r'<li id="pinjaman-([0-9a-f-]{36})">(.*?)</li>', page.text, re.S)
    assert len(pending) == 1 == len({loan_id for loan_id, _ in pending})  # shown once
    assert "diusulkan provinsi" in pending[0][1]
    # Not suggested again: what is suggested for that borrower drops by what was proposed.
    after = _suggested_to(page.text) if 'class="suggestions"' in page.text else {}
    assert after.get(first["borrower"], 0) == before[first["borrower"]] - int(first["quantity"])
    # The same proposal sent again (a second tab, a colleague's page) makes no second loan.
    again = await client.post(
        f"{PROVINCE}/stok/usul-pinjaman",
        data={"csrf_token": token, **first, "next": "/provinsi/62#pinjaman"},
    )
    assert again.status_code == 303
    page = await client.get(PROVINCE)
    assert "sudah diusulkan dan menunggu keputusan" in page.text
    assert len(re.findall(r'<li id="pinjaman-', page.text)) == 1

    # The supervisor chooses lender and quantity freely: Sukamara lends more than it holds.
    ids = _ids(page.text)
    free = await client.post(
        f"{PROVINCE}/stok/usul-pinjaman",
        data={
            "csrf_token": token,
            "lender": ids["Kabupaten Sukamara"],
            "borrower": ids["Kabupaten Murung Raya"],
            "quantity": "900000",
            "next": "/provinsi/62#pinjaman",
        },
    )
    assert free.status_code == 303
    page = await client.get(PROVINCE)
    loans = dict(re.findall(r'<li id="pinjaman-([0-9a-f-]{36})">(.*?)</li>', page.text, re.S))
    [big] = [loan_id for loan_id, text in loans.items() if "900.000" in text]
    assert "Stok pemberi tinggal" in loans[big] and "belum bisa dipenuhi" in loans[big]
    decided = await client.post(
        f"{PROVINCE}/stok/pinjaman/{big}",
        data={"csrf_token": token, "decision": "setujui", "next": "/provinsi/62#pinjaman"},
    )
    assert decided.status_code == 303 and decided.headers["location"] == "/provinsi/62#pinjaman"
    page = await client.get(PROVINCE)
    message = re.search(
        r'<p class="banner bad" role="alert" id="pesan-pinjaman">(.*?)</p>', page.text
    )
    assert message and "Stok pemberi pinjaman tinggal" in message.group(1)
    assert "surat keterangan" not in message.group(1)  # not the print refusal's dead end
    assert f'id="pinjaman-{big}"' in page.text  # still pending: nothing moved
    shown_once = await client.get(PROVINCE)
    assert 'id="pesan-pinjaman"' not in shown_once.text
