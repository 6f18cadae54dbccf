"""End to end on PostgreSQL with real workers and a real SMTP server, on a test clock: a
recording server stops beating, the sweep marks it down and the rule fires, the regency's staff
get one e-mail each within five minutes of the last beat (two workers running the tick, one
message each); nobody acknowledges, the escalation reaches the province's supervisor (and tells
the office it went up); the supervisor acknowledges and no reminder follows; the office beats
again and everyone told gets "resolved"; a second stop is silenced by the office and escalates
only once the silence ends."""

from __future__ import annotations

import asyncio
import email
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from siaga_platform.alerts import repository as alerts
from siaga_platform.alerts import service as alert_service
from siaga_platform.alerts.models import Alert, Rule
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.hardware import service as hardware
from siaga_platform.hardware.models import BeatStatus, DeviceKind, Funding
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import ALERTS_EVALUATE, HARDWARE_SWEEP
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships import repository as memberships
from siaga_tenants.memberships.audience import alert_audience
from tests.delivery.helpers import ADMIN, HEAD, OPERATOR, SUPERVISOR, address_of
from tests.delivery.test_deliver import channels
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server
from tests.notify.servers import SmtpServer

pytestmark = pytest.mark.postgres_only

STOPPED = "Perekaman berhenti, Kabupaten Murung Raya"


class Clock:
    """The workers' time: moved by the test, minutes at a time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Province:
    def __init__(self, db: ScratchDatabase, smtp: SmtpServer, clock: Clock) -> None:
        self.db, self.smtp, self.clock = db, smtp, clock
        self.seen = 0

    async def _run(self, task: str, workers: int) -> None:
        context = queue.WorkerContext(
            self.db.session_factory,
            active_regencies,
            alert_audience,
            channels(self.smtp.port),
            clock=self.clock,
        )
        apps = [queue.job_app(self.db.app_url) for _ in range(workers)]
        for app in apps:
            await app.open_async()
        try:
            await apps[0].configure_task(task).defer_async(timestamp=int(time.time()))
            await asyncio.wait_for(
                asyncio.gather(
                    *(
                        app.run_worker_async(
                            name=f"worker-{i}",
                            wait=False,
                            additional_context=context.as_dict(),
                            install_signal_handlers=False,
                        )
                        for i, app in enumerate(apps)
                    )
                ),
                timeout=120,
            )
        finally:
            for app in apps:
                await app.close_async()

    async def tick(self) -> list[tuple[str, str]]:
        """One minute of the worker: the sweep, then the evaluation and its deliveries run
        by two workers at once. Answers the (recipient, subject) of the new messages about
        Murung Raya's recording."""
        await self._run(HARDWARE_SWEEP, 1)
        await self._run(ALERTS_EVALUATE, 2)
        envelopes = self.smtp.handler.envelopes[self.seen :]
        self.seen += len(envelopes)
        found = []
        for envelope in envelopes:
            message = email.message_from_bytes(envelope.content)  # type: ignore[arg-type]
            if STOPPED in str(message["Subject"]):
                found.append((str(message["To"]), str(message["Subject"])))
        return sorted(found)


async def _beat(tokens: list[str], at: datetime, db: ScratchDatabase, count: int = 3) -> None:
    """``count`` good beats a minute apart from each device, the last at ``at`` (a device
    that was down takes three to count as up again)."""
    beats = [
        (token, hardware.BeatIn(at - timedelta(minutes=count - 1 - i), BeatStatus.OK))
        for token in tokens
        for i in range(count)
    ]
    async with unit_of_work(db.session_factory) as session:
        await hardware.take_beats(session, beats, now=at, batch=True)


async def _stopped_alert(db: ScratchDatabase, tenant: uuid.UUID) -> Alert:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        [alert] = [a for a in await alerts.open_alerts(session) if a.rule == Rule.RECORDING_STOPPED]
        return alert


def _to(*subjects: str, prefix: str = "") -> list[tuple[str, str]]:
    return sorted((address_of(s), f"{prefix}{STOPPED}") for s in subjects)


async def test_a_stopped_server_reaches_people_escalates_and_resolves(
    db: ScratchDatabase,
) -> None:
    who, _server, server_token, site = await office_server(db)
    tenant = who.tenant_id
    assert tenant is not None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        _pc, pc_token = await hardware.register_device(  # the office's one recording set
            session,
            who,
            site_id=site,
            kind=DeviceKind.RECORDING_PC,
            label="PC perekaman 1",
            funding=Funding.APBN,
            recording_set="Set 1",
        )
    tokens = [server_token, pc_token]
    async with unit_of_work(db.session_factory) as session:
        for subject in (OPERATOR, HEAD, SUPERVISOR, ADMIN):
            user = await memberships.get_user(session, subject)
            assert user is not None
            user.email = address_of(subject)
    clock = Clock()
    with SmtpServer() as smtp:
        province = Province(db, smtp, clock)
        last_beat = clock.now
        await _beat(tokens, last_beat, db)
        assert await province.tick() == []  # beating: nothing to tell

        # Lightning: the office stops. Beats are expected every minute; three missed make it down.
        clock.advance(minutes=4)
        started = time.monotonic()
        told = await province.tick()
        assert told == _to(OPERATOR, HEAD)  # one each, though two workers ran the tick
        assert clock.now - last_beat <= timedelta(minutes=5)
        assert time.monotonic() - started < 60

        clock.advance(minutes=2)
        assert await province.tick() == []  # still stopped: no duplicate

        clock.advance(minutes=60)  # nobody at the regency acknowledged
        assert await province.tick() == _to(OPERATOR, HEAD, SUPERVISOR, prefix="Eskalasi: ")

        alert = await _stopped_alert(db, tenant)
        supervisor = Principal(
            subject=SUPERVISOR,
            display_name="Supervisor",
            role=Role.SUPERVISOR_PROVINSI,
            province_code="62",
            province_tenant_ids=frozenset({tenant}),
        )
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(tenant))
            await alert_service.acknowledge(
                session, supervisor, alert.id, note="Teknisi berangkat", now=clock.now
            )
        clock.advance(hours=5)  # past the reminder interval and the next escalation
        assert await province.tick() == []  # acknowledged: no reminder, no escalation

        await _beat(tokens, clock.now, db)  # repaired
        assert await province.tick() == _to(OPERATOR, HEAD, SUPERVISOR, prefix="Pulih: ")

        # It stops again; the office silences it for three hours while the technician works.
        last_beat = clock.now
        clock.advance(minutes=4)
        assert await province.tick() == _to(OPERATOR, HEAD)
        again = await _stopped_alert(db, tenant)
        assert again.id != alert.id
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(tenant))
            await alert_service.silence(
                session,
                who,
                again.id,
                until=clock.now + timedelta(hours=3),
                reason="Menunggu suku cadang",
                now=clock.now,
            )
        clock.advance(minutes=90)
        assert await province.tick() == []  # silenced: no escalation
        clock.advance(minutes=91)  # the silence ended
        assert await province.tick() == _to(OPERATOR, HEAD, SUPERVISOR, prefix="Eskalasi: ")

    every = Counter(
        (
            str(email.message_from_bytes(e.content)["To"]),  # type: ignore[arg-type]
            str(email.message_from_bytes(e.content)["Message-ID"]),  # type: ignore[arg-type]
        )
        for e in smtp.handler.envelopes
    )
    assert max(every.values()) == 1  # no message went twice
