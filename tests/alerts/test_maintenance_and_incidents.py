"""Planned maintenance silences a site's hardware alert by itself (audited, shown on the alert,
told to nobody), but only when it covers every device down there; a hardware incident the
province has not acknowledged goes to the province's supervisors; both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from siaga_platform.alerts import repository
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.models import Alert, EventKind, Rule
from siaga_platform.alerts.service import MAINTENANCE, Change
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.hardware import incidents, service
from siaga_platform.hardware.models import Device, DeviceKind, Funding, IncidentCause
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import office_server

NOW = datetime.now(UTC).replace(microsecond=0)


async def _mark_down(db: ScratchDatabase, tenant: uuid.UUID, *devices: uuid.UUID) -> None:
    """As the sweep leaves a device that stopped beating two hours ago."""
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        await session.execute(
            update(Device)
            .where(Device.id.in_(devices))
            .values(logged_state="down", logged_state_since=NOW - timedelta(hours=2))
        )


async def _evaluate(db: ScratchDatabase, at: datetime) -> list[Change]:
    return await evaluate_all(db.session_factory, active_regencies, now=at)


async def _open(db: ScratchDatabase, tenant: uuid.UUID, rule: Rule) -> list[Alert]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        return [a for a in await repository.open_alerts(session) if a.rule == rule]


async def _maintain(
    db: ScratchDatabase,
    who: Principal,
    *,
    site: uuid.UUID | None = None,
    device: uuid.UUID | None = None,
    hours: int = 2,
) -> None:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await incidents.plan_maintenance(
            session,
            who,
            device_id=device,
            site_id=site,
            starts_at=NOW - timedelta(minutes=10),
            ends_at=NOW + timedelta(hours=hours),
            reason="Ganti UPS",
        )


async def test_maintenance_of_the_site_silences_its_alert_until_the_window_ends(
    db: ScratchDatabase,
) -> None:
    who, server, _, site = await office_server(db)
    tenant = who.tenant_id
    assert tenant is not None
    await _maintain(db, who, site=site)
    await _mark_down(db, tenant, server)
    changes = await _evaluate(db, NOW)
    [alert] = await _open(db, tenant, Rule.DEVICES_SILENT)
    assert alert.id not in {c.alert_id for c in changes}  # opened, told to nobody
    assert alert.silenced_by == MAINTENANCE
    assert alert.silence_reason == "Perawatan terencana: Ganti UPS"
    assert alert.silenced_until is not None
    assert alert.silenced_until.replace(tzinfo=UTC) == NOW + timedelta(hours=2)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        kinds = [e.kind for e in await repository.timeline(session, alert.id)]
    assert kinds == [EventKind.OPENED, EventKind.SILENCED]
    # While the window lasts nothing is told, however long nobody acknowledges.
    later = await _evaluate(db, NOW + timedelta(minutes=90))
    assert alert.id not in {c.alert_id for c in later}
    # After it, still down: people are told.
    after = await _evaluate(db, NOW + timedelta(hours=3))
    assert alert.id in {c.alert_id for c in after}


async def test_maintenance_of_one_device_does_not_hide_another_down_at_the_site(
    db: ScratchDatabase,
) -> None:
    who, server, _, site = await office_server(db)
    tenant = who.tenant_id
    assert tenant is not None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        printer, _ = await service.register_device(
            session,
            who,
            site_id=site,
            kind=DeviceKind.CARD_PRINTER,
            label="Printer kartu",
            funding=Funding.APBD,
            recording_set=None,
        )
    await _maintain(db, who, device=server)
    await _mark_down(db, tenant, server, printer.id)
    changes = await _evaluate(db, NOW)
    [alert] = await _open(db, tenant, Rule.DEVICES_SILENT)
    assert alert.silenced_until is None
    assert alert.id in {c.alert_id for c in changes if c.kind is EventKind.OPENED}


async def test_an_incident_the_province_leaves_unacknowledged_goes_to_the_province(
    db: ScratchDatabase,
) -> None:
    who, server, _, _ = await office_server(db)
    tenant = who.tenant_id
    assert tenant is not None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        incident = await incidents.report_incident(
            session,
            who,
            device_id=server,
            site_id=None,
            cause=IncidentCause.LIGHTNING,
            title="Server tersambar petir, Pak Budi melapor",
            note=None,
            now=NOW,
        )
    early = await _evaluate(db, NOW + timedelta(hours=3))
    assert not await _open(db, tenant, Rule.INCIDENT_UNACKNOWLEDGED)
    assert all(c.tenant_id != tenant or c.kind is not EventKind.ESCALATED for c in early)
    changes = await _evaluate(db, NOW + timedelta(hours=4))
    [alert] = await _open(db, tenant, Rule.INCIDENT_UNACKNOWLEDGED)
    assert alert.escalation_step == 1  # straight to the province's supervisors
    assert (alert.id, EventKind.OPENED, 1) in {
        (c.alert_id, c.kind, c.escalation_step) for c in changes
    }
    assert alert.subject_key == str(incident.id)
    assert "Budi" not in alert.subject_label + alert.summary  # the typed title stays out
    supervisor = Principal(
        subject="test-supervisor-62",
        display_name="Supervisor 62",
        role=Role.SUPERVISOR_PROVINSI,
        province_code="62",
        province_tenant_ids=frozenset({tenant}),
    )
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.read_only({tenant}))
        await incidents.acknowledge(
            session, supervisor, incident.id, note="Teknisi dikirim", now=NOW + timedelta(hours=5)
        )
    resolved = await _evaluate(db, NOW + timedelta(hours=5))
    assert (alert.id, EventKind.RESOLVED) in {(c.alert_id, c.kind) for c in resolved}
