"""The stock ledger: arithmetic over every kind, counts, reversals, never below zero under
concurrency, atomic loans, figures with controlled time, isolation and bad input."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from siaga_platform.auth.principal import Principal, Role
from siaga_platform.errors import Conflict, DomainError, Forbidden, InvalidInput
from siaga_platform.stock import figures, ledger, loans, repository
from siaga_platform.stock.models import (
    Custody,
    EntryKind,
    Item,
    LedgerEntry,
    Loan,
    SpoilageReason,
)
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import local_date
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


async def _in(db: ScratchDatabase, who: Principal):  # type: ignore[no-untyped-def]
    session = db.session_factory()
    await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
    return session


async def _receive(db: ScratchDatabase, who: Principal, quantity: int, day: date = TODAY) -> None:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await ledger.receive(
            session,
            who,
            item=Item.BLANK_CARD,
            quantity=quantity,
            reference="KEMENDAGRI/BLANKO/2026/11",
            business_date=day,
            today=TODAY,
            now=NOW,
        )


async def _on_hand(db: ScratchDatabase, who: Principal, item: Item = Item.BLANK_CARD) -> int:
    async with await _in(db, who) as session:
        found = await repository.balance(session, item)
        return found.on_hand if found else 0


async def test_ledger_arithmetic_receipt_spoilage_print_count_and_reversal(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    await _receive(db, who, 100, TODAY - timedelta(days=5))
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await ledger.receive(
            session,
            who,
            item=Item.RIBBON,
            quantity=1,
            reference="R-1",
            business_date=TODAY - timedelta(days=5),
            today=TODAY,
            now=NOW,
        )
        await ledger.spoil(
            session,
            who,
            quantity=3,
            reason=SpoilageReason.LAMINATE_DEFECT,
            custody=Custody.HELD,
            note=None,
            business_date=TODAY - timedelta(days=2),
            today=TODAY,
            now=NOW,
        )
        stock = ledger.LedgerCardStock(local_date)
        for _ in range(7):
            await stock.take_for_print(
                session,
                tenant_id=who.tenant_id,
                application_id=uuid.uuid4(),
                actor="t",
                now=NOW,  # type: ignore[arg-type]
            )
    assert await _on_hand(db, who) == 90
    assert await _on_hand(db, who, Item.RIBBON) == 500 - 7  # one ribbon = 500 prints
    # Stock opname: 88 counted, the variance −2 is written, the count becomes the balance.
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        counted = await ledger.count(
            session,
            who,
            item=Item.BLANK_CARD,
            counted=88,
            note="opname bulanan",
            today=TODAY,
            now=NOW,
        )
        assert (counted.quantity, counted.counted, counted.balance_after) == (-2, 88, 88)
    # A receipt recorded twice is corrected by a reversal, never edited.
    await _receive(db, who, 50)
    async with await _in(db, who) as session:
        wrong = (await repository.entries(session, Item.BLANK_CARD, kinds=[EntryKind.RECEIPT]))[0]
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        reversal = await ledger.reverse(
            session, who, wrong.id, reason="tercatat dua kali", today=TODAY, now=NOW
        )
        assert reversal.quantity == -50 and reversal.reverses_id == wrong.id
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        with pytest.raises(Conflict):
            await ledger.reverse(session, who, wrong.id, reason="lagi", today=TODAY, now=NOW)
    assert await _on_hand(db, who) == 88
    async with await _in(db, who) as session:
        assert (
            await repository.on_hand_at(session, Item.BLANK_CARD, TODAY - timedelta(days=3)) == 100
        )
        assert (
            await repository.on_hand_at(session, Item.BLANK_CARD, TODAY - timedelta(days=2)) == 97
        )
        assert await repository.on_hand_at(session, Item.BLANK_CARD, TODAY) == 88
        # The running balance on the card ends at the balance.
        newest = (await repository.entries(session, Item.BLANK_CARD))[0]
        assert newest.balance_after == 88
    # The ledger itself refuses edits.
    async with await _in(db, who) as session:
        entry = await session.scalar(select(LedgerEntry).limit(1))
        assert entry is not None
        entry.quantity = 1000
        with pytest.raises(Exception, match="append-only"):
            await session.flush()


async def test_a_print_without_card_or_ribbon_is_refused_offering_a_letter(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    stock = ledger.LedgerCardStock(local_date)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        with pytest.raises(ledger.OutOfStock, match="surat keterangan"):
            await stock.take_for_print(
                session,
                tenant_id=who.tenant_id,
                application_id=uuid.uuid4(),
                actor="t",
                now=NOW,  # type: ignore[arg-type]
            )
    await _receive(db, who, 5)  # cards, but no ribbon: still refused, the card is not taken
    with pytest.raises(ledger.OutOfStock, match="Ribbon"):  # the whole print rolls back
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            await stock.take_for_print(
                session,
                tenant_id=who.tenant_id,
                application_id=uuid.uuid4(),
                actor="t",
                now=NOW,  # type: ignore[arg-type]
            )
    assert await _on_hand(db, who) == 5


async def test_fifty_concurrent_prints_against_ten_cards_take_exactly_ten(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    await _receive(db, who, 10)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await ledger.receive(
            session,
            who,
            item=Item.RIBBON,
            quantity=1,
            reference="R-1",
            business_date=TODAY,
            today=TODAY,
            now=NOW,
        )
    stock = ledger.LedgerCardStock(local_date)

    async def one() -> bool:
        try:
            async with unit_of_work(db.session_factory) as session:
                await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
                await stock.take_for_print(
                    session,
                    tenant_id=who.tenant_id,
                    application_id=uuid.uuid4(),
                    actor="t",
                    now=NOW,  # type: ignore[arg-type]
                )
            return True
        except ledger.OutOfStock:
            return False

    results = await asyncio.gather(*(one() for _ in range(50)))
    assert sum(results) == 10
    assert await _on_hand(db, who) == 0
    async with await _in(db, who) as session:
        taken = await repository.entries(session, Item.BLANK_CARD, kinds=[EntryKind.CONSUMPTION])
        assert len(taken) == 10 and sorted(e.balance_after for e in taken) == list(range(10))
        balance = await repository.balance(session, Item.BLANK_CARD)
        assert balance is not None and balance.out_since is not None


async def _two_regencies(db: ScratchDatabase) -> tuple[Principal, Principal, Principal]:
    await seed(db)
    lender, borrower = await operator(db, "62.01"), await operator(db, "62.12")
    async with db.session_factory() as session:
        ids = frozenset(t.id for t in await tenants.list_in_province(session, "62"))
    supervisor = Principal(
        subject="test-supervisor-62",
        display_name="Supervisor",
        role=Role.SUPERVISOR_PROVINSI,
        province_code="62",
        province_tenant_ids=ids,
    )
    return lender, borrower, supervisor


async def _ask(
    db: ScratchDatabase, borrower: Principal, lender: Principal, quantity: int
) -> uuid.UUID:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(borrower.tenant_id))  # type: ignore[arg-type]
        return await loans.ask(
            session,
            borrower,
            lender=lender.tenant_id,
            lender_province="62",  # type: ignore[arg-type]
            quantity=quantity,
            note="blanko habis",
            now=NOW,
        )


async def _decide(
    db: ScratchDatabase, who: Principal, loan_id: uuid.UUID, approve: bool = True
) -> None:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.read_only(who.province_tenant_ids))
        await loans.decide(
            session,
            who,
            loan_id,
            province_code="62",
            approve=approve,
            business_date=TODAY,
            now=NOW,
        )


async def test_an_approved_loan_moves_both_sides_and_a_failed_one_neither(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    lender, borrower, supervisor = await _two_regencies(db)
    await _receive(db, lender, 300)
    # Halfway: the lender's loan-out is written, then the process "dies" before the loan-in.
    loan_id = await _ask(db, borrower, lender, 100)
    real_record = loans.record
    calls = 0

    async def dies_on_second(*args: object, **kwargs: object) -> LedgerEntry:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed halfway")
        return await real_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loans, "record", dies_on_second)
    with pytest.raises(RuntimeError):
        await _decide(db, supervisor, loan_id)
    monkeypatch.setattr(loans, "record", real_record)
    assert (await _on_hand(db, lender), await _on_hand(db, borrower)) == (300, 0)
    # The supervisor of another province cannot decide it; the one of this province can.
    other = Principal(
        subject="s63",
        display_name="S",
        role=Role.SUPERVISOR_PROVINSI,
        province_code="63",
        province_tenant_ids=frozenset({uuid.uuid4()}),
    )
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.read_only(supervisor.province_tenant_ids))
        with pytest.raises(Forbidden):
            await loans.decide(
                session,
                other,
                loan_id,
                province_code="62",
                approve=True,
                business_date=TODAY,
                now=NOW,
            )
    await _decide(db, supervisor, loan_id)
    assert (await _on_hand(db, lender), await _on_hand(db, borrower)) == (200, 100)
    with pytest.raises(Conflict):
        await _decide(db, supervisor, loan_id)
    # More than the lender has: refused, and again neither side moved.
    too_much = await _ask(db, borrower, lender, 500)
    with pytest.raises(Conflict) as short:
        await _decide(db, supervisor, too_much)
    # Said in the supervisor's terms, not the print refusal's ("terbitkan surat keterangan").
    assert "Stok pemberi pinjaman tinggal 200 lembar, kurang dari 500" in short.value.message
    assert (await _on_hand(db, lender), await _on_hand(db, borrower)) == (200, 100)
    # Each side sees its own copy of the loan; the lender does not see the borrower's ledger.
    async with await _in(db, lender) as session:
        copies = (await session.scalars(select(Loan))).all()
        assert {c.side for c in copies} == {"lender"}
        kinds = {e.kind for e in await repository.entries(session, Item.BLANK_CARD)}
        assert EntryKind.LOAN_IN not in kinds and EntryKind.LOAN_OUT in kinds


async def _print_daily(
    db: ScratchDatabase, who: Principal, start: date, days: range, *, per_day: int
) -> None:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        for offset in days:
            await ledger.record(
                session,
                tenant_id=who.tenant_id,  # type: ignore[arg-type]
                item=Item.BLANK_CARD,
                kind=EntryKind.CONSUMPTION,
                quantity=-per_day,
                business_date=start + timedelta(days=offset),
                actor="t",
                now=NOW,
            )


async def test_stock_out_days_and_cover_with_a_stock_out_inside_the_window(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    start = TODAY - timedelta(days=29)
    await _receive(db, who, 100, start)
    # 10 a day for 10 days: out of stock at the end of day 10, for 10 days, then 100 in.
    await _print_daily(db, who, start, range(10), per_day=10)
    await _receive(db, who, 100, start + timedelta(days=20))
    await _print_daily(db, who, start, range(20, 30), per_day=5)
    async with await _in(db, who) as session:
        result = await figures.figures(session, today=TODAY, low_stock_days=14)
    # Days 9..19 ended at zero (day 9 took the last ten): 11 stock-out days.
    assert result.stock_out_days == 11
    # 150 printed over the 19 days in stock, not over 30: the stock-out does not dilute demand.
    assert result.average_daily_consumption == pytest.approx(150 / 19)
    assert result.on_hand == 50
    assert result.days_of_cover == pytest.approx(50 / (150 / 19))
    assert result.projected_stock_out == TODAY + timedelta(days=6)
    assert result.low  # 6.3 days of cover < 14


def test_the_loan_suggestion_goes_from_most_cover_to_those_out_of_stock() -> None:
    rich, middling, out = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    suggestions = figures.suggest_loans(
        {
            rich: figures.Standing(3000, 10.0),
            middling: figures.Standing(300, 10.0),
            out: figures.Standing(0, 20.0),
        },
        keep_days=14,
    )
    assert [(s.lender, s.borrower) for s in suggestions] == [(rich, out)]
    assert suggestions[0].quantity == 280  # two weeks of the borrower's own demand


async def test_bad_input_is_refused_with_the_field_named(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        cases = [
            (
                "quantity",
                ledger.receive(
                    session,
                    who,
                    item=Item.BLANK_CARD,
                    quantity=0,
                    reference="X",
                    business_date=TODAY,
                    today=TODAY,
                    now=NOW,
                ),
            ),
            (
                "quantity",
                ledger.receive(
                    session,
                    who,
                    item=Item.BLANK_CARD,
                    quantity=-5,
                    reference="X",
                    business_date=TODAY,
                    today=TODAY,
                    now=NOW,
                ),
            ),
            (
                "reference",
                ledger.receive(
                    session,
                    who,
                    item=Item.BLANK_CARD,
                    quantity=5,
                    reference="  ",
                    business_date=TODAY,
                    today=TODAY,
                    now=NOW,
                ),
            ),
            (
                "business_date",
                ledger.receive(
                    session,
                    who,
                    item=Item.BLANK_CARD,
                    quantity=5,
                    reference="X",
                    business_date=TODAY + timedelta(days=1),
                    today=TODAY,
                    now=NOW,
                ),
            ),
            (
                "serial_to",
                ledger.receive(
                    session,
                    who,
                    item=Item.BLANK_CARD,
                    quantity=5,
                    reference="X",
                    business_date=TODAY,
                    today=TODAY,
                    now=NOW,
                    serial_from="1001",
                    serial_to="1100",
                ),
            ),
            (
                "counted",
                ledger.count(
                    session, who, item=Item.BLANK_CARD, counted=-1, note=None, today=TODAY, now=NOW
                ),
            ),
            (
                "quantity",
                ledger.spoil(
                    session,
                    who,
                    quantity=0,
                    reason=SpoilageReason.OTHER,
                    custody=Custody.HELD,
                    note=None,
                    business_date=TODAY,
                    today=TODAY,
                    now=NOW,
                ),
            ),
        ]
        for field, call in cases:
            with pytest.raises(InvalidInput) as refused:
                await call
            assert refused.value.field == field
    assert await _on_hand(db, who) == 0


async def test_another_regencys_ledger_is_invisible(db: ScratchDatabase) -> None:
    await seed(db)
    mine, theirs = await operator(db, "62.12"), await operator(db, "62.01")
    await _receive(db, theirs, 40)
    async with await _in(db, mine) as session:
        assert await repository.entries(session, Item.BLANK_CARD) == []
        assert await repository.balance(session, Item.BLANK_CARD) is None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(mine.tenant_id))  # type: ignore[arg-type]
        async with await _in(db, theirs) as other:
            entry_id = (await repository.entries(other, Item.BLANK_CARD))[0].id
        with pytest.raises(DomainError):  # 404: not found from here
            await ledger.reverse(session, mine, entry_id, reason="x", today=TODAY, now=NOW)
