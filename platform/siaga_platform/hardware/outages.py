"""Automatic outages: the state log of each device and the incidents the watch opens when a
device, a recording set or a whole site goes down (outside planned maintenance) and closes
when it is back; the sweep that notices silent devices. What staff do by hand is in
``incidents``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware import repository, summary
from siaga_platform.hardware.capacity import SHARED
from siaga_platform.hardware.incidents import add_event
from siaga_platform.hardware.models import (
    Device,
    DeviceStateChange,
    Incident,
    IncidentCause,
    MaintenanceWindow,
)
from siaga_platform.hardware.state import MISSED_BEATS, DeviceState, site_states
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.text import N_

SYSTEM = "system:hardware-watch"
KIND_LABELS = {
    "recording_server": N_("Server perekaman"),
    "recording_pc": N_("PC perekaman"),
    "camera": N_("Kamera"),
    "fingerprint_scanner": N_("Pemindai sidik jari"),
    "iris_scanner": N_("Pemindai iris"),
    "signature_pad": N_("Alat tanda tangan"),
    "card_printer": N_("Printer kartu"),
    "card_reader": N_("Pembaca kartu"),
    "router": N_("Router"),
    "ups": N_("UPS"),
}


@dataclass(frozen=True, slots=True)
class SweepReport:
    changes: int
    opened: int
    closed: int


def _in_maintenance(device: Device, windows: list[MaintenanceWindow], at: datetime) -> bool:
    return any(
        w.starts_at <= at < w.ends_at and (w.device_id == device.id or w.site_id == device.site_id)
        for w in windows
    )


def _went_down_at(device: Device, now: datetime) -> datetime:
    """A silent device went down when its last beat stopped counting (not when the sweep
    noticed); a device that reported a fault went down with that beat."""
    if device.last_beat_at is None:
        return now
    silent_from = device.last_beat_at + timedelta(
        seconds=device.expected_interval_seconds * MISSED_BEATS
    )
    if now <= silent_from:
        return device.last_beat_at
    return silent_from


async def log_state(db: AsyncSession, device: Device, state: DeviceState, *, now: datetime) -> bool:
    """Record a derived state change in the state log (uptime reads it); False if unchanged."""
    if state.value == device.logged_state:
        return False
    at = _went_down_at(device, now) if state is DeviceState.DOWN else (device.last_beat_at or now)
    if device.logged_state_since is not None:
        at = max(at, device.logged_state_since)
    db.add(
        DeviceStateChange(tenant_id=device.tenant_id, device_id=device.id, at=at, state=state.value)
    )
    device.logged_state, device.logged_state_since = state.value, at
    return True


@dataclass(frozen=True, slots=True)
class Outage:
    """What is down at a site, at the widest level that explains it: the whole site, a
    recording set whose every member is down, or one device (one fault, not ten)."""

    site_id: uuid.UUID
    recording_set: str | None
    devices: tuple[Device, ...]
    #: When the first of them went down.
    since: datetime
    whole_site: bool = False

    @property
    def key(self) -> tuple[str, object]:
        if self.whole_site:
            return ("site", self.site_id)
        if self.recording_set is not None:
            return ("set", self.recording_set)
        return ("device", self.devices[0].id)

    def title(self, site_name: str) -> str:
        if self.whole_site:
            return f"Seluruh perangkat di {site_name} mati atau tak terjangkau"
        if self.recording_set is not None:
            return f"Set perekaman {self.recording_set} di {site_name} mati"
        device = self.devices[0]
        return f"{KIND_LABELS.get(device.kind, device.kind)} mati: {device.label}"


def _incident_key(incident: Incident) -> tuple[str, object]:
    if incident.device_id is not None:
        return ("device", incident.device_id)
    if incident.recording_set is not None:
        return ("set", incident.recording_set)
    return ("site", incident.site_id)


def _down_since(device: Device, now: datetime) -> datetime:
    if device.logged_state in ("down", "unreachable") and device.logged_state_since:
        return device.logged_state_since
    return _went_down_at(device, now)  # derived down, not yet in the state log


def site_outages(
    site_id: uuid.UUID,
    devices: list[Device],
    states: dict[uuid.UUID, DeviceState],
    maintained: set[uuid.UUID],
    now: datetime,
) -> list[Outage]:
    """Group a site's failing devices (down or unreachable, outside planned maintenance)."""

    def outage(recording_set: str | None, down: tuple[Device, ...], **kw: bool) -> Outage:
        since = min(_down_since(d, now) for d in down)
        return Outage(site_id, recording_set, down, since, **kw)

    failing = {d.id for d in devices if states[d.id] in (DeviceState.DOWN, DeviceState.UNREACHABLE)}
    counted = failing - maintained
    if not counted:
        return []
    if len(devices) > 1 and all(d.id in failing or d.id in maintained for d in devices):
        down = tuple(d for d in devices if d.id in counted)
        return [outage(None, down, whole_site=True)]
    outages: list[Outage] = []
    grouped: set[uuid.UUID] = set()
    sets: dict[str, list[Device]] = {}
    for device in devices:
        if device.recording_set and device.recording_set != SHARED:
            sets.setdefault(device.recording_set, []).append(device)
    for name, members in sorted(sets.items()):
        if len(members) > 1 and all(m.id in failing or m.id in maintained for m in members):
            down = tuple(m for m in members if m.id in counted)
            if down:
                outages.append(outage(name, down))
            grouped.update(m.id for m in members)
    for device in devices:
        # Behind a dead router the others are unreachable: the router's incident covers them.
        alone = device.id in counted and device.id not in grouped
        if alone and states[device.id] is DeviceState.DOWN:
            outages.append(outage(None, (device,)))
    return outages


