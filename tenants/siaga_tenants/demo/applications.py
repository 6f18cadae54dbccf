"""Demo applications for Kalimantan Tengah: a few hundred per regency across every status, and
Murung Raya's pile since its recording server was struck by lightning ten weeks ago (people
registered but not recorded, PRR records waiting for blank cards)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications.bulk import HistoricApplication, write_applications
from siaga_platform.applications.kinds import age_on, first_card_age
from siaga_platform.applications.models import Application, Reason
from siaga_platform.applications.nik import parse_nik
from siaga_platform.applications.statuses import Status
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.demo.seed import DEMO_PROVINCE, SEED_ACTOR
from siaga_tenants.regions import repository as regions
from siaga_tenants.registry import repository as tenants

MURUNG_RAYA = "62.12"
OUTAGE_DAYS_AGO = 70  # ten weeks
LONG_WAITING = 15  # Murung Raya applicants recorded ~200 days ago

FIRST = [
    "Siti",
    "Budi",
    "Agus",
    "Dewi",
    "Rina",
    "Joko",
    "Yuni",
    "Hendra",
    "Sri",
    "Andi",
    "Nur",
    "Rudi",
    "Lestari",
    "Bambang",
    "Wati",
    "Eka",
    "Fitri",
    "Dimas",
    "Ayu",
    "Rahmat",
    "Intan",
    "Yohanes",
    "Maria",
    "Daniel",
    "Markus",
    "Ester",
]
LAST = [
    "Aminah",
    "Santoso",
    "Wijaya",
    "Lestari",
    "Saputra",
    "Hidayat",
    "Susanti",
    "Pratama",
    "Rahayu",
    "Kurniawan",
    "Ningsih",
    "Setiawan",
    "Anggraini",
    "Nugroho",
    "Tambunan",
    "Sinaga",
    "Dayak",
    "Ngaju",
    "Maanyan",
    "Siang",
    "Murung",
    "Kahayan",
]
# Weights of where an application of a working office stands today.
MIX = [
    (Status.REGISTERED, 5),
    (Status.RECORDED, 8),
    (Status.SENT, 5),
    (Status.RECEIVED, 3),
    (Status.PRR, 9),
    (Status.ADJUDICATION, 2),
    (Status.DUPLICATE, 2),
    (Status.ENROLLMENT_FAILED, 1),
    (Status.PRINT_QUEUED, 3),
    (Status.PRINTED, 3),
    (Status.READY, 5),
    (Status.ISSUED, 50),
    (Status.CANCELLED, 4),
]
PIPELINE = [
    Status.REGISTERED,
    Status.RECORDED,
    Status.SENT,
    Status.RECEIVED,
    Status.PRR,
    Status.PRINT_QUEUED,
    Status.PRINTED,
    Status.READY,
    Status.ISSUED,
]
GAPS = {
    Status.RECORDED: (0, 3),
    Status.SENT: (0, 1),
    Status.RECEIVED: (0, 4),
    Status.PRR: (1, 21),
    Status.PRINT_QUEUED: (0, 3),
    Status.PRINTED: (0, 6),
    Status.READY: (0, 2),
    Status.ISSUED: (1, 12),
    Status.ADJUDICATION: (1, 5),
    Status.DUPLICATE: (1, 6),
    Status.ENROLLMENT_FAILED: (1, 6),
    Status.CANCELLED: (0, 20),
}


def _path(target: Status) -> list[Status]:
    if target in PIPELINE:
        return PIPELINE[: PIPELINE.index(target) + 1]
    if target is Status.CANCELLED:
        return [Status.REGISTERED, Status.CANCELLED]
    return [*PIPELINE[:4], target]  # outcomes of central deduplication


def _history(
    rng: random.Random, path: list[Status], start: datetime, now: datetime
) -> list[tuple[Status, datetime]]:
    at, history = start, [(path[0], start)]
    for status in path[1:]:
        low, high = GAPS[status]
        at = min(at + timedelta(days=rng.randint(low, high), hours=rng.randint(1, 7)), now)
        history.append((status, at))
    return history


def _person(
    rng: random.Random, regency: str, kecamatan: list[str], serial: int, today: date
) -> tuple[str, str, str]:
    kecamatan_code = rng.choice(kecamatan)
    born = today - timedelta(days=rng.randint(17 * 365, 70 * 365))
    female = rng.random() < 0.5
    day = born.day + (40 if female else 0)
    nik = (
        f"{regency.replace('.', '')}{kecamatan_code[-2:]}{day:02d}{born.month:02d}"
        f"{born.year % 100:02d}{serial:04d}"
    )
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return nik, name, kecamatan_code


def plan_regency(regency: str, kecamatan: list[str], today: date) -> list[HistoricApplication]:
    """Deterministic per regency, so the demo looks the same every time it is built."""
    rng = random.Random(f"siaga-demo-{regency}")  # noqa: S311 - demo data, not secrets
    now = datetime.combine(today, time(10), tzinfo=UTC)
    outage = now - timedelta(days=OUTAGE_DAYS_AGO)
    planned: list[tuple[list[Status], datetime]] = []
    if regency == MURUNG_RAYA:
        # Before the strike: an ordinary office. Since: nobody can be recorded, and the PRR
        # records that came back from the centre wait for blank cards that are gone.
        for _ in range(220):
            target = rng.choices([s for s, _ in MIX], [w for _, w in MIX])[0]
            if target in (Status.REGISTERED, Status.RECORDED):
                target = Status.ISSUED
            planned.append((_path(target), outage - timedelta(days=rng.randint(25, 90))))
        for _ in range(420):
            planned.append(([Status.REGISTERED], outage + timedelta(days=rng.randint(0, 69))))
        # Enough recorded people for the 2,299 substitute letters (demo/letters.py), a few of
        # them recorded half a year ago, whose letters expire within the month.
        for _ in range(2_330):
            planned.append((PIPELINE[:5], outage - timedelta(days=rng.randint(12, 40))))
        for _ in range(LONG_WAITING):
            planned.append((PIPELINE[:5], now - timedelta(days=200)))
    else:
        for _ in range(rng.randint(220, 380)):
            target = rng.choices([s for s, _ in MIX], [w for _, w in MIX])[0]
            # A working office prints what comes back from the centre within days.
            waiting = target in (Status.PRR, Status.PRINT_QUEUED)
            age = rng.randint(1, 8) if waiting else rng.randint(1, 90)
            planned.append((_path(target), now - timedelta(days=age)))
    applications = []
    for serial, (path, start) in enumerate(planned, start=1):
        nik, name, kecamatan_code = _person(rng, regency, kecamatan, serial, today)
        history = _history(rng, path, start, now)
        if regency == MURUNG_RAYA and path == PIPELINE[:5]:
            # Recorded before the strike; PRR came back afterwards and waits for a card.
            history = [
                (s, min(at, outage - timedelta(hours=1)))
                if s is not Status.PRR
                else (s, outage + timedelta(days=rng.randint(0, 50)))
                for s, at in history
            ]
        parsed = parse_nik(nik, today=today)
        reason = rng.choice(
            [
                Reason.FIRST_CARD,
                Reason.FIRST_CARD,
                Reason.LOST,
                Reason.DAMAGED,
                Reason.DATA_CHANGE,
                Reason.MOVING_IN,
            ]
        )
        if reason is Reason.FIRST_CARD and not first_card_age(age_on(parsed.birth_date, today)):
            reason = Reason.LOST  # the kind agrees with the age, as registration demands
        applications.append(
            HistoricApplication(
                nik=parsed,
                name=name,
                kecamatan_code=kecamatan_code,
                reason=reason,
                history=history,
                birth_place="Kalimantan Tengah",
                desa="-",
            )
        )
    return applications


async def seed_demo_applications(
    session: AsyncSession, cipher: FieldCipher, *, today: date
) -> dict[str, int]:
    """Adds each regency's demo applications once; a regency that has them is left alone."""
    added: dict[str, int] = {}
    for tenant in await tenants.list_in_province(session, DEMO_PROVINCE):
        async with system_scope(
            session, TenantScope.single(tenant.id), why="demo.applications.seed_demo_applications"
        ):
            already = await session.scalar(
                select(Application.id).where(Application.created_by == SEED_ACTOR).limit(1)
            )
            if already is not None:
                continue
            kecamatan = [k.code for k in await regions.list_kecamatan(session, tenant.code)]
            planned = plan_regency(tenant.code, kecamatan, today)
            await write_applications(session, tenant.id, cipher, planned, created_by=SEED_ACTOR)
            added[tenant.code] = len(planned)
    return added
