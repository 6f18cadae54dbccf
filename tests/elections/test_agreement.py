"""The readiness figures agree with a recomputation from the raw tables (applications,
letters, ledger, loans, requests to the centre) after a random sequence of events in several
regencies, for voting days near, far and on the letters' own last days."""

from __future__ import annotations

import contextlib
import math
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from siaga_platform.applications.models import Application
from siaga_platform.applications.statuses import WAITING_PRINT, Status
from siaga_platform.auth.principal import Principal
from siaga_platform.elections.service import HANDOVER_DAYS, NEEDS_COVER
from siaga_platform.errors import DomainError
from siaga_platform.letters import service as letters
from siaga_platform.letters.models import Letter, LetterReason
from siaga_platform.stock import centre_requests, figures, ledger, loans
from siaga_platform.stock.models import Item, LedgerEntry, RequestStatus
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import local_date
from tests.elections.helpers import readiness
from tests.fixtures.applications import move as move_application
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import CIPHER, REGIONS, recorded_applicants

CODES = ("62.12", "62.71", "62.03")
NEXT = {
    Status.RECORDED: Status.SENT,
    Status.SENT: Status.RECEIVED,
    Status.RECEIVED: Status.PRR,
    Status.PRR: Status.PRINT_QUEUED,
    Status.PRINT_QUEUED: Status.PRINTED,
    Status.PRINTED: Status.READY,
    Status.READY: Status.ISSUED,
}


async def _today(db: ScratchDatabase, who: Principal, now: datetime) -> date:
    async with db.session_factory() as session:
        return await local_date(session, who.tenant_id, now)  # type: ignore[arg-type]


async def _event(
    db: ScratchDatabase, rng: random.Random, who: Principal, ids: list[uuid.UUID], now: datetime
) -> None:
    today = await _today(db, who, now)
    kind = rng.choice(["move", "move", "issue", "issue", "renew", "revoke", "receive", "print"])
    if kind == "move":
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            app = await session.scalar(select(Application).where(Application.id == rng.choice(ids)))
        assert app is not None
        step = NEXT.get(Status(app.status))
        if step is not None:
            await move_application(db, who, app.id, app.version, step)
        return
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        policy = letter_policy(await tenants.get_settings(session))
        held = (await session.scalars(select(Letter).where(Letter.revoked_at.is_(None)))).all()
        if kind == "issue":
            # Issued on a past day: letters lapse at many dates, some already expired.
            day = today - timedelta(days=rng.randint(0, 220))
            await letters.issue(
                session,
                who,
                CIPHER,
                REGIONS,
                rng.choice(ids),
                reason=LetterReason.NO_BLANK_CARDS,
                note=None,
                policy=policy,
                today=day,
                now=now,
            )
        elif kind in {"renew", "revoke"} and held:
            target = rng.choice(held)
            if kind == "renew":
                await letters.renew(
                    session,
                    who,
                    CIPHER,
                    REGIONS,
                    target.id,
                    expected_version=target.version,
                    policy=policy,
                    today=today,
                    now=now,
                )
            else:
                await letters.revoke(
                    session,
                    who,
                    target.id,
                    expected_version=target.version,
                    reason="salah",
                    today=today,
                    now=now,
                )
        elif kind == "receive":
            await ledger.receive(
                session,
                who,
                item=Item.BLANK_CARD,
                quantity=rng.randint(1, 8),
                reference="SPB",
                business_date=today - timedelta(days=rng.randint(0, 20)),
                today=today,
                now=now,
            )
        elif kind == "print":
            await ledger.record(
                session,
                tenant_id=who.tenant_id,  # type: ignore[arg-type]
                item=Item.BLANK_CARD,
                kind=ledger.EntryKind.CONSUMPTION,
                quantity=-1,
                business_date=today - timedelta(days=rng.randint(0, 20)),
                actor="t",
                now=now,
            )


