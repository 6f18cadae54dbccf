"""The device agent against the real app (its queue survives a server outage and delivers
everything afterwards with the original times), and the demo's Murung Raya outage."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from siaga_platform.auth.principal import Principal
from siaga_platform.hardware import board, repository, service, summary
from siaga_platform.hardware.agent import Agent, AgentConfig
from siaga_platform.hardware.agent_queue import BeatQueue
from siaga_platform.hardware.models import DeviceKind, Funding, Heartbeat, IncidentCause, SiteKind
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.hardware import seed_demo_hardware
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants
from siaga_web.app import create_app
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.keycloak import LiveServer, free_port
from tests.fixtures.seed import seed
from tests.fixtures.web import settings_for


async def _registered_device(db: ScratchDatabase) -> tuple[Principal, uuid.UUID, str]:
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
    return who, device.id, token


async def _stored_beats(db: ScratchDatabase, who: Principal) -> list[Heartbeat]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        return list((await session.scalars(select(Heartbeat).order_by(Heartbeat.taken_at))).all())


async def test_agent_queue_survives_an_outage(db: ScratchDatabase, tmp_path: Path) -> None:
    who, device_id, token = await _registered_device(db)
    port = free_port()
    config = AgentConfig(
        server_url=f"http://127.0.0.1:{port}",
        token=token,
        interval_seconds=60,
        queue_file=tmp_path / "queue.sqlite3",
        disk_path=str(tmp_path),
        checks={"camera": "true", "iris": "false"},
    )
    agent = Agent(config)
    # The server is down: three rounds are queued on disk, none lost.
    for _ in range(3):
        assert agent.run_once() is False
    queued = [json.loads(b.beat) for b in agent.queue.peek(10)]
    assert len(queued) == 3 and agent.backoff_seconds() < config.interval_seconds
    agent.queue.close()
    app = create_app(settings_for(db))
    with LiveServer(app, port):
        again = Agent(config)  # a fresh process: the queue is on disk
        assert again.run_once() is True
    assert len(again.queue) == 0 and again.queue.kept_aside() == []
    beats = await _stored_beats(db, who)
    assert len(beats) == 4
    sent_times = [datetime.fromisoformat(beat["taken_at"]) for beat in queued]
    assert [b.taken_at for b in beats[:3]] == sent_times  # delivered with their original times
    assert beats[0].readings["check_iris"] == "failed" and beats[0].status == "degraded"
    assert device_id == beats[0].device_id


async def test_agent_keeps_aside_what_the_server_refuses_and_delivers_the_rest(
    db: ScratchDatabase, tmp_path: Path
) -> None:
    """Per-beat refusals through the real app: a beat older than 7 days and one with a NaN
    reading are kept aside with the server's reasons; the others are delivered and removed."""
    who, _device_id, token = await _registered_device(db)
    port = free_port()
    config = AgentConfig(
        server_url=f"http://127.0.0.1:{port}",
        token=token,
        queue_file=tmp_path / "queue.sqlite3",
        disk_path=str(tmp_path),
    )
    agent = Agent(config)
    now = datetime.now(UTC)
    agent.queue.put({"taken_at": (now - timedelta(minutes=3)).isoformat(), "status": "ok"})
    agent.queue.put({"taken_at": (now - timedelta(days=8)).isoformat(), "status": "ok"})
    agent.queue.put(
        {
            "taken_at": (now - timedelta(minutes=2)).isoformat(),
            "status": "ok",
            "readings": {"suhu": float("nan")},
        }
    )
    with LiveServer(create_app(settings_for(db)), port):
        assert agent.run_once() is True
        assert len(agent.queue) == 0
        kept = agent.queue.kept_aside()
        assert len(kept) == 2
        assert "7 hari" in kept[0].reason and "NaN" in kept[1].reason
        # Kept aside, not retried: another round sends only its own new beat.
        assert agent.run_once() is True and len(agent.queue.kept_aside()) == 2
        # Requeued by hand (the cause fixed): refused again, kept aside again, never lost.
        assert agent.queue.requeue_kept_aside() == 2
        assert agent.deliver() is True and len(agent.queue.kept_aside()) == 2
    assert len(await _stored_beats(db, who)) == 3  # the good queued beat and two checks


