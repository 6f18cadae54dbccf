"""Writing many applications at once with their history (CSV import, demo data, benchmarks).

One code path for all three, and the same bookkeeping as a single move: timeline events,
milestones, maintained counts and duration histograms.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import repository
from siaga_platform.applications.models import (
    DEFAULT_PRIORITY,
    Application,
    ApplicationEvent,
    ApplicationNameWord,
    Priority,
    Reason,
)
from siaga_platform.applications.nik import Nik
from siaga_platform.applications.statuses import Status
from siaga_platform.db.base import new_id
from siaga_platform.privacy.crypto import FieldCipher


@dataclass(frozen=True, slots=True)
class HistoricApplication:
    nik: Nik
    name: str
    kecamatan_code: str
    reason: Reason
    #: The statuses it went through, oldest first, each with when it entered it.
    history: list[tuple[Status, datetime]]
    birth_place: str = "-"
    desa: str = "-"
    priority: Priority | None = None
    note: str | None = None
    #: When given, the birth date to keep (the NIK's two-digit year cannot tell the century).
    birth_date: date | None = None


def _milestones(history: list[tuple[Status, datetime]]) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = {
        "recorded_at": None,
        "prr_at": None,
        "printed_at": None,
        "issued_at": None,
    }
    for status, at in history:
        key = {
            Status.RECORDED: "recorded_at",
            Status.PRR: "prr_at",
            Status.PRINTED: "printed_at",
            Status.ISSUED: "issued_at",
        }.get(status)
        if key:
            found[key] = at
    return found


async def insert_rows(db: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """A Core executemany on the model's table: measured ~20x faster than an ORM bulk insert
    here. The tenancy wall checks every row's tenant_id all the same."""
    if rows:
        await db.execute(model.__table__.insert(), rows)


async def write_applications(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    cipher: FieldCipher,
    items: list[HistoricApplication],
    *,
    created_by: str,
    import_job_id: uuid.UUID | None = None,
) -> None:
    applications: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    words: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    durations: Counter[tuple[date, str, int]] = Counter()
    for item in items:
        application_id = new_id()
        current, since = item.history[-1]
        milestones = _milestones(item.history)
        applications.append(
            {
                "tenant_id": tenant_id,
                "id": application_id,
                "nik_hash": cipher.search_hash(item.nik.digits, tenant_id=tenant_id, field="nik"),
                "nik_ciphertext": cipher.encrypt(item.nik.digits, tenant_id=tenant_id, field="nik"),
                "nik_masked": item.nik.masked,
                "name_ciphertext": cipher.encrypt(item.name, tenant_id=tenant_id, field="name"),
                "key_id": cipher.current_key_id,
                "search_key_id": cipher.current_search_key_id,
                "birth_place": item.birth_place,
                "birth_date": item.birth_date or item.nik.birth_date,
                "sex": item.nik.sex.value,
                "kecamatan_code": item.kecamatan_code,
                "desa": item.desa,
                "reason": item.reason.value,
                "priority": (item.priority or DEFAULT_PRIORITY[item.reason]).value,
                "recording_site": None,
                "status": current.value,
                "status_since": since,
                "registered_on": item.history[0][1].date(),
                **milestones,
                "import_job_id": import_job_id,
                "created_by": created_by,
                "created_at": item.history[0][1],
                "version": len(item.history),
            }
        )
        previous: str | None = None
        for step, at in item.history:
            events.append(
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "application_id": application_id,
                    "from_status": previous,
                    "to_status": step.value,
                    "actor_subject": created_by,
                    "occurred_at": at,
                    "note": item.note,
                }
            )
            previous = step.value
        words += [
            {"tenant_id": tenant_id, "application_id": application_id, "word_hash": word}
            for word in cipher.word_hashes(item.name, tenant_id=tenant_id)
        ]
        counts[current.value] += 1
        recorded, prr, printed = (
            milestones["recorded_at"],
            milestones["prr_at"],
            milestones["printed_at"],
        )
        if prr and recorded and len(item.history) > 1:
            durations[(prr.date(), "recorded_to_prr", (prr - recorded).days)] += 1
        if printed:
            durations[(printed.date(), "printed", 0)] += 1
            if prr and len(item.history) > 1:
                durations[(printed.date(), "prr_to_printed", (printed - prr).days)] += 1
    for model, rows in (
        (Application, applications),
        (ApplicationEvent, events),
        (ApplicationNameWord, words),
    ):
        await insert_rows(db, model, rows)
    for status, count in counts.items():
        await repository.bump_status_count(db, tenant_id, status, count)
    for (day, metric, days), count in durations.items():
        await repository.add_duration(db, tenant_id, day, metric, days, count)
