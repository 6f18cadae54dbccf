"""The alert lifecycle: open, keep, resolve; remind and escalate while nobody acknowledges;
acknowledge and silence by hand. Services never commit; every step is an ``AlertEvent``.

``reconcile`` is the evaluator's one entry per regency: it takes the rule findings of now and
brings the regency's open alerts in line (one alert per rule and subject, never a duplicate),
answering what happened so that deliveries can be queued for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts import access, repository
from siaga_platform.alerts.models import Alert, AlertEvent, EventKind, Level
from siaga_platform.alerts.rules import Finding, Thresholds
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict, InvalidInput, NotFound

SYSTEM = "system:alerts"
#: The actor of a silence set because the subject is in planned maintenance.
MAINTENANCE = "system:maintenance"
NOTE_MAX = 500
SILENCE_MAX = timedelta(days=30)
#: The last step: the platform's admins (national). 0 regency staff, 1 province supervisors.
TOP_STEP = 2


@dataclass(frozen=True, slots=True)
class Change:
    """Something people should be told about."""

    alert_id: uuid.UUID
    tenant_id: uuid.UUID
    kind: EventKind
    escalation_step: int


def _event(
    alert: Alert, kind: EventKind, at: datetime, actor: str, note: str | None = None
) -> AlertEvent:
    return AlertEvent(
        tenant_id=alert.tenant_id,
        alert_id=alert.id,
        kind=kind,
        at=at,
        actor=actor,
        note=note,
        escalation_step=alert.escalation_step,
    )


async def reconcile(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    findings: list[Finding],
    *,
    limits: Thresholds,
    now: datetime,
) -> list[Change]:
    """Bring the open alerts of ``tenant_id`` (in scope) in line with ``findings``."""
    changes: list[Change] = []
    open_by_key = {
        (a.rule, a.subject_key): a for a in await repository.open_alerts(db, for_update=True)
    }
    wanted = {finding.key: finding for finding in findings}
    for key, finding in wanted.items():
        alert = open_by_key.get(key)
        if alert is None:
            alert = Alert(
                tenant_id=tenant_id,
                rule=finding.rule,
                subject_key=finding.subject_key,
                subject_label=finding.subject_label,
                level=finding.level,
                summary=finding.summary,
                opened_at=now,
                last_seen_at=now,
                escalation_step=finding.first_step,
                escalated_at=now if finding.first_step else None,
            )
            db.add(alert)
            await db.flush()
            db.add(_event(alert, EventKind.OPENED, now, SYSTEM, finding.summary))
            if _maintenance_silence(db, alert, finding, now):
                continue  # on the page as silenced, told to nobody
            changes.append(Change(alert.id, tenant_id, EventKind.OPENED, alert.escalation_step))
            continue
        alert.last_seen_at = now
        alert.summary = finding.summary
        if alert.level != finding.level:
            alert.level = finding.level
            db.add(_event(alert, EventKind.LEVEL_CHANGED, now, SYSTEM, finding.summary))
        _maintenance_silence(db, alert, finding, now)
        changes.extend(_climb(db, alert, limits, now))
    for key, alert in open_by_key.items():
        if key not in wanted:
            alert.resolved_at = now
            db.add(_event(alert, EventKind.RESOLVED, now, SYSTEM))
            changes.append(Change(alert.id, tenant_id, EventKind.RESOLVED, alert.escalation_step))
    await db.flush()
    return changes


def _silence_due(alert: Alert, finding: Finding, now: datetime) -> bool:
    """Planned maintenance of the subject outlasts the alert's silence (a longer silence
    someone set stays)."""
    until = finding.silence_until
    if until is None or until <= now:
        return False
    return alert.silenced_until is None or alert.silenced_until < until


def _maintenance_silence(db: AsyncSession, alert: Alert, finding: Finding, now: datetime) -> bool:
    """Planned maintenance of the subject silences its alert until the window ends (audited
    like a silence by hand). True: the alert is silent."""
    until = finding.silence_until
    if until is None or until <= now:
        return alert.silenced(now)
    if _silence_due(alert, finding, now):
        alert.silenced_until = until
        alert.silenced_by = MAINTENANCE
        alert.silence_reason = finding.silence_reason[:NOTE_MAX]
        db.add(_event(alert, EventKind.SILENCED, now, MAINTENANCE, alert.silence_reason))
    return True


def _step_due(alert: Alert, limits: Thresholds, now: datetime) -> EventKind | None:
    """ESCALATED or REMINDED when an alert nobody acknowledged is due for it (a silence stops
    both); None otherwise."""
    if alert.acknowledged or alert.silenced(now):
        return None
    since_step = alert.escalated_at or alert.opened_at
    if alert.escalation_step < TOP_STEP and now - since_step >= timedelta(
        minutes=limits.escalate_after_minutes
    ):
        return EventKind.ESCALATED
    last_told = alert.reminded_at or alert.opened_at
    if now - last_told >= timedelta(minutes=limits.remind_every_minutes):
        return EventKind.REMINDED
    return None


def _climb(db: AsyncSession, alert: Alert, limits: Thresholds, now: datetime) -> list[Change]:
    """Escalate an alert nobody acknowledged, or remind of it (``_step_due``)."""
    due = _step_due(alert, limits, now)
    if due is None:
        return []
    if due is EventKind.ESCALATED:
        alert.escalation_step += 1
        alert.escalated_at = now
    alert.reminded_at = now
    db.add(_event(alert, due, now, SYSTEM))
    return [Change(alert.id, alert.tenant_id, due, alert.escalation_step)]


def only_seen(
    open_alerts: Sequence[Alert], findings: list[Finding], *, limits: Thresholds, now: datetime
) -> bool:
    """True when ``reconcile`` would change nothing but ``last_seen_at``: each finding has its
    open alert with the same sentence and level, none is left to resolve, and no maintenance
    silence, escalation or reminder is due. The evaluator then marks those alerts seen in one
    statement for the whole country instead of a locked transaction per regency (most
    regencies carry standing alerts: 514 transactions a minute for nothing)."""
    wanted = {finding.key: finding for finding in findings}
    if len(open_alerts) != len(wanted):
        return False
    for alert in open_alerts:
        finding = wanted.get((alert.rule, alert.subject_key))
        if (
            finding is None
            or alert.summary != finding.summary
            or alert.level != finding.level
            or _silence_due(alert, finding, now)
            or _step_due(alert, limits, now) is not None
        ):
            return False
    return True


async def mark_seen(db: AsyncSession, alert_ids: Collection[uuid.UUID], *, now: datetime) -> None:
    """The findings behind these open alerts (of the tenants the scope writes) still hold."""
    await repository.mark_seen(db, alert_ids, now)


def _clean_note(note: str, *, field: str, required: bool) -> str | None:
    cleaned = " ".join(note.split())
    if required and not cleaned:
        raise InvalidInput("Alasan wajib diisi.", field=field)
    if len(cleaned) > NOTE_MAX:
        raise InvalidInput(f"Catatan paling banyak {NOTE_MAX} huruf.", field=field)
    return cleaned or None


async def _open_alert(db: AsyncSession, alert_id: uuid.UUID) -> Alert:
    alert = await repository.get(db, alert_id, for_update=True)
    if alert is None:
        raise NotFound("Peringatan tidak ditemukan atau bukan wilayah Anda.")
    if alert.resolved_at is not None:
        raise Conflict("Peringatan ini sudah pulih; tidak ada yang perlu ditanggapi.")
    return alert


async def acknowledge(
    db: AsyncSession, principal: Principal, alert_id: uuid.UUID, *, note: str, now: datetime
) -> Alert:
    """Someone takes it in hand: reminders and escalation stop."""
    alert = await _open_alert(db, alert_id)
    access.check_acknowledge(principal, alert)
    if alert.acknowledged:
        raise Conflict("Peringatan ini sudah ditanggapi. Muat ulang halaman untuk melihatnya.")
    alert.acknowledged_at = now
    alert.acknowledged_by = principal.subject
    alert.acknowledgement_note = _clean_note(note, field="note", required=False)
    db.add(
        _event(alert, EventKind.ACKNOWLEDGED, now, principal.subject, alert.acknowledgement_note)
    )
    await db.flush()
    return alert


async def silence(
    db: AsyncSession,
    principal: Principal,
    alert_id: uuid.UUID,
    *,
    until: datetime,
    reason: str,
    now: datetime,
) -> Alert:
    """Mute an alert until ``until`` with a reason (both shown on the alert)."""
    if until <= now:
        raise InvalidInput("Batas waktu senyap harus di masa depan.", field="until")
    if until - now > SILENCE_MAX:
        raise InvalidInput("Senyap paling lama 30 hari.", field="until")
    alert = await _open_alert(db, alert_id)
    access.check_silence(principal, alert)
    alert.silenced_until = until
    alert.silenced_by = principal.subject
    alert.silence_reason = _clean_note(reason, field="reason", required=True)
    db.add(_event(alert, EventKind.SILENCED, now, principal.subject, alert.silence_reason))
    await db.flush()
    return alert


def is_firing(alert: Alert, now: datetime) -> bool:
    """Still calling for someone: not resolved, not acknowledged, not silenced."""
    return alert.resolved_at is None and not alert.acknowledged and not alert.silenced(now)


def worst_first(alerts: Sequence[Alert]) -> list[Alert]:
    """Gawat before Perhatikan, the oldest first within a level."""
    return sorted(alerts, key=lambda a: (a.level != Level.GAWAT, a.opened_at))


async def firing_alerts(
    db: AsyncSession, now: datetime, tenant_ids: Collection[uuid.UUID]
) -> list[Alert]:
    """The firing alerts of the given tenants (within the session's scope), worst first."""
    return worst_first(
        [
            a
            for a in await repository.open_alerts(db)
            if is_firing(a, now) and a.tenant_id in tenant_ids
        ]
    )


async def recent(db: AsyncSession, *, now: datetime, resolved_days: int) -> Sequence[Alert]:
    """The alerts in scope that are open, or were resolved in the last ``resolved_days``."""
    return await repository.listing(db, resolved_since=now - timedelta(days=resolved_days))


async def alert_of(
    db: AsyncSession, alert_id: uuid.UUID, tenant_ids: Collection[uuid.UUID]
) -> Alert:
    """An alert of one of ``tenant_ids`` (in the session's scope), or 404 as if missing."""
    alert = await repository.get(db, alert_id)
    if alert is None or alert.tenant_id not in tenant_ids:
        raise NotFound(access.NOT_YOURS)
    return alert


async def alert_with_timeline(
    db: AsyncSession, alert_id: uuid.UUID, tenant_id: uuid.UUID
) -> tuple[Alert, Sequence[AlertEvent]]:
    """A regency's alert and its timeline, or 404 (another regency's reads like a missing one)."""
    alert = await alert_of(db, alert_id, {tenant_id})
    return alert, await repository.timeline(db, alert.id)
