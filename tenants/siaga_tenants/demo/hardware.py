"""Demo hardware for Kalimantan Tengah: an office and two kecamatan service points per
regency, each with its devices and 90 days of state history; Murung Raya's APBN recording
server struck by lightning ten weeks ago, escalated to the ministry, no repair date; a few
short outages elsewhere. Device tokens go to var/demo-device-tokens.json (development only)
for the demo heartbeat sender."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Principal, Role
from siaga_platform.hardware import service, summary
from siaga_platform.hardware.incidents import add_event
from siaga_platform.hardware.models import (
    Device,
    DeviceKind,
    DeviceStateChange,
    Funding,
    Heartbeat,
    Incident,
    IncidentCause,
    SiteKind,
)
from siaga_platform.hardware.outages import SYSTEM
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.demo.applications import MURUNG_RAYA, OUTAGE_DAYS_AGO
from siaga_tenants.demo.seed import DEMO_PROVINCE, SEED_ACTOR
from siaga_tenants.regions import repository as regions
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants

TOKENS_FILE = Path("var/demo-device-tokens.json")
OFFICE = [
    (DeviceKind.RECORDING_SERVER, "Server perekaman", Funding.APBN, "*"),
    (DeviceKind.ROUTER, "Router kantor", Funding.APBD, None),
    (DeviceKind.UPS, "UPS server", Funding.APBD, None),
    (DeviceKind.CARD_PRINTER, "Printer kartu", Funding.APBN, None),
    (DeviceKind.CARD_READER, "Pembaca kartu", Funding.APBN, None),
]
RECORDING_SET = [
    (DeviceKind.ROUTER, "Router", Funding.APBD, None),
    (DeviceKind.RECORDING_PC, "PC perekaman", Funding.APBN, "set"),
    (DeviceKind.CAMERA, "Kamera", Funding.APBN, "set"),
    (DeviceKind.FINGERPRINT_SCANNER, "Pemindai sidik jari", Funding.APBN, "set"),
    (DeviceKind.IRIS_SCANNER, "Pemindai iris", Funding.APBN, "set"),
    (DeviceKind.SIGNATURE_PAD, "Alat tanda tangan", Funding.APBN, "set"),
]


async def seed_demo_hardware(session: AsyncSession, *, now: datetime) -> dict[str, str]:
    """Adds each regency's hardware once; returns {device id: token} for new devices."""
    tokens: dict[str, str] = {}
    for tenant in await tenants.list_in_province(session, DEMO_PROVINCE):
        async with system_scope(
            session, TenantScope.single(tenant.id), why="demo.hardware.seed_demo_hardware"
        ):
            if await session.scalar(select(Device.id).limit(1)) is not None:
                continue
            who = Principal(
                subject=SEED_ACTOR,
                display_name="Demo",
                role=Role.OPERATOR,
                tenant_id=tenant.id,
                tenant_code=tenant.code,
                province_code=tenant.province_code,
            )
            rng = random.Random(f"siaga-hardware-{tenant.code}")  # noqa: S311 - demo data
            kecamatan = (await regions.list_kecamatan(session, tenant.code))[:2]
            layout: list[tuple[str, SiteKind, str | None, list[Any]]] = [
                (f"Kantor Disdukcapil {tenant.name}", SiteKind.OFFICE, None, OFFICE)
            ]
            layout += [
                (f"Titik layanan Kec. {k.name}", SiteKind.KECAMATAN, k.code, RECORDING_SET)
                for k in kecamatan
            ]
            for name, kind, kecamatan_code, devices in layout:
                site = await service.create_site(
                    session,
                    who,
                    CodeListDirectory(),
                    name=name,
                    kind=kind,
                    kecamatan_code=kecamatan_code,
                )
                for device_kind, label, funding, group in devices:
                    device, token = await service.register_device(
                        session,
                        who,
                        site_id=site.id,
                        kind=device_kind,
                        label=label,
                        funding=funding,
                        recording_set=f"set-{kecamatan_code}" if group == "set" else group,
                        installed_on=date(2013, 6, 1),
                    )
                    if await _history(session, device, tenant.code, rng, now):
                        tokens[str(device.id)] = token  # the demo sender keeps it alive
            await summary.refresh(session, tenant.id, now=now, with_uptime=True)
    return tokens


async def _history(
    session: AsyncSession, device: Device, code: str, rng: random.Random, now: datetime
) -> bool:
    """Writes the device's past; returns whether it is alive now."""
    start = now - timedelta(days=90)
    changes: list[tuple[datetime, str]] = [(start, "up")]
    struck = code == MURUNG_RAYA and device.kind == DeviceKind.RECORDING_SERVER
    strike_at = datetime.combine(
        (now - timedelta(days=OUTAGE_DAYS_AGO)).date(), time(9, 40), tzinfo=UTC
    )
    if struck:
        changes.append((strike_at, "down"))
    elif rng.random() < 0.15:  # a short outage: a power cut or a network fault
        down = start + timedelta(days=rng.randint(5, 80), hours=rng.randint(0, 20))
        changes += [(down, "down"), (down + timedelta(hours=rng.randint(1, 30)), "up")]
    for at, state in changes:
        session.add(
            DeviceStateChange(tenant_id=device.tenant_id, device_id=device.id, at=at, state=state)
        )
    last_state_at, last_state = changes[-1]
    device.logged_state, device.logged_state_since = last_state, last_state_at
    if struck:
        device.last_beat_at, device.last_status = strike_at, "fault"
        device.silent_after = strike_at + timedelta(minutes=3)
        device.recovering = True
        session.add(
            Heartbeat(
                tenant_id=device.tenant_id,
                device_id=device.id,
                taken_at=strike_at,
                status="fault",
                readings={"note": "listrik padam, petir"},
            )
        )
        incident = Incident(
            tenant_id=device.tenant_id,
            device_id=device.id,
            site_id=device.site_id,
            title="Server perekaman tersambar petir",
            cause=IncidentCause.LIGHTNING,
            opened_automatically=False,
            opened_at=strike_at,
            funding=Funding.APBN.value,
            reported_to_ministry_on=(strike_at + timedelta(days=3)).date(),
            ministry_reference="470/0217/DISDUKCAPIL-MR/2026",
            expected_repair_on=None,
        )
        session.add(incident)
        await session.flush()
        add_event(
            session,
            incident,
            strike_at,
            SEED_ACTOR,
            "opened",
            "Server mati setelah tersambar petir saat hujan badai.",
        )
        add_event(
            session,
            incident,
            strike_at + timedelta(days=3),
            SEED_ACTOR,
            "escalated",
            "Dilaporkan ke Kemendagri (server pengadaan APBN); menunggu penggantian.",
        )
        add_event(
            session, incident, strike_at, SYSTEM, "note", "Perekaman di semua titik terhenti."
        )
        return False
    for minutes_ago in range(5, 0, -1):
        at = now - timedelta(minutes=minutes_ago)
        session.add(
            Heartbeat(
                tenant_id=device.tenant_id,
                device_id=device.id,
                taken_at=at,
                status="ok",
                readings={},
            )
        )
    device.silent_after = now + timedelta(minutes=2)
    device.last_beat_at, device.last_status, device.good_streak = (
        now - timedelta(minutes=1),
        "ok",
        5,
    )
    return True


def save_tokens(tokens: dict[str, str]) -> None:
    if not tokens:
        return
    TOKENS_FILE.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(TOKENS_FILE.read_text()) if TOKENS_FILE.exists() else {}
    known.update(tokens)
    TOKENS_FILE.write_text(json.dumps(known, indent=1))