def _mock_agent(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response], beats: int = 3
) -> Agent:
    config = AgentConfig(
        server_url="https://siaga.example",
        token="t",
        queue_file=tmp_path / "queue.sqlite3",
        disk_path=str(tmp_path),
    )
    agent = Agent(config, client=httpx.Client(transport=httpx.MockTransport(handler)))
    for minute in range(beats):
        agent.queue.put({"taken_at": f"2026-12-01T10:0{minute}:00+00:00", "status": "ok"})
    return agent


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (308, {"Location": "https://siaga.example/api/v1/heartbeats/batch"}),
        (301, {"Location": "https://elsewhere.example/"}),
        (408, {}),
        (429, {"Retry-After": "120"}),
        (500, {}),
        (502, {}),
        (503, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}),
    ],
)
def test_a_proxys_redirect_throttle_or_failure_keeps_the_queue(
    tmp_path: Path, status: int, headers: dict[str, str]
) -> None:
    agent = _mock_agent(tmp_path, lambda _: httpx.Response(status, headers=headers, text="x"))
    assert agent.deliver() is False
    assert len(agent.queue) == 3 and agent.queue.kept_aside() == []
    assert agent.failures == 1
    wait = agent.backoff_seconds()
    if status == 429:
        assert wait >= 120.0  # the server's Retry-After, though the backoff alone says 10 s
    elif status == 503:
        assert wait == 3600.0  # a date far ahead is read as an hour at most
    else:
        assert 5.0 <= wait <= 10.0  # 5 s x 2, jittered down to half at most


