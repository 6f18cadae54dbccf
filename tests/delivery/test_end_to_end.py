"""From the worker's evaluation to a message in the mailbox, on both databases (the queue in
PostgreSQL, or in memory as the SQLite development server runs it): Murung Raya's recording
stopped, the operator and the head of office each get one e-mail, a second tick sends nothing
more, and the inbox holds their items."""

from __future__ import annotations

import asyncio
import email
import time
from datetime import UTC, datetime, timedelta
from email.message import Message

from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import (
    ALERTS_DELIVER,
    ALERTS_EVALUATE,
    defer_deliveries,
    defer_delivery,
)
from siaga_platform.notify.email import message_id
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships import repository as memberships
from siaga_tenants.memberships.audience import alert_audience
from siaga_tenants.registry import repository as tenants
from tests.delivery.helpers import (
    HEAD,
    OPERATOR,
    STOPPED,
    address_of,
    deliveries_of,
    inbox_of,
    people,
    tick,
)
from tests.delivery.test_deliver import channels
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.notify.servers import SmtpServer


async def _tick(db: ScratchDatabase, port: int) -> None:
    jobs = queue.job_app(db.app_url)
    context = queue.WorkerContext(
        db.session_factory, active_regencies, alert_audience, channels(port)
    )
    async with jobs.open_async():
        await jobs.configure_task(ALERTS_EVALUATE).defer_async(timestamp=int(time.time()))
        await asyncio.wait_for(
            jobs.run_worker_async(
                wait=False, additional_context=context.as_dict(), install_signal_handlers=False
            ),
            timeout=120,
        )


async def test_a_stopped_regency_reaches_its_staff_once(db: ScratchDatabase) -> None:
    await seed_whole_demo(db)
    async with unit_of_work(db.session_factory) as session:
        for subject in (OPERATOR, HEAD):
            user = await memberships.get_user(session, subject)
            assert user is not None
            user.email = address_of(subject)
        murung_raya = await tenants.get_by_code(session, "62.12")
        assert murung_raya is not None
    with SmtpServer() as server:
        await _tick(db, server.port)
        await _tick(db, server.port)  # the next minute: nothing new to tell
    messages: list[Message] = [
        email.message_from_bytes(e.content)  # type: ignore[arg-type]
        for e in server.handler.envelopes
    ]
    stopped = [
        m for m in messages if "Perekaman berhenti, Kabupaten Murung Raya" in str(m["Subject"])
    ]
    assert sorted(str(m["To"]) for m in stopped) == sorted([address_of(OPERATOR), address_of(HEAD)])
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids))  # every message once
    told = {who for who, kind, _ in await inbox_of(db, murung_raya.id) if kind == "opened"}
    assert {OPERATOR, HEAD} <= told


async def test_a_lost_delivery_job_is_queued_again_by_the_next_tick(db: ScratchDatabase) -> None:
    """The process stopped between the commit and the defer: the next tick finds the row."""
    tenant = await people(db)
    await tick(db, tenant, [STOPPED], datetime.now(UTC) - timedelta(minutes=10))
    lost = await deliveries_of(db, tenant)
    assert len(lost) == 2 and {d.status for d in lost} == {"queued"}
    with SmtpServer() as server:
        await _tick(db, server.port)
    statuses = {d.id: d.status for d in await deliveries_of(db, tenant)}
    assert {statuses[d.id] for d in lost} == {"sent"}
    ids = [
        email.message_from_bytes(e.content)["Message-ID"]  # type: ignore[arg-type]
        for e in server.handler.envelopes
    ]
    assert all(ids.count(message_id(d.idempotency_key)) == 1 for d in lost)


async def test_deliveries_are_deferred_in_bulk_and_a_waiting_job_is_not_doubled(
    db: ScratchDatabase,
) -> None:
    tenant = await people(db)
    queued = await tick(db, tenant, [STOPPED], datetime.now(UTC))
    assert len(queued) == 2
    jobs = queue.job_app(db.app_url)
    async with jobs.open_async():
        first = queued[0]
        await defer_delivery(jobs, first.tenant_id, first.delivery_id, first.idempotency_key)
        await defer_deliveries(jobs, queued)  # the batch meets the waiting one: one by one
        again = [
            j for j in await jobs.job_manager.list_jobs_async() if j.task_name == ALERTS_DELIVER
        ]
    assert sorted(j.task_kwargs["delivery_id"] for j in again) == sorted(
        str(q.delivery_id) for q in queued
    )
    assert {j.queueing_lock for j in again} == {q.idempotency_key for q in queued}
