"""The device agent against the real app (its queue survives a server outage and delivers
everything afterwards with the original times), and the demo's Murung Raya outage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from siaga_platform.db.engine import unit_of_work
from siaga_platform.hardware import board, repository, service, summary
from siaga_platform.hardware.agent import Agent, AgentConfig
from siaga_platform.hardware.models import DeviceKind, Funding, Heartbeat, IncidentCause, SiteKind
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.hardware import seed_demo_hardware
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants
from siaga_web.app import create_app
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.keycloak import LiveServer, free_port
from tests.fixtures.seed import seed
from tests.fixtures.web import settings_for


async def test_agent_queue_survives_an_outage(db: ScratchDatabase, tmp_path: Path) -> None:
    await seed(db)
    who = await operator(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        site = await service.create_site(
            session,
            who,
            CodeListDirectory(),
            name="Kec. Murung",
            kind=SiteKind.KECAMATAN,
            kecamatan_code=None,
        )
        device, token = await service.register_device(
            session,
            who,
            site_id=site.id,
            kind=DeviceKind.RECORDING_PC,
            label="PC 1",
            funding=Funding.APBN,
        )
    port = free_port()
    config = AgentConfig(
        server_url=f"http://127.0.0.1:{port}",
        token=token,
        interval_seconds=60,
        queue_file=tmp_path / "queue.jsonl",
        disk_path=str(tmp_path),
        checks={"camera": "true", "iris": "false"},
    )
    agent = Agent(config)
    # The server is down: three rounds are queued on disk, none lost.
    for _ in range(3):
        assert agent.run_once() is False
    queued = config.queue_file.read_text().splitlines()
    assert len(queued) == 3 and agent.backoff_seconds() < config.interval_seconds
    app = create_app(settings_for(db))
    with LiveServer(app, port):
        assert Agent(config).run_once() is True  # a fresh process: the queue is on disk
    assert config.queue_file.read_text() == ""
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        beats = (await session.scalars(select(Heartbeat).order_by(Heartbeat.taken_at))).all()
    assert len(beats) == 4
    sent_times = [
        datetime.fromisoformat(line.split('"taken_at": "')[1].split('"')[0]) for line in queued
    ]
    assert [b.taken_at for b in beats[:3]] == sent_times  # delivered with their original times
    assert beats[0].readings["check_iris"] == "failed" and beats[0].status == "degraded"
    assert device.id == beats[0].device_id


async def test_demo_shows_murung_raya_stopped_for_ten_weeks(db: ScratchDatabase) -> None:
    await seed(db)
    now = datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        tokens = await seed_demo_hardware(session, now=now)
    async with unit_of_work(db.session_factory) as session:
        assert await seed_demo_hardware(session, now=now) == {}  # once
    assert tokens
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        kapuas = await tenants.get_by_code(session, "62.03")
        assert mura is not None and kapuas is not None
        await enter_scope(session, TenantScope.single(mura.id))
        mura_board = await board.board(session, now=now)
        assert mura_board.capacity.working_sets == 0 and mura_board.capacity.total_sets == 2
        assert mura_board.capacity.stopped_since is not None
        assert 69 <= (now - mura_board.capacity.stopped_since).days <= 70
        [incident] = await repository.open_incidents(session)
        assert incident.cause == IncidentCause.LIGHTNING and incident.funding == "APBN"
        assert incident.reported_to_ministry_on and incident.expected_repair_on is None
        await enter_scope(session, TenantScope.single(kapuas.id))
        kapuas_board = await board.board(session, now=now)
        assert kapuas_board.capacity.working_sets == 2
        uptime = await board.tenant_uptime(session, now=now)
        assert uptime is not None and 0.9 < uptime <= 1.0


async def test_uptime_page_and_province_figures_on_the_demo(db: ScratchDatabase) -> None:
    await seed(db)
    now = datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        await seed_demo_hardware(session, now=now)
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        assert mura is not None
        await enter_scope(session, TenantScope.single(mura.id))
        [figures] = await summary.read(session)
        recomputed = await board.board(session, now=now)
        uptime = await board.tenant_uptime(session, now=now)
    assert (figures.working_sets, figures.total_sets) == (0, 2)
    assert figures.working_sets == recomputed.capacity.working_sets
    assert figures.recording_stopped_since == recomputed.capacity.stopped_since
    assert figures.oldest_incident_cause == IncidentCause.LIGHTNING
    assert figures.oldest_incident_opened_at is not None
    assert (now - figures.oldest_incident_opened_at).days >= 69
    assert figures.uptime_30_days == uptime and uptime is not None and uptime < 1.0
    app = create_app(settings_for(db))
    from tests.fixtures.web import client_for, sign_in

    async with client_for(app) as client:
        from siaga_platform.auth.principal import Role
        from siaga_tenants.demo.seed import demo_subject

        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        page = await client.get("/wilayah/62.12/perangkat/uptime")
        assert page.status_code == 200
        server_row = page.text.split("Server perekaman</td>")[1].split("</tr>")[0]
        assert "0.0 %" in server_row  # struck ten weeks ago: down all of the last 30 days
        office = await client.get("/wilayah/62.12/perangkat/uptime", params={"jam_kantor": "true"})
        assert office.status_code == 200 and "Hanya jam kantor" in office.text
