"""The periodic tasks. Each is deferred once per tick for the whole cluster (procrastinate
records every periodic defer under a unique key), so two workers never both run a tick."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts.digest import ProvinceSource, digest_day
from siaga_platform.alerts.evaluate import RegencySource, evaluate_all
from siaga_platform.alerts.service import Change
from siaga_platform.applications import importer
from siaga_platform.applications import repository as applications
from siaga_platform.config import get_settings
from siaga_platform.delivery import service as delivery_service
from siaga_platform.delivery.digest import DigestJob, queue_digest, send_digest
from siaga_platform.delivery.models import Channel
from siaga_platform.delivery.recipients import AudienceSource
from siaga_platform.delivery.send import ChannelSettings, deliver
from siaga_platform.hardware.retention import keep_beats
from siaga_platform.hardware.watch import SWEEP_SECONDS as SWEEP_PERIOD_SECONDS
from siaga_platform.hardware.watch import sweep_all
from siaga_platform.observability.metrics import ALERT_EVALUATION_SECONDS, SWEEP_SECONDS
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


#: The hardware sweep every ``SWEEP_PERIOD_SECONDS`` (cron's optional sixth column is seconds).
SWEEP_CRON = f"* * * * * */{SWEEP_PERIOD_SECONDS}"
HARDWARE_SWEEP = "hardware.sweep"
ALERTS_EVALUATE = "alerts.evaluate"
#: The heartbeats' day partitions made ahead and old days dropped, hourly (minute 17: away from
#: the top of the hour, when the other hourly work of a province runs).
HARDWARE_PARTITIONS = "hardware.partitions"
PARTITIONS_CRON = "17 * * * *"
ALERTS_DELIVER = "alerts.deliver"
ALERTS_DIGEST = "alerts.digest"
ALERTS_DIGEST_SEND = "alerts.digest_send"
#: The morning digest is looked for every 5 minutes: a province's 07:00 falls into one tick,
#: and a tick missed (a worker restarting) is made up by the next, until noon.
DIGEST_CRON = "*/5 * * * *"
DIGEST_PERIOD_SECONDS = 300
#: Alerts are evaluated every minute: with the 3-minute missed-beat threshold and the 30-s
#: sweep, a stopped recording server is an alert within ~5 minutes.
ALERTS_CRON = "* * * * *"
# The keys of what the worker's context holds (``queue.WorkerContext``).
SESSION_FACTORY = "session_factory"
REGENCIES = "regencies"
AUDIENCES = "audiences"
CHANNELS = "channels"
PROVINCES = "provinces"
CLOCK = "clock"
CIPHER = "cipher"
IMPORTS = "imports"
OFFICE_HOURS = "office_hours"
APPLICATIONS_IMPORT = "applications.import"
IMPORTS_WATCH = "applications.imports_watch"
#: Imports with no sign of life are looked for every 5 minutes.
IMPORTS_WATCH_CRON = "*/5 * * * *"
#: What an import run needs of its regency: its kecamatan (code, name) and its own day (the
#: tenant registry answers; the core does not import it).
ImportSource = Callable[
    [AsyncSession, uuid.UUID, datetime], Awaitable[tuple[list[tuple[str, str]], date] | None]
]


def session_factory_of(context: procrastinate.JobContext) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = context.additional_context[SESSION_FACTORY]
    return factory


def now_of(context: procrastinate.JobContext) -> datetime:
    """The worker's clock: the wall clock, or a test's (``WorkerContext.clock``)."""
    clock: Callable[[], datetime] | None = context.additional_context.get(CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


def _stale(timestamp: int, period_seconds: int) -> bool:
    """A tick that waited longer than two periods (a worker was away): the next one does the
    same work on fresher data."""
    return time.time() - timestamp > 2 * period_seconds


async def hardware_sweep(context: procrastinate.JobContext, timestamp: int) -> None:
    """Silent devices marked down, their incidents opened, stale uptimes refreshed."""
    if _stale(timestamp, SWEEP_PERIOD_SECONDS):
        log.info("hardware sweep of %s skipped: a newer one follows", timestamp)
        return
    with SWEEP_SECONDS.time():
        report = await sweep_all(session_factory_of(context), now=now_of(context))
    if report.changes or report.opened or report.closed:
        log.info(
            "hardware sweep: %s state changes, %s incidents opened, %s closed",
            report.changes,
            report.opened,
            report.closed,
        )


async def hardware_partitions(context: procrastinate.JobContext, timestamp: int) -> None:
    """Raw heartbeats kept for ``SIAGA_HEARTBEAT_RETENTION_DAYS`` (``hardware.retention``)."""
    if _stale(timestamp, 3600):
        log.info("heartbeat partitions of %s skipped: a newer tick follows", timestamp)
        return
    report = await keep_beats(
        session_factory_of(context),
        now=now_of(context),
        retention_days=get_settings().heartbeat_retention_days,
        office_hours=context.additional_context.get(OFFICE_HOURS),
    )
    if report.partitions_made or report.hours_rolled or report.days_dropped:
        log.info(
            "heartbeats: %s day partitions made, %s device-hours rolled up, %s days dropped",
            report.partitions_made,
            report.hours_rolled,
            len(report.days_dropped),
        )


async def alerts_evaluate(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every regency's rules, then the alerts' lifecycle (open, remind, escalate, resolve), then
    the inbox items and one delivery job per message of each change."""
    if _stale(timestamp, 60):
        log.info("alert evaluation of %s skipped: a newer one follows", timestamp)
        return
    regencies_of: RegencySource = context.additional_context[REGENCIES]
    audiences: AudienceSource | None = context.additional_context.get(AUDIENCES)
    now = now_of(context)
    queued: list[delivery_service.Queued] = []

    async def tell(db: AsyncSession, tenant_id: uuid.UUID, changes: list[Change]) -> None:
        if audiences is None:
            return
        audience = await audiences(db, tenant_id)
        if audience is not None:
            queued.extend(await delivery_service.fan_out(db, audience, changes, now=now))

    with ALERT_EVALUATION_SECONDS.time():
        changes = await evaluate_all(
            session_factory_of(context), regencies_of, now=now, after_reconcile=tell
        )
    if changes:
        # Counts, not ids: 514 regencies firing at once would make one line of thousands.
        counts = Counter(c.kind.value for c in changes)
        log.info("alerts: %s", ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
    # After the commit: a job never runs ahead of its row. New messages in bulk (a national
    # storm queued 516 one round trip at a time, ~9/s, and that paced the deliveries).
    await defer_deliveries(context.app, queued)
    if audiences is not None:
        async with unit_of_work(session_factory_of(context)) as db:
            overdue = await delivery_service.overdue(db, now=now)
        for item in overdue:  # a job may still wait for these: one at a time
            await defer_delivery(
                context.app, item.tenant_id, item.delivery_id, item.idempotency_key
            )


#: Delivery jobs inserted per statement.
DEFER_BATCH = 200


async def defer_deliveries(app: procrastinate.App, queued: list[delivery_service.Queued]) -> None:
    """One job per delivery, in batches (one insert each) with the same locks as
    ``defer_delivery``; a batch that meets a job already waiting for one of its rows is
    deferred again one by one, so that one is skipped and none of the others lost."""
    for start in range(0, len(queued), DEFER_BATCH):
        part = queued[start : start + DEFER_BATCH]
        jobs = [
            app.configure_task(
                ALERTS_DELIVER, lock=item.idempotency_key, queueing_lock=item.idempotency_key
            ).make_new_job(tenant_id=str(item.tenant_id), delivery_id=str(item.delivery_id))
            for item in part
        ]
        try:
            await app.job_manager.batch_defer_jobs_async(jobs)
        except procrastinate.exceptions.AlreadyEnqueued:
            for item in part:
                await defer_delivery(app, item.tenant_id, item.delivery_id, item.idempotency_key)


async def defer_delivery(
    app: procrastinate.App,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    key: str,
    *,
    in_seconds: float | None = None,
) -> bool:
    """One job per delivery: ``queueing_lock`` keeps a second one from being queued while the
    first waits, ``lock`` keeps two from running at once (the row's claim does the rest).
    False when a job for it already waits."""
    options: dict[str, object] = {"lock": key, "queueing_lock": key}
    if in_seconds is not None:
        options["schedule_in"] = {"seconds": max(1, round(in_seconds))}
    try:
        await app.configure_task(ALERTS_DELIVER, **options).defer_async(  # type: ignore[arg-type]
            tenant_id=str(tenant_id), delivery_id=str(delivery_id)
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


async def alerts_deliver(
    context: procrastinate.JobContext, tenant_id: str, delivery_id: str
) -> None:
    """Send one message; on a failure that may pass, a new job after the backoff."""
    audiences: AudienceSource = context.additional_context[AUDIENCES]
    channels: ChannelSettings = context.additional_context[CHANNELS]
    tenant, delivery = uuid.UUID(tenant_id), uuid.UUID(delivery_id)
    outcome = await deliver(
        session_factory_of(context), audiences, channels, tenant, delivery, now=now_of(context)
    )
    if outcome.status is not None:
        log.info("delivery %s: %s", delivery_id, outcome.status.value)
    if outcome.retry_in is not None:
        job = context.job
        key = job.lock if job is not None and job.lock else f"delivery-{delivery_id}"
        await defer_delivery(context.app, tenant, delivery, key, in_seconds=outcome.retry_in)


async def alerts_digest(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every province whose morning it is: its digest rows (once per day), one job each."""
    provinces_of: ProvinceSource | None = context.additional_context.get(PROVINCES)
    if provinces_of is None or _stale(timestamp, DIGEST_PERIOD_SECONDS):
        return
    now = now_of(context)
    due: list[DigestJob] = []
    async with unit_of_work(session_factory_of(context)) as db:
        for province in await provinces_of(db, now):
            day = digest_day(province.zone, now)
            if day is not None:
                due += await queue_digest(db, province, day, now=now)
    for job in due:  # after the commit, like the alerts' deliveries
        await defer_digest(context.app, job)


async def defer_digest(
    app: procrastinate.App, job: DigestJob, *, in_seconds: float | None = None
) -> bool:
    options: dict[str, object] = {"lock": job.key, "queueing_lock": job.key}
    if in_seconds is not None:
        options["schedule_in"] = {"seconds": max(1, round(in_seconds))}
    try:
        await app.configure_task(ALERTS_DIGEST_SEND, **options).defer_async(  # type: ignore[arg-type]
            province_code=job.province_code,
            day=job.day.isoformat(),
            recipient=job.recipient,
            channel=job.channel.value,
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


async def alerts_digest_send(
    context: procrastinate.JobContext, province_code: str, day: str, recipient: str, channel: str
) -> None:
    job = DigestJob(province_code, date.fromisoformat(day), recipient, Channel(channel))
    outcome = await send_digest(
        session_factory_of(context),
        context.additional_context[PROVINCES],
        context.additional_context[CHANNELS],
        job,
        now=now_of(context),
    )
    if outcome.status is not None:
        log.info("digest %s: %s", job.key, outcome.status.value)
    if outcome.retry_in is not None:
        await defer_digest(context.app, job, in_seconds=outcome.retry_in)


def import_lock(job_id: uuid.UUID | str) -> str:
    return f"import-{job_id}"


async def defer_import(app: procrastinate.App, tenant_id: uuid.UUID, job_id: uuid.UUID) -> bool:
    """One waiting run per import (``queueing_lock``); False when one already waits."""
    try:
        await app.configure_task(
            APPLICATIONS_IMPORT, queueing_lock=import_lock(job_id)
        ).defer_async(tenant_id=str(tenant_id), job_id=str(job_id))
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


async def applications_import(
    context: procrastinate.JobContext, tenant_id: str, job_id: str
) -> None:
    """Run (or resume) one CSV import: progress commits chunk by chunk."""
    inputs_of: ImportSource = context.additional_context[IMPORTS]
    cipher: FieldCipher = context.additional_context[CIPHER]
    tenant, job = uuid.UUID(tenant_id), uuid.UUID(job_id)
    now = now_of(context)
    async with session_factory_of(context)() as db:
        inputs = await inputs_of(db, tenant, now)
    if inputs is None:
        log.warning("import %s: its regency is gone", job_id)
        return
    kecamatan, today = inputs
    await importer.run_import(
        session_factory_of(context),
        cipher,
        kecamatan,
        tenant_id=tenant,
        job_id=job,
        today=today,
        now=now,
    )


async def imports_watch(context: procrastinate.JobContext, timestamp: int) -> None:
    """Imports whose run died with its worker: run again (resuming), or failed with why."""
    regencies_of: RegencySource = context.additional_context[REGENCIES]
    now = now_of(context)
    factory = session_factory_of(context)
    async with unit_of_work(factory) as db:
        regencies = await regencies_of(db, now)
        async with system_scope(
            db,
            TenantScope.national({r.tenant_id for r in regencies}),
            why="jobs.tasks.imports_watch",
        ):
            stalled = {
                job.tenant_id
                for job in await applications.stalled_imports(db, now - importer.STALLED_AFTER)
            }
    again: list[tuple[uuid.UUID, uuid.UUID]] = []
    for tenant_id in stalled:
        async with (
            unit_of_work(factory) as db,
            system_scope(db, TenantScope.single(tenant_id), why="jobs.tasks.imports_watch"),
        ):
            again += await importer.stalled_or_failed(db, now=now)
    for tenant_id, job_id in again:
        if await defer_import(context.app, tenant_id, job_id):
            log.info("import %s: run again after its run stopped", job_id)


#: The periodic ticks go before the messages and imports waiting in the queue: during a
#: national storm a new outage elsewhere must still be noticed on time (higher runs first).
TICK_PRIORITY = 10


def _periodic(
    app: procrastinate.App, name: str, run: Callable[..., Awaitable[None]], cron: str, key: str
) -> None:
    """A tick: once per cluster per period (``queueing_lock``), ahead of the queue, and never
    beside the last tick of its task still running (``lock``: a slow evaluation under load
    overlapped the next one, and both opened the same alert)."""
    task = app.task(
        name=name, pass_context=True, lock=name, queueing_lock=name, priority=TICK_PRIORITY
    )(run)
    app.periodic(cron=cron, periodic_id=key)(task)


def register(app: procrastinate.App) -> None:
    """Every task on ``app``. Each process builds its own app (``queue.job_app``) and registers
    them there: a task bound to another app would defer its jobs into that app's queue."""
    _periodic(app, HARDWARE_SWEEP, hardware_sweep, SWEEP_CRON, "hardware")
    _periodic(app, HARDWARE_PARTITIONS, hardware_partitions, PARTITIONS_CRON, "partitions")
    _periodic(app, ALERTS_EVALUATE, alerts_evaluate, ALERTS_CRON, "alerts")
    _periodic(app, ALERTS_DIGEST, alerts_digest, DIGEST_CRON, "digest")
    _periodic(app, IMPORTS_WATCH, imports_watch, IMPORTS_WATCH_CRON, "imports")
    app.task(name=ALERTS_DELIVER, pass_context=True)(alerts_deliver)
    app.task(name=ALERTS_DIGEST_SEND, pass_context=True)(alerts_digest_send)
    app.task(name=APPLICATIONS_IMPORT, pass_context=True)(applications_import)
