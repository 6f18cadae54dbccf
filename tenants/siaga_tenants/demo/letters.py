"""Demo substitute letters for Kalimantan Tengah: Murung Raya's 2,299 letters in force (no
blank cards), a few of them expiring within the month; other regencies a handful or none.

Written in bulk with the numbers, counters and counts the service would have kept; the
tests check that the counts agree with a recount of the letters."""

from __future__ import annotations

import random
import secrets
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications.bulk import insert_rows
from siaga_platform.applications.models import Application
from siaga_platform.applications.service import decrypt_name, decrypt_nik
from siaga_platform.letters.document import LetterContent, content_hash
from siaga_platform.letters.models import (
    Letter,
    LetterCounter,
    LetterDayCount,
    LetterEvent,
    LetterExpiryCount,
    LetterReason,
)
from siaga_platform.letters.numbering import format_number
from siaga_platform.letters.service import ELIGIBLE, add_months
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.privacy.masking import mask_name
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.demo.applications import LONG_WAITING, MURUNG_RAYA
from siaga_tenants.demo.seed import DEMO_PROVINCE, SEED_ACTOR
from siaga_tenants.domain_inputs.letters import letter_policy
from siaga_tenants.regions import repository as regions
from siaga_tenants.registry import repository as tenants

MURUNG_RAYA_LETTERS = 2_299


async def seed_demo_letters(
    session: AsyncSession, cipher: FieldCipher, *, today: date
) -> dict[str, int]:
    """Adds each regency's letters once; returns how many per regency code."""
    added: dict[str, int] = {}
    for tenant in await tenants.list_in_province(session, DEMO_PROVINCE):
        async with system_scope(
            session, TenantScope.single(tenant.id), why="demo.letters.seed_demo_letters"
        ):
            if await session.scalar(select(Letter.id).limit(1)) is not None:
                continue
            rng = random.Random(f"siaga-letters-{tenant.code}")  # noqa: S311 - demo data
            added[tenant.code] = await _letters(session, cipher, tenant.id, tenant.code, rng, today)
    return added


def issued_to_expire_on(target: date, validity_months: int) -> date:
    """The latest issue day whose letter expires on ``target``, or on the first day after it
    that an issue day reaches (month ends: six months after no day is 29-31 August)."""
    around = add_months(target, -validity_months)
    candidates = [around + timedelta(days=d) for d in range(-4, 5)]
    reaching = [d for d in candidates if add_months(d, validity_months) >= target]
    return max(reaching, key=lambda d: (-add_months(d, validity_months).toordinal(), d))


def _plan(
    rng: random.Random,
    code: str,
    candidates: list[Application],
    today: date,
    validity_months: int,
) -> list[tuple[Application, date, LetterReason]]:
    if code == MURUNG_RAYA:
        oldest = sorted(candidates, key=lambda a: a.recorded_at or datetime.max.replace(tzinfo=UTC))
        early = oldest[:LONG_WAITING]
        rest = [a for a in candidates if a not in early][: MURUNG_RAYA_LETTERS - len(early)]
        # Half a year ago (an earlier shortage): these expire within the coming weeks, the
        # first tomorrow (from "182 days ago" it expired up to 3 days ago in some months).
        planned = [
            (
                a,
                issued_to_expire_on(today + timedelta(days=1 + 2 * i), validity_months),
                LetterReason.NO_BLANK_CARDS,
            )
            for i, a in enumerate(early)
        ]
        planned += [
            (a, today - timedelta(days=rng.randint(0, 29)), LetterReason.NO_BLANK_CARDS)
            for a in rest
        ]
        return planned
    reasons = [LetterReason.PRINTER_DOWN, LetterReason.DATA_CENTRE_DOWN, LetterReason.WAITING_PRR]
    chosen = rng.sample(candidates, k=min(len(candidates), rng.choice([0, 0, 2, 5, 9])))
    return [(a, today - timedelta(days=rng.randint(0, 60)), rng.choice(reasons)) for a in chosen]


