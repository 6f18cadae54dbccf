"""The pipeline on both databases: every allowed and every refused move, the stale-version
409 under concurrency, one open application per NIK, encryption at rest, counts in step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from siaga_platform.applications import repository, service
from siaga_platform.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatusCount,
)
from siaga_platform.applications.statuses import MOVES, OPEN, Status, allowed_moves
from siaga_platform.errors import Conflict, InvalidInput
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from tests.fixtures.applications import CIPHER, PATH_TO, advance, move, nik_for, operator, register
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


async def test_every_allowed_move(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    serial = 1
    for start in Status:
        for target in allowed_moves(start):
            application = await advance(db, who, await register(db, who, nik_for(serial)), start)
            serial += 1
            moved = await move(db, who, application.id, application.version, target)
            assert moved.status == target.value
            assert moved.version == application.version + 1


async def test_every_refused_move(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    serial = 500
    for start in Status:
        refused = [t for t in Status if t not in allowed_moves(start) and t is not start]
        if not refused:
            continue
        application = await advance(db, who, await register(db, who, nik_for(serial)), start)
        serial += 1
        for target in refused:
            expected = (
                InvalidInput
                if target is Status.PRINTED and start is not Status.PRINT_QUEUED
                else Conflict
            )
            with pytest.raises((Conflict, InvalidInput)) as info:
                await move(db, who, application.id, application.version, target)
            if target is not Status.PRINTED:
                assert isinstance(info.value, expected), (start, target)


async def test_cancel_needs_a_reason_and_closed_applications_stay_closed(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    application = await register(db, who, nik_for(1))
    with pytest.raises(InvalidInput) as missing:
        await move(db, who, application.id, application.version, Status.CANCELLED, note=" ")
    assert missing.value.field == "note"
    cancelled = await move(db, who, application.id, application.version, Status.CANCELLED, "salah")
    assert allowed_moves(Status(cancelled.status)) == []
    assert set(OPEN) == set(MOVES) - {Status.ISSUED, Status.CANCELLED}


async def test_two_clerks_move_at_once_one_wins_one_gets_409(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    application = await advance(db, who, await register(db, who, nik_for(7)), Status.RECEIVED)
    results = await asyncio.gather(
        move(db, who, application.id, application.version, Status.PRR),
        move(db, who, application.id, application.version, Status.DUPLICATE),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Application)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "diubah oleh petugas lain" in losers[0].message
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        events = await repository.timeline(session, application.id)
        assert [e.to_status for e in events][-1] == winners[0].status
        assert len(events) == len(PATH_TO[Status.RECEIVED]) + 2  # no lost or double update


async def test_stale_version_is_refused(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    application = await register(db, who, nik_for(8))
    await move(db, who, application.id, application.version, Status.RECORDED)
    with pytest.raises(Conflict):
        await move(db, who, application.id, application.version, Status.RECORDED)


async def test_one_open_application_per_nik(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    first = await register(db, who, nik_for(9))
    with pytest.raises(Conflict) as duplicate:
        await register(db, who, nik_for(9), "Orang Lain")
    assert duplicate.value.field == "nik"
    await advance(db, who, first, Status.ISSUED)
    again = await register(db, who, nik_for(9))  # after handover a new application may start
    assert again.status == Status.REGISTERED.value


async def test_concurrent_registrations_of_one_nik_leave_one(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    results = await asyncio.gather(
        *(register(db, who, nik_for(10)) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, Application) for r in results) == 1
    assert all(isinstance(r, (Application, Conflict)) for r in results), results


async def test_nik_and_name_are_not_stored_in_plaintext(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    nik = nik_for(11, female=True)
    await register(db, who, nik, "Siti Aminah")
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        raw = (await session.execute(text("select * from applications"))).one()
        dumped = repr(tuple(raw)).encode() + b"".join(v for v in raw if isinstance(v, bytes))
        assert nik.encode() not in dumped and b"Siti" not in dumped
        application = (await session.scalars(select(Application))).one()
        assert application.nik_masked == "6212********0011"
        assert service.decrypt_name(CIPHER, application) == "Siti Aminah"


async def test_counts_follow_every_move(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    for serial, target in enumerate([Status.PRR, Status.PRR, Status.RECORDED, Status.ISSUED], 20):
        await advance(db, who, await register(db, who, nik_for(serial)), target)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        counts = await repository.status_counts(session)
        recomputed = dict(
            (
                await session.execute(
                    select(Application.status, func.count()).group_by(Application.status)
                )
            ).all()
        )
        assert {k: v for k, v in counts.items() if v} == recomputed
        assert recomputed == {"prr": 2, "recorded": 1, "issued": 1}
        rows = await session.scalar(select(func.count()).select_from(ApplicationStatusCount))
        assert rows is not None and rows >= 3


async def test_another_tenants_application_is_not_found(db: ScratchDatabase) -> None:
    await seed(db)
    mura, kapuas = await operator(db, "62.12"), await operator(db, "62.03")
    application = await register(db, mura, nik_for(30))
    with pytest.raises(Exception) as info:
        await move(db, kapuas, application.id, application.version, Status.RECORDED)
    assert getattr(info.value, "status_code", None) == 404
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(kapuas.tenant_id))  # type: ignore[arg-type]
        with pytest.raises(Exception) as opened:
            await service.open_record(session, kapuas, CIPHER, application.id)
        assert getattr(opened.value, "status_code", None) == 404
        events = await session.scalar(select(func.count()).select_from(ApplicationEvent))
        assert events == 0


async def test_region_prefix_outside_the_tenant_is_a_warning(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    from datetime import date

    from siaga_platform.applications.models import Reason
    from siaga_platform.applications.nik import Sex
    from siaga_tenants.regions.directory import CodeListDirectory

    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        moved_in = await service.register(
            session,
            who,
            CIPHER,
            CodeListDirectory(),
            service.NewApplication(
                nik="6203011708950001",
                name="Pindahan",
                birth_place="Kuala Kapuas",
                birth_date=date(1995, 8, 17),
                sex=Sex.MALE,
                kecamatan_code="62.12.01",
                desa="Beriwit",
                reason=Reason.MOVING_IN,
            ),
            today=date.today(),
            now=datetime.now(UTC),
        )
        assert moved_in.warnings and "62.03" in moved_in.warnings[0]
        unknown = await service.register(
            session,
            who,
            CIPHER,
            CodeListDirectory(),
            service.NewApplication(
                nik="6299011708950002",
                name="Lama",
                birth_place="X",
                birth_date=date(1995, 8, 17),
                sex=Sex.MALE,
                kecamatan_code="62.12.01",
                desa="Beriwit",
                reason=Reason.DATA_CHANGE,
            ),
            today=date.today(),
            now=datetime.now(UTC),
        )
        assert unknown.warnings and "tidak ada dalam daftar" in unknown.warnings[0]
        assert unknown.application.status == "registered"  # a warning, not a refusal
