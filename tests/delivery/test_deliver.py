"""Sending: a worker delivers the e-mail to a real SMTP server (aiosmtpd) and the log says
sent; a refusal (550) marks it failed with the reason and flags the channel, a temporary one
(451) waits for a retry; two workers send one message; no message holds a 16-digit run."""

from __future__ import annotations

import asyncio
import email
import random
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from siaga_platform.config import SmtpSecurity
from siaga_platform.delivery import repository, service
from siaga_platform.delivery.models import DeliveryStatus
from siaga_platform.delivery.send import ChannelSettings, deliver
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import defer_delivery
from siaga_platform.notify.email import SmtpSettings, message_id
from siaga_platform.notify.webhook import verify_signature
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships.audience import alert_audience
from tests.delivery.helpers import OPERATOR, STOPPED, address_of, deliveries_of, people, tick
from tests.fixtures.applications import CIPHER
from tests.fixtures.databases import ScratchDatabase
from tests.notify.servers import HttpReceiver, SmtpServer, free_port

NOW = datetime.now(UTC).replace(microsecond=0)


def channels(port: int) -> ChannelSettings:
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="Siaga <siaga@example.go.id>",
        security=SmtpSecurity.NONE,
        timeout_seconds=5,
    )
    return ChannelSettings(base_url="https://siaga.example.go.id", smtp=smtp, cipher=CIPHER)


async def _send_all(
    db: ScratchDatabase, tenant: uuid.UUID, settings: ChannelSettings
) -> list[DeliveryStatus | None]:
    outcomes = []
    for delivery in await deliveries_of(db, tenant):
        outcome = await deliver(
            db.session_factory,
            alert_audience,
            settings,
            delivery.tenant_id,
            delivery.id,
            now=NOW,
            rng=random.Random(1),  # noqa: S311 - jitter, not a secret
        )
        outcomes.append(outcome.status)
    return outcomes


async def _firing(db: ScratchDatabase) -> uuid.UUID:
    tenant = await people(db)
    await tick(db, tenant, [STOPPED], NOW)
    return tenant