async def reconcile_site_incidents(
    db: AsyncSession,
    site_id: uuid.UUID,
    *,
    now: datetime,
    windows: list[MaintenanceWindow],
) -> tuple[int, int]:
    """Make the site's automatic incidents match what is down now (derived states, so a beat
    and the sweep agree): open one per outage that has none, close those whose outage is
    over. Only the site row is locked: callers hold their devices' locks. (opened, closed)"""
    await repository.lock_site(db, site_id)
    site = await repository.site(db, site_id)
    devices = list(await repository.devices_at(db, site_id))
    if site is None or not devices:
        return 0, 0
    states = site_states(devices, now)
    maintained = {d.id for d in devices if _in_maintenance(d, windows, d.logged_state_since or now)}
    outages = {o.key: o for o in site_outages(site_id, devices, states, maintained, now)}
    existing = {
        _incident_key(i): i for i in await repository.open_automatic_incidents_at(db, site_id)
    }
    opened = closed = 0
    for key, incident in existing.items():
        if key not in outages:
            at = max(incident.opened_at, now if key[0] != "device" else _back_at(devices, key))
            incident.closed_at = at
            incident.resolution = "Pulih: perangkat kembali mengirim denyut."
            add_event(db, incident, at, SYSTEM, "closed", incident.resolution)
            closed += 1
    for key, outage in outages.items():
        if key in existing:
            continue
        first = outage.devices[0]
        incident = Incident(
            tenant_id=first.tenant_id,
            device_id=first.id if key[0] == "device" else None,
            site_id=site_id,
            recording_set=outage.recording_set,
            title=outage.title(site.name)[:200],
            cause=IncidentCause.UNKNOWN,
            opened_automatically=True,
            opened_at=outage.since,
            funding=first.funding if key[0] == "device" else None,
        )
        db.add(incident)
        await db.flush()
        add_event(
            db,
            incident,
            incident.opened_at,
            SYSTEM,
            "opened",
            "Dibuka otomatis: perangkat berhenti mengirim denyut.",
        )
        opened += 1
    await db.flush()
    return opened, closed


def _back_at(devices: list[Device], key: tuple[str, object]) -> datetime:
    """A device incident closes when the device came back (its logged state's start)."""
    device = next(d for d in devices if d.id == key[1])
    return device.logged_state_since or datetime.now(UTC)


async def sweep_tenant(db: AsyncSession, tenant_id: uuid.UUID, *, now: datetime) -> SweepReport:
    """Log the devices that went silent (run every 30 s or so, idempotent).

    Only sites with a device past its ``silent_after`` are read (an index lookup), so the
    sweep costs little when everything beats; a site is read whole because a silent router
    makes its other devices unreachable rather than down.
    """
    changes = opened = closed = 0
    async with system_scope(db, TenantScope.single(tenant_id), why="hardware.outages.sweep_tenant"):
        due = await repository.sites_due_for_sweep(db, now)
        if not due:
            return SweepReport(0, 0, 0)
        devices = await repository.devices_at_sites(db, due, lock=True)
        windows = list(await repository.maintenance_between(db, now - timedelta(days=1), now))
        by_site: dict[uuid.UUID, list[Device]] = {}
        for device in devices:
            by_site.setdefault(device.site_id, []).append(device)
        for site_id, site_devices in sorted(by_site.items(), key=lambda item: str(item[0])):
            # Sites in one order (by id), like the beats': two reconciles never wait crosswise.
            states = site_states(site_devices, now)
            moved = [
                device
                for device in site_devices
                if await log_state(db, device, states[device.id], now=now)
            ]
            if moved:
                changes += len(moved)
                o, c = await reconcile_site_incidents(db, site_id, now=now, windows=windows)
                opened, closed = opened + o, closed + c
        if changes:
            await summary.refresh(db, tenant_id, now=now)
    return SweepReport(changes, opened, closed)