async def _letters(
    session: AsyncSession,
    cipher: FieldCipher,
    tenant_id: uuid.UUID,
    code: str,
    rng: random.Random,
    today: date,
) -> int:
    policy = letter_policy(await tenants.get_settings(session))
    eligible = [s.value for s in ELIGIBLE]
    candidates = list(
        (
            await session.scalars(
                select(Application)
                .where(Application.status.in_(eligible), Application.recorded_at.is_not(None))
                .order_by(Application.id)
            )
        ).all()
    )
    planned = sorted(
        _plan(rng, code, candidates, today, policy.validity_months), key=lambda p: (p[1], p[0].id)
    )
    kecamatan = {k.code: k.name for k in await regions.list_kecamatan(session, code)}
    letters: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    sequences: Counter[int] = Counter()
    expiry: Counter[date] = Counter()
    days: Counter[date] = Counter()
    for application, issued_on, reason in planned:
        sequences[issued_on.year] += 1
        sequence = sequences[issued_on.year]
        prr_on = application.prr_at.date() if application.prr_at else None
        status_code = "PRR" if prr_on and prr_on <= issued_on else "BC"
        name = decrypt_name(cipher, application)
        nik = decrypt_nik(cipher, application)
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "application_id": application.id,
            "nik_hash": application.nik_hash,
            "nik_masked": application.nik_masked,
            "holder_masked": mask_name(name),
            "year": issued_on.year,
            "sequence": sequence,
            "number": format_number(policy.number_format, sequence=sequence, year=issued_on.year),
            "reason": reason.value,
            "reason_note": None,
            "status_code": status_code,
            "issued_on": issued_on,
            "valid_until": add_months(issued_on, policy.validity_months),
            "renewed_on": None,
            "signer_name": policy.signer_name or "Kepala Dinas",
            "signer_title": policy.signer_title,
            "token": secrets.token_urlsafe(18),
            "revoked_at": None,
            "revoked_on": None,
            "revoked_reason": None,
            "converted": False,
            "issued_by": SEED_ACTOR,
            "created_at": datetime.combine(issued_on, time(3), tzinfo=UTC),
            "version": 1,
        }
        row["content_hash"] = content_hash(
            LetterContent(
                number=row["number"],
                nik=nik,
                name=name,
                birth_place=application.birth_place,
                birth_date=application.birth_date,
                sex=application.sex,
                desa=application.desa,
                kecamatan=kecamatan.get(application.kecamatan_code, application.kecamatan_code),
                status_code=status_code,
                reason=reason,
                issued_on=issued_on,
                valid_until=row["valid_until"],
                signer_name=row["signer_name"],
                signer_title=row["signer_title"],
                token=row["token"],
            )
        )
        letters.append(row)
        events.append(
            {
                "tenant_id": tenant_id,
                "id": uuid.uuid4(),
                "letter_id": row["id"],
                "kind": "issued",
                "actor_subject": SEED_ACTOR,
                "occurred_at": row["created_at"],
                "valid_until": row["valid_until"],
                "note": None,
            }
        )
        expiry[row["valid_until"]] += 1
        days[issued_on] += 1
    if not letters:
        return 0
    await insert_rows(session, Letter, letters)
    await insert_rows(session, LetterEvent, events)
    await insert_rows(
        session,
        LetterCounter,
        [{"tenant_id": tenant_id, "year": y, "last_number": n} for y, n in sequences.items()],
    )
    await insert_rows(
        session,
        LetterExpiryCount,
        [{"tenant_id": tenant_id, "valid_until": d, "count": n} for d, n in expiry.items()],
    )
    await insert_rows(
        session,
        LetterDayCount,
        [
            {"tenant_id": tenant_id, "day": d, "metric": "issued", "count": n}
            for d, n in days.items()
        ],
    )
    return len(letters)
