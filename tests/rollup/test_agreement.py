"""The rollup's figures, read from the maintained summaries, agree with a recomputation from
the raw tables after a random sequence of events (receipts, prints, spoilage, counts,
application moves, letters issued and revoked) in several regencies; and the national sums
follow the aggregation rules."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from siaga_platform.applications.models import Application
from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import DomainError
from siaga_platform.letters import service as letters
from siaga_platform.letters.models import Letter, LetterReason, LetterState
from siaga_platform.rollup import national
from siaga_platform.rollup.rows import STAGES, read_rows
from siaga_platform.stock import figures, ledger
from siaga_platform.stock.models import Custody, Item, SpoilageReason
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import local_date
from tests.fixtures.applications import move as move_application
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import CIPHER, REGIONS, recorded_applicants

CODES = ("62.12", "62.71", "62.03")


async def _event(
    db: ScratchDatabase, rng: random.Random, who: Principal, ids: list[uuid.UUID], now: datetime
) -> None:
    today = await _today(db, who, now)
    kind = rng.choice(["receive", "print", "print", "spoil", "count", "move", "issue", "revoke"])
    if kind == "move":
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            app = await session.scalar(select(Application).where(Application.id == rng.choice(ids)))
        assert app is not None
        step = {Status.PRR: Status.PRINT_QUEUED, Status.RECORDED: Status.SENT}.get(
            Status(app.status)
        )
        if step is not None:
            await move_application(db, who, app.id, app.version, step)
        return
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        day = today - timedelta(days=rng.randint(0, 40))
        if kind == "receive":
            await ledger.receive(
                session,
                who,
                item=Item.BLANK_CARD,
                quantity=rng.randint(1, 60),
                reference="SPB",
                business_date=day,
                today=today,
                now=now,
            )
        elif kind == "print":
            await ledger.record(
                session,
                tenant_id=who.tenant_id,
                item=Item.BLANK_CARD,  # type: ignore[arg-type]
                kind=ledger.EntryKind.CONSUMPTION,
                quantity=-rng.randint(1, 3),
                business_date=day,
                actor="t",
                now=now,
            )
        elif kind == "spoil":
            await ledger.spoil(
                session,
                who,
                quantity=1,
                reason=SpoilageReason.PRINT_ERROR,
                custody=Custody.HELD,
                note=None,
                business_date=day,
                today=today,
                now=now,
            )
        elif kind == "count":
            await ledger.count(
                session,
                who,
                item=Item.BLANK_CARD,
                counted=rng.randint(0, 80),
                note=None,
                today=today,
                now=now,
            )
        elif kind == "issue":
            await letters.issue(
                session,
                who,
                CIPHER,
                REGIONS,
                rng.choice(ids),
                reason=LetterReason.NO_BLANK_CARDS,
                note=None,
                policy=letter_policy(await tenants.get_settings(session)),
                today=today,
                now=now,
            )
        else:
            held = (await session.scalars(select(Letter).where(Letter.revoked_at.is_(None)))).all()
            if held:
                target = rng.choice(held)
                await letters.revoke(
                    session,
                    who,
                    target.id,
                    expected_version=target.version,
                    reason="salah",
                    today=today,
                    now=now,
                )


async def _today(db: ScratchDatabase, who: Principal, now: datetime):  # type: ignore[no-untyped-def]
    async with db.session_factory() as session:
        return await local_date(session, who.tenant_id, now)  # type: ignore[arg-type]


async def test_the_summaries_agree_with_the_raw_tables(db: ScratchDatabase) -> None:
    await seed(db)
    rng = random.Random(2017)  # noqa: S311 - a reproducible sequence of events
    now = datetime.now(UTC)
    people: dict[str, tuple[Principal, list[uuid.UUID]]] = {}
    for serial, code in enumerate(CODES):
        who = await operator(db, code)
        people[code] = (who, await recorded_applicants(db, who, 8, first_serial=100 * serial + 1))
    done = 0
    for _ in range(60):
        who, ids = people[rng.choice(CODES)]
        # A refusal (not enough cards, a second letter) writes nothing: the sums must still agree.
        with contextlib.suppress(DomainError):
            await _event(db, rng, who, ids, now)
            done += 1
    assert done >= 30

    async with db.session_factory() as session:
        in_province = await tenants.list_in_province(session, "62")
        await enter_scope(session, TenantScope.read_only({t.id for t in in_province}))
        rows = {
            r.regency.code: r
            for r in await read_rows(
                session, await rollup_regencies(session, in_province, now), now=now
            )
        }
    for code in CODES:
        who, _ids = people[code]
        row = rows[code]
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            exact = await figures.figures(session, today=row.regency.today, low_stock_days=14)
            by_status = dict(
                (
                    await session.execute(
                        select(Application.status, func.count()).group_by(Application.status)
                    )
                ).all()
            )
            waiting = await session.scalar(
                select(func.min(Application.status_since)).where(
                    Application.status.in_([s.value for s in STAGES["waiting_print"]])
                )
            )
            held = (await session.scalars(select(Letter))).all()
        assert row.stock == exact, code
        for stage, statuses in STAGES.items():
            assert row.applications.backlog.get(stage, 0) == sum(
                by_status.get(s.value, 0) for s in statuses
            ), (code, stage)
        assert row.applications.oldest_waiting_print == waiting
        today = row.regency.today
        states = Counter(letter.state(today) for letter in held)
        assert row.letters.active == states[LetterState.ACTIVE]
        assert row.letters.expired == states[LetterState.EXPIRED]
        assert row.letters.issued_this_month == sum(
            1 for letter in held if letter.issued_on.replace(day=1) == today.replace(day=1)
        )
        assert row.letters.revoked_this_month == sum(
            1 for letter in held if letter.revoked_on and letter.revoked_on.month == today.month
        )
        assert row.last_activity is not None
        assert held or row.stock.on_hand or exact.stock_out_days  # the regency saw events

    # Each regency's letters are counted on its own date: seen from a day past every expiry,
    # one regency's letters have all expired while the others' are unchanged.
    busy = max(CODES, key=lambda c: rows[c].letters.active)
    calm = next(c for c in CODES if c != busy)
    assert rows[busy].letters.active > 0
    later = [
        replace(r.regency, today=r.regency.today + timedelta(days=400))
        if r.regency.code == busy
        else r.regency
        for r in rows.values()
    ]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({r.tenant_id for r in later}))
        shifted = {r.regency.code: r for r in await read_rows(session, later, now=now)}
    assert shifted[busy].letters.active == 0
    assert shifted[busy].letters.expired == rows[busy].letters.active + rows[busy].letters.expired
    assert shifted[calm].letters == rows[calm].letters

    [kalteng] = national.totals(list(rows.values()), ["62"])
    assert kalteng.regencies == 14
    assert kalteng.cards_on_hand == sum(r.stock.on_hand for r in rows.values())
    assert kalteng.out_of_stock == sum(1 for r in rows.values() if r.stock.on_hand == 0)
    assert kalteng.letters_active == sum(r.letters.active for r in rows.values())
    assert kalteng.backlog["waiting_print"] == sum(
        r.applications.backlog.get("waiting_print", 0) for r in rows.values()
    )
