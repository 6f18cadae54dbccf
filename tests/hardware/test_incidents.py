"""Incidents open when a device goes down and close when it is back; not during planned
maintenance; reported, escalated and closed by hand, each step on the timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from siaga_platform.errors import Conflict, InvalidInput
from siaga_platform.hardware import board, incidents, outages, repository, service, summary
from siaga_platform.hardware.models import BeatStatus, DeviceKind, Funding, IncidentCause, SiteKind
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.regions.directory import CodeListDirectory
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server
from tests.fixtures.seed import seed


async def _server(db: ScratchDatabase) -> tuple[object, object]:
    who, device_id, token, site_id = await office_server(db)
    return who, (device_id, token, site_id)


async def _beat(db: ScratchDatabase, token: str, at: datetime, status: BeatStatus) -> None:
    async with unit_of_work(db.session_factory) as session:
        await service.take_beats(session, [(token, service.BeatIn(at, status))], now=at)


async def test_silence_opens_an_incident_and_recovery_closes_it(db: ScratchDatabase) -> None:
    who, (device_id, token, _site) = await _server(db)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    await _beat(db, token, t0, BeatStatus.OK)
    async with unit_of_work(db.session_factory) as session:
        report = await outages.sweep_tenant(session, who.tenant_id, now=t0 + timedelta(minutes=30))  # type: ignore[arg-type]
    assert report.opened == 1
    async with unit_of_work(db.session_factory) as session:
        again = await outages.sweep_tenant(session, who.tenant_id, now=t0 + timedelta(minutes=31))  # type: ignore[arg-type]
    assert again == outages.SweepReport(0, 0, 0)  # idempotent
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        [incident] = await repository.open_incidents(session)
        assert incident.opened_automatically and incident.device_id == device_id
        assert incident.opened_at == t0 + timedelta(minutes=3)  # when the beats stopped counting
    back = t0 + timedelta(minutes=40)
    for k in range(3):
        await _beat(db, token, back + timedelta(minutes=k), BeatStatus.OK)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        assert await repository.open_incidents(session) == []
        timeline = await repository.incident_timeline(session, incident.id)
        assert [e.kind for e in timeline] == ["opened", "closed"]


async def test_planned_maintenance_opens_no_incident(db: ScratchDatabase) -> None:
    who, (device_id, token, _site) = await _server(db)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    await _beat(db, token, t0, BeatStatus.OK)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await incidents.plan_maintenance(
            session,
            who,
            device_id=device_id,
            site_id=None,
            starts_at=t0,
            ends_at=t0 + timedelta(hours=1),
            reason="Ganti UPS",
        )  # type: ignore[arg-type]
    async with unit_of_work(db.session_factory) as session:
        report = await outages.sweep_tenant(session, who.tenant_id, now=t0 + timedelta(minutes=30))  # type: ignore[arg-type]
    assert report.changes == 1 and report.opened == 0


async def test_report_escalate_and_close_by_hand(db: ScratchDatabase) -> None:
    who, (device_id, _token, site_id) = await _server(db)
    now = datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        incident = await incidents.report_incident(
            session,
            who,
            device_id=device_id,
            site_id=None,
            cause=IncidentCause.LIGHTNING,
            title="Server tersambar petir",
            note="Server mati setelah hujan badai",
            now=now,
        )
        with pytest.raises(InvalidInput) as missing:
            await incidents.escalate(
                session,
                who,
                incident.id,
                version=incident.version,
                reported_on=date.today(),
                reference=" ",
                expected_repair_on=None,
                funding=Funding.APBN,
                cause=None,
                today=date.today(),
                now=now,
            )
        assert missing.value.field == "reference"
        escalated = await incidents.escalate(
            session,
            who,
            incident.id,
            version=incident.version,
            reported_on=date.today(),
            reference="470/112/DISDUKCAPIL/2017",
            expected_repair_on=None,
            funding=Funding.APBN,
            cause=None,
            today=date.today(),
            now=now,
        )
        with pytest.raises(Conflict):
            await incidents.close_incident(
                session, who, incident.id, version=1, resolution="x", now=now
            )
        closed = await incidents.close_incident(
            session,
            who,
            incident.id,
            version=escalated.version,
            resolution="Server diganti kementerian",
            now=now,
        )
        assert closed.closed_at is not None and closed.site_id == site_id
        timeline = await repository.incident_timeline(session, incident.id)
        assert [e.kind for e in timeline] == ["opened", "escalated", "closed"]


async def _site_with(db: ScratchDatabase, kinds: list[tuple[DeviceKind, str | None]]) -> tuple:
    """A site and its devices (kind, recording set); all beat once at t0."""
    await seed(db)
    who = await operator(db)
    tokens = []
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        site = await service.create_site(
            session,
            who,
            CodeListDirectory(),
            name="UPT Kecamatan",
            kind=SiteKind.KECAMATAN,
            kecamatan_code=None,
        )
        for index, (kind, recording_set) in enumerate(kinds):
            _device, token = await service.register_device(
                session,
                who,
                site_id=site.id,
                kind=kind,
                label=f"{kind.value} {index}",
                funding=Funding.APBD,
                recording_set=recording_set,
            )
            tokens.append(token)
    return who, site.id, tokens


async def _sweep(db: ScratchDatabase, who: object, now: datetime) -> outages.SweepReport:
    async with unit_of_work(db.session_factory) as session:
        return await outages.sweep_tenant(session, who.tenant_id, now=now)  # type: ignore[attr-defined]


async def _open(db: ScratchDatabase, who: object) -> list:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[attr-defined]
        return list(await repository.open_incidents(session))


async def test_a_whole_site_going_silent_opens_one_incident_not_one_per_device(
    db: ScratchDatabase,
) -> None:
    kinds = [(DeviceKind.ROUTER, None), (DeviceKind.RECORDING_PC, "A"), (DeviceKind.CAMERA, "A")]
    who, site_id, tokens = await _site_with(db, kinds)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    for token in tokens:
        await _beat(db, token, t0, BeatStatus.OK)
    async with unit_of_work(db.session_factory) as session:
        report = await outages.sweep_tenant(session, who.tenant_id, now=t0 + timedelta(minutes=30))  # type: ignore[attr-defined]
    assert report.changes == 3 and report.opened == 1
    [incident] = await _open(db, who)
    assert incident.site_id == site_id and incident.device_id is None
    assert incident.recording_set is None and "Seluruh perangkat" in incident.title
    # The router comes back but the set stays silent: the site incident closes and the set's opens.
    back = t0 + timedelta(minutes=40)
    for k in range(3):
        await _beat(db, tokens[0], back + timedelta(minutes=k), BeatStatus.OK)
    await _sweep(db, who, back + timedelta(minutes=3))
    [now_open] = await _open(db, who)
    assert now_open.recording_set == "A" and now_open.device_id is None
    assert now_open.id != incident.id
    await _summary_agrees(db, who, back + timedelta(minutes=3))


async def _summary_agrees(db: ScratchDatabase, who: object, now: datetime) -> None:
    """The maintained summary, kept by the events, equals a recomputation from the tables."""
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[attr-defined]
        [kept] = await summary.read(session)
        fresh = await board.board(session, now=now)
    down = [
        state
        for view in fresh.sites
        for _d, state in view.devices
        if state.value in ("down", "unreachable")
    ]
    assert kept.devices_down == len(down)
    assert kept.open_incidents == len(fresh.open_incidents)
    assert (kept.working_sets, kept.total_sets) == (
        fresh.capacity.working_sets,
        fresh.capacity.total_sets,
    )
    assert kept.oldest_incident_title == fresh.open_incidents[0].title


async def test_a_recording_set_down_is_one_incident_and_a_lone_device_its_own(
    db: ScratchDatabase,
) -> None:
    kinds = [
        (DeviceKind.RECORDING_PC, "A"),
        (DeviceKind.CAMERA, "A"),
        (DeviceKind.RECORDING_PC, "B"),
        (DeviceKind.CARD_PRINTER, None),
    ]
    who, _site_id, tokens = await _site_with(db, kinds)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    later = t0 + timedelta(minutes=30)
    for token in tokens[:2]:
        await _beat(db, token, t0, BeatStatus.OK)
    for token in tokens[2:]:
        await _beat(db, token, later - timedelta(seconds=30), BeatStatus.OK)
    # The printer reports a fault itself: opened at once, by the beat.
    await _beat(db, tokens[3], later - timedelta(seconds=10), BeatStatus.FAULT)
    # The fault beat's bookkeeping already sees set A silent: both open, the sweep adds none.
    report = await _sweep(db, who, later)
    assert report.changes == 2 and report.opened == 0
    opened = await _open(db, who)
    assert sorted((i.recording_set or "", i.device_id is not None) for i in opened) == [
        ("", True),
        ("A", False),
    ]
    set_incident = next(i for i in opened if i.recording_set == "A")
    assert set_incident.opened_at == t0 + timedelta(minutes=3)  # when set A's beats stopped
    await _summary_agrees(db, who, later)
