"""Standing alerts (issue 17): when a minute's findings are those already open, with the same
sentence and level and nothing due, the evaluator only marks them seen, in one statement for
the whole country, instead of a locked transaction per regency; anything else still goes
through ``reconcile``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from siaga_platform.alerts import repository, service
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.models import Alert, EventKind, Level, Rule
from siaga_platform.alerts.rules import Finding, Thresholds
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
LIMITS = Thresholds(escalate_after_minutes=60, remind_every_minutes=30)
STOPPED = Finding(Rule.RECORDING_STOPPED, Level.GAWAT, "Perekaman berhenti: 0 dari 2 set.")


def _open(finding: Finding, **changed: Any) -> Alert:
    fields: dict[str, Any] = {
        "tenant_id": uuid.uuid4(),
        "rule": finding.rule,
        "subject_key": finding.subject_key,
        "level": finding.level,
        "summary": finding.summary,
        "opened_at": T0,
        "last_seen_at": T0,
        "escalation_step": 0,
        "escalated_at": None,
        "reminded_at": None,
        "acknowledged_at": None,
        "silenced_until": None,
    }
    return Alert(**(fields | changed))


def test_only_the_same_findings_with_nothing_due_are_merely_seen() -> None:
    soon = T0 + timedelta(minutes=1)
    assert service.only_seen([], [], limits=LIMITS, now=soon)
    assert service.only_seen([_open(STOPPED)], [STOPPED], limits=LIMITS, now=soon)
    reworded = Finding(STOPPED.rule, STOPPED.level, "Perekaman berhenti: 0 dari 3 set.")
    milder = Finding(STOPPED.rule, Level.PERHATIKAN, STOPPED.summary)
    other_site = Finding(Rule.DEVICES_SILENT, Level.PERHATIKAN, "x", subject_key="site-1")
    for findings in ([reworded], [milder], [STOPPED, other_site], []):
        assert not service.only_seen([_open(STOPPED)], findings, limits=LIMITS, now=soon)
    assert not service.only_seen([], [STOPPED], limits=LIMITS, now=soon)  # to open
    # A reminder is due half an hour on, unless someone took it in hand or silenced it.
    later = T0 + timedelta(minutes=30)
    assert not service.only_seen([_open(STOPPED)], [STOPPED], limits=LIMITS, now=later)
    acknowledged = _open(STOPPED, acknowledged_at=T0)
    assert service.only_seen([acknowledged], [STOPPED], limits=LIMITS, now=later)
    silenced = _open(STOPPED, silenced_until=T0 + timedelta(hours=1))
    assert service.only_seen([silenced], [STOPPED], limits=LIMITS, now=later)
    # Planned maintenance beyond the alert's silence extends it (an event): not merely seen.
    maintained = Finding(
        STOPPED.rule, STOPPED.level, STOPPED.summary, silence_until=T0 + timedelta(hours=2)
    )
    assert not service.only_seen([silenced], [maintained], limits=LIMITS, now=soon)
    longer = _open(STOPPED, silenced_until=T0 + timedelta(hours=3))
    assert service.only_seen([longer], [maintained], limits=LIMITS, now=soon)


async def _open_alerts(db: ScratchDatabase, now: datetime) -> list[Alert]:
    async with db.session_factory() as session:
        regencies = await active_regencies(session, now)
        await enter_scope(session, TenantScope.read_only({r.tenant_id for r in regencies}))
        return list(await repository.open_alerts(session))


async def test_standing_alerts_are_seen_without_reconciling_until_something_is_due(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    now = datetime.now(UTC).replace(microsecond=0)
    opened = await evaluate_all(db.session_factory, active_regencies, now=now)
    assert opened and {c.kind for c in opened} == {EventKind.OPENED}
    reconciled: list[uuid.UUID] = []
    reconcile = service.reconcile

    async def counted(session: Any, tenant_id: uuid.UUID, *args: Any, **kwargs: Any) -> Any:
        reconciled.append(tenant_id)
        return await reconcile(session, tenant_id, *args, **kwargs)

    monkeypatch.setattr(service, "reconcile", counted)
    minute = now + timedelta(minutes=1)
    assert await evaluate_all(db.session_factory, active_regencies, now=minute) == []
    assert reconciled == []
    standing = await _open_alerts(db, minute)
    assert len(standing) == len(opened)
    assert {a.last_seen_at.replace(tzinfo=UTC) for a in standing} == {minute}
    # An hour on, nobody acknowledged them: each climbs to the province, through reconcile.
    hour = now + timedelta(minutes=61)
    climbed = await evaluate_all(db.session_factory, active_regencies, now=hour)
    assert {c.alert_id for c in climbed if c.kind is EventKind.ESCALATED} == {
        a.id for a in standing
    }
    assert set(reconciled) == {a.tenant_id for a in standing}