def test_a_2xx_that_is_not_siagas_answer_removes_nothing(tmp_path: Path) -> None:
    portal = "<html>Login to the hotel Wi-Fi</html>"
    agent = _mock_agent(tmp_path, lambda _: httpx.Response(200, text=portal))
    assert agent.deliver() is False and len(agent.queue) == 3


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_4xx_are_kept_aside_loudly_not_discarded(
    tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    agent = _mock_agent(tmp_path, lambda _: httpx.Response(status, text="ditolak"))
    with caplog.at_level(logging.ERROR, logger="siaga.agent"):
        assert agent.deliver() is True
    assert len(agent.queue) == 0
    kept = agent.queue.kept_aside()
    assert len(kept) == 3 and {k.http_status for k in kept} == {status}
    assert f"HTTP {status}" in kept[0].reason
    assert "DISISIHKAN" in caplog.text
    assert agent.queue.requeue_kept_aside() == 3 and len(agent.queue) == 3


def test_413_halves_the_batch_until_it_fits(tmp_path: Path) -> None:
    sizes: list[int] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["heartbeats"]
        sizes.append(len(items))
        if len(items) > 2:
            return httpx.Response(413, text="Request Entity Too Large")
        return httpx.Response(202, json={"accepted": len(items), "duplicates": 0, "refused": []})

    agent = _mock_agent(tmp_path, proxy, beats=5)
    assert agent.deliver() is True and len(agent.queue) == 0
    assert sizes == [5, 2, 2, 1] and agent.queue.kept_aside() == []
    alone = _mock_agent(tmp_path / "alone", lambda _: httpx.Response(413), beats=1)
    assert alone.deliver() is True  # one beat too large by itself: kept aside
    assert [k.http_status for k in alone.queue.kept_aside()] == [413]


def test_one_malformed_beat_is_isolated_and_the_rest_delivered(tmp_path: Path) -> None:
    delivered: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["heartbeats"]
        if any(item["status"] == "rusak" for item in items):
            return httpx.Response(422, json={"detail": "status tidak dikenal", "field": "status"})
        delivered.extend(item["taken_at"] for item in items)
        return httpx.Response(202, json={"accepted": len(items), "duplicates": 0, "refused": []})

    agent = _mock_agent(tmp_path, server, beats=4)
    agent.queue.put({"taken_at": "2026-12-01T10:09:00+00:00", "status": "rusak"})
    for minute in (5, 6):
        agent.queue.put({"taken_at": f"2026-12-01T10:0{minute}:00+00:00", "status": "ok"})
    assert agent.deliver() is True and len(agent.queue) == 0
    [kept] = agent.queue.kept_aside()
    assert json.loads(kept.beat)["status"] == "rusak" and kept.http_status == 422
    assert len(delivered) == len(set(delivered)) == 6  # every good beat, once


def test_checks_go_on_while_the_server_says_come_back_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A beat a minute is queued whatever the network does; deliveries wait for Retry-After."""
    clock = [1000.0]
    attempts: list[float] = []

    def server(_: httpx.Request) -> httpx.Response:
        attempts.append(clock[0])
        return httpx.Response(429, headers={"Retry-After": "150"})

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 1000 + 330:
            raise KeyboardInterrupt

    agent = _mock_agent(tmp_path, server, beats=0)
    monkeypatch.setattr("siaga_platform.hardware.agent.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("siaga_platform.hardware.agent.time.sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        agent.run_forever()
    assert len(agent.queue) == 6  # checks at 0, 60, 120, 180, 240, 300 s: none skipped
    assert [round(t - 1000) for t in attempts] == [0, 150, 300]


def test_backoff_is_exponential_jittered_and_capped(tmp_path: Path) -> None:
    agent = _mock_agent(tmp_path, lambda _: httpx.Response(503), beats=1)
    waits = []
    for failures in (1, 2, 3, 10):
        agent.failures = failures
        waits.append([agent.backoff_seconds() for _ in range(50)])
    for samples, ceiling in zip(waits, (10, 20, 40, 60), strict=True):
        assert all(ceiling / 2 <= w <= ceiling for w in samples)
        assert len(set(samples)) > 1  # jittered: agents cut off together do not return together


def test_a_full_queue_drops_the_oldest_and_says_how_many(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = BeatQueue(tmp_path / "q.sqlite3", max_beats=5)
    with caplog.at_level(logging.WARNING, logger="siaga.agent"):
        for i in range(8):
            queue.put({"taken_at": f"2026-12-01T10:00:0{i}+00:00", "status": "ok"})
    kept = [json.loads(b.beat)["taken_at"][-10:-6] for b in queue.peek(10)]
    assert kept == ["0:03", "0:04", "0:05", "0:06", "0:07"]
    assert caplog.text.count("TERTUA dibuang") == 3


def test_an_old_jsonl_queue_is_imported_once(tmp_path: Path) -> None:
    legacy = tmp_path / "queue.jsonl"
    lines = [
        json.dumps({"taken_at": "2026-12-01T10:00:00+00:00", "status": "ok"}),
        json.dumps({"taken_at": "2026-12-01T10:01:00+00:00", "status": "degraded"}),
        '{"taken_at": "2026-12-01T10:02',  # torn by a power cut
    ]
    legacy.write_text("\n".join(lines) + "\n")
    queue = BeatQueue.open(legacy)  # an old agent.toml still names the .jsonl file
    assert queue.path == tmp_path / "queue.sqlite3" and not legacy.exists()
    assert [json.loads(b.beat)["status"] for b in queue.peek(10)] == ["ok", "degraded"]
    assert [k.beat for k in queue.kept_aside()] == [lines[2]]
    queue.close()
    again = BeatQueue.open(legacy)
    assert len(again) == 2 and (tmp_path / "queue.jsonl.imported").exists()


ENQUEUE_FOREVER = """
import sys
from pathlib import Path
from siaga_platform.hardware.agent_queue import BeatQueue

queue = BeatQueue(Path(sys.argv[1]))
i = 0
while True:
    queue.put({"taken_at": f"2026-12-01T10:00:00.{i:06d}+00:00", "r": sys.argv[2], "n": i})
    print(i, flush=True)  # printed only after the commit returned
    i += 1
"""


def test_the_queue_survives_a_kill_mid_enqueue(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    for round_ in ("a", "b", "c"):
        writer = subprocess.Popen(
            [sys.executable, "-c", ENQUEUE_FOREVER, str(path), round_],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        committed = -1
        for line in writer.stdout:
            committed = int(line)
            if committed >= 150:
                break
        os.kill(writer.pid, signal.SIGKILL)  # mid-loop: likely inside a transaction
        writer.wait()
        # It ran on while this read: its last whole line is the last commit it saw return.
        for line in writer.stdout:
            if line.endswith("\n"):
                committed = int(line)
        queue = BeatQueue(path)
        assert queue._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        beats = [json.loads(b.beat) for b in queue.peek(1_000_000)]
        queue.close()
        numbers = [beat["n"] for beat in beats if beat["r"] == round_]
        # Every beat whose commit returned is there, in order; one more may be (killed after
        # its commit, before its print), none is torn.
        assert numbers == list(range(len(numbers)))
        assert len(numbers) in (committed + 1, committed + 2)


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
        uptime = await board.tenant_recording_share(session, now=now)
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
        uptime = await board.tenant_recording_share(session, now=now)
        devices = await board.device_uptimes(session, now - timedelta(days=30), now)
    assert (figures.working_sets, figures.total_sets) == (0, 2)
    assert figures.working_sets == recomputed.capacity.working_sets
    assert figures.recording_stopped_since == recomputed.capacity.stopped_since
    assert figures.oldest_incident_cause == IncidentCause.LIGHTNING
    assert figures.oldest_incident_opened_at is not None
    assert (now - figures.oldest_incident_opened_at).days >= 69
    # Recording stopped ten weeks ago with 0 of 2 sets working: the office could record
    # nothing in 30 days, although most devices (printers, readers) stayed up.
    assert figures.uptime_30_days == uptime == 0.0
    assert sum(devices.values()) / len(devices) > 0.5
    app = create_app(settings_for(db))
    from tests.fixtures.web import client_for, sign_in

    async with client_for(app) as client:
        from siaga_platform.auth.principal import Role
        from siaga_tenants.demo.seed import demo_subject

        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        page = await client.get("/wilayah/62.12/perangkat/uptime")
        assert page.status_code == 200
        server_row = page.text.split("Server perekaman</td>")[1].split("</tr>")[0]
        assert "0,0\u00a0%" in server_row  # struck ten weeks ago: down all of the last 30 days
        recording = page.text.split('id="recording">')[0].rsplit("<p>", 1)[1]
        assert "Gawat" in recording and "✖" in recording
        assert 'id="recording">0,0\u00a0%' in page.text
        office = await client.get("/wilayah/62.12/perangkat/uptime", params={"jam_kantor": "true"})
        assert office.status_code == 200 and "Hanya jam kantor" in office.text
