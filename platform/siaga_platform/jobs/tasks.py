"""The periodic tasks. Each is deferred once per tick for the whole cluster (procrastinate
records every periodic defer under a unique key), so two workers never both run a tick."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts.evaluate import RegencySource, evaluate_all
from siaga_platform.hardware.watch import SWEEP_SECONDS, sweep_all

log = logging.getLogger(__name__)


#: The hardware sweep every ``SWEEP_SECONDS`` (cron's optional sixth column is seconds).
SWEEP_CRON = f"* * * * * */{SWEEP_SECONDS}"
HARDWARE_SWEEP = "hardware.sweep"
ALERTS_EVALUATE = "alerts.evaluate"
#: Alerts are evaluated every minute: with the 3-minute missed-beat threshold and the 30-s
#: sweep, a stopped recording server is an alert within ~5 minutes.
ALERTS_CRON = "* * * * *"
# The keys of what the worker's context holds (``queue.WorkerContext``).
SESSION_FACTORY = "session_factory"
REGENCIES = "regencies"


def session_factory_of(context: procrastinate.JobContext) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = context.additional_context[SESSION_FACTORY]
    return factory


def _stale(timestamp: int, period_seconds: int) -> bool:
    """A tick that waited longer than two periods (a worker was away): the next one does the
    same work on fresher data."""
    return time.time() - timestamp > 2 * period_seconds


async def hardware_sweep(context: procrastinate.JobContext, timestamp: int) -> None:
    """Silent devices marked down, their incidents opened, stale uptimes refreshed."""
    if _stale(timestamp, SWEEP_SECONDS):
        log.info("hardware sweep of %s skipped: a newer one follows", timestamp)
        return
    report = await sweep_all(session_factory_of(context), now=datetime.now(UTC))
    if report.changes or report.opened or report.closed:
        log.info(
            "hardware sweep: %s state changes, %s incidents opened, %s closed",
            report.changes,
            report.opened,
            report.closed,
        )


async def alerts_evaluate(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every regency's rules, then the alerts' lifecycle (open, remind, escalate, resolve)."""
    if _stale(timestamp, 60):
        log.info("alert evaluation of %s skipped: a newer one follows", timestamp)
        return
    regencies_of: RegencySource = context.additional_context[REGENCIES]
    changes = await evaluate_all(session_factory_of(context), regencies_of, now=datetime.now(UTC))
    if changes:
        log.info("alerts: %s", ", ".join(f"{c.kind.value} {c.alert_id}" for c in changes))


def register(app: procrastinate.App) -> None:
    """Every task on ``app``. Each process builds its own app (``queue.job_app``) and registers
    them there: a task bound to another app would defer its jobs into that app's queue."""
    sweep = app.task(name=HARDWARE_SWEEP, pass_context=True, queueing_lock=HARDWARE_SWEEP)(
        hardware_sweep
    )
    app.periodic(cron=SWEEP_CRON, periodic_id="hardware")(sweep)
    evaluation = app.task(name=ALERTS_EVALUATE, pass_context=True, queueing_lock=ALERTS_EVALUATE)(
        alerts_evaluate
    )
    app.periodic(cron=ALERTS_CRON, periodic_id="alerts")(evaluation)