async def test_readiness_agrees_with_the_raw_tables(db: ScratchDatabase) -> None:
    await seed(db)
    rng = random.Random(2024)  # noqa: S311 - a reproducible sequence of events
    now = datetime.now(UTC)
    people: dict[str, tuple[Principal, list[uuid.UUID]]] = {}
    for serial, code in enumerate(CODES):
        who = await operator(db, code)
        start = rng.choice([Status.RECORDED, Status.RECEIVED, Status.PRR])
        people[code] = (
            who,
            await recorded_applicants(db, who, 8, first_serial=100 * serial + 1, status=start),
        )
    done = 0
    for _ in range(90):
        who, ids = people[rng.choice(CODES)]
        # A refusal (a second letter, nothing to renew, no card) writes nothing.
        with contextlib.suppress(DomainError):
            await _event(db, rng, who, ids, now)
            done += 1
    assert done >= 40

    today = (await readiness(db, now.date() + timedelta(days=2)))["62.12"].regency.today
    raw: dict[str, tuple[list[Application], list[Letter], int, float | None]] = {}
    for code in CODES:
        who, _ids = people[code]
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            apps = list((await session.scalars(select(Application))).all())
            held = list((await session.scalars(select(Letter))).all())
            on_hand = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.quantity), 0)))
            exact = await figures.figures(session, today=today, low_stock_days=14)
        raw[code] = (apps, held, int(on_hand or 0), exact.average_daily_consumption)
    lapses = sorted({letter.valid_until for _a, h, _o, _r in raw.values() for letter in h})
    assert lapses, "the sequence issued letters"
    voting_days = {today + timedelta(days=d) for d in (1, 30, 60, 200)}
    for last in rng.sample(lapses, min(4, len(lapses))):
        voting_days |= {last - timedelta(days=1), last, last + timedelta(days=1)}

    seen_turned_away = seen_renew = 0
    for voting_day in sorted(d for d in voting_days if d > today):
        rows = await readiness(db, voting_day, now=now)
        for code in CODES:
            apps, held, on_hand, rate = raw[code]
            row = rows[code]
            waiting_niks = {a.nik_hash for a in apps if Status(a.status) in NEEDS_COVER}
            covered = {
                letter.nik_hash
                for letter in held
                if letter.revoked_at is None and letter.valid_until >= voting_day
            }
            waiting = sum(1 for a in apps if Status(a.status) in WAITING_PRINT)
            lapsing = [
                letter.valid_until
                for letter in held
                if letter.revoked_at is None and today <= letter.valid_until < voting_day
            ]
            assert row.recorded == len(waiting_niks), (code, voting_day)
            assert row.turned_away == len(waiting_niks - covered), (code, voting_day)
            pile = {a.nik_hash for a in apps if Status(a.status) in WAITING_PRINT}
            assert row.uncovered_waiting == len(pile - covered), (code, voting_day)
            assert row.to_renew == len(lapsing), (code, voting_day)
            assert row.first_lapse == (min(lapsing) if lapsing else None)
            assert row.waiting_print == waiting
            assert row.on_hand == on_hand
            assert row.incoming == row.outgoing == 0
            assert row.print_rate == rate
            print_days = max(0, (voting_day - today).days - HANDOVER_DAYS)
            assert row.printable == min(
                waiting, on_hand, math.floor(rate * print_days) if rate else 0
            )
            assert 0 <= row.shortfall <= waiting
            assert row.after_printing == len(waiting_niks - covered) - min(
                row.printable, len(pile - covered)
            )
            seen_turned_away += row.turned_away
            seen_renew += row.to_renew
    assert seen_turned_away and seen_renew  # the sequence reached both figures


async def test_loans_and_centre_requests_count_as_cards_in_transit(db: ScratchDatabase) -> None:
    """A pending loan counts for the borrower and is owed by the lender; cards the centre
    approved count for the requester; a request not approved yet counts for nobody."""
    await seed(db)
    now = datetime.now(UTC)
    lender, borrower = await operator(db, "62.71"), await operator(db, "62.12")
    today = await _today(db, lender, now)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(lender.tenant_id))  # type: ignore[arg-type]
        await ledger.receive(
            session,
            lender,
            item=Item.BLANK_CARD,
            quantity=50,
            reference="SPB",
            business_date=today,
            today=today,
            now=now,
        )
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(borrower.tenant_id))  # type: ignore[arg-type]
        await loans.ask(
            session,
            borrower,
            lender=lender.tenant_id,  # type: ignore[arg-type]
            lender_province="62",
            quantity=20,
            note=None,
            now=now,
        )
        approved = await centre_requests.draft(session, borrower, quantity=30, note=None, now=now)
        asked = await centre_requests.draft(session, borrower, quantity=7, note=None, now=now)
        for to in (RequestStatus.SUBMITTED, RequestStatus.APPROVED):
            approved = await centre_requests.advance(
                session,
                borrower,
                approved.id,
                version=approved.version,
                to=to,
                now=now,
                quantity_approved=25 if to is RequestStatus.APPROVED else None,
            )
        await centre_requests.advance(
            session, borrower, asked.id, version=asked.version, to=RequestStatus.SUBMITTED, now=now
        )
    rows = await readiness(db, today + timedelta(days=60), now=now)
    assert (rows["62.71"].on_hand, rows["62.71"].incoming, rows["62.71"].outgoing) == (50, 0, 20)
    assert rows["62.71"].cards == 30
    assert (rows["62.12"].on_hand, rows["62.12"].incoming, rows["62.12"].outgoing) == (0, 45, 0)
    assert rows["62.12"].cards == 45