async def test_an_email_arrives_and_the_log_says_sent(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    with SmtpServer() as server:
        assert await _send_all(db, tenant, channels(server.port)) == [DeliveryStatus.SENT] * 2
        # Sending again (a second job for the same delivery) sends nothing.
        assert await _send_all(db, tenant, channels(server.port)) == [None, None]
    assert len(server.handler.envelopes) == 2
    to = sorted(a for e in server.handler.envelopes for a in e.rcpt_tos)
    assert address_of(OPERATOR) in to
    raw = server.handler.envelopes[0].content
    assert isinstance(raw, bytes)
    text = raw.decode()
    assert "Perekaman berhenti" in text and "Murung Raya" in text and "WIB" in text
    assert "/wilayah/62.12/peringatan/" in text
    assert not re.search(r"\d{16,}", text)  # no NIK-like run anywhere, headers included
    log = await deliveries_of(db, tenant)
    assert all(d.status == "sent" and d.attempts == 1 and d.sent_at for d in log)
    assert all(address_of(OPERATOR) not in (d.last_error or "") for d in log)


async def test_a_refused_address_fails_with_the_reason_and_flags_the_channel(
    db: ScratchDatabase,
) -> None:
    tenant = await _firing(db)
    with SmtpServer() as server:
        server.handler.rcpt_answer = "550 5.1.1 Mailbox unknown"
        assert await _send_all(db, tenant, channels(server.port)) == [DeliveryStatus.FAILED] * 2
    log = await deliveries_of(db, tenant)
    assert all(d.status == "failed" and "SMTP 550" in (d.last_error or "") for d in log)
    async with db.session_factory() as session:
        preference = await repository.preference(session, OPERATOR)
    assert preference is not None and preference.email_failing_since is not None
    assert "SMTP 550" in (preference.last_failure or "")


async def test_a_temporary_refusal_waits_for_a_retry(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    with SmtpServer() as server:
        server.handler.rcpt_answer = "451 4.3.0 Try later"
        assert await _send_all(db, tenant, channels(server.port)) == [DeliveryStatus.QUEUED] * 2
        log = await deliveries_of(db, tenant)
        assert all(d.status == "queued" and d.attempts == 1 for d in log)
        assert all(d.next_attempt_at and d.next_attempt_at > NOW for d in log)
        assert all("SMTP 451" in (d.last_error or "") for d in log)
        # Not due yet: another job finds nothing to do.
        assert await _send_all(db, tenant, channels(server.port)) == [None, None]
    assert server.handler.envelopes == []


@pytest.mark.postgres_only
async def test_two_workers_send_one_message_each(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    log = await deliveries_of(db, tenant)
    with SmtpServer() as server:
        settings = channels(server.port)
        # Two jobs for every delivery at the same moment (two workers, a job deferred twice).
        outcomes = await asyncio.gather(
            *(
                deliver(db.session_factory, alert_audience, settings, d.tenant_id, d.id, now=NOW)
                for d in log
                for _ in range(2)
            )
        )
        assert sorted(str(o.status) for o in outcomes).count("sent") == len(log)
    assert len(server.handler.envelopes) == len(log)


@pytest.mark.postgres_only
async def test_the_worker_delivers_from_the_queue(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    log = await deliveries_of(db, tenant)
    with SmtpServer() as server:
        jobs = queue.job_app(db.app_url)
        async with jobs.open_async():
            for d in log:
                assert await defer_delivery(jobs, d.tenant_id, d.id, d.idempotency_key)
                # A second defer while the first waits is refused by the queueing lock.
                assert not await defer_delivery(jobs, d.tenant_id, d.id, d.idempotency_key)
            context = queue.WorkerContext(
                db.session_factory, active_regencies, alert_audience, channels(server.port)
            )
            started = time.monotonic()
            await asyncio.wait_for(
                jobs.run_worker_async(
                    wait=False,
                    additional_context=context.as_dict(),
                    install_signal_handlers=False,
                ),
                timeout=60,
            )
        assert time.monotonic() - started < 60
    # The worker's periodic evaluation may have found (and sent) more of the demo's alerts:
    # every message once, and ours among them.
    ids = [
        email.message_from_bytes(e.content)["Message-ID"]  # type: ignore[arg-type]
        for e in server.handler.envelopes
    ]
    assert len(ids) == len(set(ids))
    assert {message_id(d.idempotency_key) for d in log} <= set(ids)
    statuses = {d.id: d.status for d in await deliveries_of(db, tenant)}
    assert {statuses[d.id] for d in log} == {"sent"}


async def test_after_a_temporary_refusal_the_retry_delivers(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    first = (await deliveries_of(db, tenant))[0]
    with SmtpServer() as server:
        settings = channels(server.port)
        server.handler.rcpt_answer = "451 4.3.0 Try later"
        failed = await deliver(
            db.session_factory, alert_audience, settings, tenant, first.id, now=NOW
        )
        assert failed.status == DeliveryStatus.QUEUED and failed.retry_in is not None
        server.handler.rcpt_answer = None
        later = NOW + timedelta(seconds=failed.retry_in + 1)
        sent = await deliver(
            db.session_factory, alert_audience, settings, tenant, first.id, now=later
        )
        assert sent.status == DeliveryStatus.SENT
    assert len(server.handler.envelopes) == 1
    done = next(d for d in await deliveries_of(db, tenant) if d.id == first.id)
    assert done.attempts == 2 and done.status == "sent" and done.last_error is None


async def test_a_signed_webhook_is_delivered(db: ScratchDatabase) -> None:
    tenant = await _firing(db)
    secret = "rahasia-jembatan-provinsi-" + "abcdefghij0123456789"
    with HttpReceiver() as receiver:
        async with unit_of_work(db.session_factory) as session:
            await service.save_preferences(
                session,
                OPERATOR,
                service.PreferenceForm(
                    webhook_on=True, webhook_url=receiver.url, webhook_secret=secret
                ),
                allow_private_webhooks=True,
                cipher=CIPHER,
                now=NOW,
            )
        async with db.session_factory() as session:
            stored = await service.preference_of(session, OPERATOR)
        assert stored is not None and stored.webhook_secret is not None
        assert stored.webhook_secret.startswith("sealed:") and secret not in stored.webhook_secret
        await tick(db, tenant, [], NOW + timedelta(minutes=1))  # resolved: told on the webhook
        settings = replace(channels(free_port()), webhook_allow_private=True)
        webhook = [d for d in await deliveries_of(db, tenant) if d.channel == "webhook"]
        assert len(webhook) == 1
        outcome = await deliver(
            db.session_factory, alert_audience, settings, tenant, webhook[0].id, now=NOW
        )
        assert outcome.status == DeliveryStatus.SENT
    (request,) = receiver.requests
    assert verify_signature(
        secret,
        request.headers["x-siaga-timestamp"],
        request.body,
        request.headers["x-siaga-signature"],
        now=time.time(),
    )
    body = request.json()
    assert (
        body["event"] == "alert.resolved" and body["idempotency_key"] == webhook[0].idempotency_key
    )
    assert not re.search(r"\d{16,}", request.body.decode())
